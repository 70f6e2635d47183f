use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 4294967296, 1];
        variable w: [f32; 4294967296];
        let y = x + w;
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
