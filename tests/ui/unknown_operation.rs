use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let y = sigmoidal(x * w);
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
