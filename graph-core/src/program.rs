//! A whole `graph!` definition as the compiler sees it: the graph plus what the user named.

use crate::diag::Loc;
use crate::ir::{Graph, NodeId};
use std::collections::BTreeMap;

/// A name the user declared (`placeholder x`, `variable w`, `let y`, `minimize cost`) and
/// the node it stands for.
#[derive(Clone, Debug)]
pub struct Decl {
    /// The user's name: also the field name in the generated structs.
    pub name: String,
    /// The node it stands for.
    pub node: NodeId,
    /// Where the name was declared.
    pub loc: Loc,
    /// How a fresh instance is filled (`variable w: [f32; 5] = 0.5;`): zeros unless given.
    pub init: Init,
}

/// How a variable starts (`Variables::init(seed)`; `Default` is `init(0)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Every element the same number (zeros by default).
    Fill(f64),
    /// Uniform in `[lo, hi)`.
    Uniform(f64, f64),
    /// Normal with this mean and standard deviation.
    Normal(f64, f64),
    /// Glorot (Xavier) uniform: uniform in `±sqrt(6 / (fan_in + fan_out))`, with the fans of
    /// Keras (a matrix `[in, out]`; a vector `[n]` has both fans `n`).
    GlorotUniform,
}

/// The compiler's input and working state for one `graph!` module.
///
/// Invariant: after `autodiff::differentiate`, `adjoints` maps every forward node that can
/// reach the objective to the node holding d objective / d that node; the adjoint of any
/// other node is zero.
#[derive(Clone, Debug)]
pub struct Program {
    /// Forward nodes, and backward nodes once differentiated.
    pub graph: Graph,
    /// `placeholder` declarations, in source order.
    pub placeholders: Vec<Decl>,
    /// `variable` declarations, in source order.
    pub variables: Vec<Decl>,
    /// `let` bindings, in source order.
    pub lets: Vec<Decl>,
    /// The `minimize` target.
    pub objective: Decl,
    /// Forward node to its adjoint node.
    pub adjoints: BTreeMap<NodeId, NodeId>,
    /// Each named backward node's formula, as derived (before optimisation rewrites it), in
    /// the order derived: what the generated docs state.
    pub derivations: Vec<(NodeId, String)>,
    /// The `optimizer` declarations, in source order.
    pub optimizers: Vec<crate::optimizer::Optimizer>,
    /// Whether the graph asks for `check_gradients` (`check_gradients;`).
    pub check_gradients: bool,
    /// Forward mode: `jvp` and `hvp`, if the graph asks for them.
    pub tangents: Tangents,
    /// What the runtime the generated code calls can use: `std`, only `alloc`, or only `core`.
    pub platform: Platform,
}

/// What the facade crate was built with, which the generated code must live within (the
/// facade's `graph!` says, from its features).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Platform {
    /// `std`: boxed tensors, the math of `std`, the SIMD dispatch and rayon's pool.
    #[default]
    Std,
    /// `alloc` without `std` (`#![no_std]`): boxed tensors, the math of the `libm` crate, no
    /// threads.
    Alloc,
    /// `core` alone: no heap, so every tensor is inline, and a graph whose tensors `std` would
    /// box is a compile error.
    Core,
}

/// What forward-mode differentiation (`autodiff::tangents`) adds, for `jvp;` and `hvp;`.
///
/// Invariant: after it, `of_lets` has a node for every float `let` (if `jvp`) and
/// `of_gradients` one for every variable (if `hvp`), zeros where the value does not depend on
/// the variables; a `let` of ids has no tangent.
#[derive(Clone, Debug, Default)]
pub struct Tangents {
    /// Whether the graph asks for `jvp` (`jvp;`).
    pub jvp: bool,
    /// Whether the graph asks for `hvp` (`hvp;`).
    pub hvp: bool,
    /// One leaf per float variable, named as the variable: the direction, an argument of the
    /// `Variables` type.
    pub directions: Vec<Decl>,
    /// Each `let` node to its tangent: its derivative along the direction.
    pub of_lets: BTreeMap<NodeId, NodeId>,
    /// Each variable node to the tangent of its gradient: the Hessian of the objective times
    /// the direction.
    pub of_gradients: BTreeMap<NodeId, NodeId>,
}

impl Tangents {
    /// Whether the graph asks for either.
    pub fn wanted(&self) -> bool {
        self.jvp || self.hvp
    }
}

impl Program {
    /// A program not yet differentiated: no adjoints, no derivations.
    pub fn new(
        graph: Graph,
        placeholders: Vec<Decl>,
        variables: Vec<Decl>,
        lets: Vec<Decl>,
        objective: Decl,
    ) -> Program {
        Program {
            graph,
            placeholders,
            variables,
            lets,
            objective,
            adjoints: BTreeMap::new(),
            derivations: Vec::new(),
            optimizers: Vec::new(),
            check_gradients: false,
            tangents: Tangents::default(),
            platform: Platform::Std,
        }
    }

    /// Every declaration that names a tensor: placeholders, variables, then lets.
    pub fn decls(&self) -> impl Iterator<Item = &Decl> {
        self.placeholders.iter().chain(&self.variables).chain(&self.lets)
    }

    /// Every declared node and the objective. Passes keep these nodes, so every name keeps its
    /// own value and adjoint.
    pub fn declared(&self) -> std::collections::BTreeSet<NodeId> {
        self.decls().map(|d| d.node).chain([self.objective.node]).collect()
    }

    /// Makes every use of `old` (in the graph and among the adjoints) use `new`, and removes
    /// `old`. `old` must not be declared (the passes check with [`Program::declared`]).
    pub fn replace(&mut self, old: NodeId, new: NodeId) {
        self.graph.replace_uses(old, new);
        let tangents = &mut self.tangents;
        for derived in self
            .adjoints
            .values_mut()
            .chain(tangents.of_lets.values_mut())
            .chain(tangents.of_gradients.values_mut())
        {
            if *derived == old {
                *derived = new;
            }
        }
        if self.graph.node(new).name.is_none() {
            let name = self.graph.node(old).name.clone();
            self.graph.node_mut(new).name = name;
        }
        self.graph.remove(old);
    }
}
