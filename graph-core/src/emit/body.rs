//! Function bodies: walks a [`Schedule`] level by level and writes scalar statements, fused
//! loops and the final stores.
//!
//! Inside a loop every node is one of three things: stored into a buffer (it is an output, or
//! something outside this loop reads it), bound with `let` (named, or read more than once
//! here), or inlined into its one reader's expression.

use super::formula;
use super::names::Names;
use super::ops::{self, Expr};
use super::schedule::{self, LoopGroup, Place, Schedule};
use crate::ir::{Graph, IndexMap, NodeId, Op, Role};
use crate::program::Program;
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

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

/// The statements of a function that computes `spec`, given `p`, `v` and the output locals.
pub fn body(program: &Program, spec: &Spec) -> TokenStream {
    let graph = &program.graph;
    let outputs: Vec<NodeId> = spec.outputs.iter().map(|o| o.node).collect();
    let updates: Vec<(NodeId, NodeId)> = spec.updates.iter().map(|u| (u.variable, u.gradient)).collect();
    let sched = schedule::schedule(graph, &outputs, &updates);
    let names = Names::new(graph, &sched.order);
    let mut e = Emitter {
        program,
        graph,
        names,
        homes: BTreeMap::new(),
        kinds: BTreeMap::new(),
        pending: BTreeMap::new(),
        updated: spec.updates.iter().map(|u| u.variable).collect(),
        sched,
    };
    e.choose_homes(spec);
    e.function(spec)
}

/// How a loop node's element is kept within its loop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stored,
    Let,
    Inline,
}

struct Emitter<'a> {
    program: &'a Program,
    graph: &'a Graph,
    sched: Schedule,
    names: Names,
    /// Output nodes stored straight into a returned struct's field: node to that place.
    homes: BTreeMap<NodeId, TokenStream>,
    kinds: BTreeMap<NodeId, Kind>,
    /// Inlined elements waiting for their one reader, in the loop being written.
    pending: BTreeMap<NodeId, Expr>,
    updated: BTreeSet<NodeId>,
}

impl Emitter<'_> {
    fn choose_homes(&mut self, spec: &Spec) {
        for out in &spec.outputs {
            let stored_in_loop = match self.sched.place[&out.node] {
                Place::Loop(_) => true,
                Place::Accumulate(_) => !self.graph.shape(out.node).is_scalar(),
                Place::Leaf | Place::Scalar(_) | Place::View => false,
            };
            if stored_in_loop && !self.homes.contains_key(&out.node) {
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
        if self.homes.contains_key(&id) || matches!(self.sched.place[&id], Place::Accumulate(_)) {
            return Kind::Stored;
        }
        let mut uses_here = 0;
        for user in self.graph.users(id) {
            let Some(&place) = self.sched.place.get(&user) else {
                continue;
            };
            let in_this_loop = group.nodes.contains(&user) && !self.graph.op(user).is_view() && place != Place::View;
            if !in_this_loop {
                return Kind::Stored;
            }
            uses_here += self.graph.operands(user).iter().filter(|&&o| o == id).count();
        }
        for &variable in &self.updated {
            if self.gradient_of(variable) == Some(id) {
                if !group.updates.contains(&variable) {
                    return Kind::Stored;
                }
                uses_here += 1;
            }
        }
        if uses_here == 1 && self.graph.node(id).name.is_none() {
            Kind::Inline
        } else {
            Kind::Let
        }
    }

    fn gradient_of(&self, variable: NodeId) -> Option<NodeId> {
        self.program.adjoints.get(&variable).copied()
    }

    fn function(&mut self, spec: &Spec) -> TokenStream {
        let mut out = TokenStream::new();
        out.extend(self.leaf_outputs(spec));
        out.extend(self.leaf_bindings());
        for level in 0..=self.sched.last_level {
            if level % 2 == 0 {
                out.extend(self.scalars(level));
            } else {
                let groups: Vec<LoopGroup> = self.sched.loops.iter().filter(|g| g.level == level).cloned().collect();
                for group in &groups {
                    out.extend(self.emit_loop(group));
                }
            }
        }
        out.extend(self.final_stores(spec));
        out
    }

    /// Outputs that are a placeholder or variable as given: copied before anything changes.
    fn leaf_outputs(&self, spec: &Spec) -> TokenStream {
        let mut out = TokenStream::new();
        for o in &spec.outputs {
            if matches!(self.graph.op(o.node), Op::Placeholder | Op::Variable) {
                let (place, source) = (&o.place, self.leaf_source(o.node));
                out.extend(quote!(#place = #source;));
            }
        }
        out
    }

    /// `p.x` or `v.w`.
    fn leaf_source(&self, id: NodeId) -> TokenStream {
        let decl = |decls: &[crate::program::Decl]| {
            decls
                .iter()
                .find(|d| d.node == id)
                .map(|d| super::names::ident(&d.name))
        };
        if let Some(field) = decl(&self.program.placeholders) {
            quote!(p.#field)
        } else if let Some(field) = decl(&self.program.variables) {
            quote!(v.#field)
        } else {
            unreachable!("{id} is not a declared leaf")
        }
    }

    /// `let x = &p.x;` for each leaf some computation reads: flat slices of arrays, copies of scalars.
    fn leaf_bindings(&self) -> TokenStream {
        let mut read: BTreeSet<NodeId> = self.updated.clone();
        for &id in &self.sched.order {
            if !self.graph.op(id).is_leaf() {
                read.extend(
                    self.graph
                        .operands(id)
                        .into_iter()
                        .filter(|&o| self.graph.op(o).is_leaf()),
                );
            }
        }
        let mut out = TokenStream::new();
        for id in read {
            if matches!(self.graph.op(id), Op::Constant(_)) {
                continue;
            }
            let name = self.names.of(id);
            let source = self.leaf_source(id);
            let rank = self.graph.shape(id).rank();
            let binding = if rank == 0 {
                source
            } else {
                flat(&source, rank, self.updated.contains(&id))
            };
            out.extend(quote!(let #name = #binding;));
        }
        out
    }

    fn scalars(&mut self, level: usize) -> TokenStream {
        let mut out = TokenStream::new();
        let ids: Vec<NodeId> = self
            .sched
            .order
            .iter()
            .copied()
            .filter(|id| self.sched.place[id] == Place::Scalar(level))
            .collect();
        for id in ids {
            let args: Vec<Expr> = self
                .graph
                .operands(id)
                .iter()
                .map(|&o| self.read(o, &quote!(i), None))
                .collect();
            let value = ops::elementwise(self.graph, id, &args).tokens;
            let name = self.names.of(id);
            let doc = self.docs(&[id]);
            out.extend(quote!(#doc let #name = #value;));
        }
        out
    }

    fn emit_loop(&mut self, group: &LoopGroup) -> TokenStream {
        let mut before = TokenStream::new();
        let mut body = TokenStream::new();
        let mut after = TokenStream::new();
        for &id in &group.nodes {
            before.extend(self.declare(id));
            match self.sched.place[&id] {
                Place::Accumulate(_) => {
                    body.extend(self.accumulate(group, id));
                    after.extend(self.finish(id));
                }
                _ => body.extend(self.element(group, id)),
            }
        }
        for &variable in &group.updates {
            let target = self.names.of(variable).clone();
            let gradient = self.gradient_of(variable).expect("updated variables have gradients");
            let step = self.read(gradient, &quote!(i), Some(group)).operand();
            body.extend(quote!(#target[i] -= learning_rate * #step;));
        }
        let len = Literal::usize_unsuffixed(group.shape.len());
        let doc = self.docs(&group.nodes);
        quote! {
            #before
            #doc
            for i in 0..#len {
                #body
            }
            #after
        }
    }

    /// The buffer or accumulator of `id`, declared before its loop.
    fn declare(&self, id: NodeId) -> TokenStream {
        let name = self.names.of(id);
        let shape = self.graph.shape(id);
        let start = match self.sched.place[&id] {
            Place::Accumulate(_) => ops::fold(self.graph, id).start,
            _ => ops::literal(0.0, self.graph.dtype()),
        };
        let start_tokens = &start.tokens;
        if let Some(place) = self.homes.get(&id) {
            let binding = flat(place, shape.rank(), true);
            let fill = matches!(self.graph.op(id), Op::Max(_)).then(|| quote!(#name.fill(#start_tokens);));
            return quote!(let #name = #binding; #fill);
        }
        match self.kinds.get(&id) {
            Some(Kind::Stored) if shape.is_scalar() => quote!(let mut #name = #start_tokens;),
            Some(Kind::Stored) => {
                let len = Literal::usize_unsuffixed(shape.len());
                quote!(let mut #name = [#start_tokens; #len];)
            }
            _ => TokenStream::new(),
        }
    }

    fn element(&mut self, group: &LoopGroup, id: NodeId) -> TokenStream {
        let value = if self.graph.op(id).is_view() {
            // A view stored because it is returned: copy its operand through the index map.
            let index = index_tokens(&self.view_map(id), &quote!(i));
            self.read(self.graph.operands(id)[0], &index, None)
        } else {
            let args: Vec<Expr> = self
                .graph
                .operands(id)
                .iter()
                .map(|&o| self.read(o, &quote!(i), Some(group)))
                .collect();
            ops::elementwise(self.graph, id, &args)
        };
        let name = self.names.of(id);
        match self.kinds[&id] {
            Kind::Stored => {
                let tokens = &value.tokens;
                quote!(#name[i] = #tokens;)
            }
            Kind::Let => {
                let tokens = &value.tokens;
                quote!(let #name = #tokens;)
            }
            Kind::Inline => {
                self.pending.insert(id, value);
                TokenStream::new()
            }
        }
    }

    fn accumulate(&mut self, group: &LoopGroup, id: NodeId) -> TokenStream {
        let operand = self.graph.operands(id)[0];
        let value = self.read(operand, &quote!(i), Some(group)).tokens;
        let name = self.names.of(id);
        let float = ops::float_type(self.graph.dtype());
        let acc = if self.graph.shape(id).is_scalar() {
            quote!(#name)
        } else {
            let index = index_tokens(&self.reduction_map(id), &quote!(i));
            quote!(#name[#index])
        };
        (ops::fold(self.graph, id).step)(acc, value, &float)
    }

    fn reduction_map(&self, id: NodeId) -> IndexMap {
        let operand = self.graph.shape(self.graph.operands(id)[0]);
        match *self.graph.op(id) {
            Op::SumTo => IndexMap::broadcast(self.graph.shape(id), operand),
            Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) => IndexMap::reduction(operand, axes),
            _ => unreachable!("{id} is not a reduction"),
        }
    }

    /// After its loop: a mean divides its sum by the count.
    fn finish(&self, id: NodeId) -> TokenStream {
        let Some(count) = ops::fold(self.graph, id).divide_by else {
            return TokenStream::new();
        };
        let name = self.names.of(id);
        let count = ops::literal(count as f64, self.graph.dtype()).tokens;
        if self.graph.shape(id).is_scalar() {
            quote!(#name /= #count;)
        } else {
            quote!(for x in #name.iter_mut() { *x /= #count; })
        }
    }

    /// The element of `id` at `index`, as read from inside `group` (or a scalar statement).
    fn read(&mut self, id: NodeId, index: &TokenStream, group: Option<&LoopGroup>) -> Expr {
        let name = self.names.of(id).clone();
        let scalar = self.graph.shape(id).is_scalar();
        match self.sched.place[&id] {
            Place::Leaf => match *self.graph.op(id) {
                Op::Constant(c) => ops::literal(c, self.graph.dtype()),
                _ if scalar => Expr::atom(quote!(#name)),
                _ => Expr::atom(quote!(#name[#index])),
            },
            Place::View => {
                let operand = self.graph.operands(id)[0];
                let map = self.view_map(id);
                let inner = index_tokens(&map, index);
                self.read(operand, &inner, None)
            }
            _ if scalar => Expr::atom(quote!(#name)),
            Place::Loop(_) if group.is_some_and(|g| g.nodes.contains(&id)) => match self.kinds[&id] {
                Kind::Stored => Expr::atom(quote!(#name[i])),
                Kind::Let => Expr::atom(quote!(#name)),
                Kind::Inline => self
                    .pending
                    .remove(&id)
                    .expect("an inlined element is read once, after it is made"),
            },
            _ => Expr::atom(quote!(#name[#index])),
        }
    }

    fn view_map(&self, id: NodeId) -> IndexMap {
        let shape = self.graph.shape(id);
        match *self.graph.op(id) {
            Op::Broadcast => IndexMap::broadcast(self.graph.shape(self.graph.operands(id)[0]), shape),
            Op::Expand(axis) => {
                let kept: Vec<bool> = (0..shape.rank()).map(|k| k != axis).collect();
                IndexMap::keeping(shape, &kept)
            }
            _ => unreachable!("{id} is not a view"),
        }
    }

    fn final_stores(&mut self, spec: &Spec) -> TokenStream {
        let mut out = TokenStream::new();
        for o in &spec.outputs {
            let place = &o.place;
            if matches!(self.graph.op(o.node), Op::Placeholder | Op::Variable) {
                continue;
            }
            if self.graph.shape(o.node).is_scalar() {
                let value = self.read(o.node, &quote!(0), None).tokens;
                out.extend(quote!(#place = #value;));
            } else if self
                .homes
                .get(&o.node)
                .is_some_and(|home| home.to_string() != place.to_string())
            {
                let name = self.names.of(o.node);
                let mut target = place.clone();
                for _ in 1..self.graph.shape(o.node).rank() {
                    target = quote!(#target.as_flattened_mut());
                }
                out.extend(quote!(#target.copy_from_slice(#name);));
            }
        }
        for u in &spec.updates {
            if self.graph.shape(u.variable).is_scalar() {
                let field = self.leaf_source(u.variable);
                let step = self.read(u.gradient, &quote!(0), None).operand();
                out.extend(quote!(#field -= learning_rate * #step;));
            }
        }
        out
    }

    /// `#[doc = "..."]` lines stating the derived gradients computed by these nodes.
    fn docs(&self, ids: &[NodeId]) -> TokenStream {
        let mut out = TokenStream::new();
        for &id in ids {
            let node = self.graph.node(id);
            if node.role != Role::Backward || node.name.is_none() {
                continue;
            }
            let line = format!(" {}", formula::derivation(self.graph, id));
            out.extend(quote!(#[doc = #line]));
        }
        out
    }
}

/// A flat slice view of an array place: `&x` for rank 1, `x.as_flattened()` for rank 2, ...
fn flat(place: &TokenStream, rank: usize, mutable: bool) -> TokenStream {
    if rank <= 1 {
        return if mutable { quote!(&mut #place) } else { quote!(&#place) };
    }
    let mut tokens = place.clone();
    for _ in 1..rank {
        tokens = if mutable {
            quote!(#tokens.as_flattened_mut())
        } else {
            quote!(#tokens.as_flattened())
        };
    }
    tokens
}

/// The tokens of `map` applied to the index expression `index`.
fn index_tokens(map: &IndexMap, index: &TokenStream) -> TokenStream {
    if map.runs.is_empty() {
        return quote!(0);
    }
    let terms = map.runs.iter().map(|run| {
        let mut term = index.clone();
        if run.div != 1 {
            let div = Literal::usize_unsuffixed(run.div);
            term = quote!((#term / #div));
        }
        if let Some(m) = run.modulo {
            let m = Literal::usize_unsuffixed(m);
            term = quote!((#term % #m));
        }
        if run.mul != 1 {
            let mul = Literal::usize_unsuffixed(run.mul);
            term = quote!(#term * #mul);
        }
        term
    });
    quote!(#(#terms)+*)
}
