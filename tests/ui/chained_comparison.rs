use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        let y = 0 < x < 1;
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
