use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 6];
        let a = x[0..6;2];
        let cost = sum(a);
        minimize cost;
    }
}

fn main() {}
