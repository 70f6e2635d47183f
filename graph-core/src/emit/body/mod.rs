//! Function bodies: walks a [`Schedule`] level by level and writes scalar statements, fused
//! loops, kernel calls and the final stores.
//!
//! One file per loop shape: [`plain`] (a loop's frame, and short loops), [`blocks`] (long
//! loops in vectorised blocks, sums in lanes), [`halves`] (loops in chunks over the pool);
//! [`access`] says how an iteration reaches its buffers, in the loop's [`Mode`](access::Mode),
//! passed down as a value.
//!
//! Inside a loop every node is one of three things: stored into a buffer (it is an output,
//! or something outside this loop reads it), bound with `let` (named, or read more than once
//! here), or inlined into its one reader's expression. Buffers are the returned structs'
//! fields or, for intermediates, fields of the caller's `Workspace`.

mod access;
mod blocks;
mod halves;
mod plain;
mod storage;

use super::names::ident;
use super::ops::{self, Expr};
use super::schedule::{self, LoopGroup, Place, Schedule};
use super::structs::flat;
use super::Ctx;
use crate::ir::{NodeId, Op};
use access::{At, Mode};
use proc_macro2::TokenStream;
use std::collections::{BTreeMap, BTreeSet};

/// How deeply an inlined element's expression may nest (groups of parentheses) before it is
/// bound with `let` instead: deep enough for every hand-written graph, shallow enough that
/// rustc never recurses far (a 2,000-term sum inlined whole crashed it).
pub(super) const MAX_INLINE_NESTING: usize = 24;

/// The deepest nesting of groups in `tokens`, counted without recursion and only as far as
/// [`MAX_INLINE_NESTING`] + 1.
pub(super) fn nesting(tokens: &TokenStream) -> usize {
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
        shares: BTreeMap::new(),
        sched,
    };
    e.choose_homes(spec);
    e.share_buffers();
    let mut tokens = e.function(spec);
    if e.sched.loops.iter().any(blocks::is_long) {
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
    /// Output nodes stored straight into a returned struct's field: node to the output's
    /// position in the function's outputs, and its place.
    homes: BTreeMap<NodeId, (usize, TokenStream)>,
    kinds: BTreeMap<NodeId, Kind>,
    /// Inlined elements waiting for their one reader, in the loop being written.
    pending: BTreeMap<NodeId, Expr>,
    /// Updated variables and their gradients.
    updates: BTreeMap<NodeId, NodeId>,
    scratch: Vec<NodeId>,
    /// Intermediates kept in the buffer of their one later reader, which overwrites them in
    /// place (`y_exp` in `y`'s, for `y = y_exp / sum`): one buffer, and one pass over memory,
    /// fewer. Node to the node whose buffer (and name) it uses.
    shares: BTreeMap<NodeId, NodeId>,
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

    fn function(&mut self, spec: &Spec) -> TokenStream {
        let mut out = self.id_checks();
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

    /// The range check of every placeholder of ids an op reads (`gather`'s against the table's
    /// length, `one_hot`'s against the depth, the labels against the number of classes): a
    /// clear panic, before anything is written, rather than a wrong answer.
    fn id_checks(&self) -> TokenStream {
        let graph = self.ctx.graph;
        let mut checks: Vec<(NodeId, crate::ir::Size, &'static str)> = Vec::new();
        for &id in &self.sched.order {
            let Some((k, bound)) = graph.ids_operand(id) else {
                continue;
            };
            let ids = graph.operands(id)[k];
            // Computed ids (`argmax`) are in range by construction or caught by the slice's own
            // bounds check; a placeholder's are the user's.
            if *graph.op(ids) != Op::Placeholder || checks.iter().any(|&(i, b, _)| i == ids && b == bound) {
                continue;
            }
            let name = graph.op(id).call().map_or(graph.op(id).name(), |c| c.name);
            let name = if matches!(graph.op(id), Op::ScatterAdd) {
                "gather"
            } else {
                name
            };
            checks.push((ids, bound, name));
        }
        let runtime = &self.ctx.runtime;
        let mut out = TokenStream::new();
        for (ids, bound, op) in checks {
            let shape = graph.shape(ids);
            let slice = flat(self.leaf_source(ids), shape.rank(), false);
            let name = graph.node(ids).name.clone().unwrap_or_default();
            let bound = ops::size(self.ctx, bound);
            let dims = shape
                .dims()
                .iter()
                .map(|&d| ops::size(self.ctx, crate::ir::Size::of(d)));
            out.extend(code!(#runtime::check_ids(#slice, #bound, #name, &[#(#dims),*], #op);));
        }
        out
    }

    /// Outputs that are a placeholder or variable as given: copied before anything changes.
    fn leaf_outputs(&self, spec: &Spec) -> TokenStream {
        let graph = self.ctx.graph;
        let mut out = TokenStream::new();
        for o in &spec.outputs {
            if let Op::Literal(number) = *graph.op(o.node) {
                // A `let` that is a constant tensor, returned: its elements, copied in.
                let (place, rank) = (o.place.clone(), graph.shape(o.node).rank());
                let place = if rank == 1 {
                    code!(#place[..])
                } else {
                    flat(place, rank, true)
                };
                let elements = self.literal_elements(number);
                out.extend(code!(#place.copy_from_slice(&#elements);));
                continue;
            }
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

    /// `[1.0, 0.0, ...]`: the elements of constant tensor `number`.
    fn literal_elements(&self, number: u32) -> TokenStream {
        let dtype = self.ctx.graph.dtype();
        let elements = self
            .ctx
            .graph
            .literal_elements(number)
            .iter()
            .map(|&v| ops::literal(v, dtype).tokens);
        code!([#(#elements),*])
    }

    /// `p.x`, `v.w`, or `direction.w` (a variable's direction, in `jvp` and `hvp`).
    fn leaf_source(&self, id: NodeId) -> TokenStream {
        let program = self.ctx.program;
        let field = |decls: &[crate::program::Decl]| decls.iter().find(|d| d.node == id).map(|d| ident(&d.name));
        if let Some(field) = field(&program.placeholders) {
            code!(p.#field)
        } else if let Some(field) = field(&program.variables) {
            code!(v.#field)
        } else if let Some(field) = field(&program.tangents.directions) {
            code!(direction.#field)
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
            if let Op::Literal(number) = *graph.op(id) {
                // A constant tensor: a slice of a constant array (promoted to a static).
                let (name, float) = (self.name(id), &self.ctx.float);
                let elements = self.literal_elements(number);
                out.extend(code!(let #name: &[#float] = &#elements;));
                continue;
            }
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
        let value = if graph.op(id).is_view() {
            // One element of a tensor, `x[2]`.
            let index = self.map_at(&self.view_map(id), &At::Loop, &mut Mode::plain());
            self.read(graph.operands(id)[0], &index, None, &mut Mode::plain())
                .tokens
        } else {
            let args: Vec<Expr> = graph
                .operands(id)
                .iter()
                .map(|&o| self.read(o, &At::Loop, None, &mut Mode::plain()))
                .collect();
            ops::elementwise(self.ctx, id, &args, false).tokens
        };
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
        let graph = self.ctx.graph;
        // A tensor as its flat slice; a scalar (the adjoint of `x[2]`) as its value.
        let args: Vec<TokenStream> = graph
            .operands(id)
            .iter()
            .map(|&o| match graph.shape(o).is_scalar() {
                true => self.read(o, &At::Loop, None, &mut Mode::plain()).tokens,
                false => self.slice(o),
            })
            .collect();
        let name = self.name(id).clone();
        let body = ops::kernel(self.ctx, id, &code!(#name), &args);
        let doc = self.docs(&[id]);
        // A scalar result (one row's loss, one vector's `argmax`) is read as a value, like every
        // scalar: its one element.
        let value = graph.shape(id).is_scalar().then(|| code!(let #name = #name[0];));
        code!(#declaration #doc { #body } #value)
    }

    /// The flat slice holding all of `id`, for a kernel to read: its buffer, or the part of
    /// the buffer of the tensor it is a contiguous view of.
    fn slice(&self, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let (base, offset) = crate::emit::schedule::kernel_buffer(graph, id);
        let name = self.name(base);
        if base == id || (offset.is_empty() && graph.shape(base).size() == graph.shape(id).size()) {
            return code!(#name);
        }
        let start = match offset.as_slice() {
            [] => code!(0),
            terms => {
                let terms = terms.iter().map(|&t| ops::size(self.ctx, t));
                code!(#(#terms)+*)
            }
        };
        let len = ops::size(self.ctx, graph.shape(id).size());
        code!(&#name[#start..][..#len])
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

    fn final_stores(&mut self, spec: &Spec) -> TokenStream {
        let graph = self.ctx.graph;
        let mut out = TokenStream::new();
        for (position, o) in spec.outputs.iter().enumerate() {
            let place = &o.place;
            if matches!(graph.op(o.node), Op::Placeholder | Op::Variable) {
                continue;
            }
            if graph.shape(o.node).is_scalar() {
                let value = self.read(o.node, &At::Expr(code!(0)), None, &mut Mode::plain()).tokens;
                out.extend(code!(#place = #value;));
            } else if self.homes.get(&o.node).is_some_and(|&(home, _)| home != position) {
                // Stored at another output's place (the same node returned twice): copied.
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
                let step = self
                    .read(u.gradient, &At::Expr(code!(0)), None, &mut Mode::plain())
                    .operand();
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

#[cfg(test)]
mod tests {
    use crate::ir::{Axes, Op};
    use crate::opt::testing::{program, Build};

    /// The module generated for `cost = sum(exp(x) * x)` over `x: [f64; n]`, as text.
    pub(super) fn expansion(n: usize) -> String {
        let p = program(&[n], |b: &mut Build| {
            let e = b.op(Op::Exp, &[b.x]);
            let y = b.op(Op::Mul, &[e, b.x]);
            b.op(Op::Sum(Axes::All), &[y])
        });
        crate::compile(p, "m", &quote::quote!(::static_graph::__private))
            .expect("the graph compiles")
            .to_string()
    }
}
