use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        let y = where(x > 0, x, 0);
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
