use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 5];
        let t = transpose(w);
        let cost = sum(t);
        minimize cost;
    }
}

fn main() {}
