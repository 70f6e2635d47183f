use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3, 4];
        let a = reshape(x, [5, 2]);
        let b = reshape(x, [-1, 2, -1]);
        let c = reshape(x, [5, -1]);
        let d = reshape(x, 12);
        let cost = sum(a) + sum(b) + sum(c) + sum(d);
        minimize cost;
    }
}

fn main() {}
