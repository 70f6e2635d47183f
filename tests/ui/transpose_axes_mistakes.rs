use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 2, 3, 4];
        let a = transpose(x, axes = (0, 1, 1));
        let b = transpose(x, axes = (1, 0));
        let c = transpose(x);
        let d = transpose(x, axes = 2);
        let cost = sum(a) + sum(b) + sum(c) + sum(d);
        minimize cost;
    }
}

fn main() {}
