//! One SGD step of a bag-of-tokens classifier (`[batch = 32, seq = 16]` token ids, a table of
//! 1,000 x 64, a linear layer to 10 classes), written two ways in the language: with integer
//! ids (`gather`, `sparse_softmax_cross_entropy`), and with the workaround users had before
//! ids existed (one-hot rows times the table through the GEMM, one-hot labels). Both are
//! generated; they compute the same loss, and are timed alternately in one run.
//!
//! `cargo bench --bench embedding_step`; the figures are recorded in ARCHITECTURE.md.

use static_graph::graph;

mod common;

graph! {
    /// Token ids, looked up.
    pub mod lookup {
        placeholder ids: [i32; batch, 16];
        placeholder labels: [i32; batch];
        variable table: [f32; 1000, 64] = normal(0, 0.1);
        variable w: [f32; 64, 10] = glorot_uniform;
        let bag = mean(gather(table, ids), axis = 1);
        let cost = mean(sparse_softmax_cross_entropy(matmul(bag, w), labels));
        minimize cost;
    }
}

graph! {
    /// The same with one-hot rows: a dense product for a lookup.
    pub mod dense {
        placeholder hot: [f32; batch, 16, 1000];
        placeholder targets: [f32; batch, 10];
        variable table: [f32; 1000, 64] = normal(0, 0.1);
        variable w: [f32; 64, 10] = glorot_uniform;
        let bag = mean(matmul(hot, table), axis = 1);
        let cost = mean(softmax_cross_entropy(matmul(bag, w), targets));
        minimize cost;
    }
}

const B: usize = 32;

fn main() {
    let mut ids = lookup::Placeholders::<B>::default();
    let mut hot = dense::Placeholders::<B>::default();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for b in 0..B {
        for s in 0..16 {
            let id = next(1000) as usize;
            ids.ids[b][s] = id as i32;
            hot.hot[b][s][id] = 1.0;
        }
        let label = next(10) as usize;
        ids.labels[b] = label as i32;
        hot.targets[b][label] = 1.0;
    }
    let (mut v_ids, mut v_hot) = (lookup::Variables::init(1), dense::Variables::init(1));
    assert_eq!(v_ids.table, v_hot.table, "the same initial table");
    let (a, b) = (lookup::forward(&ids, &v_ids).cost, dense::forward(&hot, &v_hot).cost);
    assert!((a - b).abs() < 1e-5, "the same loss: {a} and {b}");

    let (mut values_ids, mut work_ids) = (lookup::Values::<B>::default(), lookup::Workspace::<B>::default());
    let (mut values_hot, mut work_hot) = (dense::Values::<B>::default(), dense::Workspace::<B>::default());
    let (g, h) = common::interleaved(
        300,
        || lookup::sgd_step_into(&ids, &mut v_ids, 0.01, &mut values_ids, &mut work_ids),
        || dense::sgd_step_into(&hot, &mut v_hot, 0.01, &mut values_hot, &mut work_hot),
    );
    let (a, b) = (values_ids.cost, values_hot.cost);
    assert!((a - b).abs() < 1e-4, "still the same loss after 300 steps: {a} and {b}");
    println!(
        "median of 300 interleaved SGD steps: ids (gather) {:.1} us, one-hot rows (GEMM) {:.1} us, ratio {:.3}",
        g * 1e6,
        h * 1e6,
        g / h
    );
}
