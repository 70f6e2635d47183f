//! The generated code in a strict user crate: clippy's pedantic lints denied (CI runs clippy
//! on this file with `-D warnings`), a user's own `core`, `std`, `Vec`, `Option`, `Box` and
//! `f32` in scope, and graphs that exercise every item the macro writes (batch generics,
//! boxed tensors, kernels, initialisers).

#![deny(clippy::all, clippy::pedantic)]
#![allow(non_camel_case_types, dead_code, unused_imports)]

mod shadows {
    pub struct Vec;
    pub struct Option;
    pub struct Box;
    pub struct Default;
    pub struct Clone;
    pub mod core {}
    pub mod std {}
}
use shadows::*;

static_graph::graph! {
    /// Every kind of item: batch generics, boxed tensors, kernels, initialisers.
    pub mod strict {
        placeholder x: [f32; batch, 784];
        placeholder labels: [f32; batch, 10];
        variable w: [f32; 784, 10] = glorot_uniform;
        variable b: [f32; 10] = uniform(-0.1, 0.1);
        variable scale: f32 = 1;
        let logits = matmul(x, w) * scale + b;
        let peak = max(logits, axis = -1);
        let loss = softmax_cross_entropy(logits, labels);
        let cost = mean(loss) + mean(peak) * 0;
        minimize cost;
    }
}

static_graph::graph! {
    /// The seed graph, in f64.
    pub mod seed {
        placeholder x: [f64; 5];
        placeholder y_true: [f64; 5];
        variable w: [f64; 5];
        let y = softmax(x * w);
        let cost = mean(pow(y - y_true, 2));
        minimize cost;
    }
}

#[test]
fn strict_crates_compile_and_run_the_generated_code() {
    let p = strict::Placeholders::<2>::default();
    let mut v = strict::Variables::init(3);
    let before = strict::sgd_step(&p, &mut v, 0.1);
    assert!(before.cost.is_finite());
    let values = seed::forward(
        &seed::Placeholders {
            x: [1.0; 5],
            y_true: [0.0; 5],
        },
        &seed::Variables::default(),
    );
    assert!((values.cost - 0.04).abs() < 1e-12);
}

// Tensors named like locals: begin
// Every local and parameter of the generated code (the list is checked complete by
// `graph-syntax/tests/hygiene_locals.rs`) as a tensor name, in loops of blocks, lanes and two
// threads, and beside kernels and a named dimension.

static_graph::graph! {
    /// Long loops: blocks, lanes, chunks over the pool.
    pub mod long_locals {
        placeholder x: [f32; 300000];
        variable w: [f32; 300000] = 0.5;
        variable s: f32 = 0.25;
        let adjoints = x * w * s;
        let along_i = adjoints * 0.5 + x;
        let at = along_i * 0.5 + x;
        let at_i = at * 0.5 + x;
        let best_i = at_i * 0.5 + x;
        let block = best_i * 0.5 + x;
        let chunk = block * 0.5 + x;
        let col_i = chunk * 0.5 + x;
        let count = col_i * 0.5 + x;
        let element = count * 0.5 + x;
        let first_i = element * 0.5 + x;
        let gradients = first_i * 0.5 + x;
        let half = gradients * 0.5 + x;
        let high = half * 0.5 + x;
        let i = high * 0.5 + x;
        let inner_i = i * 0.5 + x;
        let k = inner_i * 0.5 + x;
        let lane = k * 0.5 + x;
        let learning_rate = lane * 0.5 + x;
        let low = learning_rate * 0.5 + x;
        let mid = low * 0.5 + x;
        let offset = mid * 0.5 + x;
        let outer_i = offset * 0.5 + x;
        let p = outer_i * 0.5 + x;
        let row_i = p * 0.5 + x;
        let seed = row_i * 0.5 + x;
        let v = seed * 0.5 + x;
        let value = v * 0.5 + x;
        let values = value * 0.5 + x;
        let workspace = values * 0.5 + x;
        let extreme = workspace * 0.5 + x;
        let ties = extreme * 0.5 + x;
        let cost = sum(tanh(ties)) + max(ties) + mean(adjoints);
        minimize cost;
    }
}

static_graph::graph! {
    /// Kernels (products, transposes, arg-max masks) and a named dimension.
    pub mod kernel_locals {
        placeholder x: [f64; batch, 30];
        placeholder labels: [f64; batch, 10];
        variable w: [f64; 30, 10] = glorot_uniform;
        variable b: [f64; 10] = 0.1;
        variable u: [f64; 10, 30] = uniform(-0.1, 0.1);
        let adjoints = matmul(x, w) + b;
        let along_i = relu(adjoints) * 0.5 + adjoints;
        let at = relu(along_i) * 0.5 + adjoints;
        let at_i = relu(at) * 0.5 + adjoints;
        let best_i = relu(at_i) * 0.5 + adjoints;
        let block = relu(best_i) * 0.5 + adjoints;
        let chunk = relu(block) * 0.5 + adjoints;
        let col_i = relu(chunk) * 0.5 + adjoints;
        let count = relu(col_i) * 0.5 + adjoints;
        let element = relu(count) * 0.5 + adjoints;
        let first_i = relu(element) * 0.5 + adjoints;
        let gradients = relu(first_i) * 0.5 + adjoints;
        let half = relu(gradients) * 0.5 + adjoints;
        let high = relu(half) * 0.5 + adjoints;
        let i = relu(high) * 0.5 + adjoints;
        let inner_i = relu(i) * 0.5 + adjoints;
        let k = relu(inner_i) * 0.5 + adjoints;
        let lane = relu(k) * 0.5 + adjoints;
        let learning_rate = relu(lane) * 0.5 + adjoints;
        let low = relu(learning_rate) * 0.5 + adjoints;
        let mid = relu(low) * 0.5 + adjoints;
        let offset = relu(mid) * 0.5 + adjoints;
        let outer_i = relu(offset) * 0.5 + adjoints;
        let p = relu(outer_i) * 0.5 + adjoints;
        let row_i = relu(p) * 0.5 + adjoints;
        let seed = relu(row_i) * 0.5 + adjoints;
        let v = relu(seed) * 0.5 + adjoints;
        let value = relu(v) * 0.5 + adjoints;
        let values = relu(value) * 0.5 + adjoints;
        let workspace = relu(values) * 0.5 + adjoints;
        let extreme = relu(workspace) * 0.5 + adjoints;
        let ties = relu(extreme) * 0.5 + adjoints;
        let a_i = relu(ties) * 0.5 + adjoints;
        let b_i = relu(a_i) * 0.5 + adjoints;
        let batch_i = relu(b_i) * 0.5 + adjoints;
        let out_i = relu(batch_i) * 0.5 + adjoints;
        let best = relu(out_i) * 0.5 + adjoints;
        let id = relu(best) * 0.5 + adjoints;
        let label = relu(id) * 0.5 + adjoints;
        let row = relu(label) * 0.5 + adjoints;
        let shift = relu(row) * 0.5 + adjoints;
        let sum = relu(shift) * 0.5 + adjoints;
        let target = relu(sum) * 0.5 + adjoints;
        let total = relu(target) * 0.5 + adjoints;
        let cols = relu(total) * 0.5 + adjoints;
        let image_i = relu(cols) * 0.5 + adjoints;
        let oh_i = relu(image_i) * 0.5 + adjoints;
        let ow_i = relu(oh_i) * 0.5 + adjoints;
        let rows = relu(ow_i) * 0.5 + adjoints;
        let x_i = relu(rows) * 0.5 + adjoints;
        let y_i = relu(x_i) * 0.5 + adjoints;
        let accumulator_i = relu(y_i) * 0.5 + adjoints;
        let beta1 = relu(accumulator_i) * 0.5 + adjoints;
        let beta2 = relu(beta1) * 0.5 + adjoints;
        let decay = relu(beta2) * 0.5 + adjoints;
        let epsilon = relu(decay) * 0.5 + adjoints;
        let gradient = relu(epsilon) * 0.5 + adjoints;
        let gradient_all = relu(gradient) * 0.5 + adjoints;
        let mom_i = relu(gradient_all) * 0.5 + adjoints;
        let momentum = relu(mom_i) * 0.5 + adjoints;
        let norm = relu(momentum) * 0.5 + adjoints;
        let opt = relu(norm) * 0.5 + adjoints;
        let rate = relu(opt) * 0.5 + adjoints;
        let scale = relu(rate) * 0.5 + adjoints;
        let slot = relu(scale) * 0.5 + adjoints;
        let t = relu(slot) * 0.5 + adjoints;
        let v_i = relu(t) * 0.5 + adjoints;
        let weight_decay = relu(v_i) * 0.5 + adjoints;
        let above = relu(weight_decay) * 0.5 + adjoints;
        let absolute = relu(above) * 0.5 + adjoints;
        let below = relu(absolute) * 0.5 + adjoints;
        let check = relu(below) * 0.5 + adjoints;
        let checks = relu(check) * 0.5 + adjoints;
        let derived = relu(checks) * 0.5 + adjoints;
        let from = relu(derived) * 0.5 + adjoints;
        let j = relu(from) * 0.5 + adjoints;
        let numeric = relu(j) * 0.5 + adjoints;
        let original = relu(numeric) * 0.5 + adjoints;
        let p64 = relu(original) * 0.5 + adjoints;
        let relative = relu(p64) * 0.5 + adjoints;
        let step = relu(relative) * 0.5 + adjoints;
        let to = relu(step) * 0.5 + adjoints;
        let direction = relu(to) * 0.5 + adjoints;
        let products = relu(direction) * 0.5 + adjoints;
        let tangents = relu(products) * 0.5 + adjoints;
        let bytes = relu(tangents) * 0.5 + adjoints;
        let shapes = relu(bytes) * 0.5 + adjoints;
        let deserializer = relu(shapes) * 0.5 + adjoints;
        let out = relu(deserializer) * 0.5 + adjoints;
        let serializer = relu(out) * 0.5 + adjoints;
        let state = relu(serializer) * 0.5 + adjoints;
        let map = relu(state) * 0.5 + adjoints;
        let merged = relu(map) * 0.5 + adjoints;
        let left = relu(merged) * 0.5 + adjoints;
        let right = relu(left) * 0.5 + adjoints;
        let acc = relu(right) * 0.5 + adjoints;
        let wins = relu(acc) * 0.5 + adjoints;
        let v64 = relu(wins) * 0.5 + adjoints;
        let peak = max(v64, axis = 1) + min(v64, axis = 1);
        let z = matmul(v64, transpose(w)) * matmul(v64, u);
        let cost = mean(softmax_cross_entropy(v64, labels)) + mean(peak) + sum(sigmoid(z)) + sum(mean(v64, axis = 0));
        minimize cost;
    }
}
static_graph::graph! {
    /// Shape kernels (batched products, concatenations, pads of slices' gradients, masks over
    /// several axes) over two named dimensions, and a constant tensor.
    pub mod shape_locals {
        const gains: [f64; 3] = [0.5, 1.0, 2.0];
        placeholder x: [f64; batch, seq, 3];
        placeholder ids: [i32; batch, seq];
        placeholder img: [f64; batch, 4, 3, 2];
        variable w: [f64; 3, 3] = 0.25;
        variable filt: [f64; 2, 2, 2, 2] = 0.25;
        let q = matmul(x, w) * gains;
        let adjoints = tanh(q) * 0.5 + q;
        let along_i = tanh(adjoints) * 0.5 + q;
        let at = tanh(along_i) * 0.5 + q;
        let at_i = tanh(at) * 0.5 + q;
        let best_i = tanh(at_i) * 0.5 + q;
        let block = tanh(best_i) * 0.5 + q;
        let chunk = tanh(block) * 0.5 + q;
        let col_i = tanh(chunk) * 0.5 + q;
        let count = tanh(col_i) * 0.5 + q;
        let element = tanh(count) * 0.5 + q;
        let first_i = tanh(element) * 0.5 + q;
        let gradients = tanh(first_i) * 0.5 + q;
        let half = tanh(gradients) * 0.5 + q;
        let high = tanh(half) * 0.5 + q;
        let i = tanh(high) * 0.5 + q;
        let inner_i = tanh(i) * 0.5 + q;
        let k = tanh(inner_i) * 0.5 + q;
        let lane = tanh(k) * 0.5 + q;
        let learning_rate = tanh(lane) * 0.5 + q;
        let low = tanh(learning_rate) * 0.5 + q;
        let mid = tanh(low) * 0.5 + q;
        let offset = tanh(mid) * 0.5 + q;
        let outer_i = tanh(offset) * 0.5 + q;
        let p = tanh(outer_i) * 0.5 + q;
        let row_i = tanh(p) * 0.5 + q;
        let seed = tanh(row_i) * 0.5 + q;
        let v = tanh(seed) * 0.5 + q;
        let value = tanh(v) * 0.5 + q;
        let values = tanh(value) * 0.5 + q;
        let workspace = tanh(values) * 0.5 + q;
        let extreme = tanh(workspace) * 0.5 + q;
        let ties = tanh(extreme) * 0.5 + q;
        let a_i = tanh(ties) * 0.5 + q;
        let b_i = tanh(a_i) * 0.5 + q;
        let batch_i = tanh(b_i) * 0.5 + q;
        let out_i = tanh(batch_i) * 0.5 + q;
        let best = tanh(out_i) * 0.5 + q;
        let id = tanh(best) * 0.5 + q;
        let label = tanh(id) * 0.5 + q;
        let row = tanh(label) * 0.5 + q;
        let shift = tanh(row) * 0.5 + q;
        let sum = tanh(shift) * 0.5 + q;
        let target = tanh(sum) * 0.5 + q;
        let total = tanh(target) * 0.5 + q;
        let cols = tanh(total) * 0.5 + q;
        let image_i = tanh(cols) * 0.5 + q;
        let oh_i = tanh(image_i) * 0.5 + q;
        let ow_i = tanh(oh_i) * 0.5 + q;
        let rows = tanh(ow_i) * 0.5 + q;
        let x_i = tanh(rows) * 0.5 + q;
        let y_i = tanh(x_i) * 0.5 + q;
        let accumulator_i = tanh(y_i) * 0.5 + q;
        let beta1 = tanh(accumulator_i) * 0.5 + q;
        let beta2 = tanh(beta1) * 0.5 + q;
        let decay = tanh(beta2) * 0.5 + q;
        let epsilon = tanh(decay) * 0.5 + q;
        let gradient = tanh(epsilon) * 0.5 + q;
        let gradient_all = tanh(gradient) * 0.5 + q;
        let mom_i = tanh(gradient_all) * 0.5 + q;
        let momentum = tanh(mom_i) * 0.5 + q;
        let norm = tanh(momentum) * 0.5 + q;
        let opt = tanh(norm) * 0.5 + q;
        let rate = tanh(opt) * 0.5 + q;
        let scale = tanh(rate) * 0.5 + q;
        let slot = tanh(scale) * 0.5 + q;
        let t = tanh(slot) * 0.5 + q;
        let v_i = tanh(t) * 0.5 + q;
        let weight_decay = tanh(v_i) * 0.5 + q;
        let above = tanh(weight_decay) * 0.5 + q;
        let absolute = tanh(above) * 0.5 + q;
        let below = tanh(absolute) * 0.5 + q;
        let check = tanh(below) * 0.5 + q;
        let checks = tanh(check) * 0.5 + q;
        let derived = tanh(checks) * 0.5 + q;
        let from = tanh(derived) * 0.5 + q;
        let j = tanh(from) * 0.5 + q;
        let numeric = tanh(j) * 0.5 + q;
        let original = tanh(numeric) * 0.5 + q;
        let p64 = tanh(original) * 0.5 + q;
        let relative = tanh(p64) * 0.5 + q;
        let step = tanh(relative) * 0.5 + q;
        let to = tanh(step) * 0.5 + q;
        let direction = tanh(to) * 0.5 + q;
        let products = tanh(direction) * 0.5 + q;
        let tangents = tanh(products) * 0.5 + q;
        let bytes = tanh(tangents) * 0.5 + q;
        let shapes = tanh(bytes) * 0.5 + q;
        let deserializer = tanh(shapes) * 0.5 + q;
        let out = tanh(deserializer) * 0.5 + q;
        let serializer = tanh(out) * 0.5 + q;
        let state = tanh(serializer) * 0.5 + q;
        let map = tanh(state) * 0.5 + q;
        let merged = tanh(map) * 0.5 + q;
        let left = tanh(merged) * 0.5 + q;
        let right = tanh(left) * 0.5 + q;
        let acc = tanh(right) * 0.5 + q;
        let wins = tanh(acc) * 0.5 + q;
        let v64 = tanh(wins) * 0.5 + q;
        let scores = matmul(v64, transpose(v64, axes = (0, 2, 1)));
        let joined = concat(v64[.., .., 0..2], v64[.., .., 1..], axis = 2);
        let picked = gather(w, ids) * one_hot(ids, depth = 3);
        let classes = mean(sparse_softmax_cross_entropy(v64, ids)) + mean(argmax(v64, axis = -1) == ids);
        let windows = sum(max_pool(conv2d(img, filt, stride = 2, padding = same), padding = same))
            + sum(avg_pool(img, padding = same));
        let cost = sum(scores) + sum(joined * joined) + sum(max(scores, axis = (1, 2))) + sum(picked) + classes + windows;
        minimize cost;
        optimizer momentum(clip_global_norm = 1.0);
        optimizer adam;
        optimizer adamw;
        optimizer rmsprop;
        optimizer adagrad;
        check_gradients;
        jvp;
        hvp;
    }
}

// Tensors named like locals: end

static_graph::graph! {
    /// `shape_locals` with plain names.
    pub mod shape_plain {
        const gains: [f64; 3] = [0.5, 1.0, 2.0];
        placeholder x: [f64; batch, seq, 3];
        placeholder ids: [i32; batch, seq];
        placeholder img: [f64; batch, 4, 3, 2];
        variable w: [f64; 3, 3] = 0.25;
        variable filt: [f64; 2, 2, 2, 2] = 0.25;
        let q = matmul(x, w) * gains;
        let n0 = tanh(q) * 0.5 + q;
        let n1 = tanh(n0) * 0.5 + q;
        let n2 = tanh(n1) * 0.5 + q;
        let n3 = tanh(n2) * 0.5 + q;
        let n4 = tanh(n3) * 0.5 + q;
        let n5 = tanh(n4) * 0.5 + q;
        let n6 = tanh(n5) * 0.5 + q;
        let n7 = tanh(n6) * 0.5 + q;
        let n8 = tanh(n7) * 0.5 + q;
        let n9 = tanh(n8) * 0.5 + q;
        let n10 = tanh(n9) * 0.5 + q;
        let n11 = tanh(n10) * 0.5 + q;
        let n12 = tanh(n11) * 0.5 + q;
        let n13 = tanh(n12) * 0.5 + q;
        let n14 = tanh(n13) * 0.5 + q;
        let n15 = tanh(n14) * 0.5 + q;
        let n16 = tanh(n15) * 0.5 + q;
        let n17 = tanh(n16) * 0.5 + q;
        let n18 = tanh(n17) * 0.5 + q;
        let n19 = tanh(n18) * 0.5 + q;
        let n20 = tanh(n19) * 0.5 + q;
        let n21 = tanh(n20) * 0.5 + q;
        let n22 = tanh(n21) * 0.5 + q;
        let n23 = tanh(n22) * 0.5 + q;
        let n24 = tanh(n23) * 0.5 + q;
        let n25 = tanh(n24) * 0.5 + q;
        let n26 = tanh(n25) * 0.5 + q;
        let n27 = tanh(n26) * 0.5 + q;
        let n28 = tanh(n27) * 0.5 + q;
        let n29 = tanh(n28) * 0.5 + q;
        let n30 = tanh(n29) * 0.5 + q;
        let n31 = tanh(n30) * 0.5 + q;
        let n32 = tanh(n31) * 0.5 + q;
        let n33 = tanh(n32) * 0.5 + q;
        let n34 = tanh(n33) * 0.5 + q;
        let n35 = tanh(n34) * 0.5 + q;
        let n36 = tanh(n35) * 0.5 + q;
        let n37 = tanh(n36) * 0.5 + q;
        let n38 = tanh(n37) * 0.5 + q;
        let n39 = tanh(n38) * 0.5 + q;
        let n40 = tanh(n39) * 0.5 + q;
        let n41 = tanh(n40) * 0.5 + q;
        let n42 = tanh(n41) * 0.5 + q;
        let n43 = tanh(n42) * 0.5 + q;
        let n44 = tanh(n43) * 0.5 + q;
        let n45 = tanh(n44) * 0.5 + q;
        let n46 = tanh(n45) * 0.5 + q;
        let n47 = tanh(n46) * 0.5 + q;
        let n48 = tanh(n47) * 0.5 + q;
        let n49 = tanh(n48) * 0.5 + q;
        let n50 = tanh(n49) * 0.5 + q;
        let n51 = tanh(n50) * 0.5 + q;
        let n52 = tanh(n51) * 0.5 + q;
        let n53 = tanh(n52) * 0.5 + q;
        let n54 = tanh(n53) * 0.5 + q;
        let n55 = tanh(n54) * 0.5 + q;
        let n56 = tanh(n55) * 0.5 + q;
        let n57 = tanh(n56) * 0.5 + q;
        let n58 = tanh(n57) * 0.5 + q;
        let n59 = tanh(n58) * 0.5 + q;
        let n60 = tanh(n59) * 0.5 + q;
        let n61 = tanh(n60) * 0.5 + q;
        let n62 = tanh(n61) * 0.5 + q;
        let n63 = tanh(n62) * 0.5 + q;
        let n64 = tanh(n63) * 0.5 + q;
        let n65 = tanh(n64) * 0.5 + q;
        let n66 = tanh(n65) * 0.5 + q;
        let n67 = tanh(n66) * 0.5 + q;
        let n68 = tanh(n67) * 0.5 + q;
        let n69 = tanh(n68) * 0.5 + q;
        let n70 = tanh(n69) * 0.5 + q;
        let n71 = tanh(n70) * 0.5 + q;
        let n72 = tanh(n71) * 0.5 + q;
        let n73 = tanh(n72) * 0.5 + q;
        let n74 = tanh(n73) * 0.5 + q;
        let n75 = tanh(n74) * 0.5 + q;
        let n76 = tanh(n75) * 0.5 + q;
        let n77 = tanh(n76) * 0.5 + q;
        let n78 = tanh(n77) * 0.5 + q;
        let n79 = tanh(n78) * 0.5 + q;
        let n80 = tanh(n79) * 0.5 + q;
        let n81 = tanh(n80) * 0.5 + q;
        let n82 = tanh(n81) * 0.5 + q;
        let n83 = tanh(n82) * 0.5 + q;
        let n84 = tanh(n83) * 0.5 + q;
        let n85 = tanh(n84) * 0.5 + q;
        let n86 = tanh(n85) * 0.5 + q;
        let n87 = tanh(n86) * 0.5 + q;
        let n88 = tanh(n87) * 0.5 + q;
        let n89 = tanh(n88) * 0.5 + q;
        let n90 = tanh(n89) * 0.5 + q;
        let n91 = tanh(n90) * 0.5 + q;
        let n92 = tanh(n91) * 0.5 + q;
        let n93 = tanh(n92) * 0.5 + q;
        let n94 = tanh(n93) * 0.5 + q;
        let n95 = tanh(n94) * 0.5 + q;
        let scores = matmul(n95, transpose(n95, axes = (0, 2, 1)));
        let joined = concat(n95[.., .., 0..2], n95[.., .., 1..], axis = 2);
        let picked = gather(w, ids) * one_hot(ids, depth = 3);
        let classes = mean(sparse_softmax_cross_entropy(n95, ids)) + mean(argmax(n95, axis = -1) == ids);
        let windows = sum(max_pool(conv2d(img, filt, stride = 2, padding = same), padding = same))
            + sum(avg_pool(img, padding = same));
        let cost = sum(scores) + sum(joined * joined) + sum(max(scores, axis = (1, 2))) + sum(picked) + classes + windows;
        minimize cost;
        optimizer momentum(clip_global_norm = 1.0);
        optimizer adam;
        optimizer adamw;
        optimizer rmsprop;
        optimizer adagrad;
        check_gradients;
        jvp;
        hvp;
    }
}

/// One graph per name, each with that name as its named dimension, and the bits of each
/// graph's cost and gradients on one input (they must all agree).
macro_rules! graphs_with_dimensions {
    ($($name:ident)*) => {
        /// The graphs, each in a module named after its dimension.
        pub mod dimensions {
            $(
                static_graph::graph! {
                    #[doc = concat!("The named dimension is called `", stringify!($name), "`.")]
                    pub mod $name {
                        placeholder x: [f32; $name, 3];
                        variable w: [f32; 3, 2] = 0.5;
                        variable b: [f32; 2] = 0.25;
                        let h = tanh(matmul(x, w) + b);
                        let cost = mean(h * h) + max(h) + sum(mean(h, axis = 0));
                        minimize cost;
                    }
                }
            )*
        }

        /// The bits of each dimension graph's cost and gradients, on one batch of two.
        fn dimension_fingerprints() -> ::std::vec::Vec<(u32, ::std::vec::Vec<u32>)> {
            ::std::vec![$({
                let mut p = dimensions::$name::Placeholders::<2>::default();
                p.x = ::std::boxed::Box::new([[0.5, -1.0, 2.0], [0.25, 0.0, -0.75]]);
                let (values, gradients) = dimensions::$name::backward(&p, &dimensions::$name::Variables::default());
                let bits = gradients.tensors().iter().flat_map(|(_, g)| g.iter().map(|x| x.to_bits())).collect();
                (values.cost.to_bits(), bits)
            }),*]
        }
    };
}

// Every local of the generated code as the named dimension (the list is checked complete by
// `graph-syntax/tests/hygiene_locals.rs`), and the names whose upper-case forms a generic
// parameter of the generated impls might take (`S`, `D`, ...).
graphs_with_dimensions!(
    adjoints along_i at at_i best_i block chunk col_i count element first_i gradients half high i inner_i k lane learning_rate low mid offset outer_i p row_i seed v value values workspace extreme ties a_i b_i batch_i out_i
    best id label row shift sum target total cols image_i oh_i ow_i rows x_i y_i
    accumulator_i beta1 beta2 decay epsilon gradient gradient_all mom_i momentum norm opt rate scale slot t v_i weight_decay
    above absolute below check checks derived from j numeric original p64 relative step to v64
    direction products tangents bytes shapes deserializer out serializer state map merged left right acc wins
    s d ser de
);

// Names that are a prelude variant, a generated constant, a keyword or a name that differs
// from another only in case: all ordinary names, which must just work.
static_graph::graph! {
    /// Awkward but ordinary names.
    pub mod awkward_names {
        placeholder r#type: [f32; 4];
        placeholder W1: [f32; 4];
        variable w1: [f32; 4] = 0.5;
        let None = r#type * w1;
        let Some = None + W1;
        let DOT = exp(Some);
        let GRADIENTS = DOT * 2;
        let r#match = GRADIENTS - None;
        let SELF = r#match * r#match;
        let cost = sum(SELF);
        minimize cost;
    }
}

#[test]
// The generated code stays under the file's `deny`; the test's own comparisons are exact on purpose.
#[allow(clippy::float_cmp, clippy::cast_precision_loss, clippy::field_reassign_with_default)]
fn names_like_the_generated_codes_own_compute_the_same_as_plain_names() {
    // Long loops: every let is x * (something) + x from one start, checked at one element.
    let mut p = long_locals::Placeholders::default();
    for (k, x) in p.x.iter_mut().enumerate() {
        *x = (k % 7) as f32 * 0.125;
    }
    let v = long_locals::Variables::default();
    let (values, gradients) = long_locals::backward(&p, &v);
    let mut expected = p.x[5] * 0.5 * 0.25;
    assert_eq!(values.adjoints[5], expected);
    for later in [values.along_i[5], values.at[5], values.at_i[5]] {
        expected = expected * 0.5 + p.x[5];
        assert_eq!(later, expected);
    }
    assert!(values.cost.is_finite() && gradients.w.iter().all(|g| g.is_finite()));

    let mut p = kernel_locals::Placeholders::<3>::default();
    for (k, x) in p.x.iter_mut().flatten().enumerate() {
        *x = (k % 5) as f64 * 0.25 - 0.5;
    }
    p.labels[0][1] = 1.0;
    let mut v = kernel_locals::Variables::init(7);
    let before = kernel_locals::sgd_step(&p, &mut v, 0.1);
    assert!(before.cost.is_finite());

    // Shape kernels over two named dimensions: the same bits as with plain names.
    let (p, plain) = shape_inputs();
    let (values, gradients) = shape_locals::backward(&p, &shape_locals::Variables::default());
    let (plain_values, plain_gradients) = shape_plain::backward(&plain, &shape_plain::Variables::default());
    assert_eq!(values.cost.to_bits(), plain_values.cost.to_bits());
    assert_eq!(gradients.w, plain_gradients.w);
    assert_eq!(gradients.filt, plain_gradients.filt);
    // Every optimizer's step: the same bits.
    let (mut v, mut plain_v) = (shape_locals::Variables::default(), shape_plain::Variables::default());
    let (mut adam, mut plain_adam) = (shape_locals::Adam::new(), shape_plain::Adam::new());
    let (mut momentum, mut plain_momentum) = (shape_locals::Momentum::new(), shape_plain::Momentum::new());
    let (mut rms, mut plain_rms) = (shape_locals::RmsProp::new(), shape_plain::RmsProp::new());
    let (mut adagrad, mut plain_adagrad) = (shape_locals::Adagrad::new(), shape_plain::Adagrad::new());
    let (mut adamw, mut plain_adamw) = (shape_locals::AdamW::new(), shape_plain::AdamW::new());
    for _ in 0..2 {
        let _ = shape_locals::adam_step(&p, &mut v, &mut adam);
        let _ = shape_plain::adam_step(&plain, &mut plain_v, &mut plain_adam);
        let _ = shape_locals::momentum_step(&p, &mut v, &mut momentum);
        let _ = shape_plain::momentum_step(&plain, &mut plain_v, &mut plain_momentum);
        let _ = shape_locals::rmsprop_step(&p, &mut v, &mut rms);
        let _ = shape_plain::rmsprop_step(&plain, &mut plain_v, &mut plain_rms);
        let _ = shape_locals::adagrad_step(&p, &mut v, &mut adagrad);
        let _ = shape_plain::adagrad_step(&plain, &mut plain_v, &mut plain_adagrad);
        let _ = shape_locals::adamw_step(&p, &mut v, &mut adamw);
        let _ = shape_plain::adamw_step(&plain, &mut plain_v, &mut plain_adamw);
    }
    assert_eq!((v.w, v.filt), (plain_v.w, plain_v.filt));
    assert_ne!(v.w, shape_locals::Variables::default().w, "the steps moved the weights");
    // The gradient check: the same report.
    assert_eq!(
        shape_locals::check_gradients(&p, &v),
        shape_plain::check_gradients(&plain, &plain_v)
    );
    assert!(values.cost.is_finite());

    // Every dimension name gives the same graph: the same bits.
    let all = dimension_fingerprints();
    assert!(all.iter().all(|graph| graph == &all[0]), "{all:?}");

    let mut p = awkward_names::Placeholders::default();
    p.r#type = [1.0, 2.0, 3.0, 4.0];
    p.W1 = [0.5; 4];
    let values = awkward_names::forward(&p, &awkward_names::Variables::default());
    assert_eq!(values.None, [0.5, 1.0, 1.5, 2.0]);
    assert_eq!(values.r#match[0], (1.0f32).exp() * 2.0 - 0.5);
    assert!(awkward_names::DOT.contains("GRADIENTS") && awkward_names::GRADIENTS.contains("d_DOT = d_GRADIENTS * 2"));
}

/// The same inputs for `shape_locals` and `shape_plain`.
#[allow(clippy::cast_precision_loss)]
fn shape_inputs() -> (shape_locals::Placeholders<2, 3>, shape_plain::Placeholders<2, 3>) {
    let mut p = shape_locals::Placeholders::<2, 3>::default();
    let mut plain = shape_plain::Placeholders::<2, 3>::default();
    for (k, (x, y)) in
        p.x.iter_mut()
            .flatten()
            .flatten()
            .zip(plain.x.iter_mut().flatten().flatten())
            .enumerate()
    {
        (*x, *y) = ((k % 5) as f64 * 0.25 - 0.5, (k % 5) as f64 * 0.25 - 0.5);
    }
    (p.ids[1][2], plain.ids[1][2]) = (2, 2);
    let images = p.img.iter_mut().flatten().flatten().flatten();
    for (k, (x, y)) in images
        .zip(plain.img.iter_mut().flatten().flatten().flatten())
        .enumerate()
    {
        (*x, *y) = ((k % 7) as f64 * 0.5 - 1.5, (k % 7) as f64 * 0.5 - 1.5);
    }
    (p.ids[0][1], plain.ids[0][1]) = (1, 1);
    (p, plain)
}

#[test]
#[allow(clippy::float_cmp)]
fn names_like_the_generated_codes_own_in_forward_mode_and_weights_files() {
    let (p, plain) = shape_inputs();
    let (v, plain_v) = (shape_locals::Variables::init(3), shape_plain::Variables::init(3));
    // Serialized and read back, with the generator's locals as tensor names.
    #[cfg(feature = "serde")]
    {
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<shape_locals::Variables>(&text).unwrap(), v);
        let values = shape_locals::forward(&p, &v);
        let text = serde_json::to_string(&values).unwrap();
        assert_eq!(
            serde_json::from_str::<shape_locals::Values<2, 3>>(&text).unwrap(),
            values
        );
        let mut adam = shape_locals::Adam::new();
        let _ = shape_locals::adam_step(&p, &mut v.clone(), &mut adam);
        let text = serde_json::to_string(&adam).unwrap();
        assert_eq!(serde_json::from_str::<shape_locals::Adam>(&text).unwrap(), adam);
    }
    // Weights in and out, with the generator's locals as tensor names.
    #[cfg(feature = "safetensors")]
    {
        assert_eq!(
            shape_locals::Variables::from_safetensors(&v.to_safetensors()),
            Ok(v.clone())
        );
        let mut adam = shape_locals::Adam::new();
        let _ = shape_locals::adam_step(&p, &mut v.clone(), &mut adam);
        assert_eq!(shape_locals::Adam::from_safetensors(&adam.to_safetensors()), Ok(adam));
    }
    // Forward mode and second order: the same bits.
    let direction = shape_locals::Variables::init(4);
    let plain_direction = shape_plain::Variables::init(4);
    let ((_, tangents), (_, plain_tangents)) = (
        shape_locals::jvp(&p, &v, &direction),
        shape_plain::jvp(&plain, &plain_v, &plain_direction),
    );
    assert_eq!(tangents.cost.to_bits(), plain_tangents.cost.to_bits());
    assert_eq!(tangents.scores, plain_tangents.scores);
    let (products, plain_products) = (
        shape_locals::hvp(&p, &v, &direction),
        shape_plain::hvp(&plain, &plain_v, &plain_direction),
    );
    assert_eq!((products.w, products.filt), (plain_products.w, plain_products.filt));
    assert!(tangents.cost.is_finite() && tangents.cost != 0.0, "{}", tangents.cost);
}
