use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 0];
        variable w: [f32; 3];
        let cost = sum(w);
        minimize cost;
    }
}

fn main() {}
