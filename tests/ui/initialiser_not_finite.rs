use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 5];
        variable w: [f32; 5] = uniform(1e400, 0);
        variable b: [f32; 5] = normal(0, 1e39);
        let cost = sum(x * w + b);
        minimize cost;
    }
}

fn main() {}
