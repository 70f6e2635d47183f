//! A loop's frame (its buffers declared before it, its reductions finished after it) and the
//! plain loop over every element, for loops too short for blocks.

use super::access::Mode;
use super::blocks::is_long;
use super::Emitter;
use crate::emit::schedule::{LoopGroup, Place};
use crate::emit::structs::len;
use proc_macro2::TokenStream;

impl Emitter<'_> {
    /// The loop that computes `group`: its buffers declared before, its reductions finished
    /// after, and in between a plain loop (short), blocks (long) or chunks over the pool (longer).
    pub(super) fn emit_loop(&mut self, group: &LoopGroup) -> TokenStream {
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
            let body = self.loop_body(group, None, &mut Mode::plain());
            return code! {
                #before
                #doc
                for i in 0..#len {
                    #body
                }
                #after
            };
        }
        let lane_loop = self.lane_loop(group, None, &len, None);
        code!(#before #doc #lane_loop #after)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_short_loop_is_a_plain_loop_over_its_elements() {
        let text = super::super::tests::expansion(5);
        assert!(text.contains("for i in 0 .. 5"), "{text}");
        assert!(!text.contains("for block"), "no blocks under 256 elements");
        assert!(!text.contains("simd"), "no run-time dispatch without long loops");
    }
}
