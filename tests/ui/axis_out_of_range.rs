use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 4, 3];
        let s = sum(w, axis = 2);
        let cost = sum(s);
        minimize cost;
    }
}

fn main() {}
