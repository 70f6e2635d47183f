//! Checks on the graph: the shape rule of every op, that every variable is trainable, and
//! the structural verifier the passes run after themselves.

mod influence;
pub mod shapes;
mod verify;

pub use influence::influence;
pub use verify::verify;
