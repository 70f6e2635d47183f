//! What a graph needs of the platform, as `graph!` expands it for a facade built without
//! `std` (`[alloc]`) or without `alloc` (`[core]`): a tensor too large to live inline is an
//! error without a heap, at the tokens that make it; `check_gradients` needs `std`; and the
//! generated code of a `#![no_std]` build reaches no `std` path and calls the runtime's math.
//! (`tests/no_std.rs` builds and trains a `#![no_std]` crate for real.)

use graph_core::Platform;
use quote::quote;

fn expand(platform: Platform, source: &str) -> String {
    graph_syntax::expand_on(&quote!(::static_graph), platform, source.parse().unwrap()).to_string()
}

const LARGE: &str = "pub mod large { placeholder x: [f32; 64, 784]; variable w: [f32; 784, 10];
    let cost = mean(matmul(x, w)); minimize cost; }";

const BATCHED: &str = "pub mod batched { placeholder x: [f32; batch, 4]; variable w: [f32; 4, 2];
    let cost = mean(tanh(matmul(x, w))); minimize cost; }";

#[test]
fn without_a_heap_a_tensor_std_would_box_is_an_error() {
    for source in [LARGE, BATCHED] {
        let text = expand(Platform::Core, source);
        assert!(text.contains("compile_error"), "{text}");
        assert!(text.contains("without a heap"), "{text}");
        assert!(text.contains("enable static-graph's `alloc` feature"), "{text}");
        // With a heap, the same graphs compile, boxed by the runtime's `Box` (no `std` path).
        let text = expand(Platform::Alloc, source);
        assert!(!text.contains("compile_error"), "{text}");
        assert!(text.contains(":: __private :: Box <"), "{text}");
        assert!(!text.contains(":: std ::"), "{text}");
    }
}

#[test]
fn without_std_the_float_functions_are_the_runtimes() {
    let seed = "pub mod seed { placeholder x: [f64; 5]; variable w: [f64; 5];
        let y = softmax(x * w); let cost = mean(sqrt(y * y + 1)); minimize cost; }";
    let core = expand(Platform::Core, seed);
    assert!(!core.contains("compile_error") && !core.contains(":: std ::"), "{core}");
    assert!(core.contains("__private :: math :: f64 :: exp"), "{core}");
    assert!(core.contains("__private :: math :: f64 :: sqrt"), "{core}");
    let with_std = expand(Platform::Std, seed);
    assert!(with_std.contains(":: core :: primitive :: f64 :: exp"), "{with_std}");
    assert!(!with_std.contains("__private :: math"), "{with_std}");
}

#[test]
fn check_gradients_needs_std() {
    let checked = "pub mod checked { placeholder x: [f64; 3]; variable w: [f64; 3];
        let cost = sum(x * w); minimize cost; check_gradients; }";
    for platform in [Platform::Alloc, Platform::Core] {
        let text = expand(platform, checked);
        assert!(
            text.contains("`check_gradients` needs static-graph's `std` feature"),
            "{text}"
        );
    }
    assert!(!expand(Platform::Std, checked).contains("compile_error"));
}
