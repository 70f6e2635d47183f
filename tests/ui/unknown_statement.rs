use static_graph::graph;

graph! {
    mod net {
        constant c: f32;
        variable w: [f32; 3];
        let cost = sum(w);
        minimize cost;
    }
}

fn main() {}
