use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 2, 3];
        variable w: [f32; 3];
        let m = mean(x * w, axis = 1, keepdims = 1);
        let s = softmax(x * w, keepdims = true);
        let cost = sum(m) + sum(s);
        minimize cost;
    }
}

fn main() {}
