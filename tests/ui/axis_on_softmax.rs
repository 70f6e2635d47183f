use static_graph::graph;

graph! {
    mod net {
        variable w: [f32; 4, 3];
        let y = softmax(w, axis = 0);
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
