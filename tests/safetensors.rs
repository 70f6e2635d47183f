//! `Variables::to_safetensors` and `from_safetensors` (the `safetensors` feature): weights
//! written by NumPy load and compute what NumPy computes with them; weights written here read
//! back in Python as they are (`tools/safetensors_reference.py`, run by hand, its output in
//! `tests/reference/`); a round trip keeps every bit, an optimizer's state included, so
//! training resumes exactly; and each way a file can fail to fit is an error naming the
//! tensor, with nothing loaded.

mod common;

use common::assert_f32;
use static_graph::{graph, LoadError};

#[allow(clippy::approx_constant, clippy::excessive_precision)]
mod reference {
    include!("reference/safetensors.rs");
}
use reference::*;

graph! {
    /// A 3-5-2 `tanh` network in f32.
    pub mod mlp {
        placeholder x: [f32; 4, 3];
        variable w1: [f32; 3, 5] = glorot_uniform;
        variable b1: [f32; 5];
        variable w2: [f32; 5, 2] = glorot_uniform;
        variable b2: [f32; 2];
        let out = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
        let cost = mean(square(out));
        minimize cost;
        optimizer adam(learning_rate = 0.01);
        optimizer momentum;
    }
}

graph! {
    /// `mlp` in f64: the same names and shapes, another element type.
    pub mod mlp64 {
        placeholder x: [f64; 4, 3];
        variable w1: [f64; 3, 5];
        variable b1: [f64; 5];
        variable w2: [f64; 5, 2];
        variable b2: [f64; 2];
        let cost = mean(square(matmul(tanh(matmul(x, w1) + b1), w2) + b2));
        minimize cost;
    }
}

graph! {
    /// `mlp` with `b1` of another shape.
    pub mod reshaped {
        placeholder x: [f32; 4, 3];
        variable w1: [f32; 3, 5];
        variable b1: [f32; 1, 5];
        variable w2: [f32; 5, 2];
        variable b2: [f32; 2];
        let cost = mean(square(matmul(tanh(matmul(x, w1) + b1), w2) + b2));
        minimize cost;
    }
}

graph! {
    /// `mlp` without `b2`.
    pub mod fewer {
        placeholder x: [f32; 4, 3];
        variable w1: [f32; 3, 5];
        variable b1: [f32; 5];
        variable w2: [f32; 5, 2];
        let cost = mean(square(matmul(tanh(matmul(x, w1) + b1), w2)));
        minimize cost;
    }
}

graph! {
    /// `mlp` with one more variable.
    pub mod more {
        placeholder x: [f32; 4, 3];
        variable w1: [f32; 3, 5];
        variable b1: [f32; 5];
        variable w2: [f32; 5, 2];
        variable b2: [f32; 2];
        variable scale: f32 = 1;
        let cost = mean(square((matmul(tanh(matmul(x, w1) + b1), w2) + b2) * scale));
        minimize cost;
    }
}

const FROM_RUST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/from_rust.safetensors");

#[test]
fn weights_written_by_numpy_compute_what_numpy_computes() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/from_numpy.safetensors"
    ))
    .unwrap();
    let v = mlp::Variables::from_safetensors(&bytes).expect("NumPy's file loads");
    let mut p = mlp::Placeholders::default();
    p.x.as_flattened_mut().copy_from_slice(&NUMPY_X);
    let values = mlp::forward(&p, &v);
    assert_f32("out", values.out.as_flattened(), &NUMPY_OUT);
}

#[test]
fn weights_written_here_read_back_in_python() {
    let bytes = mlp::Variables::init(3).to_safetensors();
    if std::env::var_os("UPDATE_SAFETENSORS").is_some() {
        std::fs::write(FROM_RUST, &bytes).unwrap();
    }
    // The file Python read is the one written now, byte for byte.
    assert_eq!(
        bytes,
        std::fs::read(FROM_RUST).unwrap(),
        "rerun with UPDATE_SAFETENSORS=1, then the script"
    );
    let v = mlp::Variables::init(3);
    let read: Vec<(&str, &[usize], &[f32])> = vec![
        ("b1", &RUST_SHAPE_B1, &RUST_B1),
        ("b2", &RUST_SHAPE_B2, &RUST_B2),
        ("w1", &RUST_SHAPE_W1, &RUST_W1),
        ("w2", &RUST_SHAPE_W2, &RUST_W2),
    ];
    assert_eq!(RUST_NAMES, ["b1", "b2", "w1", "w2"]);
    for (name, shape, values) in read {
        let (_, ours) = v.tensors().into_iter().find(|(n, _)| *n == name).unwrap();
        assert_eq!(ours, values, "`{name}` as Python read it");
        let declared: &[usize] = match name {
            "w1" => &[3, 5],
            "b1" => &[5],
            "w2" => &[5, 2],
            _ => &[2],
        };
        assert_eq!(shape, declared, "`{name}`'s shape as Python read it");
    }
}

#[test]
fn a_round_trip_keeps_every_bit() {
    let mut v = mlp::Variables::init(11);
    v.b1[2] = f32::NAN;
    v.w2[1][0] = -0.0;
    let back = mlp::Variables::from_safetensors(&v.to_safetensors()).unwrap();
    for ((_, a), (_, b)) in v.tensors().into_iter().zip(back.tensors()) {
        let bits = |t: &[f32]| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
    }
}

#[test]
fn each_misfit_is_an_error_naming_the_tensor() {
    let dtype = mlp::Variables::from_safetensors(&mlp64::Variables::default().to_safetensors());
    assert_eq!(
        dtype,
        Err(LoadError::Dtype {
            name: "w1".into(),
            expected: "F32".into(),
            found: "F64".into()
        })
    );
    let shape = mlp::Variables::from_safetensors(&reshaped::Variables::default().to_safetensors());
    assert_eq!(
        shape,
        Err(LoadError::Shape {
            name: "b1".into(),
            expected: vec![5],
            found: vec![1, 5]
        })
    );
    let missing = mlp::Variables::from_safetensors(&fewer::Variables::default().to_safetensors());
    assert_eq!(missing, Err(LoadError::Missing("b2".into())));
    let extra = mlp::Variables::from_safetensors(&more::Variables::default().to_safetensors());
    assert_eq!(extra, Err(LoadError::Unexpected("scale".into())));
    let garbage = mlp::Variables::from_safetensors(b"not a safetensors file");
    assert!(matches!(garbage, Err(LoadError::Format(_))), "{garbage:?}");
    // The messages say what is wrong, and where.
    assert_eq!(
        shape.unwrap_err().to_string(),
        "tensor `b1` has shape [1, 5] in the file, but the graph declares [5]"
    );
    assert_eq!(
        missing.unwrap_err().to_string(),
        "the file has no tensor `b2`, which the graph declares"
    );
}

#[test]
fn an_optimizers_state_round_trips_and_training_resumes_exactly() {
    let mut p = mlp::Placeholders::default();
    p.x.as_flattened_mut().copy_from_slice(&NUMPY_X);
    let (mut v, mut adam) = (mlp::Variables::init(5), mlp::Adam::new());
    for _ in 0..3 {
        let _ = mlp::adam_step(&p, &mut v, &mut adam);
    }
    // A checkpoint: the weights and the optimizer's state, as files.
    let (weights, state) = (v.to_safetensors(), adam.to_safetensors());
    let (mut resumed_v, mut resumed_adam) = (
        mlp::Variables::from_safetensors(&weights).unwrap(),
        mlp::Adam::from_safetensors(&state).unwrap(),
    );
    assert_eq!(resumed_adam, adam);
    assert_eq!(resumed_adam.step, 3);
    for _ in 0..3 {
        let _ = mlp::adam_step(&p, &mut v, &mut adam);
        let _ = mlp::adam_step(&p, &mut resumed_v, &mut resumed_adam);
    }
    assert_eq!(resumed_v, v, "training resumes to the bit");
    // Momentum has one slot and no step: Adam's file is not a momentum state.
    let error = mlp::Momentum::from_safetensors(&state).unwrap_err();
    assert_eq!(error, LoadError::Missing("accumulator/w1".into()));
    let momentum = mlp::Momentum::new();
    assert_eq!(
        mlp::Momentum::from_safetensors(&momentum.to_safetensors()),
        Ok(momentum)
    );
}
