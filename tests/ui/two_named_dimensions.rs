use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; batch, 3];
        placeholder y: [f32; n, 3];
        variable w: [f32; 3];
        let cost = mean(x * w) + mean(y * w);
        minimize cost;
    }
}

fn main() {}
