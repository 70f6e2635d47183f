use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 4, 3] = he_normal;
        let cost = sum(w);
        minimize cost;
    }
}

fn main() {}
