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
//! - `variable NAME: TYPE;` a trained value, a field of `Variables`, with an optional
//!   initialiser: `= 0.5` (a fill), `= zeros` (the default), `= uniform(lo, hi)`,
//!   `= normal(mean, std)` or `= glorot_uniform`. `Variables::init(seed)` draws the random
//!   ones deterministically from `seed`; `Default` is `init(0)`.
//! - TYPE is `f32` or `f64` (a scalar) or an array: `[f32; 5]`, `[f32; 2, 3]` (the Rust type
//!   `[[f32; 3]; 2]`), up to four dimensions. One graph uses one float type.
//! - A placeholder may hold integer ids instead: `placeholder labels: [i32; batch];`, with
//!   elements `i32`, `i64` or `usize` (class ids, token ids). Ids carry no gradient and feed
//!   only the operations that take ids (`gather`, `one_hot`, `sparse_softmax_cross_entropy`)
//!   and comparisons (with ids of any integer type, or with a number: `labels == 3`); using
//!   one where a float is needed, or a float where ids are, is a compile error at that
//!   argument. An id out of range (negative, or past the table, the depth or the number of
//!   classes) makes the generated function panic before it writes any output, with a message
//!   naming the placeholder, the position, the value and the valid range, like slice indexing:
//!   ``id out of range: `labels[1, 3]` is 12, but `sparse_softmax_cross_entropy` takes ids in
//!   0..10``.
//! - A dimension may be a name, `placeholder x: [f32; batch, 64];`, like TensorFlow's `None`:
//!   the generated structs and functions become generic over a const parameter (`BATCH`, the
//!   name upper-cased, so that it can never be mistaken for a local of the generated code), so one
//!   compiled graph trains on batches of 32 and evaluates a whole test set at once. A graph
//!   may have up to four such names (`placeholder tokens: [f32; batch, seq, 64];` makes the
//!   items generic over `<const BATCH: usize, const SEQ: usize>`, in order of first
//!   appearance); `mean` over a named axis divides by its value at run time.
//! - `const NAME: TYPE = VALUE;` names a constant: `const scale: f32 = 0.125;`, or a tensor
//!   written as nested lists, `const eye: [f32; 2, 2] = [[1.0, 0.0], [0.0, 1.0]];` (the lists
//!   must match the declared shape). A constant is no field of any struct: the generated code
//!   reads it from a constant array.
//! - `let NAME = EXPR;` names a value, a field of `Values`. EXPR uses names declared above it,
//!   numbers (`2`, `0.5`), `+ - * /`, unary `-`, parentheses and the operations below.
//!   Any name Rust accepts works, `r#type`, `None` or `W1` included (`r#y` and `y` are one
//!   name, as in Rust); numbers are values of the graph's float type, and constant
//!   arithmetic folds in that type (`1e30 * 1e30` is `inf` in f32, as in TensorFlow).
//! - `minimize NAME;` names the scalar objective, exactly once.
//! - `optimizer NAME(KEY = VALUE, ...);`, after `minimize`, declares an optimizer of the
//!   objective (see "Optimizers" below): `momentum`, `adam`, `adamw`, `rmsprop` or `adagrad`,
//!   each at most once.
//! - `check_gradients;` generates `check_gradients` (see "Checking the gradients" below).
//! - `jvp;` and `hvp;` generate forward mode and Hessian-vector products (see "Forward mode
//!   and second order" below).
//!
//! Every mistake is a compile error at the offending tokens: unknown or duplicate names,
//! shapes that do not broadcast (both shapes are named), matmul dimensions that do not agree
//! (the inner dimensions are named), bad axes or orders of axes, reshapes whose element counts
//! differ, concatenations of tensors that differ off the axis, indices and ranges out of
//! bounds (the axis and its length are named), constants whose lists do not match their
//! type, unknown operations or initialisers, wrong argument counts, a non-constant exponent
//! or index, a step in a range, a missing, repeated or non-scalar objective, mixed float
//! types, and a variable that cannot influence the objective (its gradient would always be
//! zero).
//!
//! ## Operations
//!
//! Elementwise operations broadcast their operands like NumPy: shapes align from the right,
//! and a missing or length-1 dimension is repeated (a bias `[f32; 10]` added to
//! `[f32; batch, 10]`, a scalar anywhere). The gradient of a broadcast operand is summed back
//! to its own shape. `g` is the adjoint (d objective / d result) arriving at the operation;
//! `y` is the operation's result. The tangent rules behind `jvp` and `hvp` (see "Forward mode
//! and second order") follow from these: an elementwise op's tangent is its gradient rule with
//! the tangent for `g`, a linear op applies itself to the tangent, and kinks and ties take the
//! branch the gradient takes; `max_pool`'s is the one with an op of its own, in its row.
//!
//! | operation | shape rule | gradient rule |
//! | --- | --- | --- |
//! | `add(a, b)`, `a + b` | broadcast | `d_a = g`, `d_b = g` |
//! | `subtract(a, b)`, `a - b` | broadcast | `d_a = g`, `d_b = -g` |
//! | `multiply(a, b)`, `a * b` | broadcast | `d_a = g * b`, `d_b = g * a` |
//! | `divide(a, b)`, `a / b` | broadcast | `d_a = g / b`, `d_b = -(g * y) / b` |
//! | `-a` | shape of `a` | `d_a = -g` |
//! | `pow(a, e)`, `e` a number | shape of `a` | `d_a = g * e * pow(a, e - 1)` |
//! | `exp(a)` | shape of `a` | `d_a = g * y` |
//! | `log(a)` | shape of `a` | `d_a = g / a` |
//! | `sqrt(a)` | shape of `a` | `d_a = g / (2 * y)` |
//! | `tanh(a)` | shape of `a` | `d_a = g * (1 - y * y)` |
//! | `sigmoid(a)` | shape of `a` | `d_a = g * y * (1 - y)` |
//! | `relu(a)` | shape of `a` | `d_a = g * step(a)`, `step(a)` 1 where `a > 0`, else 0 |
//! | `abs(a)` | shape of `a` | `d_a = g * sign(a)` (0 at 0) |
//! | `square(a)` | shape of `a` | `d_a = g * 2 * a` |
//! | `sign(a)` | shape of `a`: -1, 0 or 1 | none (zero) |
//! | `softplus(a)` | shape of `a`: `max(a, 0) + log1p(exp(-abs(a)))`, which never overflows | `d_a = g * sigmoid(a)` |
//! | `leaky_relu(a)`, `leaky_relu(a, alpha = 0.1)` | shape of `a`: `a` where `a > 0`, else `alpha * a` (`alpha` a number, 0.2 by default, as TensorFlow's) | `d_a = g` where `a > 0`, else `g * alpha` (at 0 too) |
//! | `elu(a)` | shape of `a`: `a` where `a > 0`, else `exp(a) - 1` | `d_a = g` where `a > 0`, else `g * (y + 1)` |
//! | `gelu(a)` | shape of `a`: `a * Φ(a)`, the exact form with `erf` (TensorFlow's default, JAX's `approximate = False`) | `d_a = g * (Φ(a) + a * φ(a))` |
//! | `silu(a)` | shape of `a`: `a * sigmoid(a)` | `d_a = g * s * (1 + a * (1 - s))`, `s = sigmoid(a)` |
//! | `log1p(a)`, `expm1(a)` | shape of `a`: `log(1 + a)`, `exp(a) - 1`, exact near 0 | `d_a = g / (1 + a)`, `g * (y + 1)` |
//! | `sin(a)`, `cos(a)` | shape of `a` | `d_a = g * cos(a)`, `-g * sin(a)` |
//! | `rsqrt(a)` | shape of `a`: `1 / sqrt(a)` | `d_a = -g * y / (2 * a)` |
//! | `erf(a)` | shape of `a` | `d_a = g * 2 / sqrt(pi) * exp(-a * a)` |
//! | `maximum(a, b)`, `minimum(a, b)` | broadcast; a NaN wins | `g` to `a` where `a >= b` (`a <= b`), ties included, as TensorFlow's; to `b` elsewhere |
//! | `clip(a, lo, hi)`, `lo <= hi` numbers | shape of `a`; a NaN stays | `d_a = g` where `lo <= a <= hi` (the bounds included), else 0 |
//! | `a < b`, `a <= b`, `a > b`, `a >= b`, `a == b`, `a != b` | broadcast: 1 where it holds, else 0 (a NaN compares false, but `!=`); they do not chain | none (zero) |
//! | `select(mask, a, b)` | the three broadcast: `a` where `mask` is nonzero, else `b` (`where` is a Rust keyword) | `g` to the chosen side only; none to `mask` |
//! | `stop_gradient(a)` | shape of `a`: `a` | none: no gradient flows through it |
//! | `softmax(a)` | shape of `a`, over the last axis | `d_a = y * (g - sum(g * y))`, the sum over the last axis |
//! | `log_softmax(a)` | shape of `a`, over the last axis | `d_a = g - exp(y) * sum(g)` |
//! | `softmax_cross_entropy(logits, labels)` | equal shapes; the last axis goes: one loss per row | `d_logits = g * (softmax(logits) * sum(labels) - labels)` (`softmax(logits) - labels` for labels that are distributions), `d_labels = -g * log_softmax(logits)` |
//! | `matmul(a, b)` | `[N, K] x [K, M] -> [N, M]`, `[K] x [K, M] -> [M]`, `[N, K] x [K] -> [N]` | `d_a = matmul(g, transpose(b))`, `d_b = matmul(transpose(a), g)` (for a vector, the outer and vector products these reduce to) |
//! | `matmul(a, b)`, batched | `[..., N, K] x [..., K, M] -> [..., N, M]`: the leading (batch) axes broadcast like NumPy's (`[B, N, K] x [K, M]`, `[B, N, K] x [B, K, M]`, `[B, H, N, K] x [B, H, K, M]`) | as above, matrix by matrix, then summed back over the batch axes an operand was broadcast along (a weight shared by the batch gets the sum of its gradients) |
//! | `transpose(a)` | `[N, M] -> [M, N]` | `d_a = transpose(g)` |
//! | `transpose(a, axes = (0, 2, 1))` | axis `j` of the result is axis `axes[j]` of `a`: any order of any rank | `d_a = transpose(g, axes = inverse order)` |
//! | `reshape(a, [2, -1])` | the same elements in row-major order, in dimensions written as in a declaration (numbers or named dimensions); one `-1` is inferred from the element count, which must agree | `d_a = reshape(g, shape of a)` |
//! | `concat(a, b, c, axis = k)` | shapes equal except along `k` (default 0), where the lengths add | `d_a`, `d_b`, `d_c`: the parts of `g` each came from |
//! | `a[2]`, `a[-1]`, `a[.., 1..3]`, `a[..5, 0]`, `a[1..=2]` | per axis in order, a constant index (the axis goes; negative counts from the end) or a Rust range (the axis stays, shorter); missing trailing axes are taken whole; a named axis only whole (`..`) | `d_a`: zeros of `a`'s shape with `g` at the indexed places |
//! | `sum(a)`, `mean(a)`, `max(a)`, `min(a)` | scalar | `d_a = g` (`g / n` for `mean`) repeated; for `max` and `min`, `g * (a == y) / count(a == y)`: split evenly among tied extremes, as TensorFlow's |
//! | `sum(a, axis = k)`, `mean(a, axis = k)`, `max(a, axis = k)`, `min(a, axis = k)` | axis `k` goes (`-1` is the last) | as above, along axis `k` |
//! | `logsumexp(a)`, `logsumexp(a, axis = k)` (with `axis = (0, 2)` and `keepdims` as below) | as `sum` | `d_a = g * exp(a - y)`: the softmax over each slice |
//! | the same with `axis = (0, 2)` | each listed axis goes | as above, over all the listed axes at once: the ties of a `max` are counted across the whole slice |
//! | the same with `keepdims = true` | the reduced axes stay, with length 1, so the result broadcasts against `a` (`x - mean(x, axis = -1, keepdims = true)`) | as above; the length-1 axes are a view, nothing is copied |
//! | `gather(table, ids)`, integer `ids` | `table [V, D...]`, `ids [...]` -> `[..., D...]`: row `ids[i]` of the table for each id (row copies; an embedding lookup) | `d_table`: each row of `g` added into row `ids[i]` of zeros (a repeated id's rows accumulate); none to `ids` |
//! | `one_hot(ids, depth = C)` | `ids [...]` -> `[..., C]` floats: 1 at the id, 0 elsewhere (`C` a number) | none |
//! | `sparse_softmax_cross_entropy(logits, labels)`, integer `labels` | `logits [..., C]` (`C` a number), `labels [...]`: one loss per row, `logsumexp(row) - row[label]`, shifted by the row's maximum | `d_logits = g * (softmax(logits) - one_hot(labels, depth = C))`, TensorFlow's; none to `labels` |
//! | `argmax(a, axis = k)` (`axis` may be left out for a vector) | axis `k` goes; `usize` ids: the index of the largest entry, the first of ties, the first NaN (as NumPy and JAX) | none (ids) |
//! | `conv2d(x, w)`, `conv2d(x, w, stride = 2, padding = same)` | images `x [batch, H, W, C]` (TensorFlow's NHWC; H, W, C numbers), filters `w [KH, KW, C, F]` -> `[batch, OH, OW, F]`; `stride` a number or `(down, across)` (default 1); `padding = valid` (the default: `OH = (H - KH) / stride + 1`) or `same` (`OH = ceil(H / stride)`, zeros split evenly, the odd one at the bottom and right, as TensorFlow) | `d_x = col2im(g * Wᵀ)`, `d_w = im2col(x)ᵀ * g` summed over every window of the batch, with `W` the filters as a `[KH * KW * C, F]` matrix and `im2col(x)` the windows of `x` as rows |
//! | `max_pool(x)`, `max_pool(x, size = 3, stride = 2, padding = same)`, `avg_pool(...)` | `[batch, H, W, C]` -> `[batch, OH, OW, C]`, channel by channel, over windows of `size` (default 2) every `stride` (default `size`), `padding` as above; padding counts for nothing: `max_pool` takes the largest entry inside the image (a NaN wins), `avg_pool` divides by the number of entries inside it, as TensorFlow | `max_pool`: each window's `g` to its first maximum in row-major order (TensorFlow's `MaxPoolGrad`), summed where windows overlap; its tangent (`jvp`, `hvp`) is the direction at that same first maximum (`max_pool_pick`, `[batch, OH, OW, C]`, the transpose of the gradient); `avg_pool`: each window's `g / count` to each of its entries inside the image |
//! | comparisons of ids: `argmax(logits, axis = -1) == labels`, `labels != 0` | broadcast: floats, 1 where it holds (ids of two integer types compare as `i64`, ids and a number as `f64`) | none |
//!
//! Reshapes, transposes, indexing and slices are views: a loop reads the operand through an
//! index map, and nothing is copied. A product reads a reshape, or a slice of leading axes
//! (`x[2]`, `x[1..3]`), in the operand's own memory; it reads a transpose of its operands'
//! last two axes as a transposed layout; any other view it reads is copied once, into the
//! workspace. `concat` and the gradient of a slice write a new tensor. A convolution writes its
//! input's windows as rows into the workspace (`im2col`) and multiplies them by the filters in
//! one GEMM over the whole batch; its filters' gradient is one GEMM over the same rows, and its
//! input's gradient one GEMM whose rows are added back into place (`col2im`). Pools are loops
//! over their windows.
//!
//! Numerics follow TensorFlow. `softmax`, `log_softmax` and `softmax_cross_entropy` subtract
//! each row's maximum before `exp`, so logits of 1000 give no overflow, and the cross-entropy
//! gradient never divides by a probability; `log(softmax(x))` is rewritten to `log_softmax(x)`.
//! `softmax` multiplies each row's exponentials by the reciprocal of their sum, as
//! TensorFlow's CPU kernel does, rather than dividing each one (within 1 ulp of the quotient).
//! In f32, `tanh` everywhere, and `exp` (also inside `sigmoid` and `softmax`) in loops that
//! vectorise (256 elements or more, or sized by the named dimension), are polynomials within
//! 3 and 2 ulp of the exact value, which the compiler vectorises; elsewhere, and in f64, they
//! are the standard library's. Long loops are compiled for AVX-512 and AVX2 as well as the baseline,
//! and the CPU picks at run time; the results are the same bits on every instruction set
//! (products aside: see "What is promised").
//!
//! Everything else is IEEE arithmetic, with no hidden clamping (each case is tested in
//! `tests/numerics.rs`):
//!
//! | input | result |
//! | --- | --- |
//! | `softmax` with a `-inf` logit | probability 0 there (`log_softmax`: `-inf`), the rest finite |
//! | `softmax` of equal logits | exactly `1 / n` each |
//! | `softmax` of a row of only `-inf`, or with a NaN | NaN for the whole row (there is no maximum to shift by) |
//! | `log(0)`, `x / 0` | `-inf`, `±inf` (`0 / 0` is NaN) |
//! | `sqrt` of a negative number, `pow(negative, 0.5)` | NaN (`pow` with a whole exponent is fine: `pow(-2, 2)` is 4) |
//! | `exp(±inf)`, `tanh(±inf)`, `sigmoid(±inf)`, `relu(±inf)` | `inf`/`0`, `±1`, `1`/`0`, `inf`/`0` |
//! | `max` or `min` with tied extremes (`±inf` ties too) | the gradient split evenly among them: `max([1, 3, 3])` sends `0, 1/2, 1/2` of it |
//! | `keepdims = true`, `reshape`, `transpose`, indexing, `concat` | the same values, moved: no numerics of their own |
//! | `softplus(1000)`, `softplus(-1000)` | `1000` and `0`, in f32 too (no overflow) |
//! | `gelu` far from 0 | `gelu(10) = 10`, `gelu(-10)` a tiny negative number |
//! | `logsumexp` of `[1000, ...]`, of `-inf` entries, of all `-inf`, with `+inf` | no overflow (shifted by the slice's maximum); `-inf` entries count for nothing; `-inf`; `+inf` |
//! | `log1p(1e-10)`, `expm1(1e-10)` | `1e-10`: exact near 0, where `log(1 + x)` loses the digits |
//! | `sparse_softmax_cross_entropy` with logits of 1000, and with `-inf` logits off the label | no overflow (each row shifted by its maximum); `-inf` logits count for nothing |
//! | `argmax` of ties, of a row with a NaN, of a row of `-inf` | the first tied index; the first NaN's index; 0 |
//! | `max_pool`'s tangent (`jvp`, `hvp`) at a tie, and over a window holding a NaN | the direction at the first maximum in row-major order, where the gradient goes; at the first NaN |
//! | `max_pool` of a window holding a NaN; `avg_pool` with `same` padding at an edge | NaN (a NaN wins, as in `max`); the mean of the entries inside the image only (a 2x2 window with one row of padding averages 2 entries) |
//! | kinks and ties | `abs` and `relu` 0 at 0, `leaky_relu` `alpha` at 0, `maximum`/`minimum` the first operand at a tie, `clip` 1 on a bound |
//! | `matmul` or `conv2d` with an infinite or NaN entry | IEEE sums of products: an `inf` times `0` is NaN, and a NaN reaches every output that reads its row or column |
//! | NaN anywhere | NaN out, through `relu`, `max`, `min`, `maximum`, `minimum`, `clip` and every elementwise op too (`gather` copies it; a NaN logit makes its row's `sparse_softmax_cross_entropy` NaN; `argmax` points at it); the gradient of a `max` or `min` whose slice holds a NaN is NaN across that slice (no element equals the NaN extreme: 0 / 0, as TensorFlow) |
//!
//! ## What `graph!` generates
//!
//! Inside the module, for float type `F` (and `<const BATCH: usize, ...>` where named
//! dimensions appear, one parameter each):
//!
//! - `Placeholders`, `Variables`, `Values` (one field per `let`), `Gradients` (d objective /
//!   d each variable, typed like `Variables`) and `Adjoints` (d objective / d every
//!   placeholder, variable and `let`). All are `Clone + Debug + PartialEq + Default`, and
//!   `tensors()` / `tensors_mut()` give every float field as a named flat slice (for custom
//!   optimisers, checkpoints, gradient checks). Ids are fields of their own integer type
//!   (`labels: Box<[i32; BATCH]>`, a `let` of `argmax` `[usize; ...]`); they have no adjoint. Tensors are plain arrays; those of more than
//!   4096 elements, or sized by the named dimension, are boxed (`Box<[[f32; 784]; 64]>`) and
//!   built on the heap directly, and so are a struct's largest tensors when its inline ones
//!   would take more than 64 KiB, so no struct overflows a thread's stack.
//! - `forward(&Placeholders, &Variables) -> Values`.
//! - `backward(&Placeholders, &Variables) -> (Values, Gradients)`: forward and backward fused;
//!   it computes no adjoint that no variable's gradient needs.
//! - `adjoints(&Placeholders, &Variables) -> Adjoints`: every adjoint, for inspection.
//! - `sgd_step(&Placeholders, &mut Variables, learning_rate: F) -> Values`: one step of
//!   gradient descent, returning the values from before the update.
//! - With `optimizer`, `check_gradients;`, `jvp;` or `hvp;`: the functions of the sections
//!   below.
//! - `forward_into`, `backward_into`, `sgd_step_into`: the same, writing into caller-owned
//!   outputs with a caller-owned `Workspace` (the intermediates), so a training loop allocates
//!   nothing per step of its own (the GEMM behind `matmul` allocates its packing buffers).
//!
//! After a mistake in the graph, the module still exists as a stub with these items (the
//! declared fields included; a `let` whose definition failed is an `F`), so the compiler
//! reports the mistake and not every use of the module.
//! - `DOT`: the forward and backward graph in Graphviz DOT.
//! - `GRADIENTS`: every derived gradient as a formula, one per line.
//!
//! The doc comment of `backward` lists every derived gradient as a formula, such as
//! `d_logits = y * (d_y - sum(d_y * y))`, and `cargo expand` shows the fused loops with the
//! same formulas beside the loops that compute them.
//!
//! ## Optimizers
//!
//! Each declaration after `minimize` generates a struct of the optimizer's hyperparameters
//! (public fields, from the declaration: a schedule is plain code, `opt.learning_rate *= 0.5`)
//! and state (its slots, each typed like `Variables`, and Adam's step count), with `Default`
//! and `new()`, `Clone` and `PartialEq` (a checkpoint is a copy), and `NAME_step(&p, &mut v,
//! &mut opt) -> Values` with `NAME_step_into(..., &mut values, &mut workspace)`. The updates are
//! TensorFlow 1.x's (`tf.train.*Optimizer`), with its defaults:
//!
//! | declaration | state | update, for each weight `w` and its gradient `g` |
//! | --- | --- | --- |
//! | `momentum(learning_rate = 0.01, momentum = 0.9, nesterov = false)` | `accumulator` (zeros) | `a = momentum * a + g`; `w -= learning_rate * a` (Nesterov: `learning_rate * (g + momentum * a)`) |
//! | `adam(learning_rate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8)` | `m`, `v` (zeros), `step` | `t += 1`; `rate = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)`; `m = beta1 * m + (1 - beta1) * g`; `v = beta2 * v + (1 - beta2) * g²`; `w -= rate * m / (sqrt(v) + epsilon)` |
//! | `adamw(..., weight_decay = 0.01)` | as `adam` | `w -= learning_rate * weight_decay * w` first (decoupled, as Keras's `AdamW`), then Adam's update |
//! | `rmsprop(learning_rate = 0.001, decay = 0.9, momentum = 0.0, epsilon = 1e-10)` | `ms` (ones, as TensorFlow 1.x), `mom` (zeros) | `ms = decay * ms + (1 - decay) * g²`; `mom = momentum * mom + learning_rate * g / sqrt(ms + epsilon)`; `w -= mom` |
//! | `adagrad(learning_rate = 0.01, initial_accumulator = 0.1)` | `accumulator` (`initial_accumulator`) | `a += g²`; `w -= learning_rate * g / sqrt(a)` |
//!
//! Every optimizer also takes `clip_global_norm = c` (a field too, `Option`): before the
//! update, the gradients are scaled by `c / norm` when their global norm (over every variable)
//! is above `c`, as TensorFlow's `clip_by_global_norm`. The learning rate may be given without
//! its name: `optimizer adam(0.01);`, and `optimizer adam;` takes every default.
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// A line through three points.
//!     pub mod line {
//!         placeholder x: [f64; 3];
//!         placeholder y: [f64; 3];
//!         variable a: f64;
//!         variable b: f64;
//!         let cost = mean(pow(x * a + b - y, 2));
//!         minimize cost;
//!         optimizer adam(learning_rate = 0.1);
//!     }
//! }
//!
//! let p = line::Placeholders { x: [0.0, 1.0, 2.0], y: [1.0, 3.0, 5.0] };
//! let mut v = line::Variables::default();
//! let mut opt = line::Adam::new();
//! for _ in 0..500 {
//!     line::adam_step(&p, &mut v, &mut opt);
//! }
//! assert!((v.a - 2.0).abs() < 1e-3 && (v.b - 1.0).abs() < 1e-3);
//! assert_eq!(opt.step, 500);
//! ```
//!
//! ## Checking the gradients
//!
//! A graph that declares `check_gradients;` gets `check_gradients(&p, &v) -> GradientCheck`:
//! every variable's gradient from `backward` against central finite differences of the
//! objective computed in f64 (for an f32 graph, on an f64 copy of its forward pass, compiled
//! beside it, which is why it is opt-in), with the worst absolute and relative error per
//! variable; and `check_gradients_of(&p, &v, &gradients)` for gradients from elsewhere. Put it
//! in your own tests, as PyTorch's `gradcheck` or JAX's `check_grads`:
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// A layer with a checked gradient.
//!     pub mod layer {
//!         placeholder x: [f32; 2, 3];
//!         variable w: [f32; 3, 2] = glorot_uniform;
//!         let cost = mean(pow(tanh(matmul(x, w)), 2));
//!         minimize cost;
//!         check_gradients;
//!     }
//! }
//!
//! let p = layer::Placeholders { x: [[1.0, -0.5, 2.0], [0.25, 1.5, -1.0]] };
//! let check = layer::check_gradients(&p, &layer::Variables::init(1));
//! assert_eq!(check.variables[0].name, "w");
//! assert!(check.worst_relative() < 1e-6); // f32 gradients, f64 differences
//! ```
//!
//! ## Forward mode and second order
//!
//! A graph that declares `jvp;` gets `jvp(&p, &v, &direction) -> (Values, Values)`: the value
//! of every `let` and its directional derivative along `direction` (a `Variables`: one
//! direction per variable), as `jax.jvp` gives, in one fused pass. A graph that declares
//! `hvp;` gets `hvp(&p, &v, &direction) -> Gradients`: the Hessian of the objective times the
//! direction, the derivative of `backward`'s gradients along it (`jax.jvp(jax.grad(f), ...)`),
//! for Newton and conjugate-gradient methods that never form the Hessian. Both have `_into`
//! forms that allocate nothing. They are opt-in because they add two functions to compile.
//!
//! Both come from one tangent rule per op, applied to the forward graph and, for `hvp`, to the
//! backward graph as well (forward-over-reverse). At kinks and ties a tangent takes the branch
//! the gradient takes (`relu` has slope 0 at 0, a tie in `max` is split evenly, `max_pool`
//! picks the first maximum), so `hvp` is exactly the derivative of what `backward` computes.
//! A `let` of integer ids has no tangent (its field is left as it is).
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// A quadratic bowl: its Hessian is known.
//!     pub mod bowl {
//!         placeholder a: [f64; 2];
//!         variable x: [f64; 2];
//!         let y = a * x * x;
//!         let cost = sum(y);
//!         minimize cost;
//!         jvp;
//!         hvp;
//!     }
//! }
//!
//! let p = bowl::Placeholders { a: [1.0, 3.0] };
//! let v = bowl::Variables { x: [2.0, -1.0] };
//! let direction = bowl::Variables { x: [1.0, 1.0] };
//! let (values, tangents) = bowl::jvp(&p, &v, &direction);
//! assert_eq!(values.y, [4.0, 3.0]);
//! assert_eq!(tangents.y, [4.0, -6.0]); // 2 a x, along (1, 1)
//! assert_eq!(bowl::hvp(&p, &v, &direction).x, [2.0, 6.0]); // the Hessian diag(2 a) times (1, 1)
//! ```
//!
//! `examples/optimizers.rs` fits softmax regression on Iris by Newton-CG with `hvp`: eight
//! Newton steps of one to nine Hessian-vector products each, to a gradient of 1e-11.
//!
//! ## Deploying
//!
//! - **`#![no_std]`.** With `default-features = false` this crate and everything `graph!`
//!   generates build without `std`: no allocator, no threads. Without the `alloc` feature
//!   every tensor is inline, so each must have at most 4096 elements and no named dimension,
//!   or the graph is a compile error that says so; with `alloc` larger ones are boxed. The
//!   float functions come from the `libm` crate (musl's: within 1 ulp; `sqrt` correctly
//!   rounded), so results agree with a `std` build to float rounding; products use the
//!   runtime's own blocked kernel instead of the `gemm` crate, and `check_gradients` needs
//!   `std` (it is for tests). `tests/no-std-network` trains a network in a `#![no_std]`
//!   crate without `alloc`.
//! - **safetensors** (the `safetensors` feature): `Variables::to_safetensors()` and
//!   `Variables::from_safetensors(&bytes) -> Result<Variables, LoadError>`, each variable a
//!   tensor named and shaped as declared, in the graph's float type; a missing, extra,
//!   mis-shaped or mis-typed tensor is a `LoadError` naming it, and nothing is loaded. An
//!   optimizer's state has the same pair (slots as `slot/variable`, Adam's step as `step`).
//! - **serde** (the `serde` feature): the generated structs are `Serialize + Deserialize`, each
//!   field a flat row-major sequence (a scalar a sequence of one), read back in place; a
//!   missing, unknown, repeated or mis-sized field is an error naming it. So are the
//!   optimizers' states (hyperparameters, clip, slots and step, by name).
//! - **Pictures** (the `svg` feature): `static_graph::svg` draws a module's `DOT` as SVG in pure Rust.
//!
//! ## What is promised
//!
//! Each promise is held by the test named with it.
//!
//! - **Names.** Every name Rust accepts works as a tensor or a dimension, including every
//!   name the generated code uses for itself (`i`, `k`, `p`, `values`, ...), prelude names
//!   (`None`), the module's own constants (`DOT`) and raw identifiers (`tests/hygiene.rs`).
//!   The generated code reaches this crate through `$crate`, so the dependency may be renamed
//!   in `Cargo.toml` (`tests/renamed-dependency`).
//! - **Bits.** A value has the same bits whichever function computed it (`forward`,
//!   `backward`, `sgd_step`, `adjoints`, the `_into` forms), on every call, and whichever
//!   instruction set its loops run with (AVX-512, AVX2+FMA or the baseline;
//!   `STATIC_GRAPH_SIMD=baseline` or `=avx2` caps it) (`tests/same_bits.rs`), and on any
//!   number of threads: a loop of 2^17 elements or more runs in chunks (over rayon's pool
//!   from 2^17 elements on 4 threads or more, from 2^18 on 2 or 3), whose sizes and merge
//!   order depend on the loop's length alone, and a large product (2^23 multiply-adds on 4
//!   threads or more, 2^24 on 2 or 3) shares out tiles of its result, each summed by one
//!   thread; `RAYON_NUM_THREADS` at 1, 2, 3 and 8 gives the same bits
//!   (`tests/same_bits.rs`).
//!   Products (`matmul`) are the exception across machines: the GEMM picks its kernel by the
//!   CPU's vector width, and kernels of different widths sum in different orders, so a
//!   product and everything computed from it can differ in the last bits between, say, an
//!   AVX2 and an AVX-512 machine. On one machine products are deterministic too.
//! - **Derivatives.** Every gradient, tangent and Hessian-vector product agrees with central
//!   differences in f64 on every graph of the tests and 200 random graphs over every op
//!   (`tests/gradients.rs` and the others through `graph_case!`,
//!   `generated-tests/tests/random_graphs.rs`), and with JAX where JAX computes it
//!   (`tests/jax_shapes.rs`, `tests/ops.rs`, `tests/ids.rs`, `tests/conv.rs`,
//!   `tests/second_order.rs`).
//! - **Allocation.** The `_into` functions (the optimizers' `NAME_step_into`, `jvp_into` and
//!   `hvp_into` included) allocate
//!   nothing of their own, on any thread, after the first call (which starts rayon's pool
//!   and waits until its threads have started). The libraries underneath allocate a little,
//!   counted on every thread by `tests/no_allocation.rs`: the GEMM behind `matmul` its
//!   packing buffers, at most two per product, and a product of 2^23 multiply-adds or more,
//!   shared over the pool, a small buffer per further thread for each
//!   block of its inner dimension; a batched product is one GEMM call per matrix of the batch (one in all for a
//!   matrix shared by the batch), and a convolution and its two gradients are one product
//!   each. Rayon's job queue allocates one block per 63 jobs handed to the pool, and a loop
//!   of 2^17 elements or more is one job: fewer than one allocation in ten calls of the seed
//!   step at that size. With one thread (`RAYON_NUM_THREADS=1`), or in a graph with no such
//!   loop or product, nothing but the packing buffers.
//! - **Stack.** Every struct keeps at most 64 KiB of tensors inline (larger tensors, and the
//!   largest of a struct that would pass that, are boxed) and the generated functions keep only
//!   scalars and 64-element blocks on the stack, so every entry point runs on a 2 MiB thread in
//!   debug and release builds, however many tensors a graph has (`tests/large_network.rs`).
//! - **Limits.** A tensor holds at most 2^47 bytes (the named dimension counted as 1): larger
//!   declared or derived shapes are compile errors at the tokens that make them. Expressions
//!   nest at most 128 levels deep (parentheses, calls and unary minus signs count), an error at
//!   the token that passes the limit; runs of `+ - * /` do not nest, so a program may write a
//!   sum of thousands of terms (`generated-tests/tests/machine_written.rs`).
//! - **Ids.** An id out of range (negative, or past the table, the depth or the number of
//!   classes it indexes) panics in every generated function before anything is written,
//!   naming the placeholder, the position in it, the value and the valid range; never a
//!   silent wrong answer (`tests/ids.rs`).
//! - **Without `std`.** A `#![no_std]` crate without `alloc` declares, compiles and trains a
//!   network, and computes what the `std` build computes to float rounding; a graph too large
//!   for it is a compile error (`tests/no_std.rs`, `graph-syntax/tests/platforms.rs`).
//! - **Weights files.** A round trip through safetensors or serde keeps every bit, and a file
//!   that does not fit the graph is an error naming the tensor, with nothing loaded
//!   (`tests/safetensors.rs`, `tests/serde.rs`).
//! - **Errors.** Every mistake in a graph is a compile error at the tokens that make it, and the
//!   macro never panics (`tests/compile_fail.rs`, `graph-syntax/tests/no_panic.rs`, two fuzz
//!   targets).
//!
//! ## A network with a batch dimension
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// A 4-8-3 classifier.
//!     pub mod classifier {
//!         placeholder x: [f32; batch, 4];
//!         placeholder labels: [f32; batch, 3];
//!         variable w1: [f32; 4, 8] = glorot_uniform;
//!         variable b1: [f32; 8];
//!         variable w2: [f32; 8, 3] = glorot_uniform;
//!         variable b2: [f32; 3];
//!         let h = relu(matmul(x, w1) + b1);
//!         let logits = matmul(h, w2) + b2;
//!         let cost = mean(softmax_cross_entropy(logits, labels));
//!         minimize cost;
//!     }
//! }
//!
//! let mut v = classifier::Variables::init(7);
//! let mut batch = classifier::Placeholders::<2>::default();
//! batch.x = Box::new([[1.0, 0.0, 0.5, 0.2], [0.0, 1.0, 0.1, 0.9]]);
//! batch.labels = Box::new([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
//!
//! let mut values = classifier::Values::<2>::default();
//! let mut workspace = classifier::Workspace::<2>::default();
//! let first = classifier::forward(&batch, &v).cost;
//! for _ in 0..50 {
//!     classifier::sgd_step_into(&batch, &mut v, 0.1, &mut values, &mut workspace);
//! }
//! assert!(classifier::forward(&batch, &v).cost < first);
//!
//! // The same compiled graph on a batch of another size.
//! let one = classifier::forward(&classifier::Placeholders::<1>::default(), &v);
//! assert_eq!(one.logits.len(), 1);
//! ```
//!
//! ## Layer normalisation
//!
//! `keepdims` keeps the reduced axis, so the statistics broadcast back over each row:
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// A linear layer, then layer normalisation with a learned gain and bias.
//!     pub mod layer_norm {
//!         placeholder x: [f64; batch, 4];
//!         placeholder target: [f64; batch, 4];
//!         variable w: [f64; 4, 4] = glorot_uniform;
//!         variable gain: [f64; 4] = 1.0;
//!         variable bias: [f64; 4];
//!         let h = matmul(x, w);
//!         let mu = mean(h, axis = -1, keepdims = true);
//!         let centred = h - mu;
//!         let variance = mean(centred * centred, axis = -1, keepdims = true);
//!         let y = centred / sqrt(variance + 0.00001) * gain + bias;
//!         let cost = mean(pow(y - target, 2));
//!         minimize cost;
//!     }
//! }
//!
//! let mut p = layer_norm::Placeholders::<2>::default();
//! p.x = Box::new([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0]]);
//! p.target = Box::new([[1.0, -1.0, 1.0, -1.0], [0.0, 0.0, 1.0, -1.0]]);
//! let v = layer_norm::Variables::init(3);
//! let values = layer_norm::forward(&p, &v);
//! // Each row of `y` has mean `bias` (zero here) and unit variance before the gain.
//! for row in values.y.iter() {
//!     assert!(row.iter().sum::<f64>().abs() < 1e-9);
//! }
//! assert_eq!(values.mu.len(), 2); // [f64; batch, 1]: the axis kept with length 1
//! ```
//!
//! ## Attention over a batch of sequences
//!
//! Two named dimensions, batched products and a transpose of the last two axes:
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// One head of scaled dot-product self-attention.
//!     pub mod attention {
//!         const scale: f32 = 0.5; // 1 / sqrt(d)
//!         placeholder tokens: [f32; batch, seq, 4];
//!         placeholder target: [f32; batch, seq, 4];
//!         variable wq: [f32; 4, 4] = glorot_uniform;
//!         variable wk: [f32; 4, 4] = glorot_uniform;
//!         variable wv: [f32; 4, 4] = glorot_uniform;
//!         let q = matmul(tokens, wq);
//!         let k = matmul(tokens, wk);
//!         let v = matmul(tokens, wv);
//!         let weights = softmax(matmul(q, transpose(k, axes = (0, 2, 1))) * scale);
//!         let out = matmul(weights, v);
//!         let cost = mean(pow(out - target, 2));
//!         minimize cost;
//!     }
//! }
//!
//! // Generic over both: a batch of 2 sequences of 3 tokens.
//! let mut p = attention::Placeholders::<2, 3>::default();
//! p.tokens[0][1] = [1.0, 0.0, -1.0, 0.5];
//! p.target[1][2] = [0.5; 4];
//! let mut v = attention::Variables::init(1);
//! let first = attention::forward(&p, &v).cost;
//! for _ in 0..20 {
//!     attention::sgd_step(&p, &mut v, 0.5);
//! }
//! let values = attention::forward(&p, &v);
//! assert!(values.cost < first);
//! // Each row of attention weights is a distribution over the sequence.
//! assert!((values.weights[0][1].iter().sum::<f32>() - 1.0).abs() < 1e-6);
//! ```
//!
//! ## A convolutional network
//!
//! TensorFlow's `conv2d` and `max_pool`, on `[batch, H, W, C]` images (`examples/digits_cnn`
//! trains this shape of network to 98.9% on the 8x8 digits):
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// 6x6 single-channel images to 2 classes.
//!     pub mod cnn {
//!         placeholder x: [f32; batch, 6, 6, 1];
//!         placeholder labels: [i32; batch];
//!         variable k: [f32; 3, 3, 1, 4] = glorot_uniform;
//!         variable c: [f32; 4];
//!         variable w: [f32; 36, 2] = glorot_uniform;
//!         // [batch, 6, 6, 4] (same padding), pooled 2x2 to [batch, 3, 3, 4].
//!         let h = max_pool(relu(conv2d(x, k, padding = same) + c), size = 2);
//!         let logits = matmul(reshape(h, [batch, 36]), w);
//!         let cost = mean(sparse_softmax_cross_entropy(logits, labels));
//!         minimize cost;
//!     }
//! }
//!
//! // A bright top half is class 1, a bright bottom half class 0.
//! let mut p = cnn::Placeholders::<2>::default();
//! for row in 0..3 {
//!     p.x[0][row] = [[1.0]; 6];
//!     p.x[1][row + 3] = [[1.0]; 6];
//! }
//! p.labels = Box::new([1, 0]);
//! let mut v = cnn::Variables::init(2);
//! let first = cnn::forward(&p, &v).cost;
//! for _ in 0..30 {
//!     cnn::sgd_step(&p, &mut v, 0.5);
//! }
//! assert!(cnn::forward(&p, &v).cost < first / 4.0);
//! ```
//!
//! ## Class ids and token ids
//!
//! A classifier fed class ids rather than one-hot rows, with its accuracy computed in the
//! graph, and an embedding table looked up by token ids (`examples/transformer` trains a
//! transformer this way):
//!
//! ```
//! use static_graph::graph;
//!
//! graph! {
//!     /// Bags of two token ids to one of 3 classes.
//!     pub mod bags {
//!         placeholder tokens: [i32; batch, 2];
//!         placeholder labels: [i32; batch];
//!         variable embedding: [f32; 5, 4] = normal(0, 0.5);
//!         variable w: [f32; 4, 3] = glorot_uniform;
//!         let bag = sum(gather(embedding, tokens), axis = 1);
//!         let logits = matmul(bag, w);
//!         let loss = mean(sparse_softmax_cross_entropy(logits, labels));
//!         let accuracy = mean(argmax(logits, axis = -1) == labels);
//!         minimize loss;
//!     }
//! }
//!
//! let mut p = bags::Placeholders::<2>::default();
//! p.tokens[0] = [1, 4];
//! p.tokens[1] = [2, 2];
//! p.labels[0] = 2;
//! let mut v = bags::Variables::init(5);
//! for _ in 0..100 {
//!     bags::sgd_step(&p, &mut v, 0.5);
//! }
//! let values = bags::forward(&p, &v);
//! assert_eq!(values.accuracy, 1.0);
//!
//! // An id past the table (5 rows) is a panic before any output is written.
//! p.tokens[1][0] = 5;
//! let result = std::panic::catch_unwind(|| bags::forward(&p, &v));
//! assert!(result.is_err());
//! ```

#![deny(unsafe_code)]
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "alloc")]
extern crate alloc;

/// What a graph's `check_gradients` found (declared with `check_gradients;`): for each
/// variable, the worst disagreement between its derived gradient (from `backward`) and central
/// finite differences of the objective computed in f64.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck {
    /// One entry per variable, in declaration order.
    pub variables: Vec<VariableCheck>,
}

/// One variable's part of a [`GradientCheck`].
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq)]
pub struct VariableCheck {
    /// The variable's name.
    pub name: &'static str,
    /// The largest `|derived - numeric|` over its elements.
    pub worst_absolute: f64,
    /// The largest `|derived - numeric| / max(|numeric|, 1)`: relative for gradients above 1,
    /// absolute below (where differences' own error is absolute). NaN if either is NaN.
    pub worst_relative: f64,
}

#[cfg(feature = "std")]
impl GradientCheck {
    /// The worst relative error over every variable (NaN if any is NaN).
    #[must_use]
    pub fn worst_relative(&self) -> f64 {
        let mut worst = 0.0f64;
        for v in &self.variables {
            if v.worst_relative.is_nan() {
                return f64::NAN;
            }
            worst = worst.max(v.worst_relative);
        }
        worst
    }
}

/// Compiles a declarative graph into a module of fused forward and backward functions: see
/// the crate documentation for the language and what it generates.
///
/// It passes this crate's path (`$crate`) to the proc macro, so the generated code works
/// under any name the dependency is given in `Cargo.toml`.
#[cfg(feature = "std")]
#[macro_export]
macro_rules! graph {
    ($($graph:tt)*) => {
        $crate::__private::graph! { $crate [std] $($graph)* }
    };
}

/// Compiles a declarative graph into a module of fused forward and backward functions: see
/// the crate documentation. (This build has `alloc` without `std`.)
#[cfg(all(feature = "alloc", not(feature = "std")))]
#[macro_export]
macro_rules! graph {
    ($($graph:tt)*) => {
        $crate::__private::graph! { $crate [alloc] $($graph)* }
    };
}

/// Compiles a declarative graph into a module of fused forward and backward functions: see
/// the crate documentation. (This build has `core` alone: every tensor inline.)
#[cfg(not(feature = "alloc"))]
#[macro_export]
macro_rules! graph {
    ($($graph:tt)*) => {
        $crate::__private::graph! { $crate [core] $($graph)* }
    };
}

/// Why `Variables::from_safetensors` refused a file (with the `safetensors` feature). Nothing
/// is loaded when it does.
#[cfg(feature = "safetensors")]
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// The bytes are not a safetensors file: the reader's message.
    Format(String),
    /// A variable the graph declares is not in the file.
    Missing(String),
    /// The file holds a tensor the graph does not declare.
    Unexpected(String),
    /// A tensor has another shape than its declaration.
    Shape {
        /// The tensor.
        name: String,
        /// Its declared shape.
        expected: Vec<usize>,
        /// Its shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has another element type than the graph's float type.
    Dtype {
        /// The tensor.
        name: String,
        /// The graph's float type (`F32`, `F64`).
        expected: String,
        /// The type in the file.
        found: String,
    },
}

#[cfg(feature = "safetensors")]
impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoadError::Format(message) => write!(f, "not a safetensors file: {message}"),
            LoadError::Missing(name) => write!(f, "the file has no tensor `{name}`, which the graph declares"),
            LoadError::Unexpected(name) => {
                write!(f, "the file has a tensor `{name}`, which the graph does not declare")
            }
            LoadError::Shape { name, expected, found } => {
                write!(
                    f,
                    "tensor `{name}` has shape {found:?} in the file, but the graph declares {expected:?}"
                )
            }
            LoadError::Dtype { name, expected, found } => {
                write!(
                    f,
                    "tensor `{name}` is {found} in the file, but the graph's floats are {expected}"
                )
            }
        }
    }
}

#[cfg(feature = "safetensors")]
impl std::error::Error for LoadError {}

/// The picture of a graph's `DOT` (the forward graph as boxes, the backward graph as blue
/// ellipses, derived nodes labelled with their formulas) as SVG, laid out and drawn in pure
/// Rust by the `layout-rs` crate, so no Graphviz is needed (the `svg` feature).
///
/// ```
/// static_graph::graph! {
///     /// A line.
///     pub mod line {
///         placeholder x: [f64; 3];
///         variable a: f64;
///         let cost = mean(square(x * a - 1));
///         minimize cost;
///     }
/// }
///
/// let picture = static_graph::svg(line::DOT);
/// assert!(picture.starts_with("<?xml") && picture.contains("d_a"));
/// ```
///
/// # Panics
///
/// If `dot` is not DOT that `layout-rs` reads; every `DOT` a graph generates is.
#[cfg(feature = "svg")]
#[must_use]
pub fn svg(dot: &str) -> String {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let graph = match DotParser::new(dot).process() {
        Ok(graph) => graph,
        Err(error) => panic!("static_graph::svg: not DOT that layout-rs reads: {error}"),
    };
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut picture = builder.get();
    let mut writer = SVGWriter::new();
    picture.do_it(false, false, false, &mut writer);
    writer.finalize()
}

/// Keeps its items with the `serde` feature, drops them without (see `__with_safetensors`).
#[doc(hidden)]
#[cfg(feature = "serde")]
#[macro_export]
macro_rules! __with_serde {
    ($($item:tt)*) => { $($item)* };
}

/// Keeps its items with the `serde` feature, drops them without.
#[doc(hidden)]
#[cfg(not(feature = "serde"))]
#[macro_export]
macro_rules! __with_serde {
    ($($item:tt)*) => {};
}

/// Keeps its items with the `safetensors` feature, drops them without: how the generated code,
/// compiled in the user's crate, follows this crate's features.
#[doc(hidden)]
#[cfg(feature = "safetensors")]
#[macro_export]
macro_rules! __with_safetensors {
    ($($item:tt)*) => { $($item)* };
}

/// Keeps its items with the `safetensors` feature, drops them without.
#[doc(hidden)]
#[cfg(not(feature = "safetensors"))]
#[macro_export]
macro_rules! __with_safetensors {
    ($($item:tt)*) => {};
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
