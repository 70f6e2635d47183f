use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        placeholder y: [f32; 4];
        variable w: [f32; 3];
        let e = select(x * w > 0, x, y);
        let f = maximum(x * w, y);
        let cost = sum(e) + sum(f);
        minimize cost;
    }
}

fn main() {}
