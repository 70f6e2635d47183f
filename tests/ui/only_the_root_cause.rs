// A graph with one mistake, and a program that uses it as if it were right: the user sees
// that one mistake, not a second error at every use of the module.
use static_graph::graph;

graph! {
    mod net {
        placeholder x: [f32; 3];
        variable w: [f32; 4];
        let y = x * w;
        let cost = sum(y);
        minimize cost;
    }
}

fn main() {
    let p = net::Placeholders { x: [1.0, 2.0, 3.0] };
    let mut v = net::Variables::default();
    v.w[0] = 0.5;
    let values = net::sgd_step(&p, &mut v, 0.1);
    let (after, gradients) = net::backward(&p, &v);
    println!("{} {} {:?}", values.cost, after.cost, gradients.w);
    let _ = net::forward(&p, &v).y;
}
