use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; -3];
        variable w: f32;
        let cost = sum(x * w);
        minimize cost;
    }
}

fn main() {}
