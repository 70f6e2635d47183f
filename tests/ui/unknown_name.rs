use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let y = x * weights;
        let cost = sum(y * w);
        minimize cost;
    }
}

fn main() {}
