//! The optimizers a graph declares after `minimize`: ten steps of each on a small least-squares
//! fit against NumPy's implementation of TensorFlow 1.x's formulas (`tools/optimizer_reference.py`,
//! float64 to 1e-9), `clip_global_norm` above and below the gradients' norm, hyperparameters as
//! fields (a schedule is plain code), and the state as a value (a checkpoint is a clone).

mod common;

use common::assert_relative;

mod reference {
    include!("reference/optimizers.rs");
}
use reference::*;

static_graph::graph! {
    /// A linear fit, with every optimizer.
    pub mod fit {
        placeholder x: [f64; batch, 3];
        placeholder y: [f64; batch];
        variable w: [f64; 3];
        variable b: f64;
        let err = matmul(x, w) + b - y;
        let cost = mean(err * err);
        minimize cost;
        optimizer momentum(learning_rate = 0.05, nesterov = true);
        optimizer adam(0.1);
        optimizer adamw(learning_rate = 0.05, weight_decay = 0.1);
        optimizer rmsprop(learning_rate = 0.01, momentum = 0.5);
        optimizer adagrad(learning_rate = 0.5);
    }
}

fn data() -> (fit::Placeholders<4>, fit::Variables) {
    let p = fit::Placeholders {
        x: Box::new([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.5, 1.0], [1.5, 1.0, 0.5]]),
        y: Box::new([1.0, -2.0, 0.5, 3.0]),
    };
    let v = fit::Variables {
        w: [0.5, -0.25, 1.0],
        b: 0.1,
    };
    (p, v)
}

/// Ten steps of `step`: the cost before each, and the variables after.
fn run(
    mut step: impl FnMut(&fit::Placeholders<4>, &mut fit::Variables) -> fit::Values<4>,
) -> (Vec<f64>, fit::Variables) {
    let (p, mut v) = data();
    let costs = (0..10).map(|_| step(&p, &mut v).cost).collect();
    (costs, v)
}

fn check(name: &str, (costs, v): (Vec<f64>, fit::Variables), want: (&[f64], &[f64], &[f64])) {
    assert_relative(&format!("{name}: costs"), &costs, want.0);
    assert_relative(&format!("{name}: w"), &v.w, want.1);
    assert_relative(&format!("{name}: b"), &[v.b], want.2);
}

#[test]
fn ten_steps_of_each_optimizer_match_tensorflows_formulas() {
    let mut opt = fit::Momentum::new();
    check(
        "momentum (Nesterov)",
        run(|p, v| fit::momentum_step(p, v, &mut opt)),
        (&MOMENTUM_COSTS, &MOMENTUM_W, &MOMENTUM_B),
    );
    let mut opt = fit::Momentum::new();
    opt.nesterov = false;
    check(
        "momentum",
        run(|p, v| fit::momentum_step(p, v, &mut opt)),
        (&MOMENTUM_PLAIN_COSTS, &MOMENTUM_PLAIN_W, &MOMENTUM_PLAIN_B),
    );
    let mut opt = fit::Adam::new();
    check(
        "adam",
        run(|p, v| fit::adam_step(p, v, &mut opt)),
        (&ADAM_COSTS, &ADAM_W, &ADAM_B),
    );
    assert_eq!(opt.step, 10);
    let mut opt = fit::AdamW::new();
    check(
        "adamw",
        run(|p, v| fit::adamw_step(p, v, &mut opt)),
        (&ADAMW_COSTS, &ADAMW_W, &ADAMW_B),
    );
    let mut opt = fit::RmsProp::new();
    check(
        "rmsprop",
        run(|p, v| fit::rmsprop_step(p, v, &mut opt)),
        (&RMSPROP_COSTS, &RMSPROP_W, &RMSPROP_B),
    );
    let mut opt = fit::Adagrad::new();
    check(
        "adagrad",
        run(|p, v| fit::adagrad_step(p, v, &mut opt)),
        (&ADAGRAD_COSTS, &ADAGRAD_W, &ADAGRAD_B),
    );
}

#[test]
fn clip_global_norm_scales_the_gradients_only_when_their_norm_is_above_it() {
    // The first gradients' global norm is 8.2: a limit of 0.5 scales them, 1000 does not.
    let mut opt = fit::Momentum::new();
    opt.clip_global_norm = Some(0.5);
    check(
        "momentum, clipped to 0.5",
        run(|p, v| fit::momentum_step(p, v, &mut opt)),
        (&MOMENTUM_CLIPPED_COSTS, &MOMENTUM_CLIPPED_W, &MOMENTUM_CLIPPED_B),
    );
    let mut opt = fit::Momentum::new();
    opt.clip_global_norm = Some(1000.0);
    check(
        "momentum, clipped to 1000",
        run(|p, v| fit::momentum_step(p, v, &mut opt)),
        (&MOMENTUM_UNCLIPPED_COSTS, &MOMENTUM_UNCLIPPED_W, &MOMENTUM_UNCLIPPED_B),
    );
    assert_eq!(
        MOMENTUM_UNCLIPPED_W, MOMENTUM_W,
        "the reference: a limit above the norm changes nothing"
    );
}

#[test]
fn the_state_is_a_value_and_the_hyperparameters_are_fields() {
    let (p, mut v) = data();
    let mut opt = fit::Adam::new();
    assert_eq!(
        (opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon),
        (0.1, 0.9, 0.999, 1e-8)
    );
    assert_eq!(opt.m, fit::Variables { w: [0.0; 3], b: 0.0 }, "moments start at zero");
    let _ = fit::adam_step(&p, &mut v, &mut opt);
    // A checkpoint: the variables and the state, cloned; resuming from it repeats the steps.
    let (saved_v, saved_opt) = (v.clone(), opt.clone());
    let mut values = fit::Values::default();
    let mut workspace = fit::Workspace::default();
    fit::adam_step_into(&p, &mut v, &mut opt, &mut values, &mut workspace);
    let (mut resumed_v, mut resumed_opt) = (saved_v, saved_opt);
    let _ = fit::adam_step(&p, &mut resumed_v, &mut resumed_opt);
    assert_eq!((resumed_v, resumed_opt), (v.clone(), opt.clone()));
    // A schedule: the learning rate is a field; at zero the variables stay put.
    opt.learning_rate = 0.0;
    let before = v.clone();
    let _ = fit::adam_step(&p, &mut v, &mut opt);
    assert_eq!(v, before);
    assert_eq!(
        fit::Adagrad::new().accumulator,
        fit::Variables { w: [0.1; 3], b: 0.1 },
        "TensorFlow's 0.1"
    );
    assert_eq!(
        fit::RmsProp::new().ms,
        fit::Variables { w: [1.0; 3], b: 1.0 },
        "TensorFlow 1.x's ones"
    );
}

static_graph::graph! {
    /// A variable sized by the named dimension: the optimizer's state is generic like it.
    pub mod per_row {
        placeholder x: [f64; batch, 2];
        variable scale: [f64; batch, 2] = 1.0;
        let cost = sum(pow(x * scale - 1, 2));
        minimize cost;
        optimizer adam(learning_rate = 0.1);
    }
}

#[test]
fn the_state_of_a_variable_sized_by_the_named_dimension_is_generic_like_it() {
    let p = per_row::Placeholders::<3> {
        x: Box::new([[1.0, 2.0], [4.0, 0.5], [0.25, 1.0]]),
    };
    let mut v = per_row::Variables::<3>::default();
    let mut opt = per_row::Adam::<3>::new();
    let first = per_row::adam_step(&p, &mut v, &mut opt).cost;
    for _ in 0..200 {
        let _ = per_row::adam_step(&p, &mut v, &mut opt);
    }
    assert!(per_row::forward(&p, &v).cost < first / 100.0);
}
