use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; a, b, c, d];
        placeholder y: [f32; e, 3];
        let cost = sum(x) + sum(y);
        minimize cost;
    }
}

fn main() {}
