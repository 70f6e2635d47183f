use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 3];
        let cost = sum(w * 1e40);
        minimize cost;
    }
}

fn main() {}
