use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; batch, 784];
        variable w: [f32; 256, 10];
        let logits = matmul(x, w);
        let cost = mean(logits);
        minimize cost;
    }
}

fn main() {}
