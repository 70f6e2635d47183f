//! Loops long enough to pay for a second thread: two halves, one on the runtime's helper
//! thread, each a [`blocks`](super::blocks) loop over its half of the index range; scalar
//! sums return their lanes, merged in a fixed order, so the split never changes a bit.

use super::blocks::{lanes_name, BLOCK, LANES};
use super::{Emitter, Kind};
use crate::emit::names::{bare, internal};
use crate::emit::ops;
use crate::emit::schedule::{LoopGroup, Place};
use crate::ir::NodeId;
use proc_macro2::{Literal, TokenStream};
use std::collections::BTreeSet;

/// Loops at least this long run on two threads.
pub(super) const PARALLEL_MIN: usize = 1 << 18;

/// `0`, `1`, ... as a tuple field index.
fn syn_index(k: usize) -> proc_macro2::Literal {
    Literal::usize_unsuffixed(k)
}

impl Emitter<'_> {
    /// `group`'s loop over two threads, each on its half of the index range, when the loop
    /// is long enough to pay for a thread ([`PARALLEL_MIN`] elements; for a size known only
    /// at run time, a branch picks). `None` for loops that stay on one thread: short ones, and
    /// those that accumulate into arrays (their halves would write the same elements).
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
        let half_loop = self.lane_loop(group, Some(code!(offset)), &code!(count), Some(&split));
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_loop_of_two_to_the_eighteen_runs_in_two_halves_merged_in_order() {
        let text = super::super::tests::expansion(1 << 18);
        assert!(text.contains(":: join ("), "the halves run through the runtime's join");
        assert!(
            text.contains("let mid = 262144 / 2 / 64 * 64"),
            "halves split at a whole block"
        );
        assert!(
            text.contains("cost_lanes = low . 0"),
            "the first half's lanes come first: {text}"
        );
        // Just below the threshold, one thread.
        let text = super::super::tests::expansion((1 << 18) - 64);
        assert!(!text.contains(":: join ("));
    }
}
