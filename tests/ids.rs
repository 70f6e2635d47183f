//! Integer ids: `gather` (a repeated id's gradient accumulates), `one_hot`,
//! `sparse_softmax_cross_entropy` (stable on large logits), `argmax` (the first of ties, the
//! first NaN) and comparisons of ids, against JAX in float64 to 1e-9 relative and in float32
//! (`tools/ids_reference.py`); ids out of range panic, naming the placeholder, the position
//! and the value, before any output is written.

mod common;

use common::{assert_f32, assert_relative};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod reference {
    include!("reference/ids.rs");
}
use reference::*;

/// The ops on ids, in float type `$float`: module `$name`.
macro_rules! ids_graph {
    ($name:ident, $float:ident) => {
        static_graph::graph! {
            /// Rows of a table and losses over class ids.
            pub mod $name {
                placeholder ids: [i64; 4];
                placeholder labels: [i32; 4];
                placeholder first: usize;
                placeholder weights: [$float; 4, 3];
                placeholder row_weights: [$float; 4];
                variable table: [$float; 5, 3];
                variable logits: [$float; 4, 5];
                let picked = gather(table, ids);
                let row = gather(table, first);
                let hot = one_hot(ids, depth = 5);
                let losses = sparse_softmax_cross_entropy(logits, labels);
                let single = sparse_softmax_cross_entropy(logits[0], first);
                let predicted = argmax(logits, axis = -1);
                let correct = predicted == labels;
                let accuracy = mean(correct);
                let twos = labels == 2;
                let matches = ids == first;
                let cost = sum(picked * weights) + sum(losses * row_weights);
                minimize cost;
            }
        }
    };
}

ids_graph!(ids64, f64);
ids_graph!(ids32, f32);

fn inputs64() -> (ids64::Placeholders, ids64::Variables) {
    let mut p = ids64::Placeholders {
        ids: [3, 0, 3, 4],
        labels: [1, 4, 0, 2],
        first: 1,
        ..Default::default()
    };
    p.weights.as_flattened_mut().copy_from_slice(&WEIGHTS);
    p.row_weights = ROW_WEIGHTS;
    let mut v = ids64::Variables::default();
    v.table.as_flattened_mut().copy_from_slice(&TABLE);
    v.logits.as_flattened_mut().copy_from_slice(&LOGITS);
    (p, v)
}

#[test]
fn values_and_gradients_match_jax_in_f64() {
    let (mut p, v) = inputs64();
    let (values, gradients) = ids64::backward(&p, &v);
    assert_relative("gather", values.picked.as_flattened(), &PICKED);
    assert_relative("gather of one id", &values.row, &TABLE[3..6]);
    assert_relative("one_hot", values.hot.as_flattened(), &HOT);
    assert_relative("sparse_softmax_cross_entropy", &values.losses, &LOSSES);
    // `first` is 1: the second class of the first row.
    let log_p1 = LOGITS[1] - LOGITS[..5].iter().map(|x| x.exp()).sum::<f64>().ln();
    assert_relative("one row's loss", &[values.single], &[-log_p1]);
    // The repeated id 3 gets both rows' gradients; ids 1 and 2 get none.
    assert_relative("d table", gradients.table.as_flattened(), &D_TABLE);
    assert_relative("d logits", gradients.logits.as_flattened(), &D_LOGITS);
    assert_eq!(values.predicted, PREDICTED);
    assert_eq!(values.correct, CORRECT);
    assert_eq!(values.accuracy, 0.25);
    assert_eq!(values.twos, [0.0, 0.0, 0.0, 1.0]);
    // `i64` ids against one `usize` id, broadcast: no id is 1.
    assert_eq!(values.matches, [0.0; 4]);

    // With class 0 instead of 1 the loss is -log p0 = -log p1 + x1 - x0 (the same row's logits).
    p.first = 0;
    let values = ids64::forward(&p, &v);
    assert_eq!(values.matches, [0.0, 1.0, 0.0, 0.0]);
    assert_relative(
        "the first class's loss",
        &[values.single],
        &[SINGLE_LOSS[0] + LOGITS[1] - LOGITS[0]],
    );
}

#[test]
fn values_and_gradients_match_jax_in_f32() {
    let mut p = ids32::Placeholders {
        ids: [3, 0, 3, 4],
        labels: [1, 4, 0, 2],
        ..Default::default()
    };
    let round = |x: &[f64]| x.iter().map(|&v| v as f32).collect::<Vec<f32>>();
    p.weights.as_flattened_mut().copy_from_slice(&round(&WEIGHTS));
    p.row_weights.copy_from_slice(&round(&ROW_WEIGHTS));
    let mut v = ids32::Variables::default();
    v.table.as_flattened_mut().copy_from_slice(&round(&TABLE));
    v.logits.as_flattened_mut().copy_from_slice(&round(&LOGITS));
    let (values, gradients) = ids32::backward(&p, &v);
    assert_f32("gather", values.picked.as_flattened(), &PICKED_F32);
    assert_f32("sparse_softmax_cross_entropy", &values.losses, &LOSSES_F32);
    assert_f32("d table", gradients.table.as_flattened(), &D_TABLE_F32);
    assert_f32("d logits", gradients.logits.as_flattened(), &D_LOGITS_F32);
    assert_eq!(values.predicted, PREDICTED);
}

#[test]
fn the_gradient_matches_finite_differences_in_f64() {
    let (p, v) = inputs64();
    let gradients = ids64::backward(&p, &v).1;
    let h = 1e-6;
    let cost = |v: &ids64::Variables| ids64::forward(&p, v).cost;
    for (name, got) in gradients.tensors() {
        for (k, &g) in got.iter().enumerate() {
            let moved = |delta: f64| {
                let mut w = v.clone();
                for (field, values) in w.tensors_mut() {
                    if field == name {
                        values[k] += delta;
                    }
                }
                cost(&w)
            };
            let numeric = (moved(h) - moved(-h)) / (2.0 * h);
            assert!(
                (g - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
                "d cost / d {name}[{k}]: {g} vs {numeric}"
            );
        }
    }
}

static_graph::graph! {
    /// `argmax` along either axis of a matrix with ties, NaNs and infinities.
    pub mod extremes {
        placeholder scores: [f64; 4, 4];
        variable scale: f64 = 1.0;
        let rows = argmax(scores, axis = 1);
        let columns = argmax(scores, axis = 0);
        let same = rows == columns;
        let cost = scale * scale;
        minimize cost;
    }
}

#[test]
fn argmax_takes_the_first_of_ties_and_the_first_nan_as_jax_does() {
    let mut p = extremes::Placeholders::default();
    p.scores.as_flattened_mut().copy_from_slice(&SCORES);
    let values = extremes::forward(&p, &extremes::Variables::default());
    assert_eq!(values.rows, ARGMAX_ROWS);
    assert_eq!(values.columns, ARGMAX_COLUMNS);
    assert_eq!(values.same, [1.0, 0.0, 1.0, 0.0]);
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("an id out of range panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn ids_out_of_range_panic_before_any_output_is_written() {
    let (p, v) = inputs64();
    type Break = fn(&mut ids64::Placeholders);
    let cases: [(&str, Break); 4] = [
        (
            "`labels[3]` is 5, but `sparse_softmax_cross_entropy` takes ids in 0..5",
            |p| p.labels[3] = 5,
        ),
        (
            "`labels[1]` is -1, but `sparse_softmax_cross_entropy` takes ids in 0..5",
            |p| p.labels[1] = -1,
        ),
        ("`ids[2]` is -7, but `gather` takes ids in 0..5", |p| p.ids[2] = -7),
        ("`first` is 9, but `gather` takes ids in 0..5", |p| p.first = 9),
    ];
    for (message, break_it) in cases {
        let mut bad = p.clone();
        break_it(&mut bad);
        for function in ["forward", "backward", "sgd_step"] {
            let mut values = ids64::Values {
                picked: [[7.0; 3]; 4],
                cost: 7.0,
                ..Default::default()
            };
            let mut gradients = ids64::Gradients {
                table: [[7.0; 3]; 5],
                ..Default::default()
            };
            let mut stepped = v.clone();
            let mut workspace = ids64::Workspace::default();
            let got = panic_message(|| match function {
                "forward" => ids64::forward_into(&bad, &v, &mut values, &mut workspace),
                "backward" => ids64::backward_into(&bad, &v, &mut values, &mut gradients, &mut workspace),
                _ => ids64::sgd_step_into(&bad, &mut stepped, 0.1, &mut values, &mut workspace),
            });
            assert!(got.contains(message), "{function}: {got}");
            assert_eq!(
                values.picked, [[7.0; 3]; 4],
                "{function} wrote a value before the check"
            );
            assert_eq!(values.cost, 7.0, "{function} wrote the cost before the check");
            assert_eq!(
                gradients.table, [[7.0; 3]; 5],
                "{function} wrote a gradient before the check"
            );
            assert_eq!(stepped, v, "{function} moved a variable before the check");
        }
    }
    // In range again: no panic.
    let _ = ids64::forward(&p, &v);
}

static_graph::graph! {
    /// Ids of two dimensions, one of them named, as a batch of token sequences.
    pub mod tokens {
        placeholder ids: [usize; batch, 3];
        variable table: [f64; 4, 2] = 1.0;
        let embedded = gather(table, ids);
        let cost = sum(embedded);
        minimize cost;
    }
}

#[test]
fn a_position_is_named_in_every_axis() {
    let mut p = tokens::Placeholders::<2>::default();
    p.ids[1][2] = 4;
    let message = panic_message(|| {
        let _ = tokens::forward(&p, &tokens::Variables::default());
    });
    assert!(
        message.contains("`ids[1, 2]` is 4, but `gather` takes ids in 0..4"),
        "{message}"
    );
    p.ids[1][2] = 3;
    let (values, gradients) = tokens::backward(&p, &tokens::Variables::default());
    assert_eq!(values.cost, 12.0);
    // Id 0 appears five times, id 3 once: each row of the table gets its count.
    assert_eq!(gradients.table, [[5.0; 2], [0.0; 2], [0.0; 2], [1.0; 2]]);
}
