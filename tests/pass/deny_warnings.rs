//! The generated code compiles without a warning in a crate that denies them, and without
//! the names a user crate might shadow (`core`, `std`, `Option`, `Vec`, `f32`...).
#![deny(warnings, missing_docs)]

use static_graph::graph;

#[allow(dead_code, non_camel_case_types)]
mod shadows {
    pub struct Vec;
    pub struct Option;
    pub struct Default;
    pub mod core {}
    pub mod std {}
}
#[allow(unused_imports)]
use shadows::*;

graph! {
    /// The seed network.
    pub mod softmax_net {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];
        variable s: f32 = 1;
        let logits = multiply(x, w) * s;
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);
        let inputs = x;
        let weights = w;
        let scale = s;
        minimize cost;
        optimizer adam(clip_global_norm = 1.0);
        optimizer momentum(nesterov = true);
        jvp;
        hvp;
    }
}

fn main() {
    let p = softmax_net::Placeholders::default();
    let mut v = softmax_net::Variables::default();
    softmax_net::sgd_step(&p, &mut v, 0.5);
    let mut adam = softmax_net::Adam::new();
    let _ = softmax_net::adam_step(&p, &mut v, &mut adam);
    let _ = softmax_net::momentum_step(&p, &mut v, &mut softmax_net::Momentum::default());
    let _ = softmax_net::DOT;
}
