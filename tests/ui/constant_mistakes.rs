use static_graph::graph;

graph! {
    mod net {
        const eye: [f32; 2, 2] = [[1.0, 0.0], [0.0, 1.0, 0.0]];
        const rows: [f32; 2, 2] = [1.0, 2.0];
        const scale: f32 = [0.5];
        const sized: [f32; batch] = [1.0];
        placeholder x: [f32; 2];
        let cost = sum(x * x);
        minimize cost;
    }
}

fn main() {}
