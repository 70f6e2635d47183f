//! Loops long enough to pay for more threads: chunks of the index range, each a
//! [`blocks`](super::blocks) loop, spread over rayon's pool by the runtime's `chunked`. Scalar
//! sums return each chunk's lanes, merged in an order fixed by the loop's length, so the
//! number of threads never changes a bit.

use super::blocks::{lanes_name, LANES};
use super::{Emitter, Kind};
use crate::emit::ops;
use crate::emit::schedule::{LoopGroup, Place};
use crate::ir::NodeId;
use proc_macro2::{Literal, TokenStream};
use std::collections::BTreeSet;

/// Loops at least this long run in chunks over the pool (16 chunks of 8192 elements). On 16
/// cores, the seed step at 131,072 elements took 120–220 µs on 2 to 16 threads against 310–390
/// on one; at 32,768, 61–143 µs against 73–85 on one (ARCHITECTURE.md, Performance).
pub(super) const PARALLEL_MIN: usize = 1 << 17;

/// `0`, `1`, ... as a tuple field index.
fn syn_index(k: usize) -> proc_macro2::Literal {
    Literal::usize_unsuffixed(k)
}

impl Emitter<'_> {
    /// `group`'s loop in chunks over the pool, when the loop is long enough to pay for a
    /// thread ([`PARALLEL_MIN`] elements; for a size known only at run time, a branch picks).
    /// `None` for loops that stay on one thread: short ones, and those that accumulate into
    /// arrays (their chunks would write the same elements).
    pub(super) fn parallel(&mut self, group: &LoopGroup, len: &TokenStream) -> Option<TokenStream> {
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
        let sequential = self.lane_loop(group, None, len, None);
        let split: BTreeSet<NodeId> = written.iter().map(|&id| self.buffer(id)).collect();
        let chunk_loop = self.lane_loop(group, Some(code!(offset)), &code!(count), Some(&split));
        let width = Literal::usize_unsuffixed(LANES);

        let (float, runtime) = (&self.ctx.float, &self.ctx.runtime);
        let names: Vec<proc_macro2::Ident> = written.iter().map(|&id| self.name(id).clone()).collect();
        let lanes: Vec<proc_macro2::Ident> = accumulators.iter().map(|&id| lanes_name(self.name(id))).collect();
        let starts: Vec<TokenStream> = accumulators
            .iter()
            .map(|&id| ops::fold(graph, id).start.tokens)
            .collect();
        let merges: Vec<TokenStream> = accumulators
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                let k = syn_index(k);
                let step = (ops::fold(graph, id).step)(code!(left.#k[lane]), code!(right.#k[lane]), float);
                code! {
                    for lane in 0..#width {
                        #step
                    }
                }
            })
            .collect();
        // The written buffers as the runtime's list of parts, `(a, (b, ()))`, its type, and
        // the pattern that names each chunk's part of each buffer as the buffer.
        let parts = names
            .iter()
            .rev()
            .fold(code!(()), |rest, name| code!((&mut #name[..], #rest)));
        let part_types = names.iter().fold(code!(()), |rest, _| code!((&mut [#float], #rest)));
        let pattern = names.iter().rev().fold(code!(()), |rest, name| code!((#name, #rest)));
        let merge_into = lanes.iter().enumerate().map(|(k, lane_array)| {
            let k = syn_index(k);
            code!(#lane_array = merged.#k;)
        });
        let merged = (!lanes.is_empty()).then(|| code!(let merged =));
        let merge = if lanes.is_empty() {
            code!(|(), ()| ())
        } else {
            code!(|mut left, right| {
                #(#merges)*
                left
            })
        };
        let parallel = code! {
            // Chunks of a length fixed by the loop's, over rayon's pool; each chunk keeps its
            // own lanes, merged in an order that the length alone fixes.
            #merged #runtime::chunked(
                #len,
                #parts,
                |offset: usize, count: usize, #pattern: #part_types| {
                    #runtime::simd(#[inline(always)] || {
                        #(let mut #lanes = [#starts; #width];)*
                        #chunk_loop
                        (#(#lanes,)*)
                    })
                },
                #merge,
            );
            #(#merge_into)*
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_loop_of_two_to_the_seventeen_runs_in_chunks_merged_in_order() {
        let text = super::super::tests::expansion(1 << 17);
        assert!(
            text.contains(":: chunked ("),
            "the chunks run through the runtime's chunked"
        );
        assert!(
            text.contains("left . 0 [lane] += right . 0 [lane]"),
            "the left chunks' lanes come first: {text}"
        );
        assert!(text.contains("cost_lanes = merged . 0"), "{text}");
        // Just below the threshold, one thread.
        let text = super::super::tests::expansion((1 << 17) - 64);
        assert!(!text.contains(":: chunked ("));
    }
}
