use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 2, 3];
        variable w: [f32; 3];
        let m = sum(x * w, axis = 1, keepdims = true, keepdims = false);
        let cost = sum(m);
        minimize cost;
    }
}

fn main() {}
