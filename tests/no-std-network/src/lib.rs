//! A `#![no_std]` library without `alloc`: what a microcontroller firmware would hold. It
//! declares a 16-8-4 network with `tanh` and sparse softmax cross entropy, and trains it with
//! the Adam optimizer the graph declares, on fixed data, with no heap, no threads and no `std`.
//! `examples/train.rs` prints the run; `tests/no_std.rs` in static-graph builds this crate on
//! its own, runs that example, and compares it with the same network built with `std`.
//!
//! With its `alloc` feature (static-graph's `alloc`, still without `std`) it also trains the
//! same network with a named batch dimension, whose tensors are boxed.
//!
//! Without `alloc`, every tensor of a graph must be inline (at most 4096 elements, no named
//! dimension); a larger one is a compile error:
//!
//! ```compile_fail
//! static_graph::graph! {
//!     /// 64 x 784 inputs: too large to live inline.
//!     pub mod too_large {
//!         placeholder x: [f32; 64, 784];
//!         variable w: [f32; 784, 10];
//!         let cost = mean(matmul(x, w));
//!         minimize cost;
//!     }
//! }
//! ```

#![no_std]

mod network;

#[cfg(feature = "alloc")]
pub use network::{batched, train_batched};
pub use network::{data, net, train, train_sgd};
