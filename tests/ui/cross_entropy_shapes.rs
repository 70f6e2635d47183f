use static_graph::graph;

graph! {
    mod net {
        placeholder labels: [f32; batch, 10];
        variable logits: [f32; batch, 9];
        let loss = softmax_cross_entropy(logits, labels);
        let cost = mean(loss);
        minimize cost;
    }
}

fn main() {}
