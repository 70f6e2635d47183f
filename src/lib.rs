//! # static-graph
//!
//! A static computation-graph compiler. Write a small TensorFlow-1.x-style graph inside
//! [`graph!`]; at compile time the macro builds it as a graph, derives the backward graph by
//! reverse-mode differentiation, and emits plain Rust functions with the forward and backward
//! passes fused into a few loops. There is no runtime graph, no interpreter and no dispatch:
//! you call the generated functions directly, and you can read what they compute.
//!
//! ## Tutorial
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// One softmax layer with a squared-error cost.
//!     pub mod softmax_net {
//!         placeholder x: [f32; 5];
//!         placeholder y_true: [f32; 5];
//!         variable w: [f32; 5];
//!
//!         let logits = multiply(x, w);   // or x * w
//!         let y = softmax(logits);
//!         let loss = pow(y - y_true, 2);
//!         let cost = mean(loss);
//!
//!         minimize cost;
//!     }
//! }
//!
//! use softmax_net::{Placeholders, Variables};
//!
//! let p = Placeholders { x: [1.0, 2.0, 3.0, 4.0, 5.0], y_true: [3.0, 4.0, 5.0, 6.0, 7.0] };
//! let mut v = Variables::default(); // w = 0
//!
//! // Values of every `let`, and d cost / d w, in one fused pass.
//! let (values, gradients) = softmax_net::backward(&p, &v);
//! assert!((values.cost - 25.04).abs() < 1e-4);
//!
//! // d cost / d everything, for reading: note d_logits uses the full softmax Jacobian.
//! let adjoints = softmax_net::adjoints(&p, &v);
//! assert_eq!(adjoints.w, gradients.w);
//!
//! // One step of gradient descent with learning rate 1.
//! let before = softmax_net::sgd_step(&p, &mut v, 1.0);
//! assert_eq!(before, values);
//! assert!((v.w[4] - 0.8).abs() < 1e-5);
//! ```
//!
//! ## The language
//!
//! - `placeholder NAME: TYPE;` a value fed at each call, a field of `Placeholders`.
//! - `variable NAME: TYPE;` a trained value, a field of `Variables`: zeros by default, or
//!   `variable NAME: TYPE = 0.5;` to start from another number.
//! - TYPE is `f32` or `f64` (a scalar) or an array: `[f32; 5]`, `[f32; 2, 3]` (the Rust type
//!   `[[f32; 3]; 2]`), up to four dimensions. One graph uses one float type.
//! - `let NAME = EXPR;` names a value, a field of `Values`. EXPR uses names declared above it,
//!   numbers (`2`, `0.5`), `+ - * /`, unary `-`, parentheses and the operations below.
//! - `minimize NAME;` names the scalar objective, exactly once.
//!
//! Every mistake is a compile error at the offending tokens: unknown or duplicate names,
//! shape mismatches (both shapes are named), unknown operations, wrong argument counts, a
//! non-constant exponent, a missing, repeated or non-scalar objective, mixed float types, and
//! a variable that cannot influence the objective (its gradient would always be zero).
//!
//! ## Operations
//!
//! Elementwise operations take two tensors of one shape, or a tensor and a scalar (NumPy
//! broadcasting: a scalar is repeated to the other shape, and its gradient is summed back).
//! `g` is the adjoint (d objective / d result) arriving at the operation.
//!
//! | operation | shape rule | gradient rule |
//! | --- | --- | --- |
//! | `add(a, b)`, `a + b` | same shapes | `d_a = g`, `d_b = g` |
//! | `subtract(a, b)`, `a - b` | same shapes | `d_a = g`, `d_b = -g` |
//! | `multiply(a, b)`, `a * b` | same shapes | `d_a = g * b`, `d_b = g * a` |
//! | `divide(a, b)`, `a / b` | same shapes | `d_a = g / b`, `d_b = -(g * (a / b)) / b` |
//! | `-a` | shape of `a` | `d_a = -g` |
//! | `pow(a, e)`, `e` a number | shape of `a` | `d_a = g * e * pow(a, e - 1)` |
//! | `exp(a)` | shape of `a` | `d_a = g * exp(a)` |
//! | `log(a)` | shape of `a` | `d_a = g / a` |
//! | `softmax(a)` | shape of `a`, rank at least 1; over the last axis | `d_a = y * (g - sum(g * y))`, `y = softmax(a)`, the sum over the last axis |
//! | `sum(a)` | scalar | `d_a = g`, repeated to the shape of `a` |
//! | `mean(a)` | scalar | `d_a = g / n`, repeated, `n` the number of elements |
//!
//! `softmax` subtracts each row's maximum before `exp`, so logits of 1000 give no overflow.
//! Everything else follows IEEE arithmetic as TensorFlow does: `log(0)` is `-inf`, `0 / 0`
//! is NaN, and NaN propagates; nothing is clamped.
//!
//! ## What `graph!` generates
//!
//! Inside the module, for float type `F`:
//!
//! - `Placeholders`, `Variables`, `Values` (one field per `let`), `Gradients` (d objective /
//!   d each variable, typed like `Variables`) and `Adjoints` (d objective / d every
//!   placeholder, variable and `let`). All are `Clone + Debug + PartialEq + Default`, and
//!   `tensors()` / `tensors_mut()` give every field as a named flat slice (for custom
//!   optimisers, checkpoints, gradient checks).
//! - `forward(&Placeholders, &Variables) -> Values`.
//! - `backward(&Placeholders, &Variables) -> (Values, Gradients)`: forward and backward fused;
//!   it computes no adjoint that no variable's gradient needs.
//! - `adjoints(&Placeholders, &Variables) -> Adjoints`: every adjoint, for inspection.
//! - `sgd_step(&Placeholders, &mut Variables, learning_rate: F) -> Values`: one step of
//!   gradient descent, returning the values from before the update.
//! - `DOT`: the forward and backward graph in Graphviz DOT.
//!
//! The doc comment of `backward` lists every derived gradient as a formula, such as
//! `d_logits = y * (d_y - sum(d_y * y))`, and `cargo expand` shows the fused loops with the
//! same formulas beside the loops that compute them.

#![deny(unsafe_code)]

pub use graph_macros::graph;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
