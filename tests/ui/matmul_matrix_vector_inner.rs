use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 4, 3];
        variable w: [f32; 5];
        let logits = matmul(x, w);
        let cost = sum(logits);
        minimize cost;
    }
}

fn main() {}
