//! Where each value lives: a returned struct's field (its home), the caller's `Workspace`,
//! a local, or nowhere (inlined); intermediates that can share their reader's buffer; and
//! the binding of each buffer before its loop, as a flat slice cut to its length.

use super::blocks::{lanes_name, LANES};
use super::{Emitter, Kind, Spec};
use crate::emit::ops;
use crate::emit::schedule::{LoopGroup, Place};
use crate::emit::structs::{flat, len};
use crate::ir::NodeId;
use proc_macro2::{Literal, TokenStream};
use std::collections::BTreeSet;

impl Emitter<'_> {
    /// Finds the intermediates that can live in their reader's buffer: stored only for one
    /// elementwise reader of the same shape in a later loop, which reads them at its own
    /// index, and then stores itself (everything else that reads them is in their own loop).
    pub(super) fn share_buffers(&mut self) {
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
                    .filter(|user| self.sched.place.contains_key(user) && !group.members.contains(user))
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

    pub(super) fn choose_homes(&mut self, spec: &Spec) {
        let graph = self.ctx.graph;
        for (position, out) in spec.outputs.iter().enumerate() {
            let stored = match self.sched.place[&out.node] {
                Place::Loop(_) | Place::Kernel(_) => true,
                Place::Accumulate(_) => !graph.shape(out.node).is_scalar(),
                Place::Leaf | Place::Scalar(_) | Place::View => false,
            };
            if stored && !self.homes.contains_key(&out.node) {
                self.homes.insert(out.node, (position, out.place.clone()));
            }
        }
        for group in &self.sched.loops {
            for &id in &group.nodes {
                let kind = self.kind(group, id);
                self.kinds.insert(id, kind);
            }
        }
    }

    pub(super) fn kind(&self, group: &LoopGroup, id: NodeId) -> Kind {
        let graph = self.ctx.graph;
        if self.homes.contains_key(&id) || matches!(self.sched.place[&id], Place::Accumulate(_)) {
            return Kind::Stored;
        }
        if self.sched.recomputed.contains(&id) {
            // Made again in every loop that reads it, each time bound by name.
            return Kind::Let;
        }
        let mut uses_here = 0;
        for user in graph.users(id) {
            let Some(&place) = self.sched.place.get(&user) else {
                continue;
            };
            let in_this_loop = group.members.contains(&user) && place != Place::View && !graph.op(user).is_view();
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

    /// Binds the buffer or accumulator of `id` before its loop or kernel: an output field, a
    /// workspace field, or (for a scalar accumulator) a local.
    pub(super) fn declare(&mut self, id: NodeId, lanes: bool) -> TokenStream {
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
            Some((_, place)) => place.clone(),
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
    pub(super) fn bind_flat(&self, place: TokenStream, shape: &crate::ir::Shape, mutable: bool) -> TokenStream {
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
}
