use static_graph::graph;

graph! {
    mod net {
        placeholder x: [u8; 3];
        variable w: [f32; 3];
        let cost = sum(x * w);
        minimize cost;
    }
}

fn main() {}
