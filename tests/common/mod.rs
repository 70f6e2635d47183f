//! Shared test machinery: a seeded random source, the graph-core interpreter run on the same
//! source text the macro compiled, and finite differences in f64.

#![allow(dead_code)]

use graph_core::{autodiff, eval, opt, Program};
use std::collections::BTreeMap;

/// Defines `mod $case { pub mod g { .. generated .. } pub const SOURCE: &str }` from one body,
/// so a test can run the generated code and the interpreter on the same graph. Every case
/// declares `check_gradients;`, `jvp;` and `hvp;`, which [`check!`] runs too.
#[macro_export]
macro_rules! graph_case {
    ($case:ident { $($body:tt)* }) => {
        mod $case {
            static_graph::graph! { pub mod g { $($body)* check_gradients; jvp; hvp; } }
            pub const SOURCE: &str = stringify!(pub mod g { $($body)* check_gradients; jvp; hvp; });
        }
    };
}

/// Checks graph `$case` (objective field `$objective`) on four seeded random inputs drawn
/// from `[$lo, $hi)`: values and adjoints against the interpreter, `backward` and `sgd_step`
/// against `adjoints`, every adjoint against finite differences, `check_gradients`, and along
/// a random direction `jvp` against differences of `forward` and `hvp` against differences
/// of `backward`.
#[macro_export]
macro_rules! check {
    ($case:ident, $objective:ident, $lo:expr, $hi:expr) => {
        check!($case, $objective, $lo, $hi, []);
    };
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, batch = $batch:literal) => {
        check!($case, $objective, $lo, $hi, [$batch]);
    };
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, dims = [$($dim:literal),+]) => {
        check!($case, $objective, $lo, $hi, [$($dim),+]);
    };
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, [$($dim:literal),*]) => {
        check!($case, $objective, $lo, $hi, [$($dim),*], ids = []);
    };
    // `ids = [k0 < 2]`: each integer placeholder named, filled with ids below the bound given.
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, [$($dim:literal),*], ids = [$($id:ident < $bound:literal),*]) => {
        for seed in 1..=4u64 {
            use $crate::common::{assert_close, finite_differences, interpret_sized, owned, write, Rng, Tensors};
            use $case::g;
            type P = g::Placeholders<$($dim),*>;
            type V = g::Variables;
            let named: &[usize] = &[$($dim),*];
            let context = format!("{} (seed {seed}, named dimensions {named:?})", stringify!($case));
            let mut rng = Rng::new(seed);
            let mut p = P::default();
            let mut v = V::default();
            for (_, t) in p.tensors_mut() {
                rng.fill(t, $lo, $hi);
            }
            for (_, t) in v.tensors_mut() {
                rng.fill(t, $lo, $hi);
            }
            let inputs: Tensors = [owned(p.tensors()), owned(v.tensors())].concat();
            #[allow(unused_mut)]
            let mut ids: Tensors = Vec::new();
            $(
                for slot in p.$id.iter_mut() {
                    *slot = (rng.uniform(0.0, $bound as f64) as usize).min($bound - 1) as _;
                }
                ids.push((stringify!($id).to_owned(), p.$id.iter().map(|&id| id as f64).collect()));
            )*

            let expected = interpret_sized($case::SOURCE, &[inputs.clone(), ids].concat(), named);
            let values = owned(g::forward(&p, &v).tensors());
            for (name, got) in &values {
                assert_close(&format!("{context}: value of `{name}`"), got, &expected.values[name], 1e-12);
            }
            let adjoints = owned(g::adjoints(&p, &v).tensors());
            for (name, got) in &adjoints {
                assert_close(&format!("{context}: adjoint of `{name}`"), got, &expected.adjoints[name], 1e-10);
            }

            let (backward_values, gradients) = g::backward(&p, &v);
            assert_eq!(owned(backward_values.tensors()), values, "{context}: backward's values");
            for (name, got) in owned(gradients.tensors()) {
                let want = &adjoints.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_close(&format!("{context}: gradient of `{name}`"), &got, want, 1e-12);
            }

            let mut stepped = v.clone();
            let before = g::sgd_step(&p, &mut stepped, 0.25);
            assert_eq!(owned(before.tensors()), values, "{context}: sgd_step returns the values before the step");
            for ((name, new), (_, old)) in owned(stepped.tensors()).iter().zip(owned(v.tensors())) {
                let grad = &adjoints.iter().find(|(n, _)| n == name).unwrap().1;
                let want: Vec<f64> = old.iter().zip(grad).map(|(o, g)| o - 0.25 * g).collect();
                assert_close(&format!("{context}: `{name}` after sgd_step"), new, &want, 1e-12);
            }

            let numeric = finite_differences(&inputs, |moved| {
                // The ids stay as drawn; only the floats move.
                let mut p = p.clone();
                let mut v = V::default();
                write(p.tensors_mut(), moved);
                write(v.tensors_mut(), moved);
                g::forward(&p, &v).$objective
            });
            for (name, want) in &numeric {
                let got = &adjoints.iter().find(|(n, _)| n == name).unwrap().1;
                assert_close(&format!("{context}: d objective / d `{name}` vs finite differences"), got, want, 1e-6);
            }
            // The check users call agrees.
            let report = g::check_gradients(&p, &v);
            assert!(report.worst_relative() < 1e-6, "{context}: check_gradients: {report:?}");

            // Forward mode and second order, along a random direction.
            let mut direction = V::default();
            for (_, t) in direction.tensors_mut() {
                rng.fill(t, -1.0, 1.0);
            }
            $crate::common::check_second_order(
                &context,
                |s| {
                    let mut moved = v.clone();
                    for ((_, m), (_, d)) in moved.tensors_mut().into_iter().zip(direction.tensors()) {
                        for (m, d) in m.iter_mut().zip(d) {
                            *m += s * d;
                        }
                    }
                    (owned(g::forward(&p, &moved).tensors()), owned(g::backward(&p, &moved).1.tensors()))
                },
                {
                    let (jvp_values, tangents) = g::jvp(&p, &v, &direction);
                    assert_eq!(owned(jvp_values.tensors()), values, "{context}: jvp's values");
                    owned(tangents.tensors())
                },
                owned(g::hvp(&p, &v, &direction).tensors()),
            );
        }
    };
}

/// `tangents` (from `jvp`) and `products` (from `hvp`) against central differences along the
/// direction: `at(s)` is every `let`'s value and every gradient at the variables moved by `s`
/// times the direction.
pub fn check_second_order(context: &str, at: impl Fn(f64) -> (Tensors, Tensors), tangents: Tensors, products: Tensors) {
    let h = 1e-6;
    let ((values_above, gradients_above), (values_below, gradients_below)) = (at(h), at(-h));
    let difference = |above: &Tensors, below: &Tensors, k: usize| -> Vec<f64> {
        above[k]
            .1
            .iter()
            .zip(&below[k].1)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect()
    };
    for (k, (name, got)) in tangents.iter().enumerate() {
        let want = difference(&values_above, &values_below, k);
        assert_close(
            &format!("{context}: jvp's tangent of `{name}` vs finite differences"),
            got,
            &want,
            1e-6,
        );
    }
    for (k, (name, got)) in products.iter().enumerate() {
        let want = difference(&gradients_above, &gradients_below, k);
        assert_close(
            &format!("{context}: hvp for `{name}` vs finite differences of backward"),
            got,
            &want,
            1e-6,
        );
    }
}

/// Each of `got` within 1e-9 of `want`, relative to `want` (or to 1e-3 for smaller values):
/// agreement with a reference computed in f64 by another system (JAX).
pub fn assert_relative(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let error = (g - w).abs() / w.abs().max(1e-3);
        assert!(
            error < 1e-9,
            "{what}[{i}]: got {g}, reference {w} (relative error {error:e})"
        );
    }
}

/// Each of `got` within 1e-5 of the largest entry of `want`: agreement to float32 rounding
/// with a reference computed in float32 by another system (JAX).
pub fn assert_f32(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let largest = want.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let error = (g - w).abs() / largest;
        assert!(
            error < 1e-5,
            "{what}[{i}]: got {g}, reference {w} (error {error:e} of the largest entry)"
        );
    }
}

/// Named flat tensors, as `tensors()` gives them, owned.
pub type Tensors = Vec<(String, Vec<f64>)>;

/// Copies `tensors()` output into owned vectors.
pub fn owned<const N: usize>(tensors: [(&'static str, &[f64]); N]) -> Tensors {
    tensors.iter().map(|(n, s)| ((*n).to_owned(), s.to_vec())).collect()
}

/// xorshift64*: a small deterministic generator, so every failure reproduces from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        lo + (hi - lo) * (bits as f64 / (1u64 << 53) as f64)
    }

    pub fn fill(&mut self, values: &mut [f64], lo: f64, hi: f64) {
        for v in values {
            *v = self.uniform(lo, hi);
        }
    }
}

/// What the interpreter says: the value of every `let` and the adjoint of every name.
pub struct Interpreted {
    pub values: BTreeMap<String, Vec<f64>>,
    pub adjoints: BTreeMap<String, Vec<f64>>,
}

/// Parses `source` with the macro's own front end, differentiates it, and evaluates the
/// graph with the interpreter. It also runs every optimisation pass the macro runs (before
/// differentiation, after it, and for emission) and checks that the optimised graph means
/// the same: every value and adjoint within 1e-12.
pub fn interpret(source: &str, inputs: &Tensors) -> Interpreted {
    interpret_batch(source, inputs, 1)
}

/// [`interpret`] with the (first) named dimension equal to `batch`.
pub fn interpret_batch(source: &str, inputs: &Tensors, batch: usize) -> Interpreted {
    interpret_sized(source, inputs, &[batch])
}

/// [`interpret`] with the named dimensions of sizes `named`, in order of first appearance.
pub fn interpret_sized(source: &str, inputs: &Tensors, named: &[usize]) -> Interpreted {
    let tokens: proc_macro2::TokenStream = source.parse().expect("the source re-lexes");
    let mut program = graph_syntax::program(tokens).expect("the source lowers");
    let mut optimised = program.clone();
    autodiff::differentiate(&mut program).expect("the graph differentiates");
    let plain = run(&program, inputs, named);

    let mut passes = opt::Passes::new("test");
    passes.before_autodiff(&mut optimised).expect("the passes run");
    autodiff::differentiate(&mut optimised).expect("the optimised graph differentiates");
    passes.after_autodiff(&mut optimised).expect("the passes run");
    passes.for_emission(&mut optimised).expect("the passes run");
    let after = run(&optimised, inputs, named);
    for (name, a) in &plain.values {
        assert_close(
            &format!("value of `{name}` after the passes"),
            &after.values[name],
            a,
            1e-12,
        );
    }
    for (name, a) in &plain.adjoints {
        assert_close(
            &format!("adjoint of `{name}` after the passes"),
            &after.adjoints[name],
            a,
            1e-12,
        );
    }
    plain
}

fn run(program: &Program, inputs: &Tensors, named: &[usize]) -> Interpreted {
    let by_node: BTreeMap<_, _> = program
        .placeholders
        .iter()
        .chain(&program.variables)
        .map(|d| {
            (
                d.node,
                inputs
                    .iter()
                    .find(|(n, _)| *n == d.name)
                    .expect("every leaf is fed")
                    .1
                    .clone(),
            )
        })
        .collect();
    let values = eval::evaluate(&program.graph, named, |id| by_node[&id].clone()).expect("inputs fit");
    let lets = program
        .lets
        .iter()
        .map(|d| (d.name.clone(), values[&d.node].clone()))
        .collect();
    let adjoints = program
        .decls()
        .map(|d| {
            let value = match program.adjoints.get(&d.node) {
                Some(adjoint) => values[adjoint].clone(),
                None => vec![0.0; program.graph.shape(d.node).size().eval(named)],
            };
            (d.name.clone(), value)
        })
        .collect();
    Interpreted { values: lets, adjoints }
}

/// Asserts `got` matches `want` elementwise: |got - want| <= tol * max(1, |want|).
/// NaNs must match NaNs, infinities must match exactly.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() || g.is_nan() {
            w.is_nan() && g.is_nan()
        } else if w.is_infinite() || g.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= tol * w.abs().max(1.0)
        };
        assert!(
            ok,
            "{what}[{i}]: got {g}, want {w} (tolerance {tol})\n got:  {got:?}\n want: {want:?}"
        );
    }
}

/// Central finite differences of `f` at `inputs`, in f64: d f / d every input element.
pub fn finite_differences(inputs: &Tensors, f: impl Fn(&Tensors) -> f64) -> Tensors {
    let h = 1e-6;
    inputs
        .iter()
        .enumerate()
        .map(|(k, (name, values))| {
            let grads = (0..values.len())
                .map(|j| {
                    let at = |delta: f64| {
                        let mut moved = inputs.clone();
                        moved[k].1[j] += delta;
                        f(&moved)
                    };
                    (at(h) - at(-h)) / (2.0 * h)
                })
                .collect();
            (name.clone(), grads)
        })
        .collect()
}

/// Writes named tensors back into a struct through its `tensors_mut()`.
pub fn write<const N: usize>(target: [(&'static str, &mut [f64]); N], source: &Tensors) {
    for (name, slot) in target {
        let (_, values) = source.iter().find(|(n, _)| n == name).expect("same fields");
        slot.copy_from_slice(values);
    }
}
