use static_graph::graph;

graph! {
    mod net {
        placeholder q: [f32; 8, 4, 3];
        placeholder k: [f32; 8, 5, 3];
        placeholder other: [f32; 2, 3, 5];
        let a = matmul(q, k);
        let b = matmul(q, other);
        let c = matmul(q, transpose(k, axes = (0, 2, 1)));
        let cost = sum(a) + sum(b) + sum(c);
        minimize cost;
    }
}

fn main() {}
