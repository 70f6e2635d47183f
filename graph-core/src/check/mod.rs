//! Checks on the graph: the shape rule of every op, and that every variable is trainable.

mod influence;
pub mod shapes;

pub use influence::influence;
