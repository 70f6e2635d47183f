//! The static-graph compiler as a library, independent of any proc-macro machinery.
//!
//! The pipeline, one module per stage:
//!
//! 1. a front end (the `graph-syntax` crate) builds a [`Program`]: a [`Graph`] of forward
//!    nodes through [`Graph::push`] and the builder methods, which check every op's shape
//!    rule ([`check::shapes`]) as nodes go in;
//! 2. [`check::influence`] rejects variables that cannot change the objective;
//! 3. [`autodiff::differentiate`] adds the backward nodes to the same graph, one gradient
//!    rule per op; for `jvp` and `hvp`, [`autodiff::tangents`] then adds forward-mode
//!    tangents over both, one tangent rule per op;
//! 4. [`opt`] simplifies the graph before and after differentiation, and rewrites it for
//!    code generation (softmax into max, exp and sum);
//! 5. [`emit::module`] schedules the nodes into fused loops and writes Rust tokens.
//!
//! [`eval`] is a reference interpreter over the same graph, the oracle of the tests.
//! [`compile`] runs stages 2 to 5, with the passes around differentiation.

#![forbid(unsafe_code)]

pub mod autodiff;
mod builder;
pub mod check;
pub mod diag;
pub mod emit;
pub mod eval;
pub mod formula;
pub mod ir;
pub mod opt;
pub mod optimizer;
mod program;

pub use diag::{Diagnostic, Loc};
pub use ir::{
    Axes, AxisSet, Call, Cmp, Conv, DType, Dim, Elem, Graph, NodeId, Op, Padding, Perm, Shape, Size, Window, MAX_NAMED,
};
pub use program::{Decl, Init, Platform, Program, Tangents};

use proc_macro2::TokenStream;

/// Checks, optimises, differentiates, optimises again and emits `program`, the module
/// `name`: the items of the generated module, which call the runtime at `runtime`
/// (`$crate::__private` from the facade's `graph!`). On failure, the errors and the program
/// as far as it got: its declarations are intact (passes never remove a declared node), so
/// the front end can still write a stub of the module from it.
pub fn compile(
    mut program: Program,
    name: &str,
    runtime: &TokenStream,
) -> Result<TokenStream, (Vec<Diagnostic>, Box<Program>)> {
    stages(&mut program, name, runtime).map_err(|errors| (errors, Box::new(program)))
}

/// The stages of [`compile`], on a program it keeps.
fn stages(program: &mut Program, name: &str, runtime: &TokenStream) -> Result<TokenStream, Vec<Diagnostic>> {
    check::influence(program)?;
    let mut passes = opt::Passes::new(name);
    passes.before_autodiff(program).map_err(|d| vec![d])?;
    autodiff::differentiate(program).map_err(|d| vec![d])?;
    passes.after_autodiff(program).map_err(|d| vec![d])?;
    let dot = emit::dot(&program.graph);
    if program.tangents.wanted() {
        // Forward mode over the forward and backward graph, for `jvp` and `hvp`; the pictures
        // and formulas stay those of the two graphs the user reads.
        passes
            .run(program, "tangents", autodiff::tangents)
            .map_err(|d| vec![d])?;
        passes.after_autodiff(program).map_err(|d| vec![d])?;
    }
    passes.for_emission(program).map_err(|d| vec![d])?;
    check::platform(program)?;
    Ok(emit::module(program, &dot, runtime))
}
