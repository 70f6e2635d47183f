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
}

impl Program {
    /// Every declaration that names a tensor: placeholders, variables, then lets.
    pub fn decls(&self) -> impl Iterator<Item = &Decl> {
        self.placeholders.iter().chain(&self.variables).chain(&self.lets)
    }
}
