use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; batch, 3, 4];
        placeholder i: f32;
        let a = x[.., 3];
        let b = x[.., 1..5];
        let c = x[.., -4];
        let d = x[.., i];
        let e = x[1];
        let f = x[.., .., .., 0];
        let g = x[.., 2..2];
        let cost = sum(a) + sum(b) + sum(c) + sum(d) + sum(e) + sum(f) + sum(g);
        minimize cost;
    }
}

fn main() {}
