use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        placeholder a: f32;
        variable w: [f32; 3];
        let b = leaky_relu(x * w, alpha = a);
        let c = clip(x * w, a, 1);
        let d = clip(x * w, 2, 1);
        let e = select(x > 0, x, [1.0, 2.0]);
        let f = maximum(x * w, [1.0, 2.0]);
        let cost = sum(b) + sum(c) + sum(d) + sum(e) + sum(f);
        minimize cost;
    }
}

fn main() {}
