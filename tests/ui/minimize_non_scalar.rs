use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let loss = pow(x * w, 2);
        minimize loss;
    }
}

fn main() {}
