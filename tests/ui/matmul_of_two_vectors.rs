use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let d = matmul(x, w);
        let cost = sum(d);
        minimize cost;
    }
}

fn main() {}
