//! Scheduling: which loop computes each node, so that chains of elementwise work and the
//! reductions over them share one pass over the data.
//!
//! Time is counted in levels. Odd levels are loops (one loop per distinct shape at a level),
//! even levels are the scalar statements between them. A node goes to the earliest level its
//! operands allow: an elementwise node can join the loop of a same-shape operand (it reads
//! element `i` right after it is made), but anything read through a broadcast, an expansion
//! or a reduction must be complete, so it waits for the next loop. Then nodes whose users all
//! come later sink to the latest level that still precedes them, so a value computed early
//! but needed late is made where it is used instead of being stored. Last, a cheap
//! elementwise node that a later loop reads again is computed again there, from operands that
//! are stored anyway, instead of being stored and read back ([`recompute`]).

use crate::ir::{Graph, NodeId, Op, Shape};
use std::collections::{BTreeMap, BTreeSet};

/// Where and how a node is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A placeholder, variable or constant: always available.
    Leaf,
    /// A scalar statement at this (even) level.
    Scalar(usize),
    /// Computed element by element in the loop of its shape at this (odd) level.
    Loop(usize),
    /// A reduction accumulated in the loop over its operand's shape at this (odd) level.
    Accumulate(usize),
    /// A broadcast or expansion that is never stored: users read through it.
    View,
    /// Computed whole, in a step of its own at this (odd) level (`matmul`, `transpose`).
    Kernel(usize),
}

/// One loop: every node it computes, operands first.
#[derive(Clone, Debug)]
pub struct LoopGroup {
    /// Its (odd) level.
    pub level: usize,
    /// The shape it walks over, in flat row-major order.
    pub shape: Shape,
    /// The nodes computed or accumulated in it, in topological order.
    pub nodes: Vec<NodeId>,
    /// The same nodes, to ask whether one is here in logarithmic time (a machine-written
    /// sum puts tens of thousands of nodes in one loop).
    pub members: BTreeSet<NodeId>,
    /// Variables updated in place at the end of each iteration (`sgd_step`).
    pub updates: Vec<NodeId>,
}

/// The schedule of one generated function.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Where each live node is computed.
    pub place: BTreeMap<NodeId, Place>,
    /// The live nodes, operands before users.
    pub order: Vec<NodeId>,
    /// Loops, by level, then by their first node.
    pub loops: Vec<LoopGroup>,
    /// Kernel steps, by level, then by node.
    pub kernels: Vec<(usize, NodeId)>,
    /// Every level used, highest.
    pub last_level: usize,
    /// Gradients that are a `matmul` read by nothing but their variable's update, to the
    /// variable: the product subtracts itself from the variable as it is made (the GEMM's
    /// `C -= rate A B`), so the gradient is never stored nor read back.
    pub fused_updates: BTreeMap<NodeId, NodeId>,
    /// Nodes computed in their own loop and again in each later loop that reads them (they
    /// are also in those loops' `nodes`), never stored.
    pub recomputed: BTreeSet<NodeId>,
}

impl Schedule {
    /// The level after which `id` is complete.
    pub fn ready(&self, graph: &Graph, id: NodeId) -> usize {
        match self.place[&id] {
            Place::Leaf => 0,
            Place::Scalar(level) => level,
            Place::Loop(level) | Place::Accumulate(level) | Place::Kernel(level) => level + 1,
            Place::View => self.ready(graph, graph.operands(id)[0]),
        }
    }
}

/// Schedules the nodes needed for `outputs` (and for the gradients of `updates`, pairs of a
/// variable and its gradient node).
pub fn schedule(graph: &Graph, outputs: &[NodeId], updates: &[(NodeId, NodeId)]) -> Schedule {
    let mut roots: Vec<NodeId> = outputs.to_vec();
    roots.extend(updates.iter().flat_map(|&(var, grad)| [var, grad]));
    let live = live_nodes(graph, &roots);
    let order: Vec<NodeId> = graph
        .topological_order()
        .into_iter()
        .filter(|id| live.contains(id))
        .collect();
    // Views are read through, except those returned and those a kernel reads whole: a kernel
    // reads a contiguous view (a reshape, a leading slice) in its operand's buffer, and
    // another view copied out.
    let mut stored: BTreeSet<NodeId> = outputs.iter().copied().collect();
    for &id in &live {
        if graph.op(id).is_kernel() {
            stored.extend(graph.operands(id).into_iter().filter_map(|o| kernel_copy(graph, o)));
        }
    }

    let mut s = Schedule {
        place: BTreeMap::new(),
        order,
        loops: Vec::new(),
        kernels: Vec::new(),
        last_level: 0,
        fused_updates: BTreeMap::new(),
        recomputed: BTreeSet::new(),
    };
    for &id in &s.order.clone() {
        let place = earliest(graph, &s, id, &stored);
        s.place.insert(id, place);
    }
    sink(graph, &mut s);
    let loop_updates: Vec<(NodeId, NodeId)> = updates
        .iter()
        .copied()
        .filter(|&(variable, gradient)| {
            let fused = fusable_update(graph, &s, &stored, variable, gradient);
            if fused {
                s.fused_updates.insert(gradient, variable);
            }
            !fused
        })
        .collect();
    group(graph, &mut s, &loop_updates);
    recompute(graph, &mut s, outputs, updates);
    s
}

/// Finds the nodes worth computing again in the later loops that read them rather than
/// storing them and reading them back (in the seed step, `d_y = 2 (y - t) / n`, summed in its
/// own loop and read again by the update: a stream written and read over the whole vector,
/// for a subtraction and a multiply), and adds each to those loops. A node qualifies when:
/// - it is made by a few adds, subtractions, multiplies or negations over its loop's shape
///   ([`recipe`]), and is neither returned nor a gradient an update reads;
/// - each reader outside its loop is in a later loop over the same shape and reads it at the
///   loop's own element (elementwise, or a reduction of it).
///
/// Recomputing repeats the same operations on the same operands, so no bit changes.
fn recompute(graph: &Graph, s: &mut Schedule, outputs: &[NodeId], updates: &[(NodeId, NodeId)]) {
    let users = users_within(graph, s);
    let updated: BTreeSet<NodeId> = updates.iter().map(|&(variable, _)| variable).collect();
    let gradients: BTreeSet<NodeId> = updates.iter().map(|&(_, gradient)| gradient).collect();
    for &id in &s.order {
        let Place::Loop(level) = s.place[&id] else {
            continue;
        };
        if outputs.contains(&id) || gradients.contains(&id) || s.recomputed.contains(&id) {
            continue;
        }
        let own_loop = |user: &NodeId| matches!(s.place[user], Place::Loop(l) | Place::Accumulate(l) if l == level);
        let later: Vec<NodeId> = users[&id].iter().copied().filter(|user| !own_loop(user)).collect();
        let in_later_loop = |user: NodeId| match s.place[&user] {
            Place::Loop(l) => l > level && graph.shape(user) == graph.shape(id) && !graph.op(user).is_view(),
            Place::Accumulate(l) => l > level,
            _ => false,
        };
        if later.is_empty() || !later.iter().all(|&user| in_later_loop(user)) {
            continue;
        }
        let mut steps = Vec::new();
        let readable = Readable {
            outputs,
            updated: &updated,
        };
        if !recipe(graph, s, &users, &readable, id, 4, &mut steps) {
            continue;
        }
        for group in &mut s.loops {
            let Some(first) = group.nodes.iter().position(|node| later.contains(node)) else {
                continue;
            };
            for (k, &step) in steps.iter().enumerate() {
                group.nodes.insert(first + k, step);
                group.members.insert(step);
            }
        }
        s.recomputed.extend(steps);
    }
}

/// What a later loop can read with the value it had: returned values (their homes hold them
/// from their loop on), and every leaf but the variables an update changes.
struct Readable<'a> {
    outputs: &'a [NodeId],
    updated: &'a BTreeSet<NodeId>,
}

impl Readable<'_> {
    /// Whether any later loop reads `id` (a leaf, a scalar, a returned value, or a view of
    /// one, such as a constant broadcast) at any index with the value it has now.
    fn whole(&self, graph: &Graph, s: &Schedule, id: NodeId) -> bool {
        match s.place[&id] {
            Place::Leaf => !self.updated.contains(&id),
            Place::Scalar(_) => true,
            Place::View => self.whole(graph, s, graph.operands(id)[0]),
            Place::Loop(_) | Place::Kernel(_) => self.outputs.contains(&id),
            Place::Accumulate(_) => false,
        }
    }
}

/// Whether `id` can be made again in a later loop from what it can read, in at most `budget`
/// adds, subtractions, multiplies and negations of its own loop, none stored and none read
/// by another loop; if so, pushes them onto `steps`, operands first.
fn recipe(
    graph: &Graph,
    s: &Schedule,
    users: &BTreeMap<NodeId, Vec<NodeId>>,
    readable: &Readable,
    id: NodeId,
    budget: usize,
    steps: &mut Vec<NodeId>,
) -> bool {
    let Place::Loop(level) = s.place[&id] else {
        return false;
    };
    let cheap = matches!(graph.op(id), Op::Add | Op::Sub | Op::Mul | Op::Neg);
    if !cheap || budget <= steps.len() || graph.shape(id).is_scalar() {
        return false;
    }
    for operand in graph.operands(id) {
        let ok = match s.place[&operand] {
            Place::Leaf | Place::Scalar(_) | Place::View => readable.whole(graph, s, operand),
            Place::Loop(_) if readable.outputs.contains(&operand) => graph.shape(operand) == graph.shape(id),
            // An intermediate of the same loop, read by nothing outside it: made again too.
            Place::Loop(l) if l == level && graph.shape(operand) == graph.shape(id) => {
                let inside = users[&operand]
                    .iter()
                    .all(|user| matches!(s.place[user], Place::Loop(u) | Place::Accumulate(u) if u == level));
                steps.contains(&operand) || (inside && recipe(graph, s, users, readable, operand, budget, steps))
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    if !steps.contains(&id) {
        steps.push(id);
    }
    true
}

/// The view a kernel reading `operand` needs stored (copied), if any: where the chain of
/// contiguous views from `operand` ends (see [`kernel_buffer`]), if that is a view.
fn kernel_copy(graph: &Graph, operand: NodeId) -> Option<NodeId> {
    let (base, _) = kernel_buffer(graph, operand);
    graph.op(base).is_view().then_some(base)
}

/// The node whose buffer a kernel reads for `operand`, and where in it `operand` starts:
/// through reshapes and leading slices (`Graph::contiguous_view`) to the first node that
/// is not one, unless that node is a scalar (then `operand` itself, copied).
pub fn kernel_buffer(graph: &Graph, operand: NodeId) -> (NodeId, Vec<crate::ir::Size>) {
    let (mut at, mut offset) = (operand, Vec::new());
    while let Some(more) = graph.op(at).is_view().then(|| graph.contiguous_view(at)).flatten() {
        let under = graph.operands(at)[0];
        if graph.shape(under).is_scalar() {
            break;
        }
        offset.extend(more);
        at = under;
    }
    (at, offset)
}

/// Whether `variable` can be updated by its `gradient`'s kernel as it is made: the gradient is
/// a `matmul` that nothing else reads (nor returns), and every other read of the variable's
/// old value is complete before the kernel's level.
fn fusable_update(graph: &Graph, s: &Schedule, stored: &BTreeSet<NodeId>, variable: NodeId, gradient: NodeId) -> bool {
    let Place::Kernel(level) = s.place[&gradient] else {
        return false;
    };
    // A batched product's gradient is a batch of products: not one GEMM's update.
    if !matches!(graph.op(gradient), crate::ir::Op::MatMul { .. })
        || graph.shape(gradient).rank() > 2
        || stored.contains(&gradient)
        || graph.users(gradient).iter().any(|user| s.place.contains_key(user))
    {
        return false;
    }
    // Kernels of one level run in the order of `s.order`, before that level's loops.
    let position = |id: NodeId| s.order.iter().position(|&o| o == id);
    let mut readers = graph.users(variable);
    while let Some(reader) = readers.pop() {
        match s.place.get(&reader) {
            None => {}
            Some(Place::View) => readers.extend(graph.users(reader)),
            Some(&Place::Kernel(l)) if l == level && position(reader) < position(gradient) => {}
            // The gradient's own kernel reading the variable is not done before it starts.
            Some(_) if s.ready(graph, reader) > level => return false,
            Some(_) => {}
        }
    }
    true
}

/// Every node that `roots` depend on, roots included.
fn live_nodes(graph: &Graph, roots: &[NodeId]) -> BTreeSet<NodeId> {
    let mut live: BTreeSet<NodeId> = roots.iter().copied().collect();
    let mut stack = roots.to_vec();
    while let Some(id) = stack.pop() {
        for operand in graph.operands(id) {
            if live.insert(operand) {
                stack.push(operand);
            }
        }
    }
    live
}

/// The earliest level a loop over `user_shape` can read `operand` element by element.
fn loop_needs(graph: &Graph, s: &Schedule, operand: NodeId, user_shape: &Shape) -> usize {
    match s.place[&operand] {
        Place::Leaf => 1,
        Place::Loop(level) if graph.shape(operand) == user_shape && !graph.op(operand).is_view() => level,
        _ => s.ready(graph, operand) + 1,
    }
}

fn earliest(graph: &Graph, s: &Schedule, id: NodeId, stored: &BTreeSet<NodeId>) -> Place {
    let op = graph.op(id);
    let operands = graph.operands(id);
    if op.is_leaf() {
        return Place::Leaf;
    }
    let scalar_operands = operands.iter().all(|&o| graph.shape(o).is_scalar());
    if graph.shape(id).is_scalar() && scalar_operands {
        let level = operands.iter().map(|&o| s.ready(graph, o)).max().unwrap_or(0);
        return Place::Scalar(level);
    }
    if op.is_kernel() {
        let level = operands.iter().map(|&o| s.ready(graph, o) + 1).max().unwrap_or(1);
        return Place::Kernel(level);
    }
    if op.is_reduction() {
        let operand = operands[0];
        return match s.place[&operand] {
            Place::Loop(level) if !graph.op(operand).is_view() => Place::Accumulate(level),
            _ => Place::Accumulate(loop_needs(graph, s, operand, graph.shape(operand))),
        };
    }
    if op.is_view() && !stored.contains(&id) {
        return Place::View;
    }
    if op.is_view() && graph.shape(id).is_scalar() {
        // One element of a tensor (`x[2]`), returned: a statement once the tensor is complete.
        return Place::Scalar(s.ready(graph, operands[0]));
    }
    if op.is_view() {
        // A stored view copies its operand through its map, which reads any element of it
        // (a transpose keeps the shape but not the order): the operand must be complete.
        let level = match s.place[&operands[0]] {
            Place::Leaf => 1,
            _ => s.ready(graph, operands[0]) + 1,
        };
        return Place::Loop(level);
    }
    let shape = graph.shape(id);
    let level = operands
        .iter()
        .map(|&o| loop_needs(graph, s, o, shape))
        .max()
        .unwrap_or(1);
    Place::Loop(level)
}

/// Moves loop nodes down to the latest level their users allow (see the module docs).
fn sink(graph: &Graph, s: &mut Schedule) {
    let users = users_within(graph, s);
    for &id in s.order.iter().rev() {
        let Place::Loop(level) = s.place[&id] else {
            continue;
        };
        if graph.op(id).is_view() {
            continue;
        }
        let mut latest = usize::MAX;
        for &user in &users[&id] {
            latest = latest.min(latest_for(graph, s, &users, id, user));
        }
        if latest != usize::MAX && latest > level {
            s.place.insert(id, Place::Loop(latest));
        }
    }
}

/// The latest level `id` can be computed at and still be in time for `user`.
fn latest_for(graph: &Graph, s: &Schedule, users: &BTreeMap<NodeId, Vec<NodeId>>, id: NodeId, user: NodeId) -> usize {
    let complete_before = |level: usize| level.saturating_sub(if level % 2 == 1 { 2 } else { 1 });
    match s.place[&user] {
        Place::Loop(level) if graph.shape(user) == graph.shape(id) && !graph.op(user).is_view() => level,
        // A reduction over `id` accumulates in `id`'s loop: they move together or not at all.
        Place::Accumulate(level) => level,
        Place::Loop(level) | Place::Scalar(level) | Place::Kernel(level) => complete_before(level),
        Place::View => users[&user]
            .iter()
            .map(|&u| latest_for(graph, s, users, id, u))
            .min()
            .unwrap_or(usize::MAX),
        Place::Leaf => unreachable!("a leaf has no operands"),
    }
}

fn users_within(graph: &Graph, s: &Schedule) -> BTreeMap<NodeId, Vec<NodeId>> {
    let mut users: BTreeMap<NodeId, Vec<NodeId>> = s.order.iter().map(|&id| (id, Vec::new())).collect();
    for &id in &s.order {
        for operand in graph.operands(id) {
            users
                .get_mut(&operand)
                .expect("operands of live nodes are live")
                .push(id);
        }
    }
    users
}

/// Gathers loop nodes into loops, and places each in-place variable update.
fn group(graph: &Graph, s: &mut Schedule, updates: &[(NodeId, NodeId)]) {
    // Loops by (level, shape), each remembering the position of its first node for ordering.
    let mut loops: BTreeMap<(usize, Shape), (usize, LoopGroup)> = BTreeMap::new();
    for (position, &id) in s.order.iter().enumerate() {
        let (level, shape) = match s.place[&id] {
            Place::Loop(level) => (level, graph.shape(id).clone()),
            Place::Accumulate(level) => (level, graph.shape(graph.operands(id)[0]).clone()),
            Place::Scalar(level) => {
                s.last_level = s.last_level.max(level);
                continue;
            }
            Place::Kernel(level) => {
                s.last_level = s.last_level.max(level);
                s.kernels.push((level, id));
                continue;
            }
            Place::Leaf | Place::View => continue,
        };
        s.last_level = s.last_level.max(level);
        let group = open(&mut loops, level, shape, position);
        group.nodes.push(id);
        group.members.insert(id);
    }
    for &(variable, gradient) in updates {
        if graph.shape(variable).is_scalar() {
            continue; // scalar variables are updated after everything else
        }
        let level = update_level(graph, s, variable, gradient);
        s.last_level = s.last_level.max(level);
        open(&mut loops, level, graph.shape(variable).clone(), usize::MAX)
            .updates
            .push(variable);
    }
    let mut groups: Vec<(usize, LoopGroup)> = loops.into_values().collect();
    groups.sort_by_key(|(first, g)| (g.level, *first));
    s.loops = groups.into_iter().map(|(_, g)| g).collect();
}

/// The loop over `shape` at `level`, opened at `position` if it is new.
fn open(
    loops: &mut BTreeMap<(usize, Shape), (usize, LoopGroup)>,
    level: usize,
    shape: Shape,
    position: usize,
) -> &mut LoopGroup {
    let empty = LoopGroup {
        level,
        shape: shape.clone(),
        nodes: Vec::new(),
        members: BTreeSet::new(),
        updates: Vec::new(),
    };
    &mut loops.entry((level, shape)).or_insert((position, empty)).1
}

/// An update of `variable` must come after every read of its old value, and after its gradient.
fn update_level(graph: &Graph, s: &Schedule, variable: NodeId, gradient: NodeId) -> usize {
    let shape = graph.shape(variable);
    let mut level = loop_needs(graph, s, gradient, shape);
    let mut readers = graph.users(variable);
    while let Some(reader) = readers.pop() {
        let Some(&place) = s.place.get(&reader) else {
            continue;
        };
        level = level.max(match place {
            Place::View => {
                readers.extend(graph.users(reader));
                continue;
            }
            Place::Loop(l) | Place::Accumulate(l) if loop_shape(graph, s, reader) == *shape => l,
            _ => s.ready(graph, reader) + 1,
        });
    }
    level
}

fn loop_shape(graph: &Graph, s: &Schedule, id: NodeId) -> Shape {
    match s.place[&id] {
        Place::Accumulate(_) => graph.shape(graph.operands(id)[0]).clone(),
        _ => graph.shape(id).clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::{schedule, Place};
    use crate::ir::{Axes, Op};
    use crate::opt::testing::{program, Build};

    #[test]
    fn a_reduction_accumulates_in_the_loop_that_makes_its_operand() {
        // cost = sum(exp(x) * x): one loop, the sum folded in as each element is made.
        let p = program(&[8], |b: &mut Build| {
            let e = b.op(Op::Exp, &[b.x]);
            let y = b.op(Op::Mul, &[e, b.x]);
            b.op(Op::Sum(Axes::All), &[y])
        });
        let cost = p.objective.node;
        let s = schedule(&p.graph, &[cost], &[]);
        assert_eq!(s.loops.len(), 1);
        assert_eq!(s.place[&cost], Place::Accumulate(1));
        assert!(s.kernels.is_empty());
    }

    #[test]
    fn a_value_read_through_a_broadcast_waits_for_the_next_loop() {
        // cost = sum(x - mean(x)): the mean must be complete before any element reads it.
        let p = program(&[8], |b: &mut Build| {
            let m = b.op(Op::Mean(Axes::All), &[b.x]);
            let d = b.op(Op::Sub, &[b.x, m]);
            b.op(Op::Sum(Axes::All), &[d])
        });
        let cost = p.objective.node;
        let s = schedule(&p.graph, &[cost], &[]);
        assert_eq!(s.loops.len(), 2, "{:?}", s.loops);
        assert!(s.loops[0].level < s.loops[1].level);
        assert_eq!(s.place[&cost], Place::Accumulate(s.loops[1].level));
    }

    #[test]
    fn a_product_is_a_kernel_of_its_own_after_its_operands() {
        // cost = sum(matmul(exp(x), x^T)): exp's loop, then the transpose (a view the kernel
        // reads whole, so copied in a loop), then the product, then the sum's loop.
        let p = program(&[3, 4], |b: &mut Build| {
            let e = b.op(Op::Exp, &[b.x]);
            let t = b.op(Op::Transpose(crate::ir::Perm::swap_last(2)), &[b.x]);
            let m = b.op(
                Op::MatMul {
                    ta: false,
                    tb: false,
                    fold: false,
                },
                &[e, t],
            );
            b.op(Op::Sum(Axes::All), &[m])
        });
        let cost = p.objective.node;
        let s = schedule(&p.graph, &[cost], &[]);
        let levels: Vec<usize> = s.kernels.iter().map(|&(level, _)| level).collect();
        assert_eq!(s.kernels.len(), 1, "the product");
        assert!(levels.iter().all(|&l| l % 2 == 1));
        assert!(matches!(s.place[&cost], Place::Accumulate(level) if level > *levels.iter().max().unwrap()));
    }

    #[test]
    fn a_cheap_value_a_later_loop_reads_is_made_again_there_instead_of_stored() {
        // d = 2x, summed in its own loop and read again after the sum: made again in the
        // second loop from x, which is still there, rather than stored. exp(x) is not cheap.
        for cheap in [true, false] {
            let (mut d, mut z) = (None, None);
            let p = program(&[8], |b: &mut Build| {
                let two = b.constant(2.0);
                let made = if cheap {
                    b.op(Op::Mul, &[b.x, two])
                } else {
                    b.op(Op::Exp, &[b.x])
                };
                let sum = b.op(Op::Sum(Axes::All), &[made]);
                let scaled = b.op(Op::Mul, &[made, sum]);
                (d, z) = (Some(made), Some(scaled));
                b.op(Op::Sum(Axes::All), &[scaled])
            });
            let (d, z) = (d.unwrap(), z.unwrap());
            let s = schedule(&p.graph, &[p.objective.node], &[]);
            assert_eq!(s.loops.len(), 2);
            assert_eq!(s.place[&d], Place::Loop(s.loops[0].level));
            let second = &s.loops[1];
            assert_eq!(s.recomputed.contains(&d), cheap);
            assert_eq!(second.members.contains(&d), cheap);
            if cheap {
                let at = |id| second.nodes.iter().position(|&n| n == id).unwrap();
                assert!(at(d) < at(z), "made before its reader");
            }
        }
    }
}
