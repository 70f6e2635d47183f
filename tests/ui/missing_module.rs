use static_graph::graph;

graph! {
    placeholder x: [f32; 3];
}

fn main() {}
