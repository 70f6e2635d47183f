//! Function bodies: walks a [`Schedule`] level by level and writes scalar statements, fused
//! loops, kernel calls and the final stores.
//!
//! Inside a loop every node is one of three things: stored into a buffer (it is an output,
//! or something outside this loop reads it), bound with `let` (named, or read more than once
//! here), or inlined into its one reader's expression. Buffers are the returned structs'
//! fields or, for intermediates, fields of the caller's `Workspace`.

use super::names::{bare, internal};
use super::ops::{self, Expr};
use super::schedule::{self, LoopGroup, Place, Schedule};
use super::structs::{flat, len};
use super::Ctx;
use crate::ir::{IndexMap, NodeId, Op, Size};
use proc_macro2::{Literal, TokenStream};
use std::collections::{BTreeMap, BTreeSet};

/// Partial results a scalar accumulator keeps in a long loop (one per vector lane).
const LANES: usize = 8;

/// Elements per block of a long loop (a multiple of [`LANES`]). Each block computes its
/// elements in one loop, which the compiler vectorises whole, `exp` included, because nothing
/// in it carries a value from one element to the next; the values a scalar accumulator sums
/// wait in a small array on the stack and fold into the lanes after. (Folding inside the
/// element loop, as a loop of lanes, kept the polynomial `exp` from vectorising.)
const BLOCK: usize = 64;

/// Loops at least this long run on two threads.
const PARALLEL_MIN: usize = 1 << 18;

/// `0`, `1`, ... as a tuple field index.
fn syn_index(k: usize) -> proc_macro2::Literal {
    Literal::usize_unsuffixed(k)
}

/// `acc_lanes` for accumulator `acc`.
fn lanes_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_lanes", bare(name)))
}

/// Loops known to be shorter than this are plain loops over their elements. Blocks pay for
/// themselves from a few blocks on; below that the compiler unrolls them whole, which made a
/// crate holding a 602-node graph of 128-element tensors take 58 s to build instead of 18 s.
const LONG: usize = 4 * BLOCK;

/// Whether `group`'s loop runs in blocks: it is at least [`LONG`], or its length is known
/// only at run time.
fn is_long(group: &LoopGroup) -> bool {
    group.shape.size().known().is_none_or(|n| n >= LONG)
}

/// Which element of a buffer a loop iteration reads or writes.
#[derive(Clone)]
enum At {
    /// The iteration's own element, `i`.
    Loop,
    /// `i % m`: the element of a row of `m` that is broadcast down (or summed up) the outer
    /// axes of the loop's shape.
    Row(Size),
    /// Any other index: a computed expression of `i`, or a constant.
    Expr(TokenStream),
}

/// Where a block's slice of a buffer accessed `at` starts, if the block's elements are a
/// slice of it: `at` (`at - offset` in a half of a split loop) for the loop's own element,
/// `at % m` for a row whose length is a multiple of the block.
fn block_start(at: &At, split: bool) -> Option<TokenStream> {
    match at {
        At::Loop if split => Some(code!(at - offset)),
        At::Loop => Some(code!(at)),
        At::Row(m) => {
            let m = m.known().filter(|m| m % BLOCK == 0)?;
            let m = Literal::usize_unsuffixed(m);
            Some(code!(at % #m))
        }
        At::Expr(_) => None,
    }
}

/// `acc_block` for accumulator `acc`: the values of one block that it folds.
fn block_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_block", bare(name)))
}

/// How deeply an inlined element's expression may nest (groups of parentheses) before it is
/// bound with `let` instead: deep enough for every hand-written graph, shallow enough that
/// rustc never recurses far (a 2,000-term sum inlined whole crashed it).
const MAX_INLINE_NESTING: usize = 24;

/// The deepest nesting of groups in `tokens`, counted without recursion and only as far as
/// [`MAX_INLINE_NESTING`] + 1.
fn nesting(tokens: &TokenStream) -> usize {
    let mut deepest = 0;
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(group)) => {
                deepest = deepest.max(stack.len());
                if deepest > MAX_INLINE_NESTING {
                    return deepest;
                }
                stack.push(group.stream().into_iter());
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    deepest
}

/// A value the function returns: `place` (such as `values.logits`) receives node `node`.
pub struct Output {
    /// The node whose value is stored.
    pub node: NodeId,
    /// Where it goes: a field of one of the returned structs.
    pub place: TokenStream,
}

/// A variable updated in place by gradient descent: `v.field -= learning_rate * gradient`.
pub struct Update {
    /// The variable's node.
    pub variable: NodeId,
    /// Its gradient's node.
    pub gradient: NodeId,
}

/// What one generated function computes.
pub struct Spec {
    /// The values it stores into its returned structs.
    pub outputs: Vec<Output>,
    /// The variables it updates (only `sgd_step`).
    pub updates: Vec<Update>,
}

/// A written function body, and the intermediates it keeps in the `Workspace`.
pub struct Body {
    /// The statements.
    pub tokens: TokenStream,
    /// Nodes stored in `workspace.NAME`.
    pub scratch: Vec<NodeId>,
}

/// The statements of a function that computes `spec`, given `p`, `v`, the output places and
/// `workspace`.
pub fn body(ctx: &Ctx, spec: &Spec) -> Body {
    let graph = ctx.graph;
    let outputs: Vec<NodeId> = spec.outputs.iter().map(|o| o.node).collect();
    let updates: Vec<(NodeId, NodeId)> = spec.updates.iter().map(|u| (u.variable, u.gradient)).collect();
    let sched = schedule::schedule(graph, &outputs, &updates);
    let mut e = Emitter {
        ctx,
        homes: BTreeMap::new(),
        kinds: BTreeMap::new(),
        pending: BTreeMap::new(),
        updates: updates.iter().copied().collect(),
        scratch: Vec::new(),
        split: BTreeSet::new(),
        block: None,
        vector: false,
        shares: BTreeMap::new(),
        sched,
    };
    e.choose_homes(spec);
    e.share_buffers();
    let mut tokens = e.function(spec);
    if e.sched.loops.iter().any(is_long) {
        // Long loops are compiled for the CPU's widest vector instructions, chosen at run time.
        let runtime = &ctx.runtime;
        tokens = code!(#runtime::simd(#[inline(always)] || { #tokens });)
    }
    Body {
        tokens,
        scratch: e.scratch,
    }
}

/// How a loop node's element is kept within its loop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stored,
    Let,
    Inline,
}

struct Emitter<'a> {
    ctx: &'a Ctx<'a>,
    sched: Schedule,
    /// Output nodes stored straight into a returned struct's field: node to that place.
    homes: BTreeMap<NodeId, TokenStream>,
    kinds: BTreeMap<NodeId, Kind>,
    /// Inlined elements waiting for their one reader, in the loop being written.
    pending: BTreeMap<NodeId, Expr>,
    /// Updated variables and their gradients.
    updates: BTreeMap<NodeId, NodeId>,
    scratch: Vec<NodeId>,
    /// While writing one half of a loop run on two threads: the nodes (and variables) whose
    /// buffers are split there, indexed `[i - offset]` in that half.
    split: BTreeSet<NodeId>,
    /// While writing the element loop of a block: the buffers indexed there.
    block: Option<Block>,
    /// While writing the element loop of a block, which the compiler vectorises (not a tail,
    /// nor a short loop).
    vector: bool,
    /// Intermediates kept in the buffer of their one later reader, which overwrites them in
    /// place (`y_exp` in `y`'s, for `y = y_exp / sum`): one buffer, and one pass over memory,
    /// fewer. Node to the node whose buffer (and name) it uses.
    shares: BTreeMap<NodeId, NodeId>,
}

/// The buffers a block's element loop indexes: through a slice of the block where it can
/// (`x[k]`, with `x = &x[at..at + BLOCK]`, so no bounds check stays in the loop; `b[k]`
/// with `b = &b[at % 256..at % 256 + BLOCK]` for a row of 256 broadcast down the rows), or
/// at any other index (`b[i % 10]`), through the whole buffer.
#[derive(Default)]
struct Block {
    /// Buffer (the node whose name it has, see [`Emitter::buffer`]) to where its slice starts
    /// (see [`block_start`]) and whether the slice is written.
    sliced: BTreeMap<NodeId, (TokenStream, bool)>,
    /// Buffers indexed otherwise, or at two different starts.
    whole: BTreeSet<NodeId>,
    /// Buffers always indexed whole: those found indexed both ways by an earlier attempt.
    unsliced: BTreeSet<NodeId>,
}

impl Emitter<'_> {
    /// The name of `id`'s element or buffer (for a node that shares a buffer, the buffer's).
    fn name(&self, id: NodeId) -> &proc_macro2::Ident {
        self.ctx.names.of(self.buffer(id))
    }

    /// The node whose buffer holds `id`: itself, or the reader it shares with.
    fn buffer(&self, id: NodeId) -> NodeId {
        self.shares.get(&id).copied().unwrap_or(id)
    }

    /// Finds the intermediates that can live in their reader's buffer: stored only for one
    /// elementwise reader of the same shape in a later loop, which reads them at its own
    /// index, and then stores itself (everything else that reads them is in their own loop).
    fn share_buffers(&mut self) {
        let graph = self.ctx.graph;
        let mut taken = BTreeSet::new();
        for group in &self.sched.loops {
            for &id in &group.nodes {
                if self.kinds.get(&id) != Some(&Kind::Stored)
                    || self.homes.contains_key(&id)
                    || !matches!(self.sched.place[&id], Place::Loop(_))
                    || self.updates.values().any(|&g| g == id)
                {
                    continue;
                }
                let later: Vec<NodeId> = graph
                    .users(id)
                    .into_iter()
                    .filter(|user| self.sched.place.contains_key(user) && !group.nodes.contains(user))
                    .collect();
                let [reader] = later.as_slice() else { continue };
                let reader = *reader;
                let fits = matches!(self.sched.place[&reader], Place::Loop(_))
                    && self.kinds.get(&reader) == Some(&Kind::Stored)
                    && graph.shape(reader) == graph.shape(id)
                    && graph.op(reader).is_elementwise()
                    && !graph.op(reader).is_view()
                    && !graph.op(id).is_view()
                    && taken.insert(reader);
                if fits {
                    self.shares.insert(id, reader);
                }
            }
        }
    }

    fn choose_homes(&mut self, spec: &Spec) {
        let graph = self.ctx.graph;
        for out in &spec.outputs {
            let stored = match self.sched.place[&out.node] {
                Place::Loop(_) | Place::Kernel(_) => true,
                Place::Accumulate(_) => !graph.shape(out.node).is_scalar(),
                Place::Leaf | Place::Scalar(_) | Place::View => false,
            };
            if stored && !self.homes.contains_key(&out.node) {
                self.homes.insert(out.node, out.place.clone());
            }
        }
        for group in &self.sched.loops {
            for &id in &group.nodes {
                let kind = self.kind(group, id);
                self.kinds.insert(id, kind);
            }
        }
    }

    fn kind(&self, group: &LoopGroup, id: NodeId) -> Kind {
        let graph = self.ctx.graph;
        if self.homes.contains_key(&id) || matches!(self.sched.place[&id], Place::Accumulate(_)) {
            return Kind::Stored;
        }
        let mut uses_here = 0;
        for user in graph.users(id) {
            let Some(&place) = self.sched.place.get(&user) else {
                continue;
            };
            let in_this_loop = group.nodes.contains(&user) && place != Place::View && !graph.op(user).is_view();
            if !in_this_loop {
                return Kind::Stored;
            }
            uses_here += graph.operands(user).iter().filter(|&&o| o == id).count();
        }
        for (variable, &gradient) in &self.updates {
            if gradient == id {
                if !group.updates.contains(variable) {
                    return Kind::Stored;
                }
                uses_here += 1;
            }
        }
        if uses_here == 1 && graph.node(id).name.is_none() {
            Kind::Inline
        } else {
            Kind::Let
        }
    }

    fn function(&mut self, spec: &Spec) -> TokenStream {
        let mut out = TokenStream::new();
        out.extend(self.leaf_outputs(spec));
        out.extend(self.leaf_bindings());
        // Each level's work, gathered once: walking every node at every level is quadratic.
        let mut scalars: BTreeMap<usize, Vec<NodeId>> = BTreeMap::new();
        for &id in &self.sched.order {
            if let Place::Scalar(level) = self.sched.place[&id] {
                scalars.entry(level).or_default().push(id);
            }
        }
        let mut kernels: BTreeMap<usize, Vec<NodeId>> = BTreeMap::new();
        for &(level, id) in &self.sched.kernels {
            kernels.entry(level).or_default().push(id);
        }
        let mut loops: BTreeMap<usize, Vec<LoopGroup>> = BTreeMap::new();
        for group in &self.sched.loops {
            loops.entry(group.level).or_default().push(group.clone());
        }
        for level in 0..=self.sched.last_level {
            for &id in scalars.get(&level).into_iter().flatten() {
                out.extend(self.scalar(id));
            }
            for &id in kernels.get(&level).into_iter().flatten() {
                out.extend(self.emit_kernel(id));
            }
            for group in loops.get(&level).into_iter().flatten() {
                out.extend(self.emit_loop(group));
            }
        }
        out.extend(self.final_stores(spec));
        out
    }

    /// Outputs that are a placeholder or variable as given: copied before anything changes.
    fn leaf_outputs(&self, spec: &Spec) -> TokenStream {
        let graph = self.ctx.graph;
        let mut out = TokenStream::new();
        for o in &spec.outputs {
            if matches!(graph.op(o.node), Op::Placeholder | Op::Variable) {
                // Element by element: the two fields may differ in whether they are boxed.
                let (place, source) = (o.place.clone(), self.leaf_source(o.node));
                let rank = graph.shape(o.node).rank();
                out.extend(match rank {
                    0 => code!(#place = #source;),
                    1 => code!(#place[..].copy_from_slice(&#source[..]);),
                    _ => {
                        let (place, source) = (flat(place, rank, true), flat(source, rank, false));
                        code!(#place.copy_from_slice(#source);)
                    }
                });
            }
        }
        out
    }

    /// `p.x` or `v.w`.
    fn leaf_source(&self, id: NodeId) -> TokenStream {
        let program = self.ctx.program;
        let field = |decls: &[crate::program::Decl]| {
            decls
                .iter()
                .find(|d| d.node == id)
                .map(|d| super::names::ident(&d.name))
        };
        if let Some(field) = field(&program.placeholders) {
            code!(p.#field)
        } else if let Some(field) = field(&program.variables) {
            code!(v.#field)
        } else {
            unreachable!("{id} is not a declared leaf")
        }
    }

    /// `let x = &p.x[..];` for each leaf some computation reads: flat slices of arrays,
    /// copies of scalars.
    fn leaf_bindings(&self) -> TokenStream {
        let graph = self.ctx.graph;
        let mut read: BTreeSet<NodeId> = self.updates.keys().copied().collect();
        for &id in &self.sched.order {
            if !graph.op(id).is_leaf() {
                read.extend(graph.operands(id).into_iter().filter(|&o| graph.op(o).is_leaf()));
            }
        }
        let mut out = TokenStream::new();
        for id in read {
            if !matches!(graph.op(id), Op::Placeholder | Op::Variable) {
                continue;
            }
            let name = self.name(id);
            let source = self.leaf_source(id);
            let rank = graph.shape(id).rank();
            let binding = if rank == 0 {
                source
            } else {
                self.bind_flat(source, graph.shape(id), self.updates.contains_key(&id))
            };
            out.extend(code!(let #name = #binding;));
        }
        out
    }

    fn scalar(&mut self, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let args: Vec<Expr> = graph
            .operands(id)
            .iter()
            .map(|&o| self.read(o, &At::Loop, None))
            .collect();
        let value = ops::elementwise(self.ctx, id, &args, false).tokens;
        let name = self.name(id);
        let doc = self.docs(&[id]);
        code!(#doc let #name = #value;)
    }

    fn emit_kernel(&mut self, id: NodeId) -> TokenStream {
        if let Some(&variable) = self.sched.fused_updates.get(&id) {
            let args: Vec<TokenStream> = self.ctx.graph.operands(id).iter().map(|&o| self.slice(o)).collect();
            let target = self.name(variable).clone();
            let body = ops::matmul_update(self.ctx, id, &code!(#target), &args);
            let doc = self.docs(&[id]);
            let step = format!(" {target} -= learning_rate * {}, in the product itself", self.name(id));
            return code!(#doc #[doc = #step] { #body });
        }
        let declaration = self.declare(id, false);
        let args: Vec<TokenStream> = self.ctx.graph.operands(id).iter().map(|&o| self.slice(o)).collect();
        let name = self.name(id).clone();
        let body = ops::kernel(self.ctx, id, &code!(#name), &args);
        let doc = self.docs(&[id]);
        code!(#declaration #doc { #body })
    }

    /// The flat slice holding all of `id`, for a kernel to read.
    fn slice(&self, id: NodeId) -> TokenStream {
        let name = self.name(id);
        code!(#name)
    }

    fn emit_loop(&mut self, group: &LoopGroup) -> TokenStream {
        let lanes = self.uses_lanes(group);
        let mut before = TokenStream::new();
        let mut after = TokenStream::new();
        for &id in &group.nodes {
            before.extend(self.declare(id, lanes));
            if matches!(self.sched.place[&id], Place::Accumulate(_)) {
                if lanes && self.ctx.graph.shape(id).is_scalar() {
                    after.extend(self.merge_lanes(id));
                }
                after.extend(self.finish(id));
            }
        }
        let len = len(self.ctx, &group.shape);
        let doc = self.docs(&group.nodes);
        if let Some(parallel) = self.parallel(group, &len) {
            return code!(#before #doc #parallel #after);
        }
        if !is_long(group) {
            let body = self.loop_body(group, None);
            return code! {
                #before
                #doc
                for i in 0..#len {
                    #body
                }
                #after
            };
        }
        let lane_loop = self.lane_loop(group, None, &len);
        code!(#before #doc #lane_loop #after)
    }

    /// `group`'s loop over `count` elements from `offset` (0 if `None`): blocks of [`BLOCK`]
    /// elements, then a tail. Scalar accumulators keep one partial result per lane (element
    /// `i` goes to lane `i % LANES`), so that the compiler can vectorise the loop without
    /// reordering a sum it may not reorder.
    fn lane_loop(&mut self, group: &LoopGroup, offset: Option<TokenStream>, count: &TokenStream) -> TokenStream {
        let from = offset.map(|offset| code!(#offset +));
        let (size, width) = (Literal::usize_unsuffixed(BLOCK), Literal::usize_unsuffixed(LANES));
        let whole_blocks = from.is_none() && group.shape.size().known().is_some_and(|n| n % BLOCK == 0);
        let tail = self.loop_body(group, Some(code!(0)));
        let tail = (!whole_blocks).then(|| {
            code! {
                for i in #from #count / #size * #size..#from #count {
                    #tail
                }
            }
        });
        self.vector = !self.scatters(group);
        let mut unsliced = BTreeSet::new();
        let (body, block) = loop {
            self.block = Some(Block {
                unsliced: unsliced.clone(),
                ..Block::default()
            });
            let body = self.loop_body(group, Some(code!(k)));
            let block = self.block.take().unwrap_or_default();
            // A buffer indexed both through a slice and whole (no graph known makes one) is
            // indexed whole throughout, in a second writing of the body.
            let both: Vec<NodeId> = block
                .sliced
                .keys()
                .filter(|b| block.whole.contains(b))
                .copied()
                .collect();
            if both.is_empty() {
                break (body, block);
            }
            unsliced.extend(both);
        };
        self.vector = false;
        let slices = block.sliced.iter().map(|(&buffer, (start, mutable))| {
            let name = self.ctx.names.of(buffer);
            let borrow = if *mutable { code!(&mut) } else { code!(&) };
            code!(let #name = #borrow #name[#start..#start + #size];)
        });
        let graph = self.ctx.graph;
        let accumulators: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|&id| matches!(self.sched.place[&id], Place::Accumulate(_)) && graph.shape(id).is_scalar())
            .collect();
        let values: Vec<proc_macro2::Ident> = accumulators.iter().map(|&id| block_name(self.name(id))).collect();
        let starts = accumulators.iter().map(|&id| ops::fold(graph, id).start.tokens);
        let folds = accumulators.iter().map(|&id| {
            let lanes = lanes_name(self.name(id));
            (ops::fold(graph, id).step)(code!(#lanes[lane]), code!(chunk[lane]), &self.ctx.float)
        });
        let folds = code!(#(for chunk in #values.chunks_exact(#width) { for lane in 0..#width { #folds } })*);
        let global = super::mentions(&body, "i").then(|| code!(let i = at + k;));
        code! {
            for block in 0..#count / #size {
                let at = #from block * #size;
                #(#slices)*
                #(let mut #values = [#starts; #size];)*
                for k in 0..#size {
                    #global
                    #body
                }
                #folds
            }
            #tail
        }
    }

    /// Whether `group` sums into an array at indices that are not a slice of each block (a
    /// softmax row of 10: `y_sum[i / 10] += ...`). Such a loop does not vectorise, so libm's
    /// `exp`, the faster one element at a time, serves it better than the polynomial.
    fn scatters(&self, group: &LoopGroup) -> bool {
        let graph = self.ctx.graph;
        group.nodes.iter().any(|&id| {
            if !matches!(self.sched.place[&id], Place::Accumulate(_)) || graph.shape(id).is_scalar() {
                return false;
            }
            block_start(&self.map_at(&self.reduction_map(id), &At::Loop), false).is_none()
        })
    }

    /// `group`'s loop over two threads, each on its half of the index range, when the loop
    /// is long enough to pay for a thread ([`PARALLEL_MIN`] elements; for a size known only
    /// at run time, a branch picks). `None` for loops that stay on one thread: short ones, and
    /// those that accumulate into arrays (their halves would write the same elements).
    fn parallel(&mut self, group: &LoopGroup, len: &TokenStream) -> Option<TokenStream> {
        let graph = self.ctx.graph;
        let size = group.shape.size();
        if size.known().is_some_and(|n| n < PARALLEL_MIN) {
            return None;
        }
        let accumulators: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|id| matches!(self.sched.place[id], Place::Accumulate(_)))
            .collect();
        if accumulators.iter().any(|&id| !graph.shape(id).is_scalar()) {
            return None;
        }
        let written: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|id| self.kinds.get(id) == Some(&Kind::Stored) && !accumulators.contains(id))
            .chain(group.updates.iter().copied())
            .collect();
        let sequential = self.lane_loop(group, None, len);
        self.split = written.iter().map(|&id| self.buffer(id)).collect();
        let half_loop = self.lane_loop(group, Some(code!(offset)), &code!(count));
        self.split.clear();
        let (width, block) = (Literal::usize_unsuffixed(LANES), Literal::usize_unsuffixed(BLOCK));

        let (float, runtime) = (&self.ctx.float, &self.ctx.runtime);
        let names: Vec<proc_macro2::Ident> = written.iter().map(|&id| self.name(id).clone()).collect();
        let lows: Vec<proc_macro2::Ident> = names.iter().map(|n| internal(&format!("{}_low", bare(n)))).collect();
        let highs: Vec<proc_macro2::Ident> = names.iter().map(|n| internal(&format!("{}_high", bare(n)))).collect();
        let lanes: Vec<proc_macro2::Ident> = accumulators.iter().map(|&id| lanes_name(self.name(id))).collect();
        let starts: Vec<TokenStream> = accumulators
            .iter()
            .map(|&id| ops::fold(graph, id).start.tokens)
            .collect();
        let merges: Vec<TokenStream> = accumulators
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                let (lane_array, k) = (&lanes[k], syn_index(k));
                let step = (ops::fold(graph, id).step)(code!(#lane_array[lane]), code!(high.#k[lane]), float);
                code! {
                    #lane_array = low.#k;
                    for lane in 0..#width {
                        #step
                    }
                }
            })
            .collect();
        let parallel = code! {
            // Two halves, one per core; each keeps its own lanes, merged in order after.
            let half = |offset: usize, count: usize, #(#names: &mut [#float]),*| {
                #runtime::simd(#[inline(always)] || {
                    #(let mut #lanes = [#starts; #width];)*
                    #half_loop
                    (#(#lanes,)*)
                })
            };
            let mid = #len / 2 / #block * #block;
            #(let (#lows, #highs) = #names.split_at_mut(mid);)*
            let (low, high) = #runtime::join(
                || half(0, mid, #(#lows),*),
                || half(mid, #len - mid, #(#highs),*),
            );
            #(#merges)*
        };
        Some(match size.known() {
            Some(_) => parallel,
            None => {
                let min = Literal::usize_unsuffixed(PARALLEL_MIN);
                code! {
                    if #len >= #min {
                        #parallel
                    } else {
                        #sequential
                    }
                }
            }
        })
    }

    /// Whether `group` accumulates a scalar over enough elements to split it into lanes.
    fn uses_lanes(&self, group: &LoopGroup) -> bool {
        let graph = self.ctx.graph;
        is_long(group)
            && group
                .nodes
                .iter()
                .any(|&id| matches!(self.sched.place[&id], Place::Accumulate(_)) && graph.shape(id).is_scalar())
    }

    /// One iteration of `group`'s loop; scalar accumulators fold into lane `lane`, if given.
    fn loop_body(&mut self, group: &LoopGroup, lane: Option<TokenStream>) -> TokenStream {
        let mut body = TokenStream::new();
        for &id in &group.nodes {
            match self.sched.place[&id] {
                Place::Accumulate(_) => body.extend(self.accumulate(group, id, lane.as_ref())),
                _ => body.extend(self.element(group, id)),
            }
        }
        for &variable in &group.updates {
            let step = self.read(self.updates[&variable], &At::Loop, Some(group)).operand();
            let target = self.index(variable, &At::Loop, true);
            body.extend(code!(#target -= learning_rate * #step;));
        }
        body
    }

    /// Element `at` of `id`'s buffer, to be read or (if `write`) written: `name[index]`, or
    /// `name[index - offset]` in a half of a split loop; in a block's element loop, element
    /// `k` of the block's slice where the block's elements are a slice (see [`block_start`]).
    fn index(&mut self, id: NodeId, at: &At, write: bool) -> TokenStream {
        let name = self.name(id).clone();
        let buffer = self.buffer(id);
        let split = self.split.contains(&buffer);
        if let Some(block) = &mut self.block {
            let start = block_start(at, split).filter(|_| !block.unsliced.contains(&buffer));
            if let Some(start) = start {
                let sliced = block.sliced.entry(buffer).or_insert((start.clone(), false));
                sliced.1 |= write;
                if sliced.0.to_string() == start.to_string() {
                    return code!(#name[k]);
                }
            }
            block.whole.insert(buffer);
        }
        let index = self.at_tokens(at);
        if split {
            code!(#name[#index - offset])
        } else {
            code!(#name[#index])
        }
    }

    /// After a loop with lanes: the accumulator folds its lanes, in order.
    fn merge_lanes(&self, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let name = self.name(id);
        let lanes = lanes_name(name);
        let fold = ops::fold(graph, id);
        let start = &fold.start.tokens;
        let step = (fold.step)(code!(#name), code!(value), &self.ctx.float);
        code! {
            let mut #name = #start;
            for value in #lanes {
                #step
            }
        }
    }

    /// Binds the buffer or accumulator of `id` before its loop or kernel: an output field, a
    /// workspace field, or (for a scalar accumulator) a local.
    fn declare(&mut self, id: NodeId, lanes: bool) -> TokenStream {
        let graph = self.ctx.graph;
        let name = self.name(id).clone();
        let shape = graph.shape(id);
        // A node sharing its reader's buffer binds that buffer (the reader binds it again).
        let buffer = self.buffer(id);
        let accumulator = matches!(self.sched.place[&id], Place::Accumulate(_));
        let start = if accumulator {
            Some(ops::fold(graph, id).start.tokens)
        } else {
            None
        };
        let place = match self.homes.get(&buffer) {
            Some(place) => place.clone(),
            None if self.kinds.get(&id) == Some(&Kind::Stored) && shape.is_scalar() => {
                let start = start.unwrap_or_else(|| ops::literal(0.0, graph.dtype()).tokens);
                if lanes {
                    let (lanes, width) = (lanes_name(&name), Literal::usize_unsuffixed(LANES));
                    return code!(let mut #lanes = [#start; #width];);
                }
                return code!(let mut #name = #start;);
            }
            None if self.kinds.get(&id) == Some(&Kind::Stored) || graph.op(id).is_kernel() => {
                self.scratch.push(buffer);
                code!(workspace.#name)
            }
            None => return TokenStream::new(),
        };
        let binding = self.bind_flat(place, shape, true);
        // An accumulator starts afresh at every call: outputs and workspaces are reused.
        let fill = start.map(|start| code!(#name.fill(#start);));
        code!(let #name = #binding; #fill)
    }

    /// A flat slice of an array place, cut to its exact length: the compiler then knows every
    /// `name[i]` in a loop over that length is in bounds, drops the checks and vectorises.
    fn bind_flat(&self, place: TokenStream, shape: &crate::ir::Shape, mutable: bool) -> TokenStream {
        let len = len(self.ctx, shape);
        let slice = match shape.rank() {
            1 => place,
            rank => flat(place, rank, mutable),
        };
        if mutable {
            code!(&mut #slice[..#len])
        } else {
            code!(&#slice[..#len])
        }
    }

    fn element(&mut self, group: &LoopGroup, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let value = if graph.op(id).is_view() {
            // A view stored because it is returned or read whole: copy its operand through the map.
            let index = self.map_at(&self.view_map(id), &At::Loop);
            self.read(graph.operands(id)[0], &index, None)
        } else {
            let args: Vec<Expr> = graph
                .operands(id)
                .iter()
                .map(|&o| self.read(o, &At::Loop, Some(group)))
                .collect();
            ops::elementwise(self.ctx, id, &args, self.vector)
        };
        let name = self.name(id).clone();
        let tokens = &value.tokens;
        match self.kinds[&id] {
            Kind::Stored => {
                let place = self.index(id, &At::Loop, true);
                code!(#place = #tokens;)
            }
            Kind::Let => code!(let #name = #tokens;),
            // An expression nested too deeply for rustc (a machine-written sum of thousands of
            // terms) is bound here and read by name: the reader starts a fresh expression.
            Kind::Inline if nesting(&value.tokens) > MAX_INLINE_NESTING => {
                self.pending.insert(id, Expr::atom(code!(#name)));
                code!(let #name = #tokens;)
            }
            Kind::Inline => {
                self.pending.insert(id, value);
                TokenStream::new()
            }
        }
    }

    fn accumulate(&mut self, group: &LoopGroup, id: NodeId, lane: Option<&TokenStream>) -> TokenStream {
        let graph = self.ctx.graph;
        let operand = graph.operands(id)[0];
        let value = self.read(operand, &At::Loop, Some(group)).tokens;
        let name = self.name(id);
        let acc = if graph.shape(id).is_scalar() {
            if self.block.is_some() {
                // The block's values fold into the lanes after its element loop.
                let values = block_name(name);
                return code!(#values[k] = #value;);
            }
            match lane {
                Some(lane) => {
                    let lanes = lanes_name(name);
                    code!(#lanes[#lane])
                }
                None => code!(#name),
            }
        } else {
            let index = self.map_at(&self.reduction_map(id), &At::Loop);
            self.index(id, &index, true)
        };
        (ops::fold(graph, id).step)(acc, value, &self.ctx.float)
    }

    fn reduction_map(&self, id: NodeId) -> IndexMap {
        let graph = self.ctx.graph;
        let operand = graph.shape(graph.operands(id)[0]);
        match *graph.op(id) {
            Op::SumTo => IndexMap::broadcast(graph.shape(id), operand),
            Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) => IndexMap::reduction(operand, axes),
            _ => unreachable!("{id} is not a reduction"),
        }
    }

    /// After its loop: a mean divides its sum by the count.
    fn finish(&self, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let Some(count) = ops::fold(graph, id).divide_by else {
            return TokenStream::new();
        };
        let name = self.name(id);
        let count = match count.known() {
            Some(n) => ops::literal(n as f64, graph.dtype()).tokens,
            None => {
                let (n, float) = (ops::size(self.ctx, count), &self.ctx.float);
                code!(((#n) as #float))
            }
        };
        if graph.shape(id).is_scalar() {
            code!(#name /= #count;)
        } else {
            code!(for element in #name.iter_mut() { *element /= #count; })
        }
    }

    /// The element of `id` at `index`, as read from inside `group` (or a scalar statement).
    fn read(&mut self, id: NodeId, index: &At, group: Option<&LoopGroup>) -> Expr {
        let graph = self.ctx.graph;
        let name = self.name(id).clone();
        let scalar = graph.shape(id).is_scalar();
        match self.sched.place[&id] {
            Place::Leaf => match *graph.op(id) {
                Op::Constant(c) => ops::literal(c, graph.dtype()),
                Op::Count(_) => ops::elementwise(self.ctx, id, &[], false),
                _ if scalar => Expr::atom(code!(#name)),
                _ => Expr::atom(self.index(id, index, false)),
            },
            Place::View => {
                let operand = graph.operands(id)[0];
                let inner = self.map_at(&self.view_map(id), index);
                self.read(operand, &inner, None)
            }
            _ if scalar => Expr::atom(code!(#name)),
            Place::Loop(_) if group.is_some_and(|g| g.nodes.contains(&id)) => match self.kinds[&id] {
                Kind::Stored => Expr::atom(self.index(id, &At::Loop, false)),
                Kind::Let => Expr::atom(code!(#name)),
                Kind::Inline => self
                    .pending
                    .remove(&id)
                    .expect("an inlined element is read once, after it is made"),
            },
            _ => Expr::atom(self.index(id, index, false)),
        }
    }

    fn view_map(&self, id: NodeId) -> IndexMap {
        let graph = self.ctx.graph;
        let shape = graph.shape(id);
        match *graph.op(id) {
            Op::Broadcast => IndexMap::broadcast(graph.shape(graph.operands(id)[0]), shape),
            Op::Expand(axis) => IndexMap::expansion(shape, axis),
            _ => unreachable!("{id} is not a view"),
        }
    }

    /// `map` applied to `at`.
    fn map_at(&self, map: &IndexMap, at: &At) -> At {
        if let (At::Loop, [run]) = (at, map.runs.as_slice()) {
            if run.div.is_one() && run.mul.is_one() {
                return run.modulo.map_or(At::Loop, At::Row);
            }
        }
        At::Expr(self.index_tokens(map, &self.at_tokens(at)))
    }

    /// The index expression of `at`.
    fn at_tokens(&self, at: &At) -> TokenStream {
        match at {
            At::Loop => code!(i),
            At::Row(m) => {
                let m = ops::size(self.ctx, *m);
                code!((i % (#m)))
            }
            At::Expr(index) => index.clone(),
        }
    }

    /// The tokens of `map` applied to the index expression `index`.
    fn index_tokens(&self, map: &IndexMap, index: &TokenStream) -> TokenStream {
        if map.runs.is_empty() {
            return code!(0);
        }
        let terms = map.runs.iter().map(|run| {
            let mut term = index.clone();
            if !run.div.is_one() {
                let div = ops::size(self.ctx, run.div);
                term = code!((#term / (#div)));
            }
            if let Some(m) = run.modulo {
                let m = ops::size(self.ctx, m);
                term = code!((#term % (#m)));
            }
            if !run.mul.is_one() {
                let mul = ops::size(self.ctx, run.mul);
                term = code!(#term * (#mul));
            }
            term
        });
        code!(#(#terms)+*)
    }

    fn final_stores(&mut self, spec: &Spec) -> TokenStream {
        let graph = self.ctx.graph;
        let mut out = TokenStream::new();
        for o in &spec.outputs {
            let place = &o.place;
            if matches!(graph.op(o.node), Op::Placeholder | Op::Variable) {
                continue;
            }
            if graph.shape(o.node).is_scalar() {
                let value = self.read(o.node, &At::Expr(code!(0)), None).tokens;
                out.extend(code!(#place = #value;));
            } else if self
                .homes
                .get(&o.node)
                .is_some_and(|home| home.to_string() != place.to_string())
            {
                let name = self.name(o.node);
                let target = match graph.shape(o.node).rank() {
                    1 => code!(#place[..]),
                    rank => flat(place.clone(), rank, true),
                };
                out.extend(code!(#target.copy_from_slice(#name);));
            }
        }
        for u in &spec.updates {
            if graph.shape(u.variable).is_scalar() {
                let field = self.leaf_source(u.variable);
                let step = self.read(u.gradient, &At::Expr(code!(0)), None).operand();
                out.extend(code!(#field -= learning_rate * #step;));
            }
        }
        out
    }

    /// `#[doc = "..."]` lines stating the derived gradients computed by these nodes.
    fn docs(&self, ids: &[NodeId]) -> TokenStream {
        let mut out = TokenStream::new();
        for line in ids.iter().filter_map(|id| self.ctx.derivations.get(id)) {
            let line = format!(" {line}");
            out.extend(code!(#[doc = #line]));
        }
        out
    }
}
