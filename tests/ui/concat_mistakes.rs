use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3, 4];
        placeholder y: [f32; 2, 5];
        let a = concat(x, y, axis = 0);
        let b = concat(x, x, axis = (0, 1));
        let c = concat(x);
        let cost = sum(a) + sum(b) + sum(c);
        minimize cost;
    }
}

fn main() {}
