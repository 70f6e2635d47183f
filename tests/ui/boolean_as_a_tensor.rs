use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let y = x * w + true;
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
