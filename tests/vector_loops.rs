//! Long f32 loops run in blocks that the compiler vectorises, with the runtime's polynomial
//! `exp` and `tanh` (libm's in the tails and in short loops), on AVX-512, AVX2 or the baseline
//! as the CPU allows. Here the same graph in f32 and in f64 (libm throughout) must agree to
//! f32 accuracy in every value and gradient, at lengths that leave a tail and that do not.

use static_graph::graph;

/// The graph under test, as module `$name` over float type `$float`.
macro_rules! graph_in {
    ($name:ident, $float:ident) => {
        graph! {
            /// The graph under test.
            pub mod $name {
                placeholder x: [$float; batch, 100];
                placeholder t: [$float; batch, 100];
                variable w: [$float; 100];
                variable b: [$float; 100];
                let z = x * w + b;
                let y = softmax(z);
                let h = tanh(z) + sigmoid(z) + exp(0.5 * z);
                let cost = mean(pow(y - t, 2)) + mean(h * x) + max(z) * 0.01;
                minimize cost;
            }
        }
    };
}

graph_in!(single, f32);
graph_in!(double, f64);

/// Each element of `got` within f32 accuracy of `want`: relative 1e-5, and absolute 1e-5 of
/// the largest element (a gradient summed over the batch cancels to small elements).
fn assert_agrees(what: &str, got: &[f32], want: &[f64]) {
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let error = (f64::from(g) - w).abs();
        assert!(
            error <= 1e-5 * (w.abs() + scale),
            "{what}[{k}]: {g} vs {w} (scale {scale})"
        );
    }
}

fn agree<const BATCH: usize>() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = |lo: f64, hi: f64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p64 = double::Placeholders::<BATCH>::default();
    let mut v64 = double::Variables::default();
    for row in p64.x.iter_mut().chain(p64.t.iter_mut()) {
        row.iter_mut().for_each(|e| *e = uniform(-2.0, 2.0));
    }
    v64.w
        .iter_mut()
        .chain(v64.b.iter_mut())
        .for_each(|e| *e = uniform(-2.0, 2.0));
    // The f32 inputs are the f64 ones rounded; the f64 graph then runs on exactly those.
    let round = |x: &f64| *x as f32;
    let mut p32 = single::Placeholders::<BATCH>::default();
    let mut v32 = single::Variables::default();
    for (a, b) in p32
        .x
        .iter_mut()
        .zip(p64.x.iter())
        .chain(p32.t.iter_mut().zip(p64.t.iter()))
    {
        *a = b.map(|e| round(&e));
    }
    v32.w = v64.w.map(|e| round(&e));
    v32.b = v64.b.map(|e| round(&e));
    let widen = |row: &[f32; 100]| row.map(f64::from);
    for (a, b) in p64
        .x
        .iter_mut()
        .zip(p32.x.iter())
        .chain(p64.t.iter_mut().zip(p32.t.iter()))
    {
        *a = widen(b);
    }
    v64.w = widen(&v32.w);
    v64.b = widen(&v32.b);

    let (values32, gradients32) = single::backward(&p32, &v32);
    let (values64, gradients64) = double::backward(&p64, &v64);
    let context = format!("batch {BATCH}");
    assert_agrees(
        &format!("{context}: y"),
        values32.y.as_flattened(),
        values64.y.as_flattened(),
    );
    assert_agrees(
        &format!("{context}: h"),
        values32.h.as_flattened(),
        values64.h.as_flattened(),
    );
    assert_agrees(&format!("{context}: cost"), &[values32.cost], &[values64.cost]);
    assert_agrees(&format!("{context}: d w"), &gradients32.w, &gradients64.w);
    assert_agrees(&format!("{context}: d b"), &gradients32.b, &gradients64.b);
}

#[test]
fn f32_blocks_with_the_runtime_exp_and_tanh_agree_with_f64() {
    agree::<1>(); // 100 elements: one block of 64 and a tail of 36
    agree::<16>(); // 1,600: 25 whole blocks
    agree::<37>(); // 3,700: 57 blocks and a tail of 52
    agree::<3000>(); // 300,000: chunks over the pool, the last with blocks and a tail
}
