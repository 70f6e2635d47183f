use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 3];
        let a = x * nothing;
        let b = a + 1;
        let c = tanhh(w);
        let cost = sum(w) + sum(b);
        minimize cost;
    }
}

fn main() {}
