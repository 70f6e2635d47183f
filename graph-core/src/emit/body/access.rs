//! How a loop iteration reaches its buffers: which element ([`At`]), through which binding
//! (the loop's [`Mode`]: a half's offset, a block's slices), and the element's own
//! expression, stored, bound or inlined.

use super::blocks::{block_name, block_start, lanes_name, Block, BlockFold, Start};
use super::{nesting, Emitter, Kind, MAX_INLINE_NESTING};
use crate::emit::ops::{self, Expr};
use crate::emit::schedule::{LoopGroup, Place};
use crate::ir::{IndexMap, NodeId, Op, Size};
use proc_macro2::TokenStream;
use std::collections::BTreeSet;

/// Which element of a buffer a loop iteration reads or writes.
#[derive(Clone)]
pub(super) enum At {
    /// The iteration's own element, `i`.
    Loop,
    /// `i % m`: the element of a row of `m` that is broadcast down (or summed up) the outer
    /// axes of the loop's shape.
    Row(Size),
    /// Any other index: a computed expression of `i`, or a constant.
    Expr(TokenStream),
}

/// How the loop being written binds its buffers, passed down to every element it writes.
#[derive(Default)]
pub(super) struct Mode<'s> {
    /// In one chunk of a loop run over the pool: the buffers cut into chunks, indexed from
    /// the chunk's start (`name[i - offset]`).
    pub split: Option<&'s BTreeSet<NodeId>>,
    /// In a block's element loop: the slices of the block it takes, and the buffers it
    /// indexes whole.
    pub block: Option<Block>,
    /// Whether the loop vectorises (a block's element loop that scatters nothing), so `exp`
    /// takes the polynomial.
    pub vector: bool,
    /// Whether the element's own index `i` was written (a block then binds `i = at + k`).
    pub uses_i: bool,
}

impl Mode<'_> {
    /// A plain loop, a tail, or a statement outside any loop.
    pub fn plain() -> Mode<'static> {
        Mode::default()
    }
}

impl Emitter<'_> {
    /// One iteration of `group`'s loop; scalar accumulators fold into lane `lane`, if given.
    pub(super) fn loop_body(&mut self, group: &LoopGroup, lane: Option<TokenStream>, mode: &mut Mode) -> TokenStream {
        let mut body = TokenStream::new();
        for &id in &group.nodes {
            match self.sched.place[&id] {
                Place::Accumulate(_) => body.extend(self.accumulate(group, id, lane.as_ref(), mode)),
                _ => body.extend(self.element(group, id, mode)),
            }
        }
        for &variable in &group.updates {
            let step = self
                .read(self.updates[&variable], &At::Loop, Some(group), mode)
                .operand();
            let target = self.index(variable, &At::Loop, true, mode);
            body.extend(code!(#target -= learning_rate * #step;));
        }
        body
    }

    pub(super) fn element(&mut self, group: &LoopGroup, id: NodeId, mode: &mut Mode) -> TokenStream {
        let graph = self.ctx.graph;
        let value = if graph.op(id).is_view() {
            // A view stored because it is returned or read whole: copy its operand through the map.
            let index = self.map_at(&self.view_map(id), &At::Loop, mode);
            self.read(graph.operands(id)[0], &index, None, mode)
        } else {
            let args: Vec<Expr> = graph
                .operands(id)
                .iter()
                .map(|&o| self.read(o, &At::Loop, Some(group), mode))
                .collect();
            ops::elementwise(self.ctx, id, &args, mode.vector)
        };
        let name = self.name(id).clone();
        let tokens = &value.tokens;
        match self.kinds[&id] {
            Kind::Stored => {
                let place = self.index(id, &At::Loop, true, mode);
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

    pub(super) fn accumulate(
        &mut self,
        group: &LoopGroup,
        id: NodeId,
        lane: Option<&TokenStream>,
        mode: &mut Mode,
    ) -> TokenStream {
        let graph = self.ctx.graph;
        let operand = graph.operands(id)[0];
        let value = self.read(operand, &At::Loop, Some(group), mode).tokens;
        let name = self.name(id);
        match self.block_fold(id).filter(|_| mode.block.is_some()) {
            // In a block, element `k` folds into lane `k`: the loop carries nothing from one
            // element to the next, so it vectorises, each lane's running value waiting on one
            // step per block. The result goes to the block's own array, copied into the lanes
            // after the loop: a lane updated in place (for `max`, a select stored back where
            // it was read) became a masked store, which kept the lanes in memory.
            Some(BlockFold::Lanes { .. }) => {
                let (lanes, values) = (lanes_name(name), block_name(name));
                let step = (ops::fold(graph, id).step)(code!(acc), value, &self.ctx.float);
                return code!({
                    let mut acc = #lanes[k];
                    #step
                    #values[k] = acc;
                });
            }
            // The block's values wait in an array and are summed into their rows after its
            // element loop, which then carries nothing and vectorises.
            Some(BlockFold::Scatter) => {
                let values = block_name(name);
                return code!(#values[k] = #value;);
            }
            _ => {}
        }
        let acc = if graph.shape(id).is_scalar() {
            match lane {
                Some(lane) => {
                    let lanes = lanes_name(name);
                    code!(#lanes[#lane])
                }
                None => code!(#name),
            }
        } else {
            let index = self.map_at(&self.reduction_map(id), &At::Loop, mode);
            self.index(id, &index, true, mode)
        };
        (ops::fold(graph, id).step)(acc, value, &self.ctx.float)
    }

    /// Element `at` of `id`'s buffer, to be read or (if `write`) written: `name[index]`, or
    /// `name[index - offset]` in a half of a split loop; in a block's element loop, element
    /// `k` of the block's slice where the block's elements are a slice (see [`block_start`]).
    pub(super) fn index(&self, id: NodeId, at: &At, write: bool, mode: &mut Mode) -> TokenStream {
        let name = self.name(id).clone();
        let buffer = self.buffer(id);
        let split = mode.split.is_some_and(|s| s.contains(&buffer));
        if let Some(block) = &mut mode.block {
            // A row repeated in each block is read from a copy, never written through one.
            let start = block_start(at, split)
                .filter(|start| !(write && matches!(start, Start::Tiled(_))))
                .filter(|_| !block.unsliced.contains(&buffer));
            if let Some(start) = start {
                let sliced = block.sliced.entry(buffer).or_insert((start, false));
                sliced.1 |= write;
                if sliced.0 == start {
                    return code!(#name[k]);
                }
            }
            block.whole.insert(buffer);
        }
        let index = self.at_tokens(at, mode);
        if split {
            code!(#name[#index - offset])
        } else {
            code!(#name[#index])
        }
    }

    /// The element of `id` at `index`, as read from inside `group` (or a scalar statement).
    pub(super) fn read(&mut self, id: NodeId, index: &At, group: Option<&LoopGroup>, mode: &mut Mode) -> Expr {
        let graph = self.ctx.graph;
        let name = self.name(id).clone();
        let scalar = graph.shape(id).is_scalar();
        match self.sched.place[&id] {
            Place::Leaf => match *graph.op(id) {
                Op::Constant(c) => ops::literal(c, graph.dtype()),
                Op::Count(_) => ops::elementwise(self.ctx, id, &[], false),
                _ if scalar => Expr::atom(code!(#name)),
                _ => Expr::atom(self.index(id, index, false, mode)),
            },
            Place::View => {
                let operand = graph.operands(id)[0];
                let inner = self.map_at(&self.view_map(id), index, mode);
                self.read(operand, &inner, None, mode)
            }
            _ if scalar => Expr::atom(code!(#name)),
            Place::Loop(_) if group.is_some_and(|g| g.members.contains(&id)) => match self.kinds[&id] {
                Kind::Stored => Expr::atom(self.index(id, &At::Loop, false, mode)),
                Kind::Let => Expr::atom(code!(#name)),
                Kind::Inline => self
                    .pending
                    .remove(&id)
                    .expect("an inlined element is read once, after it is made"),
            },
            _ => Expr::atom(self.index(id, index, false, mode)),
        }
    }

    pub(super) fn view_map(&self, id: NodeId) -> IndexMap {
        self.ctx.graph.view_map(id)
    }

    pub(super) fn reduction_map(&self, id: NodeId) -> IndexMap {
        let graph = self.ctx.graph;
        let operand = graph.shape(graph.operands(id)[0]);
        match *graph.op(id) {
            Op::SumTo => IndexMap::broadcast(graph.shape(id), operand),
            Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) | Op::Min(axes) => IndexMap::reduction(operand, axes),
            _ => unreachable!("{id} is not a reduction"),
        }
    }

    /// `map` applied to `at`.
    pub(super) fn map_at(&self, map: &IndexMap, at: &At, mode: &mut Mode) -> At {
        if let (At::Loop, [run], []) = (at, map.runs.as_slice(), map.offset.as_slice()) {
            if run.div.is_one() && run.mul.is_one() {
                return run.modulo.map_or(At::Loop, At::Row);
            }
        }
        At::Expr(self.index_tokens(map, &self.at_tokens(at, mode)))
    }

    /// The index expression of `at`; in a block, notes that the element's own index `i` is read.
    pub(super) fn at_tokens(&self, at: &At, mode: &mut Mode) -> TokenStream {
        if matches!(at, At::Loop | At::Row(_)) {
            mode.uses_i = true;
        }
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
    pub(super) fn index_tokens(&self, map: &IndexMap, index: &TokenStream) -> TokenStream {
        ops::mapped(self.ctx, map, index)
    }
}
