use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let cost = sum(x * w);
        minimize cost;
        hvp(cost);
    }
}

fn main() {}
