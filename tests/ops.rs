//! The elementwise ops, comparisons, `select`, `clip` and `stop_gradient`: values and
//! gradients against JAX in float64 (`tools/ops_reference.py`) to 1e-9 relative, and
//! TensorFlow's conventions at kinks and ties, exactly.

mod common;

use common::{assert_f32, assert_relative};

/// JAX's numbers (a value near ln 2 is JAX's `log1p`, not the constant).
#[allow(clippy::approx_constant)]
mod reference {
    include!("reference/ops.rs");
}
use reference::*;

/// Each op on its own copy of the inputs, so each copy's adjoint is that op's gradient: module
/// `$name` in float type `$float`.
macro_rules! every_op {
    ($name:ident, $float:ident) => {
        static_graph::graph! {
            /// Each op on its own copy of the inputs, so each copy's adjoint is that op's gradient.
            pub mod $name {
                placeholder w: [$float; 9];
                placeholder x_abs: [$float; 9];
                placeholder x_square: [$float; 9];
                placeholder x_softplus: [$float; 9];
                placeholder x_leaky_relu: [$float; 9];
                placeholder x_leaky_relu_alpha: [$float; 9];
                placeholder x_elu: [$float; 9];
                placeholder x_gelu: [$float; 9];
                placeholder x_silu: [$float; 9];
                placeholder x_log1p: [$float; 9];
                placeholder x_expm1: [$float; 9];
                placeholder x_sin: [$float; 9];
                placeholder x_cos: [$float; 9];
                placeholder x_rsqrt: [$float; 9];
                placeholder x_erf: [$float; 9];
                placeholder x_clip: [$float; 9];
                placeholder a_maximum: [$float; 9];
                placeholder b_maximum: [$float; 9];
                placeholder a_minimum: [$float; 9];
                placeholder b_minimum: [$float; 9];
                placeholder a_select: [$float; 9];
                placeholder b_select: [$float; 9];
                placeholder x_logsumexp: [$float; 9];
                placeholder x_logsumexp_rows: [$float; 9];
                variable scale: $float = 1.0;
                let abs_ = abs(x_abs);
                let square_ = square(x_square);
                let softplus_ = softplus(x_softplus);
                let leaky_relu_ = leaky_relu(x_leaky_relu);
                let leaky_relu_alpha_ = leaky_relu(x_leaky_relu_alpha, alpha = 0.05);
                let elu_ = elu(x_elu);
                let gelu_ = gelu(x_gelu);
                let silu_ = silu(x_silu);
                let log1p_ = log1p(x_log1p * x_log1p);
                let expm1_ = expm1(x_expm1);
                let sin_ = sin(x_sin);
                let cos_ = cos(x_cos);
                let rsqrt_ = rsqrt(x_rsqrt * x_rsqrt + 0.5);
                let erf_ = erf(x_erf);
                let clip_ = clip(x_clip, -1, 1.5);
                let maximum_ = maximum(a_maximum, b_maximum);
                let minimum_ = minimum(a_minimum, b_minimum);
                let select_ = select(a_select > b_select, a_select * 2, b_select);
                let logsumexp_ = logsumexp(x_logsumexp);
                let logsumexp_rows_ = logsumexp(reshape(x_logsumexp_rows, [3, 3]), axis = 1);
                let cost = scale * (sum(abs_ * w) + sum(square_ * w) + sum(softplus_ * w) + sum(leaky_relu_ * w)
                    + sum(leaky_relu_alpha_ * w) + sum(elu_ * w) + sum(gelu_ * w) + sum(silu_ * w) + sum(log1p_ * w)
                    + sum(expm1_ * w) + sum(sin_ * w) + sum(cos_ * w) + sum(rsqrt_ * w) + sum(erf_ * w) + sum(clip_ * w)
                    + sum(maximum_ * w) + sum(minimum_ * w) + sum(select_ * w)
                    + logsumexp_ * w[0] + sum(logsumexp_rows_ * w[..3]));
                minimize cost;
            }
        }
    };
}

every_op!(every, f64);
every_op!(every32, f32);

/// An op's name, value and JAX's, gradient and JAX's, in f32.
type Single32<'a> = (&'a str, &'a [f32], &'a [f32], &'a [f32], &'a [f32]);

/// An op's name, value and JAX's, gradient and JAX's.
type Single<'a> = (&'a str, &'a [f64], &'a [f64], &'a [f64], &'a [f64]);

/// An op's name, value and JAX's, gradients and JAX's.
type Pair<'a, F = f64> = (&'a str, &'a [F], &'a [F], [&'a [F]; 2], [&'a [F]; 2]);

#[test]
fn in_f32_values_and_gradients_match_jax_to_f32_rounding() {
    let mut p = every32::Placeholders {
        w: WEIGHTS.map(|w| w as f32),
        ..Default::default()
    };
    for (name, t) in p.tensors_mut() {
        if name.starts_with("x_") {
            t.copy_from_slice(&X.map(|x| x as f32));
        }
    }
    let v = every32::Variables::default();
    let values = every32::forward(&p, &v);
    let adjoints = every32::adjoints(&p, &v);
    let checks: [Single32; 15] = [
        ("abs", &values.abs_, &ABS_F32, &adjoints.x_abs, &D_ABS_F32),
        (
            "square",
            &values.square_,
            &SQUARE_F32,
            &adjoints.x_square,
            &D_SQUARE_F32,
        ),
        (
            "softplus",
            &values.softplus_,
            &SOFTPLUS_F32,
            &adjoints.x_softplus,
            &D_SOFTPLUS_F32,
        ),
        (
            "leaky_relu",
            &values.leaky_relu_,
            &LEAKY_RELU_F32,
            &adjoints.x_leaky_relu,
            &D_LEAKY_RELU_F32,
        ),
        (
            "leaky_relu alpha",
            &values.leaky_relu_alpha_,
            &LEAKY_RELU_ALPHA_F32,
            &adjoints.x_leaky_relu_alpha,
            &D_LEAKY_RELU_ALPHA_F32,
        ),
        ("elu", &values.elu_, &ELU_F32, &adjoints.x_elu, &D_ELU_F32),
        ("gelu", &values.gelu_, &GELU_F32, &adjoints.x_gelu, &D_GELU_F32),
        ("silu", &values.silu_, &SILU_F32, &adjoints.x_silu, &D_SILU_F32),
        ("log1p", &values.log1p_, &LOG1P_F32, &adjoints.x_log1p, &D_LOG1P_F32),
        ("expm1", &values.expm1_, &EXPM1_F32, &adjoints.x_expm1, &D_EXPM1_F32),
        ("sin", &values.sin_, &SIN_F32, &adjoints.x_sin, &D_SIN_F32),
        ("cos", &values.cos_, &COS_F32, &adjoints.x_cos, &D_COS_F32),
        ("rsqrt", &values.rsqrt_, &RSQRT_F32, &adjoints.x_rsqrt, &D_RSQRT_F32),
        ("erf", &values.erf_, &ERF_F32, &adjoints.x_erf, &D_ERF_F32),
        ("clip", &values.clip_, &CLIP_F32, &adjoints.x_clip, &D_CLIP_F32),
    ];
    for (name, value, want_value, gradient, want_gradient) in checks {
        assert_f32(name, value, want_value);
        assert_f32(&format!("d {name}"), gradient, want_gradient);
    }
    // The two-operand ops and logsumexp, on their own inputs.
    let mut p = every32::Placeholders {
        w: WEIGHTS.map(|w| w as f32),
        ..Default::default()
    };
    for (name, t) in p.tensors_mut() {
        if name.starts_with("a_") || name == "x_logsumexp" {
            t.copy_from_slice(&X.map(|x| x as f32));
        } else if name.starts_with("b_") {
            t.copy_from_slice(&Y.map(|y| y as f32));
        }
    }
    let values = every32::forward(&p, &v);
    let adjoints = every32::adjoints(&p, &v);
    let pairs: [Pair<f32>; 3] = [
        (
            "maximum",
            &values.maximum_,
            &MAXIMUM_F32,
            [&adjoints.a_maximum, &adjoints.b_maximum],
            [&D_MAXIMUM_A_F32, &D_MAXIMUM_B_F32],
        ),
        (
            "minimum",
            &values.minimum_,
            &MINIMUM_F32,
            [&adjoints.a_minimum, &adjoints.b_minimum],
            [&D_MINIMUM_A_F32, &D_MINIMUM_B_F32],
        ),
        (
            "select",
            &values.select_,
            &SELECT_F32,
            [&adjoints.a_select, &adjoints.b_select],
            [&D_SELECT_A_F32, &D_SELECT_B_F32],
        ),
    ];
    for (name, value, want_value, gradients, want_gradients) in pairs {
        assert_f32(name, value, want_value);
        assert_f32(&format!("d {name} / d a"), gradients[0], want_gradients[0]);
        assert_f32(&format!("d {name} / d b"), gradients[1], want_gradients[1]);
    }
    assert_f32("logsumexp", &[values.logsumexp_], &LOGSUMEXP_F32);
    assert_f32("d logsumexp", &adjoints.x_logsumexp, &D_LOGSUMEXP_F32);
}

#[test]
fn values_and_gradients_match_jax() {
    let mut p = every::Placeholders {
        w: WEIGHTS,
        ..Default::default()
    };
    for (name, t) in p.tensors_mut() {
        if name.starts_with("x_") || name.starts_with("a_") {
            t.copy_from_slice(&X);
        } else if name.starts_with("b_") {
            t.copy_from_slice(&Y);
        }
    }
    let v = every::Variables::default();
    let values = every::forward(&p, &v);
    let adjoints = every::adjoints(&p, &v);
    let checks: [Single; 15] = [
        ("abs", &values.abs_, &ABS, &adjoints.x_abs, &D_ABS),
        ("square", &values.square_, &SQUARE, &adjoints.x_square, &D_SQUARE),
        (
            "softplus",
            &values.softplus_,
            &SOFTPLUS,
            &adjoints.x_softplus,
            &D_SOFTPLUS,
        ),
        (
            "leaky_relu",
            &values.leaky_relu_,
            &LEAKY_RELU,
            &adjoints.x_leaky_relu,
            &D_LEAKY_RELU,
        ),
        (
            "leaky_relu alpha",
            &values.leaky_relu_alpha_,
            &LEAKY_RELU_ALPHA,
            &adjoints.x_leaky_relu_alpha,
            &D_LEAKY_RELU_ALPHA,
        ),
        ("elu", &values.elu_, &ELU, &adjoints.x_elu, &D_ELU),
        ("gelu", &values.gelu_, &GELU, &adjoints.x_gelu, &D_GELU),
        ("silu", &values.silu_, &SILU, &adjoints.x_silu, &D_SILU),
        ("log1p", &values.log1p_, &LOG1P, &adjoints.x_log1p, &D_LOG1P),
        ("expm1", &values.expm1_, &EXPM1, &adjoints.x_expm1, &D_EXPM1),
        ("sin", &values.sin_, &SIN, &adjoints.x_sin, &D_SIN),
        ("cos", &values.cos_, &COS, &adjoints.x_cos, &D_COS),
        ("rsqrt", &values.rsqrt_, &RSQRT, &adjoints.x_rsqrt, &D_RSQRT),
        ("erf", &values.erf_, &ERF, &adjoints.x_erf, &D_ERF),
        ("clip", &values.clip_, &CLIP, &adjoints.x_clip, &D_CLIP),
    ];
    for (name, value, want_value, gradient, want_gradient) in checks {
        assert_relative(name, value, want_value);
        assert_relative(&format!("d {name}"), gradient, want_gradient);
    }
    let pairs: [Pair; 3] = [
        (
            "maximum",
            &values.maximum_,
            &MAXIMUM,
            [&adjoints.a_maximum, &adjoints.b_maximum],
            [&D_MAXIMUM_A, &D_MAXIMUM_B],
        ),
        (
            "minimum",
            &values.minimum_,
            &MINIMUM,
            [&adjoints.a_minimum, &adjoints.b_minimum],
            [&D_MINIMUM_A, &D_MINIMUM_B],
        ),
        (
            "select",
            &values.select_,
            &SELECT,
            [&adjoints.a_select, &adjoints.b_select],
            [&D_SELECT_A, &D_SELECT_B],
        ),
    ];
    assert_relative("logsumexp", &[values.logsumexp_], &LOGSUMEXP);
    assert_relative("d logsumexp", &adjoints.x_logsumexp, &D_LOGSUMEXP);
    assert_relative("logsumexp rows", &values.logsumexp_rows_, &LOGSUMEXP_ROWS);
    assert_relative("d logsumexp rows", &adjoints.x_logsumexp_rows, &D_LOGSUMEXP_ROWS);
    for (name, value, want_value, gradients, want_gradients) in pairs {
        assert_relative(name, value, want_value);
        assert_relative(&format!("d {name} / d a"), gradients[0], want_gradients[0]);
        assert_relative(&format!("d {name} / d b"), gradients[1], want_gradients[1]);
    }
}

static_graph::graph! {
    /// The kinks and ties, where TensorFlow's conventions decide the gradient.
    pub mod kinks {
        placeholder x: [f64; 3];
        placeholder y: [f64; 3];
        variable scale: f64 = 1.0;
        let cost = scale * (sum(abs(x)) + sum(relu(x)) + sum(leaky_relu(x, alpha = 0.3))
            + sum(maximum(x, y)) + 2 * sum(minimum(x, y)) + 4 * sum(clip(x, 0, 1)) + 8 * sum(sign(x)));
        minimize cost;
    }
}

#[test]
fn kinks_and_ties_follow_tensorflow() {
    // x = [0, 1, -1], y = [0, 1, 2]: x is at the kink of abs, relu and leaky_relu (0), ties
    // y at 0 and 1, and sits on both bounds of clip(x, 0, 1).
    let p = kinks::Placeholders {
        x: [0.0, 1.0, -1.0],
        y: [0.0, 1.0, 2.0],
    };
    let d = kinks::adjoints(&p, &kinks::Variables::default());
    // abs: 0 at 0; relu: 0 at 0; leaky_relu: alpha at 0; maximum and minimum: the first
    // operand takes a tie; clip: 1 on the bounds; sign: no gradient.
    let abs = [0.0, 1.0, -1.0];
    let relu = [0.0, 1.0, 0.0];
    let leaky = [0.3, 1.0, 0.3];
    let maximum = [1.0, 1.0, 0.0];
    let minimum = [2.0, 2.0, 2.0];
    let clip = [4.0, 4.0, 0.0];
    let want: Vec<f64> = (0..3)
        .map(|i| abs[i] + relu[i] + leaky[i] + maximum[i] + minimum[i] + clip[i])
        .collect();
    for (got, want) in d.x.iter().zip(&want) {
        // The terms are summed in the graph's order, not this one's.
        assert!((got - want).abs() < 1e-12, "{:?} against {want:?}", d.x);
    }
    // y takes the gradient of maximum and minimum only where x does not.
    assert_eq!(d.y, [0.0, 0.0, 1.0]);
}

static_graph::graph! {
    /// `stop_gradient` passes the value and stops the gradient; comparisons give masks.
    pub mod stops {
        placeholder x: [f64; 4];
        variable w: [f64; 4] = 0.5;
        let frozen = stop_gradient(w * w);
        let masks = (x < w) + 2 * (x <= w) + 4 * (x > w) + 8 * (x >= w) + 16 * (x == w) + 32 * (x != w);
        let cost = sum(frozen * w) + sum(masks * w);
        minimize cost;
    }
}

#[test]
fn stop_gradient_stops_and_comparisons_are_masks() {
    let p = stops::Placeholders {
        x: [0.25, 0.5, 0.75, f64::NAN],
    };
    let v = stops::Variables::default();
    let values = stops::forward(&p, &v);
    // x < w, x == w, x > w, and NaN, which compares false except with `!=`.
    assert_eq!(
        values.masks,
        [1.0 + 2.0 + 32.0, 2.0 + 8.0 + 16.0, 4.0 + 8.0 + 32.0, 32.0]
    );
    assert_eq!(values.frozen, [0.25; 4]);
    // d cost / d w = frozen + masks: nothing through `stop_gradient(w * w)` or the masks.
    let (_, gradients) = stops::backward(&p, &v);
    let want: Vec<f64> = values.masks.iter().map(|m| m + 0.25).collect();
    assert_eq!(gradients.w[..], want[..]);
}

static_graph::graph! {
    /// Every elementwise op of one input, in f32 (where overflow comes soonest).
    pub mod edges {
        placeholder x: [f32; 4];
        variable scale: f32 = 1.0;
        let softplus_ = softplus(x);
        let logsumexp_ = logsumexp(x);
        let gelu_ = gelu(x);
        let log1p_ = log1p(x);
        let expm1_ = expm1(x);
        let others = abs(x) + square(x) + sign(x) + leaky_relu(x) + elu(x) + silu(x) + sin(x) + cos(x)
            + rsqrt(x) + erf(x) + clip(x, -1, 1) + maximum(x, 0) + minimum(x, 0);
        let cost = scale * (sum(softplus_) + sum(gelu_) + sum(others) + logsumexp_);
        minimize cost;
    }
}

#[test]
fn edges_overflow_nowhere_and_nan_goes_through() {
    let v = edges::Variables::default();
    let values = edges::forward(
        &edges::Placeholders {
            x: [1000.0, -1000.0, 10.0, -10.0],
        },
        &v,
    );
    // softplus is max(x, 0) + log1p(exp(-|x|)): no overflow at 1000, 0 (not NaN) at -1000.
    assert_eq!(values.softplus_[..2], [1000.0, 0.0]);
    // gelu's tails: x itself far right, a tiny negative far left (JAX: -7.6198530e-23).
    assert_eq!(values.gelu_[2], 10.0);
    assert!(
        values.gelu_[3] <= 0.0 && values.gelu_[3] > -1e-20,
        "{}",
        values.gelu_[3]
    );
    // log1p and expm1 keep their precision near 0, where 1 + x would lose it.
    let tiny = edges::forward(
        &edges::Placeholders {
            x: [1e-10, -1e-10, 0.0, 1e-30],
        },
        &v,
    );
    assert_eq!(tiny.log1p_, [1e-10, -1e-10, 0.0, 1e-30]);
    assert_eq!(tiny.expm1_, [1e-10, -1e-10, 0.0, 1e-30]);
    // logsumexp: no overflow at 1000; -inf entries count for nothing; all -inf is -inf; +inf
    // is +inf.
    assert_eq!(values.logsumexp_, 1000.0);
    let lse = |x: [f32; 4]| edges::forward(&edges::Placeholders { x }, &v).logsumexp_;
    let inf = f32::INFINITY;
    assert_eq!(lse([0.0, -inf, -inf, -inf]), 0.0);
    assert_eq!(lse([-inf; 4]), -inf);
    assert_eq!(lse([1.0, inf, 0.0, -inf]), inf);
    // NaN in, NaN out, through every op (clip, maximum and minimum included).
    let nan = edges::forward(&edges::Placeholders { x: [f32::NAN; 4] }, &v);
    for value in [nan.softplus_, nan.gelu_, nan.log1p_, nan.expm1_, nan.others] {
        assert!(value.iter().all(|v| v.is_nan()), "{value:?}");
    }
    assert!(nan.logsumexp_.is_nan());
}

graph_case!(away_from_kinks {
    placeholder x: [f64; 6];
    placeholder y: [f64; 6];
    variable w: [f64; 6];
    // Inputs in [0.5, 1.5): each op on the side of its kinks the inputs stay on, both sides
    // where it has two (a positive and a negative argument).
    let a = x * w;
    let ones = abs(a) + abs(-a) + square(a) + sign(a) * a + softplus(a) + softplus(-a) + leaky_relu(a)
        + leaky_relu(-a, alpha = 0.1) + elu(a) + elu(-a) + gelu(a - 1) + silu(-a) + log1p(a) + expm1(a)
        + sin(a) + cos(a) + rsqrt(a) + erf(a - 1) + clip(a, 0, 3) + clip(a, -1, 0.2) + logsumexp(a);
    let twos = maximum(a, y) + minimum(a, y) + select(a > y, a * 2, y * y) + (a < y) * a
        + stop_gradient(a) - stop_gradient(a);
    let cost = sum(ones * ones) + sum(twos * w);
    minimize cost;
});

#[test]
fn finite_differences_away_from_kinks() {
    check!(away_from_kinks, cost, 0.5, 1.5);
}
