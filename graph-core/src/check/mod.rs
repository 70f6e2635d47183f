//! Checks on the graph: the shape rule of every op, that every variable is trainable, that
//! the platform can hold it, and the structural verifier the passes run after themselves.

mod influence;
mod platform;
pub mod shapes;
mod verify;

pub use influence::influence;
pub use platform::platform;
pub use verify::verify;
