//! What a graph needs of the platform: without a heap (the facade built without `alloc`),
//! every tensor lives inline, so none may be one that `std` would box; `check_gradients` is
//! for tests, which have `std`.

use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{always_boxed, INLINE_LIMIT};
use crate::program::{Platform, Program};

/// An error at the first tensor that needs a heap the platform lacks, and at the objective
/// if `check_gradients` is asked for without `std`.
pub fn platform(program: &Program) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Diagnostics::default();
    let graph = &program.graph;
    if program.platform == Platform::Core {
        let large = graph
            .topological_order()
            .into_iter()
            .find(|&id| always_boxed(graph.shape(id)));
        if let Some(id) = large {
            errors.push(Diagnostic::new(
                graph.node(id).loc,
                format!(
                    "without a heap (static-graph built without its `alloc` feature) every tensor is inline, so each \
                     must have at most {INLINE_LIMIT} elements and no named dimension, but this makes {}\n\
                     help: enable static-graph's `alloc` feature (larger tensors are then boxed), or make the tensor smaller",
                    graph.describe_node(id)
                ),
            ));
        }
    }
    if program.check_gradients && program.platform != Platform::Std {
        errors.push(Diagnostic::new(
            program.objective.loc,
            "`check_gradients` needs static-graph's `std` feature (it is for tests, which have `std`)\n\
             help: remove `check_gradients;`, or enable the `std` feature",
        ));
    }
    errors.finish(())
}
