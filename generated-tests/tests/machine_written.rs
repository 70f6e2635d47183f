//! Graphs written by programs are a normal use: a sum of 3,000 terms (written by this
//! crate's `build.rs`) compiles, rustc included, and computes what the same sum computes in
//! Rust. Nesting past `graph_syntax::MAX_NESTING` is a clear error, and neither a long
//! sum nor deep nesting can exhaust the macro's stack (checked in-process, on a thread
//! smaller than rustc's).

include!(concat!(env!("OUT_DIR"), "/long_sum.rs"));

use proc_macro2::TokenStream;

#[test]
fn a_sum_of_three_thousand_terms_compiles_and_computes_the_sum() {
    let p = long::Placeholders {
        x: [0.5, -1.25, 2.0, 3.0],
    };
    let v = long::Variables {
        w: [1.5, 0.75, -0.5, 0.125],
    };
    let (values, gradients) = long::backward(&p, &v);
    // The same sum, left to right, in Rust: (x * w) * k, signs alternating.
    let signed = |k: usize| if k.is_multiple_of(2) { -(k as f64) } else { k as f64 };
    for i in 0..4 {
        let xw = p.x[i] * v.w[i];
        let expected = (1..=TERMS).fold(0.0, |s, k| {
            if k == 1 {
                xw
            } else {
                s + signed(k) * xw.abs() * xw.signum()
            }
        });
        assert!(
            (values.s[i] - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "s[{i}]"
        );
        // d cost / d w = x * (1 - 2 + 3 - ... - 3000) = x * -1500.
        let slope: f64 = (1..=TERMS).map(signed).sum();
        assert_eq!(slope, -1500.0);
        assert!((gradients.w[i] - p.x[i] * slope).abs() <= 1e-9 * (p.x[i] * slope).abs());
    }
}

/// Expands `source` on a thread of 2 MiB, a quarter of rustc's.
fn expand_on_a_small_stack(source: String) -> Result<String, String> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let tokens: TokenStream = source.parse().unwrap();
            graph_syntax::try_expand(tokens)
                .map(|t| t.to_string())
                .map_err(|e| e.to_string())
        })
        .unwrap()
        .join()
        .unwrap()
}

fn graph_with(expression: &str) -> String {
    format!(
        "mod m {{ placeholder x: [f32; 4]; variable w: [f32; 4]; let y = {expression}; let c = sum(y); minimize c; }}"
    )
}

#[test]
fn long_sums_expand_on_a_small_stack() {
    let sum: Vec<String> = (0..5_000).map(|k| format!("x * w * {}", k % 7 + 1)).collect();
    let expanded = expand_on_a_small_stack(graph_with(&sum.join(" + ")));
    assert!(expanded.is_ok(), "{:?}", expanded.err());
}

#[test]
fn deep_nesting_is_an_error_that_says_so() {
    let parens = format!("{}x * w{}", "(".repeat(20_000), ")".repeat(20_000));
    let minuses = format!("{}x * w", "-".repeat(100_000));
    let calls = format!("{}x * w{}", "exp(".repeat(200), ")".repeat(200));
    for expression in [parens, minuses, calls] {
        let error = expand_on_a_small_stack(graph_with(&expression)).unwrap_err();
        assert!(error.contains("levels deep"), "{error}");
    }
    // Up to the limit, nesting is fine.
    let depth = graph_syntax::MAX_NESTING - 1;
    let deep = format!("{}x * w{}", "(".repeat(depth), ")".repeat(depth));
    assert!(expand_on_a_small_stack(graph_with(&deep)).is_ok());
}
