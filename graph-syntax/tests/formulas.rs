//! The formulas people read their gradients by: a constant prints as a constant, whatever
//! a merge of equal constants left on it (the `1` of `1 - h * h` and the seed
//! `d cost / d cost = 1` are one node after common-subexpression elimination).

const DIGITS_MLP: &str = "pub mod net {
    placeholder x: [f32; batch, 64];
    placeholder t: [f32; batch, 10];
    variable w1: [f32; 64, 32] = glorot_uniform;
    variable b1: [f32; 32];
    variable w2: [f32; 32, 10] = glorot_uniform;
    variable b2: [f32; 10];
    let h = tanh(matmul(x, w1) + b1);
    let logits = matmul(h, w2) + b2;
    let loss = softmax_cross_entropy(logits, t);
    let cost = mean(loss);
    minimize cost;
}";

#[test]
fn the_one_of_the_tanh_rule_prints_as_one() {
    let expanded = graph_syntax::try_expand(DIGITS_MLP.parse().unwrap())
        .unwrap()
        .to_string();
    assert!(
        !expanded.contains("d_cost"),
        "no formula, doc or picture names the seed:\n{expanded}"
    );
    assert!(expanded.contains("(1 - h * h)"), "the tanh rule reads `1 - h * h`");
}
