use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; batch, 10];
        variable b: [f32; 5];
        let y = x + b;
        let cost = mean(y);
        minimize cost;
    }
}

fn main() {}
