//! Activity check: every variable must be able to change the objective, or its gradient would
//! be zero for every input (TensorFlow's "No gradients provided for any variable").

use crate::autodiff::ancestors;
use crate::diag::{Diagnostic, Diagnostics};
use crate::program::Program;

/// An error at each variable that the objective does not depend on.
pub fn influence(program: &Program) -> Result<(), Vec<Diagnostic>> {
    let reached = ancestors(program, program.objective.node);
    let mut errors = Diagnostics::default();
    for var in &program.variables {
        if !reached.contains(&var.node) {
            errors.push(Diagnostic::new(
                var.loc,
                format!(
                    "variable `{}` cannot influence `{}`: its gradient would be zero for every input, so training would never change it\n\
                     help: use `{}` in the computation of `{}`, or declare it as a `placeholder` if it is not meant to be trained",
                    var.name, program.objective.name, var.name, program.objective.name
                ),
            ));
        }
    }
    errors.finish(())
}
