//! Long loops: blocks of [`BLOCK`] elements that the compiler vectorises whole, then a tail;
//! scalar sums kept in [`LANES`] partial results. A block re-slices every buffer it reads at
//! the block's own elements, so no bounds check stays inside.

use super::access::{At, Mode};
use super::Emitter;
use crate::emit::names::{bare, internal};
use crate::emit::ops;
use crate::emit::schedule::{LoopGroup, Place};
use crate::ir::NodeId;
use proc_macro2::{Literal, TokenStream};
use std::collections::{BTreeMap, BTreeSet};

/// Partial results a scalar accumulator keeps in a long loop (one per vector lane).
pub(super) const LANES: usize = 16;

/// Elements per block of a long loop (a multiple of [`LANES`]). Each block computes its
/// elements in one loop, which the compiler vectorises whole, `exp` included, because nothing
/// in it carries a value from one element to the next; the values a scalar accumulator sums
/// wait in a small array on the stack and fold into the lanes after. (Folding inside the
/// element loop, as a loop of lanes, kept the polynomial `exp` from vectorising.)
pub(super) const BLOCK: usize = 64;

/// `acc_lanes` for accumulator `acc`.
pub(super) fn lanes_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_lanes", bare(name)))
}

/// Loops known to be shorter than this are plain loops over their elements. Blocks pay for
/// themselves from a few blocks on; below that the compiler unrolls them whole, which made a
/// crate holding a 602-node graph of 128-element tensors take 58 s to build instead of 18 s.
const LONG: usize = 4 * BLOCK;

/// Whether `group`'s loop runs in blocks: it is at least [`LONG`], or its length is known
/// only at run time.
pub(super) fn is_long(group: &LoopGroup) -> bool {
    group.shape.size().known().is_none_or(|n| n >= LONG)
}

/// Where a block's slice of a buffer starts, when the block's elements are a slice of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Start {
    /// At the block's first element, `at`.
    Loop,
    /// At the block's first element within a half of a split loop, `at - offset`.
    Half,
    /// At `at % m`, in a row of `m` (a multiple of the block) broadcast down the loop.
    Row(usize),
}

impl Start {
    /// The start as an index expression.
    pub fn tokens(self) -> TokenStream {
        match self {
            Start::Loop => code!(at),
            Start::Half => code!(at - offset),
            Start::Row(m) => {
                let m = Literal::usize_unsuffixed(m);
                code!(at % #m)
            }
        }
    }
}

/// Where a block's slice of a buffer accessed `at` starts, if the block's elements are a
/// slice of it: the loop's own element (in a half of a split loop, from the half's start),
/// or a row whose length is a multiple of the block.
pub(super) fn block_start(at: &At, split: bool) -> Option<Start> {
    match at {
        At::Loop if split => Some(Start::Half),
        At::Loop => Some(Start::Loop),
        At::Row(m) => m.known().filter(|m| m % BLOCK == 0).map(Start::Row),
        At::Expr(_) => None,
    }
}

/// `acc_block` for accumulator `acc`: the values of one block that it folds.
pub(super) fn block_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_block", bare(name)))
}

/// The buffers a block's element loop indexes: through a slice of the block where it can
/// (`x[k]`, with `x = &x[at..at + BLOCK]`, so no bounds check stays in the loop; `b[k]`
/// with `b = &b[at % 256..at % 256 + BLOCK]` for a row of 256 broadcast down the rows), or
/// at any other index (`b[i % 10]`), through the whole buffer.
#[derive(Default)]
pub(super) struct Block {
    /// Buffer (the node whose name it has, see [`Emitter::buffer`]) to where its slice starts
    /// (see [`block_start`]) and whether the slice is written.
    pub sliced: BTreeMap<NodeId, (Start, bool)>,
    /// Buffers indexed otherwise, or at two different starts.
    pub whole: BTreeSet<NodeId>,
    /// Buffers always indexed whole: those found indexed both ways by an earlier attempt.
    pub unsliced: BTreeSet<NodeId>,
}

impl Emitter<'_> {
    /// `group`'s loop over `count` elements from `offset` (0 if `None`; in a chunk of a loop
    /// run over the pool, `split` holds the buffers cut into chunks): blocks of [`BLOCK`]
    /// elements, then a tail. Scalar accumulators keep one partial result per lane (element
    /// `i` goes to lane `i % LANES`), so that the compiler can vectorise the loop without
    /// reordering a sum it may not reorder.
    pub(super) fn lane_loop(
        &mut self,
        group: &LoopGroup,
        offset: Option<TokenStream>,
        count: &TokenStream,
        split: Option<&BTreeSet<NodeId>>,
    ) -> TokenStream {
        let from = offset.map(|offset| code!(#offset +));
        let (size, width) = (Literal::usize_unsuffixed(BLOCK), Literal::usize_unsuffixed(LANES));
        let whole_blocks = from.is_none() && group.shape.size().known().is_some_and(|n| n % BLOCK == 0);
        let mut tail_mode = Mode {
            split,
            ..Mode::default()
        };
        let tail = self.loop_body(group, Some(code!(0)), &mut tail_mode);
        let tail = (!whole_blocks).then(|| {
            code! {
                for i in #from #count / #size * #size..#from #count {
                    #tail
                }
            }
        });
        let mut unsliced = BTreeSet::new();
        let (body, block, uses_i) = loop {
            let mut mode = Mode {
                split,
                block: Some(Block {
                    unsliced: unsliced.clone(),
                    ..Block::default()
                }),
                // Sums into rows that are not a slice of the block wait in arrays, like scalar
                // sums (see `accumulate`): the element loop scatters nothing and vectorises.
                vector: true,
                uses_i: false,
            };
            let body = self.loop_body(group, Some(code!(k)), &mut mode);
            let block = mode.block.take().unwrap_or_default();
            // A buffer indexed both through a slice and whole (no graph known makes one) is
            // indexed whole throughout, in a second writing of the body.
            let both: Vec<NodeId> = block
                .sliced
                .keys()
                .filter(|b| block.whole.contains(b))
                .copied()
                .collect();
            if both.is_empty() {
                break (body, block, mode.uses_i);
            }
            unsliced.extend(both);
        };
        let slices = block.sliced.iter().map(|(&buffer, (start, mutable))| {
            let name = self.ctx.names.of(buffer);
            let borrow = if *mutable { code!(&mut) } else { code!(&) };
            let start = start.tokens();
            code!(let #name = #borrow #name[#start..#start + #size];)
        });
        let graph = self.ctx.graph;
        let accumulators: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|&id| matches!(self.sched.place[&id], Place::Accumulate(_)) && graph.shape(id).is_scalar())
            .collect();
        let scattered: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|&id| self.scatters_into(id))
            .collect();
        let values: Vec<proc_macro2::Ident> = accumulators.iter().map(|&id| block_name(self.name(id))).collect();
        let starts = accumulators.iter().map(|&id| ops::fold(graph, id).start.tokens);
        let folds = accumulators.iter().map(|&id| {
            let lanes = lanes_name(self.name(id));
            (ops::fold(graph, id).step)(code!(#lanes[lane]), code!(chunk[lane]), &self.ctx.float)
        });
        let folds = code!(#(for chunk in #values.chunks_exact(#width) { for lane in 0..#width { #folds } })*);
        // Then each scattered sum takes its block's values into their rows, in element order.
        let scattered_values: Vec<proc_macro2::Ident> = scattered.iter().map(|&id| block_name(self.name(id))).collect();
        let scattered_starts = scattered.iter().map(|&id| ops::fold(graph, id).start.tokens);
        let scatters = scattered.iter().map(|&id| {
            let mut mode = Mode {
                split,
                ..Mode::default()
            };
            let index = self.map_at(&self.reduction_map(id), &At::Loop, &mut mode);
            let acc = self.index(id, &index, true, &mut mode);
            let values = block_name(self.name(id));
            (ops::fold(graph, id).step)(acc, code!(#values[k]), &self.ctx.float)
        });
        let scatters = (!scattered.is_empty()).then(|| {
            code! {
                for k in 0..#size {
                    let i = at + k;
                    #(#scatters)*
                }
            }
        });
        let global = uses_i.then(|| code!(let i = at + k;));
        code! {
            for block in 0..#count / #size {
                let at = #from block * #size;
                #(#slices)*
                #(let mut #values = [#starts; #size];)*
                #(let mut #scattered_values = [#scattered_starts; #size];)*
                for k in 0..#size {
                    #global
                    #body
                }
                #folds
                #scatters
            }
            #tail
        }
    }

    /// Whether accumulator `id` sums into an array at indices that are not a slice of each
    /// block (a softmax row of 10: `y_sum[i / 10] += ...`). In a block, its values wait in an
    /// array and are summed after the element loop, which would not vectorise otherwise.
    pub(super) fn scatters_into(&self, id: NodeId) -> bool {
        let graph = self.ctx.graph;
        if !matches!(self.sched.place[&id], Place::Accumulate(_)) || graph.shape(id).is_scalar() {
            return false;
        }
        block_start(
            &self.map_at(&self.reduction_map(id), &At::Loop, &mut Mode::plain()),
            false,
        )
        .is_none()
    }

    /// Whether `group` accumulates a scalar over enough elements to split it into lanes.
    pub(super) fn uses_lanes(&self, group: &LoopGroup) -> bool {
        let graph = self.ctx.graph;
        is_long(group)
            && group
                .nodes
                .iter()
                .any(|&id| matches!(self.sched.place[&id], Place::Accumulate(_)) && graph.shape(id).is_scalar())
    }

    /// After a loop with lanes: the accumulator folds its lanes, in order.
    pub(super) fn merge_lanes(&self, id: NodeId) -> TokenStream {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Size;

    #[test]
    fn a_block_slices_its_own_elements_and_rows_of_whole_blocks() {
        assert_eq!(block_start(&At::Loop, false), Some(Start::Loop));
        assert_eq!(block_start(&At::Loop, true), Some(Start::Half));
        assert_eq!(block_start(&At::Row(Size::fixed(256)), false), Some(Start::Row(256)));
        // A row of 10 is not a whole number of blocks: read through the whole buffer.
        assert_eq!(block_start(&At::Row(Size::fixed(10)), false), None);
        assert_eq!(block_start(&At::Expr(code!(0)), false), None);
        assert_eq!(Start::Row(256).tokens().to_string(), "at % 256");
    }

    #[test]
    fn a_long_loop_runs_in_blocks_then_a_tail_with_its_sum_in_lanes() {
        let text = super::super::tests::expansion(300);
        assert!(text.contains("for block in 0 .. 300 / 64"), "{text}");
        assert!(text.contains("for i in 300 / 64 * 64 .. 300"), "the tail of 44");
        assert!(text.contains("let x = & x [at .. at + 64]"), "x sliced per block");
        assert!(text.contains("let mut cost_lanes = [0.0 ; 16]"), "the sum in 16 lanes");
        assert!(text.contains("simd"), "run-time dispatch for long loops");
        // A whole number of blocks: no tail.
        let text = super::super::tests::expansion(256);
        assert!(!text.contains("for i in 256 / 64 * 64"));
    }
}
