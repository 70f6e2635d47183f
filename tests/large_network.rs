//! The 64 x 784-256-10 network: its tensors are too large for a thread's stack as plain
//! arrays (one `[f32; 784, 256]` is 784 KiB), so the generated structs box them. Runs
//! `forward`, `backward`, `sgd_step` and the `_into` forms on a 2 MiB thread stack, the
//! default for tests; CI runs it in debug and in release builds.

use static_graph::graph;

graph! {
    /// `h = tanh(x W1 + b1)`, `y = softmax(h W2 + b2)`, `cost = mean((y - t)^2)`.
    pub mod mlp {
        placeholder x: [f32; batch, 784];
        placeholder t: [f32; batch, 10];
        variable w1: [f32; 784, 256] = glorot_uniform;
        variable b1: [f32; 256];
        variable w2: [f32; 256, 10] = glorot_uniform;
        variable b2: [f32; 10];
        let h = tanh(matmul(x, w1) + b1);
        let y = softmax(matmul(h, w2) + b2);
        let cost = mean(pow(y - t, 2));
        minimize cost;
    }
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no stack overflow");
}

fn inputs<const B: usize>() -> mlp::Placeholders<B> {
    let mut p = mlp::Placeholders::<B>::default();
    for (row, (x, t)) in p.x.iter_mut().zip(p.t.iter_mut()).enumerate() {
        for (j, x) in x.iter_mut().enumerate() {
            *x = ((row * 31 + j * 17) % 97) as f32 / 97.0;
        }
        t[row % 10] = 1.0;
    }
    p
}

#[test]
fn trains_on_a_two_mebibyte_stack() {
    on_small_stack(|| {
        let p = inputs::<64>();
        let mut v = mlp::Variables::init(1);
        assert_ne!(v.w1[0][0], 0.0, "glorot_uniform draws");
        let limit = (6.0f32 / (784.0 + 256.0)).sqrt();
        assert!(v.w1.iter().flatten().all(|w| w.abs() <= limit));

        let first = mlp::forward(&p, &v).cost;
        let (values, gradients) = mlp::backward(&p, &v);
        assert_eq!(values.cost, first);
        assert!(gradients.w1.iter().flatten().all(|g| g.is_finite()));
        assert!(gradients.w1.iter().flatten().any(|g| *g != 0.0));

        let mut values = mlp::Values::<64>::default();
        let mut workspace = mlp::Workspace::<64>::default();
        for _ in 0..20 {
            mlp::sgd_step_into(&p, &mut v, 0.5, &mut values, &mut workspace);
        }
        let last = mlp::forward(&p, &v).cost;
        assert!(last < first, "training lowers the cost: {first} -> {last}");

        let step = mlp::sgd_step(&p, &mut v, 0.5);
        assert!(
            (step.cost - last).abs() < 1e-6,
            "sgd_step returns the values before its step"
        );
    });
}

#[test]
fn one_compiled_graph_runs_any_batch_size() {
    on_small_stack(|| {
        let v = mlp::Variables::init(7);
        let small = mlp::forward(&inputs::<3>(), &v);
        let large = mlp::forward(&inputs::<200>(), &v);
        // Row r of the input is the same in both batches, so its outputs are too.
        for r in 0..3 {
            for (a, b) in small.y[r].iter().zip(&large.y[r]) {
                assert!((a - b).abs() < 1e-6);
            }
        }
        assert!(large.y.iter().all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-5));
    });
}
