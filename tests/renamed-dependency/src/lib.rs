//! A user crate that depends on static-graph under another name (`sg`): nothing named
//! `static_graph` exists here, so the generated code compiles only if every path it writes
//! goes through the crate's own `$crate`. The graph reaches every runtime helper: boxed
//! tensors, blocks compiled per CPU (`simd`), loops in chunks over the pool (`chunked`), the GEMM and its
//! in-place update, the polynomial `exp` and `tanh`, and the initialisers.

sg::graph! {
    /// Every runtime helper the generated code calls.
    pub mod renamed {
        placeholder x: [f32; batch, 64];
        placeholder labels: [f32; batch, 10];
        placeholder long: [f32; 300000];
        variable w: [f32; 64, 10] = glorot_uniform;
        variable b: [f32; 10] = uniform(-0.1, 0.1);
        variable s: f32 = normal(1, 0.01);
        let logits = tanh(matmul(x, w) + b);
        let spread = sum(exp(long * s));
        let cost = mean(softmax_cross_entropy(logits, labels)) + spread * 0.000001;
        minimize cost;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_code_runs_under_the_renamed_dependency() {
        let mut p = super::renamed::Placeholders::<4>::default();
        for row in p.labels.iter_mut() {
            row[3] = 1.0;
        }
        let mut v = super::renamed::Variables::init(1);
        let first = super::renamed::sgd_step(&p, &mut v, 0.5).cost;
        let second = super::renamed::forward(&p, &v).cost;
        // Zero inputs: the logits are tanh(b), and a step on b lowers the cross-entropy of class 3.
        assert!(second < first, "{second} < {first}");
    }
}
