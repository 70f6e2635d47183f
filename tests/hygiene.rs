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
