use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        let y = x * 2;
        let r#y = y * 2;
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {}
