//! Passes over the differentiated graph, in the order [`run`] lists them.

mod dce;
mod legalize;

use crate::diag::Diagnostic;
use crate::program::Program;

pub use dce::dce;
pub use legalize::legalize;

/// Runs every pass, in order.
pub fn run(program: &mut Program) -> Result<(), Diagnostic> {
    dce(program);
    legalize(&mut program.graph)
}
