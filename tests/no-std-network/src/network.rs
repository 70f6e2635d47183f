//! The network and its training run, shared with `tests/no_std.rs` in static-graph, which
//! compiles the same file against a `std` build of static-graph.

static_graph::graph! {
    /// 16 inputs, 8 `tanh` units, 4 classes.
    pub mod net {
        placeholder x: [f32; 32, 16];
        placeholder labels: [i32; 32];
        variable w1: [f32; 16, 8] = glorot_uniform;
        variable b1: [f32; 8];
        variable w2: [f32; 8, 4] = glorot_uniform;
        variable b2: [f32; 4];
        let logits = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize cost;
        optimizer adam(learning_rate = 0.02);
    }
}

/// 32 points in 16 dimensions, 8 of each of 4 classes: class `c` lights inputs `4c..4c + 4`,
/// over a fixed pattern of noise (integer arithmetic only).
pub fn data() -> net::Placeholders {
    let mut p = net::Placeholders::default();
    fill(&mut p.x, &mut p.labels);
    p
}

fn fill(x: &mut [[f32; 16]; 32], labels: &mut [i32; 32]) {
    for (i, (row, label)) in x.iter_mut().zip(labels.iter_mut()).enumerate() {
        let class = i % 4;
        *label = class as i32;
        for (j, x) in row.iter_mut().enumerate() {
            let noise = ((i * 37 + j * 11) % 17) as f32 / 17.0 - 0.5;
            let signal = if j / 4 == class { 1.0 } else { 0.0 };
            *x = signal + 0.8 * noise;
        }
    }
}

/// Trains from `Variables::init(7)` with Adam for `STEPS` steps: the cost before each step,
/// and the accuracy after the last.
pub fn train<const STEPS: usize>() -> ([f32; STEPS], f32) {
    let p = data();
    let mut v = net::Variables::init(7);
    let mut adam = net::Adam::new();
    let mut values = net::Values::default();
    let mut workspace = net::Workspace::default();
    let mut costs = [0.0; STEPS];
    for cost in &mut costs {
        net::adam_step_into(&p, &mut v, &mut adam, &mut values, &mut workspace);
        *cost = values.cost;
    }
    net::forward_into(&p, &v, &mut values, &mut workspace);
    (costs, values.accuracy)
}

/// Trains from `Variables::init(7)` with `sgd_step` (learning rate 0.5), whose weight updates
/// happen inside the products: the cost before each step.
pub fn train_sgd<const STEPS: usize>() -> [f32; STEPS] {
    let p = data();
    let mut v = net::Variables::init(7);
    let mut values = net::Values::default();
    let mut workspace = net::Workspace::default();
    let mut costs = [0.0; STEPS];
    for cost in &mut costs {
        net::sgd_step_into(&p, &mut v, 0.5, &mut values, &mut workspace);
        *cost = values.cost;
    }
    costs
}

#[cfg(feature = "alloc")]
static_graph::graph! {
    /// `net` with a named batch dimension: its batch-sized tensors are boxed, so it needs a
    /// heap (the `alloc` feature).
    pub mod batched {
        placeholder x: [f32; batch, 16];
        placeholder labels: [i32; batch];
        variable w1: [f32; 16, 8] = glorot_uniform;
        variable b1: [f32; 8];
        variable w2: [f32; 8, 4] = glorot_uniform;
        variable b2: [f32; 4];
        let logits = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        minimize cost;
        optimizer adam(learning_rate = 0.02);
    }
}

/// [`train`] for `batched`, at a batch of 32: the cost before each step.
#[cfg(feature = "alloc")]
pub fn train_batched<const STEPS: usize>() -> [f32; STEPS] {
    let mut p = batched::Placeholders::<32>::default();
    fill(&mut p.x, &mut p.labels);
    let mut v = batched::Variables::init(7);
    let mut adam = batched::Adam::new();
    let mut costs = [0.0; STEPS];
    for cost in &mut costs {
        *cost = batched::adam_step(&p, &mut v, &mut adam).cost;
    }
    costs
}
