//! Long loops: blocks of [`BLOCK`] elements that the compiler vectorises whole, then a tail;
//! scalar sums kept in [`LANES`] partial results. A block's element loop is a closure that
//! takes the block's own elements of every buffer, and the lanes, as array parameters: no
//! bounds check stays inside, and the compiler knows that no two of them alias.

use super::access::{At, Mode};
use super::Emitter;
use crate::emit::names::{bare, internal};
use crate::emit::ops;
use crate::emit::schedule::{LoopGroup, Place};
use crate::ir::NodeId;
use proc_macro2::{Literal, TokenStream};
use std::collections::{BTreeMap, BTreeSet};

/// Elements per block of a long loop. Each block computes its elements in one loop, which the
/// compiler vectorises whole, `exp` included, because nothing in it carries a value from one
/// element to the next: a scalar accumulator folds element `k` of every block into its own
/// lane `k` (see [`LANES`]).
pub(super) const BLOCK: usize = 64;

/// Partial results a scalar accumulator keeps in a long loop: one per element of a block, so
/// four vectors of 16 (or eight of 8) that each wait on one step per block. (With 16 lanes,
/// a block's four vectors folded into the same lanes one after another, and the seed step at
/// n = 4096 waited on that chain; folding inside the element loop into `lanes[k % 16]` kept
/// the polynomial `exp` from vectorising.)
pub(super) const LANES: usize = BLOCK;

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
    /// A row of `m` (a divisor of the block, smaller) broadcast down the loop: every block
    /// reads it whole, `BLOCK / m` times over (`at` is a multiple of the block), from a copy
    /// so repeated, made once before the loop (`c1[k]` where `c1[(at + k) % 16]` read one
    /// element at a time: the bias of a convolution's 16 channels).
    Tiled(usize),
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
            // The copy repeated to a block starts with the block.
            Start::Tiled(_) => code!(0),
        }
    }
}

/// Where a block's slice of a buffer accessed `at` starts, if the block's elements are a
/// slice of it: the loop's own element (in a half of a split loop, from the half's start),
/// a row whose length is a multiple of the block, or a row repeated (see [`Start::Tiled`]).
pub(super) fn block_start(at: &At, split: bool) -> Option<Start> {
    match at {
        At::Loop if split => Some(Start::Half),
        At::Loop => Some(Start::Loop),
        At::Row(m) => match m.known()? {
            m if m.is_multiple_of(BLOCK) => Some(Start::Row(m)),
            m if BLOCK.is_multiple_of(m) => Some(Start::Tiled(m)),
            _ => None,
        },
        At::Expr(_) => None,
    }
}

/// `b_tiled` for a row `b` read repeated (see [`Start::Tiled`]).
fn tiled_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_tiled", bare(name)))
}

/// `acc_block` for accumulator `acc`: the values of one block that it folds.
pub(super) fn block_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    internal(&format!("{}_block", bare(name)))
}

/// The buffers a block's element loop indexes: through the block's own elements where it can
/// (`x[k]`, with the parameter `x: &[f32; BLOCK]` given `block(x, at)`; `b[k]` given
/// `block(b, at % 256)` for a row of 256 broadcast down the rows), or at any other index
/// (`b[i % 10]`), through the whole buffer, which the closure captures.
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

/// How a block's element loop folds the values an accumulator takes ([`Emitter::block_fold`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BlockFold {
    /// Element `k` into lane `k`, in the block's own array copied into the lanes after the
    /// element loop: a scalar sum, or (`row: Some(m)`) a sum into a row of `m` that divides
    /// the block (`d_c1[i % 16] += ...`, a bias's gradient), whose lane `k` goes into element
    /// `k % m` after the blocks. (Scattered into the row one element at a time, each add
    /// waited on the one before through memory.)
    Lanes { row: Option<usize> },
    /// Into rows at indices that are not a slice of the block (a softmax row of 10:
    /// `y_sum[i / 10] += ...`): the block's values wait in an array and are summed into their
    /// rows after the element loop, which would not vectorise otherwise.
    Scatter,
    /// Into the block's own elements of the accumulator's buffer.
    InPlace,
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
        let size = Literal::usize_unsuffixed(BLOCK);
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
        // The block's element loop is the body of a closure that takes every buffer it slices
        // and every lane array as a parameter (see the runtime's `block`).
        let graph = self.ctx.graph;
        let runtime = &self.ctx.runtime;
        let mut parameters = Vec::new();
        let mut arguments = Vec::new();
        let mut tiles = Vec::new();
        for (&buffer, (start, mutable)) in &block.sliced {
            let name = self.ctx.names.of(buffer);
            let element = crate::emit::structs::element_type(self.ctx, graph.elem(buffer));
            if let Start::Tiled(_) = start {
                let tiled = tiled_name(name);
                tiles.push(code!(let #tiled: [#element; #size] = #runtime::tile(#name);));
                parameters.push(code!(#name: &[#element; #size]));
                arguments.push(code!(&#tiled));
                continue;
            }
            let start = start.tokens();
            if *mutable {
                parameters.push(code!(#name: &mut [#element; #size]));
                arguments.push(code!(#runtime::block_mut(#name, #start)));
            } else {
                parameters.push(code!(#name: &[#element; #size]));
                arguments.push(code!(#runtime::block(#name, #start)));
            }
        }
        let mut block_values = Vec::new();
        let mut lane_updates = Vec::new();
        // Sums into a row that divides the block keep lanes of their own, declared here and
        // folded into the row after the blocks.
        let (mut row_lanes, mut row_folds) = (Vec::new(), Vec::new());
        for &id in &group.nodes {
            if let Some(BlockFold::Lanes { row }) = self.block_fold(id) {
                let (lanes, values) = (lanes_name(self.name(id)), block_name(self.name(id)));
                let float = &self.ctx.float;
                let fold = ops::fold(graph, id);
                let start = fold.start.tokens;
                parameters.push(code!(#lanes: &mut [#float; #size]));
                arguments.push(code!(&mut #lanes));
                block_values.push(code!(let mut #values = [#start; #size];));
                lane_updates.push(code!(*#lanes = #values;));
                if let Some(m) = row {
                    let m = Literal::usize_unsuffixed(m);
                    let mut mode = Mode {
                        split,
                        ..Mode::default()
                    };
                    let element = self.index(id, &At::Expr(code!(k % #m)), true, &mut mode);
                    let step = (fold.step)(element, code!(#lanes[k]), &self.ctx.float);
                    row_lanes.push(code!(let mut #lanes = [#start; #size];));
                    row_folds.push(code!(for k in 0..#size { #step }));
                }
            }
        }
        let scattered: Vec<NodeId> = group
            .nodes
            .iter()
            .copied()
            .filter(|&id| self.block_fold(id) == Some(BlockFold::Scatter))
            .collect();
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
            #(#tiles)*
            #(#row_lanes)*
            for block in 0..#count / #size {
                let at = #from block * #size;
                ::core::convert::identity(#[inline(always)] |#(#parameters),*| {
                    #(#block_values)*
                    #(let mut #scattered_values = [#scattered_starts; #size];)*
                    for k in 0..#size {
                        #global
                        #body
                    }
                    #(#lane_updates)*
                    #scatters
                })(#(#arguments),*);
            }
            #(#row_folds)*
            #tail
        }
    }

    /// How a block's element loop folds the values accumulator `id` takes, if `id` is an
    /// accumulator.
    pub(super) fn block_fold(&self, id: NodeId) -> Option<BlockFold> {
        let graph = self.ctx.graph;
        if !matches!(self.sched.place[&id], Place::Accumulate(_)) {
            return None;
        }
        if graph.shape(id).is_scalar() {
            return Some(BlockFold::Lanes { row: None });
        }
        let start = block_start(
            &self.map_at(&self.reduction_map(id), &At::Loop, &mut Mode::plain()),
            false,
        );
        Some(match start {
            None => BlockFold::Scatter,
            Some(Start::Tiled(m)) => BlockFold::Lanes { row: Some(m) },
            Some(_) => BlockFold::InPlace,
        })
    }

    /// Whether `group` accumulates a scalar over enough elements to split it into lanes.
    pub(super) fn uses_lanes(&self, group: &LoopGroup) -> bool {
        is_long(group)
            && group
                .nodes
                .iter()
                .any(|&id| self.block_fold(id) == Some(BlockFold::Lanes { row: None }))
    }

    /// After a loop with lanes: the accumulator folds its lanes by halves (lane `k` takes
    /// lane `k + 32`, then `k + 16`, down to one), a chain of 6 steps instead of 64.
    pub(super) fn merge_lanes(&self, id: NodeId) -> TokenStream {
        let graph = self.ctx.graph;
        let name = self.name(id);
        let lanes = lanes_name(name);
        let fold = ops::fold(graph, id);
        let start = &fold.start.tokens;
        let halvings = std::iter::successors(Some(LANES / 2), |half| Some(half / 2))
            .take_while(|&half| half >= 1)
            .map(|half| {
                let half = Literal::usize_unsuffixed(half);
                let step = (fold.step)(code!(#lanes[k]), code!(#lanes[k + #half]), &self.ctx.float);
                code!(for k in 0..#half { #step })
            });
        let step = (fold.step)(code!(#name), code!(#lanes[0]), &self.ctx.float);
        code! {
            #(#halvings)*
            let mut #name = #start;
            #step
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
        // A row of 16 is a quarter of a block: read from a copy repeated to a block.
        assert_eq!(block_start(&At::Row(Size::fixed(16)), false), Some(Start::Tiled(16)));
        assert_eq!(block_start(&At::Expr(code!(0)), false), None);
        assert_eq!(Start::Row(256).tokens().to_string(), "at % 256");
    }

    #[test]
    fn a_long_loop_runs_in_blocks_then_a_tail_with_its_sum_in_lanes() {
        let text = super::super::tests::expansion(300);
        assert!(text.contains("for block in 0 .. 300 / 64"), "{text}");
        assert!(text.contains("for i in 300 / 64 * 64 .. 300"), "the tail of 44");
        // The block's element loop is a closure with the block of `x` and the lanes as
        // parameters; each element folds into its own lane.
        assert!(
            text.contains("| x : & [:: core :: primitive :: f64 ; 64] , cost_lanes : & mut"),
            "{text}"
        );
        assert!(text.contains("(:: static_graph :: __private :: block (x , at) , & mut cost_lanes)"));
        assert!(text.contains("let mut cost_lanes = [0.0 ; 64]"), "the sum in 64 lanes");
        assert!(
            text.contains("let mut acc = cost_lanes [k] ;"),
            "lane k takes element k"
        );
        assert!(text.contains("* cost_lanes = cost_block ;"));
        // The lanes fold by halves.
        assert!(text.contains("for k in 0 .. 32 { cost_lanes [k] += cost_lanes [k + 32] ; }"));
        assert!(text.contains("simd"), "run-time dispatch for long loops");
        // A whole number of blocks: no tail.
        let text = super::super::tests::expansion(256);
        assert!(!text.contains("for i in 256 / 64 * 64"));
    }
}
