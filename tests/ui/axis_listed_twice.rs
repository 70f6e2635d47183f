use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 2, 3];
        let a = sum(x, axis = (1, -1));
        let cost = sum(a);
        minimize cost;
    }
}

fn main() {}
