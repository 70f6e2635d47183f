//! The graph IR: nodes on a petgraph `StableDiGraph`, forward and backward in one graph.
//!
//! Invariants:
//! - an edge `a -> b` with weight `k` means `a` is operand `k` of `b`; operand order is read
//!   only through [`Graph::operands`];
//! - the graph is acyclic, and every node's shape is the one `check::shapes` gives its op
//!   and operand shapes (nodes only get in through [`Graph::push`], which checks);
//! - gradient nodes carry the location of the forward node whose rule made them.

mod index;
mod op;
mod shape;

pub use index::{IndexMap, Run};
pub use op::{Axes, AxisSet, Call, Cmp, Conv, Op, Padding, Perm, Window, OP_KINDS};
pub use shape::{dim_text, DType, Dim, Elem, Shape, Size, MAX_NAMED};

use crate::check::shapes;
use crate::diag::{Diagnostic, Loc};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::fmt;

/// A node's identity. Prints as in the text form: `%3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(NodeIndex);

impl NodeId {
    /// The index, for naming temporaries.
    pub fn index(self) -> usize {
        self.0.index()
    }
}

impl From<NodeIndex> for NodeId {
    fn from(index: NodeIndex) -> NodeId {
        NodeId(index)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0.index())
    }
}

/// Which half of the computation a node belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Written by the user (or lowered from what they wrote).
    Forward,
    /// Made by reverse-mode differentiation.
    Backward,
}

/// What made a backward node: for readable formulas ("softmax rule, through `y`").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// The gradient rule of the op named (as the forward node was when the rule ran).
    Rule(&'static str),
    /// The sum of the adjoints a value receives from its several uses.
    SumOfUses,
}

/// One operation in the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// The shape of its result.
    pub shape: Shape,
    /// What its elements are: floats, or integer ids (`check::shapes::element`).
    pub elem: Elem,
    /// Where it came from in the user's source.
    pub loc: Loc,
    /// The user's name for it (`logits`), or the derived one (`d_logits`).
    pub name: Option<String>,
    /// Forward or backward.
    pub role: Role,
    /// For a backward node: the forward node whose gradient rule made it.
    pub rule_of: Option<NodeId>,
    /// For a backward node: what made it (the gradient rule of which op, or the sum of a
    /// value's adjoints over its uses).
    pub rule: Option<Provenance>,
}

/// A computation graph of one float type.
#[derive(Clone, Debug)]
pub struct Graph {
    inner: StableDiGraph<Node, usize>,
    dtype: DType,
    /// The names of the graph's named dimensions, in order of first appearance.
    named: Vec<String>,
    /// Role and rule given to the nodes pushed next (see [`Graph::in_rule_of`]).
    context: (Role, Option<NodeId>),
    /// The elements of each constant tensor ([`Op::Literal`]), row-major, in the float type.
    literals: Vec<Vec<f64>>,
}

impl Graph {
    /// An empty graph of float type `dtype`.
    pub fn new(dtype: DType) -> Graph {
        Graph {
            inner: StableDiGraph::new(),
            dtype,
            named: Vec::new(),
            context: (Role::Forward, None),
            literals: Vec::new(),
        }
    }

    /// A constant tensor of `shape` with `elements` (row-major; each rounded to the float type).
    pub fn literal(&mut self, elements: Vec<f64>, shape: Shape, name: &str, loc: Loc) -> Result<NodeId, Diagnostic> {
        let rounded = elements.into_iter().map(|v| self.dtype.round(v)).collect();
        self.literals.push(rounded);
        let number = u32::try_from(self.literals.len() - 1).expect("fewer than 2^32 constants");
        self.leaf(Op::Literal(number), shape, name, loc)
    }

    /// The elements of constant tensor `number` ([`Op::Literal`]).
    pub fn literal_elements(&self, number: u32) -> &[f64] {
        &self.literals[number as usize]
    }

    /// The float type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The names of the named dimensions, in order of first appearance: `Dim::Named(k)` is
    /// the `k`th.
    pub fn named(&self) -> &[String] {
        &self.named
    }

    /// Whether the graph has named dimensions.
    pub fn has_named(&self) -> bool {
        !self.named.is_empty()
    }

    /// The named dimension `name`, if the graph has it.
    pub fn named_dim(&self, name: &str) -> Option<Dim> {
        let k = self.named.iter().position(|n| n == name)?;
        Some(Dim::Named(k as u8))
    }

    /// Adds a named dimension (at most [`shape::MAX_NAMED`]); the one of that name if it exists.
    pub fn add_named(&mut self, name: &str) -> Option<Dim> {
        if let Some(dim) = self.named_dim(name) {
            return Some(dim);
        }
        if self.named.len() == shape::MAX_NAMED {
            return None;
        }
        self.named.push(name.to_owned());
        self.named_dim(name)
    }

    /// `shape` as the user writes it: `[f32; batch, 10]`.
    pub fn describe(&self, shape: &Shape) -> String {
        shape.describe(self.dtype, &self.named)
    }

    /// Node `id`'s type as the user writes it: `[f32; batch, 10]`, `[i32; batch]`.
    pub fn describe_node(&self, id: NodeId) -> String {
        let elem = self.elem(id);
        let text = self.describe(self.shape(id));
        match elem {
            Elem::Float => text,
            _ => text.replacen(self.dtype.name(), elem.name(self.dtype), 1),
        }
    }

    /// If node `id` reads integer ids: which operand holds them, and the bound they must be
    /// below (`gather`'s table length, `one_hot`'s depth, the number of classes). The one
    /// statement of the range check, which the interpreter and the generated code both make.
    pub fn ids_operand(&self, id: NodeId) -> Option<(usize, Size)> {
        let operand = |k: usize| self.shape(self.operands(id)[k]);
        match *self.op(id) {
            Op::Gather => Some((1, operand(0).dim(0))),
            Op::ScatterAdd => Some((1, self.shape(id).dim(0))),
            Op::OneHot(depth) => Some((0, Size::fixed(depth))),
            Op::SparseSoftmaxCrossEntropy => {
                let logits = operand(0);
                Some((1, logits.dim(logits.rank() - 1)))
            }
            _ => None,
        }
    }

    /// Each operand's element type, and whether it is a number written in the graph (a
    /// constant, or a constant broadcast to an operand's shape): what the element rule reads.
    pub fn elements(&self, operands: &[NodeId]) -> Vec<(Elem, bool)> {
        let number = |o: NodeId| match self.op(o) {
            Op::Constant(_) => true,
            Op::Broadcast => matches!(self.op(self.operands(o)[0]), Op::Constant(_)),
            _ => false,
        };
        operands.iter().map(|&o| (self.elem(o), number(o))).collect()
    }

    /// What node `id`'s elements are.
    pub fn elem(&self, id: NodeId) -> Elem {
        self.inner[id.0].elem
    }

    /// A placeholder of integer (or float) elements `elem`: ids fed at each call.
    pub fn placeholder(&mut self, elem: Elem, shape: Shape, name: &str, loc: Loc) -> Result<NodeId, Diagnostic> {
        let id = self.leaf(Op::Placeholder, shape, name, loc)?;
        self.inner[id.0].elem = elem;
        Ok(id)
    }

    /// Adds a node after inferring its shape from its operands'; the way most nodes get in.
    pub fn push(&mut self, op: Op, operands: &[NodeId], loc: Loc) -> Result<NodeId, Diagnostic> {
        let operand_shapes: Vec<&Shape> = operands.iter().map(|&o| self.shape(o)).collect();
        let shape = shapes::infer(&op, &operand_shapes, &|s| self.describe(s)).map_err(|m| Diagnostic::new(loc, m))?;
        self.fits(&shape, loc)?;
        let elem = self.element(&op, operands, loc)?;
        Ok(self.insert(op, shape, elem, operands, loc))
    }

    /// The element type of `op` applied to `operands`, or why they are the wrong kind.
    fn element(&self, op: &Op, operands: &[NodeId], loc: Loc) -> Result<Elem, Diagnostic> {
        let elems = self.elements(operands);
        shapes::element(op, &elems, &|k| self.describe_node(operands[k])).map_err(|(_, m)| Diagnostic::new(loc, m))
    }

    /// Adds a node whose shape is given rather than inferred (leaves, broadcasts, `sum_to`,
    /// `expand`), after checking that the shape fits the op and operands.
    pub fn push_with_shape(
        &mut self,
        op: Op,
        shape: Shape,
        operands: &[NodeId],
        loc: Loc,
    ) -> Result<NodeId, Diagnostic> {
        let operand_shapes: Vec<&Shape> = operands.iter().map(|&o| self.shape(o)).collect();
        shapes::check_given(&op, &operand_shapes, &shape).map_err(|m| Diagnostic::new(loc, m))?;
        self.fits(&shape, loc)?;
        let elem = self.element(&op, operands, loc)?;
        Ok(self.insert(op, shape, elem, operands, loc))
    }

    /// An error at `loc` if a tensor of `shape` would be too large to exist.
    fn fits(&self, shape: &Shape, loc: Loc) -> Result<(), Diagnostic> {
        let describe = format!("the result, {},", self.describe(shape));
        match shape.too_large(self.dtype, &describe) {
            None => Ok(()),
            Some(message) => Err(Diagnostic::new(loc, message)),
        }
    }

    fn insert(&mut self, op: Op, shape: Shape, elem: Elem, operands: &[NodeId], loc: Loc) -> NodeId {
        let (role, rule_of) = self.context;
        let rule = rule_of.map(|forward| Provenance::Rule(self.node(forward).op.name()));
        let node = Node {
            op,
            shape,
            elem,
            loc,
            name: None,
            role,
            rule_of,
            rule,
        };
        let id = NodeId(self.inner.add_node(node));
        for (k, &operand) in operands.iter().enumerate() {
            self.inner.add_edge(operand.0, id.0, k);
        }
        id
    }

    /// Runs `build` with every node it pushes marked as made by the gradient rule of `forward`.
    pub fn in_rule_of<T>(&mut self, forward: NodeId, build: impl FnOnce(&mut Graph) -> T) -> T {
        let saved = std::mem::replace(&mut self.context, (Role::Backward, Some(forward)));
        let result = build(self);
        self.context = saved;
        result
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.inner[id.0]
    }

    /// The node `id`, to rename it.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.inner[id.0]
    }

    /// The op of node `id`.
    pub fn op(&self, id: NodeId) -> &Op {
        &self.inner[id.0].op
    }

    /// The shape of node `id`.
    pub fn shape(&self, id: NodeId) -> &Shape {
        &self.inner[id.0].shape
    }

    /// Where element `i` of view `id` (see [`Op::is_view`]) finds its element of the operand:
    /// the one statement of each view's layout, read by the interpreter and the emitter.
    pub fn view_map(&self, id: NodeId) -> IndexMap {
        let shape = self.shape(id);
        let operand = self.shape(self.operands(id)[0]);
        match *self.op(id) {
            Op::Broadcast => IndexMap::broadcast(operand, shape),
            Op::Expand(axis) => IndexMap::expansion(shape, axis),
            Op::Transpose(perm) => IndexMap::permutation(shape, operand, perm),
            Op::Reshape => IndexMap::identity(),
            Op::Slice(window) => IndexMap::window(operand, shape, window),
            op => unreachable!("{op} is not a view"),
        }
    }

    /// If view `id`'s elements are one run of its operand's, in order, where the run starts
    /// (the terms of the offset): a reshape, an expansion by a length-1 axis (`keepdims`), or
    /// a slice that indexes its leading axes and takes the rest whole, its first range aside.
    /// A kernel reads such a view from its operand's buffer: nothing is copied.
    pub fn contiguous_view(&self, id: NodeId) -> Option<Vec<Size>> {
        let operand = self.shape(self.operands(id)[0]);
        match *self.op(id) {
            Op::Reshape => Some(Vec::new()),
            Op::Expand(axis) if self.shape(id).dims()[axis].is_one() => Some(Vec::new()),
            Op::Slice(window) => {
                // Outermost first: indexed axes, then at most one range, then whole axes.
                let shape = self.shape(id);
                let mut kept = 0;
                let mut whole_from = false;
                for k in 0..operand.rank() {
                    if window.dropped.contains(k) {
                        if whole_from {
                            return None;
                        }
                        continue;
                    }
                    let whole = window.start[k] == 0 && shape.dims()[kept] == operand.dims()[k];
                    if whole_from && !whole {
                        return None;
                    }
                    whole_from = true;
                    kept += 1;
                }
                Some(IndexMap::window(operand, shape, window).offset)
            }
            _ => None,
        }
    }

    /// The operands of `id`, in order.
    pub fn operands(&self, id: NodeId) -> Vec<NodeId> {
        let mut edges: Vec<(usize, NodeId)> = self
            .inner
            .edges_directed(id.0, Direction::Incoming)
            .map(|e| (*e.weight(), NodeId(e.source())))
            .collect();
        edges.sort_unstable();
        edges.into_iter().map(|(_, n)| n).collect()
    }

    /// The nodes that use `id`, each once, in id order.
    pub fn users(&self, id: NodeId) -> Vec<NodeId> {
        let mut users: Vec<NodeId> = self
            .inner
            .neighbors_directed(id.0, Direction::Outgoing)
            .map(NodeId)
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Every node, in id order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.inner.node_indices().map(NodeId)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.inner.node_count()
    }

    /// Whether the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.inner.node_count() == 0
    }

    /// Every node, operands before users (ties broken by id, so the order is deterministic).
    pub fn topological_order(&self) -> Vec<NodeId> {
        // Kahn's algorithm with a min-heap: linear apart from the heap, and stable under edits.
        let mut waiting: std::collections::HashMap<NodeId, usize> = std::collections::HashMap::new();
        let mut ready = std::collections::BinaryHeap::new();
        for id in self.ids() {
            let n = self.inner.edges_directed(id.0, Direction::Incoming).count();
            if n == 0 {
                ready.push(std::cmp::Reverse(id));
            } else {
                waiting.insert(id, n);
            }
        }
        let mut order = Vec::with_capacity(self.len());
        while let Some(std::cmp::Reverse(id)) = ready.pop() {
            order.push(id);
            for edge in self.inner.edges_directed(id.0, Direction::Outgoing) {
                let user = NodeId(edge.target());
                let left = waiting.get_mut(&user).expect("every user waits on its operands");
                *left -= 1;
                if *left == 0 {
                    waiting.remove(&user);
                    ready.push(std::cmp::Reverse(user));
                }
            }
        }
        order
    }

    /// Makes every user of `old` use `new` instead, in the same operand position.
    pub fn replace_uses(&mut self, old: NodeId, new: NodeId) {
        let uses: Vec<(NodeId, usize)> = self
            .inner
            .edges_directed(old.0, Direction::Outgoing)
            .map(|e| (NodeId(e.target()), *e.weight()))
            .collect();
        let edges: Vec<_> = self
            .inner
            .edges_directed(old.0, Direction::Outgoing)
            .map(|e| e.id())
            .collect();
        for e in edges {
            self.inner.remove_edge(e);
        }
        for (user, k) in uses {
            self.inner.add_edge(new.0, user.0, k);
        }
    }

    /// Makes `id` compute `op` from `operands` instead, keeping its id, name and users.
    ///
    /// The new op must give the same shape: lowering passes use this to expand a node into
    /// simpler ones in place.
    pub fn rewrite(&mut self, id: NodeId, op: Op, operands: &[NodeId]) -> Result<(), Diagnostic> {
        let operand_shapes: Vec<&Shape> = operands.iter().map(|&o| self.shape(o)).collect();
        let shape = shapes::infer(&op, &operand_shapes, &|s| self.describe(s))
            .map_err(|m| Diagnostic::new(self.node(id).loc, m))?;
        if &shape != self.shape(id) {
            let message = format!("internal error: rewriting {id} as `{op}` changes its shape");
            return Err(Diagnostic::new(self.node(id).loc, message));
        }
        self.set(id, op, operands);
        Ok(())
    }

    /// Runs `build` with every node it pushes given the role and rule of node `like`.
    pub fn in_context_of<T>(&mut self, like: NodeId, build: impl FnOnce(&mut Graph) -> T) -> T {
        let context = (self.node(like).role, self.node(like).rule_of);
        let saved = std::mem::replace(&mut self.context, context);
        let result = build(self);
        self.context = saved;
        result
    }

    /// Whether `id` is (still) in the graph.
    pub fn contains(&self, id: NodeId) -> bool {
        self.inner.contains_node(id.0)
    }

    /// Makes `id` a scalar constant, keeping its id, name and users.
    pub fn make_constant(&mut self, id: NodeId, value: f64) {
        self.set(id, Op::Constant(value), &[]);
    }

    /// Gives `id` a new op and operands (the callers check the shape).
    fn set(&mut self, id: NodeId, op: Op, operands: &[NodeId]) {
        let edges: Vec<_> = self
            .inner
            .edges_directed(id.0, Direction::Incoming)
            .map(|e| e.id())
            .collect();
        for e in edges {
            self.inner.remove_edge(e);
        }
        for (k, &operand) in operands.iter().enumerate() {
            self.inner.add_edge(operand.0, id.0, k);
        }
        self.inner[id.0].op = op;
    }

    /// Makes `id` compute `op` (whose shape is given, like a broadcast) from `operands`.
    pub fn rewrite_given(&mut self, id: NodeId, op: Op, operands: &[NodeId]) -> Result<(), Diagnostic> {
        let operand_shapes: Vec<&Shape> = operands.iter().map(|&o| self.shape(o)).collect();
        shapes::check_given(&op, &operand_shapes, self.shape(id)).map_err(|m| Diagnostic::new(self.node(id).loc, m))?;
        self.set(id, op, operands);
        Ok(())
    }

    /// Removes a node and its edges.
    pub fn remove(&mut self, id: NodeId) {
        self.inner.remove_node(id.0);
    }

    /// The underlying petgraph graph, for algorithms and drawing.
    pub fn petgraph(&self) -> &StableDiGraph<Node, usize> {
        &self.inner
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} = {} {}", self.op, self.shape),
            None => write!(f, "{} {}", self.op, self.shape),
        }
    }
}

/// The text form: one line per node in topological order, `%2 = multiply %0, %1 : [5]  (logits)`.
impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for id in self.topological_order() {
            let node = self.node(id);
            let operands: Vec<String> = self.operands(id).iter().map(NodeId::to_string).collect();
            match node.op {
                Op::Constant(c) => write!(f, "{id} = constant {}", self.dtype.format(c))?,
                op => write!(f, "{id} = {op}")?,
            }
            if !operands.is_empty() {
                write!(f, " {}", operands.join(", "))?;
            }
            write!(f, " : {}", node.shape)?;
            if let Some(name) = &node.name {
                write!(f, "  ({name})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
