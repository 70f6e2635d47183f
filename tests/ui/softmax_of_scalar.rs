use static_graph::graph;

graph! {
    mod net {
        variable w: f32;
        let y = softmax(w);
        let cost = y * 2;
        minimize cost;
    }
}

fn main() {}
