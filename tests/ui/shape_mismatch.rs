use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 5];
        variable w: [f32; 4];
        let logits = x * w;
        let cost = mean(logits);
        minimize cost;
    }
}

fn main() {}
