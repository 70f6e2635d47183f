use static_graph::graph;

graph! {
    pub mod g {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        optimizer adam;
        let cost = sum(x * w);
        minimize cost;
        optimizer nadam(learning_rate = 0.1);
        optimizer momentum(learning_rate = 0.1, beta1 = 0.9);
        optimizer rmsprop(0.01, 0.9);
        optimizer adagrad(learning_rate = fast);
        optimizer adamw(clip_global_norm = -1);
        optimizer momentum(nesterov = 1);
        optimizer adamw;
        optimizer adamw;
    }
}

fn main() {
    // The module still has the optimizer declared without a mistake: only the mistakes above are reported.
    let mut opt = g::AdamW::new();
    let _ = g::adamw_step(&g::Placeholders::default(), &mut g::Variables::default(), &mut opt);
}
