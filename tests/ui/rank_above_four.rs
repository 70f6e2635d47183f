use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 2, 2, 2, 2, 2];
        let cost = sum(w);
        minimize cost;
    }
}

fn main() {}
