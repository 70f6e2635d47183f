use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let cost = sum(y);
        let y = x * w;
        minimize cost;
    }
}

fn main() {}
