//! The seed question: `logits = x * w; y = softmax(logits); loss = (y - y_true)^2;
//! cost = mean(loss)`, one step of gradient descent with learning rate 1, and why a
//! gradient derived by hand from the diagonal of the softmax Jacobian does not reproduce
//! TensorFlow's weights.
//!
//! Run with `cargo run --release --example softmax_backprop`.

use static_graph::graph;

graph! {
    /// The graph from the question, in float32 like TensorFlow's.
    pub mod softmax_net {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];

        let logits = multiply(x, w);
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);

        minimize cost;
    }
}

use softmax_net::{Placeholders, Values, Variables};

/// Prints the values in the layout of the question's `get_val()`.
fn print_values(values: &Values, v: &Variables) {
    println!("LOSS:   {:?}", values.loss);
    println!("COST:   {:?}", values.cost);
    println!("Y:      {:?}", values.y);
    println!("LOGITS: {:?}", values.logits);
    println!("W:      {:?}", v.w);
}

fn main() {
    let p = Placeholders {
        x: [1.0, 2.0, 3.0, 4.0, 5.0],
        y_true: [3.0, 4.0, 5.0, 6.0, 7.0],
    };
    let mut v = Variables::default();

    println!("== before training");
    print_values(&softmax_net::forward(&p, &v), &v);

    let adjoints = softmax_net::adjoints(&p, &v);
    let before = softmax_net::sgd_step(&p, &mut v, 1.0);

    println!("\n== after one step of gradient descent, learning rate 1");
    print_values(&softmax_net::forward(&p, &v), &v);

    // The hand derivation from the question keeps only the diagonal of the softmax
    // Jacobian: d_logits_i = d_y_i * y_i * (1 - y_i).
    let y = before.y;
    let diagonal_logits: Vec<f32> = (0..5).map(|i| adjoints.y[i] * y[i] * (1.0 - y[i])).collect();
    let diagonal_w: Vec<f32> = (0..5).map(|i| diagonal_logits[i] * p.x[i]).collect();
    let dot: f32 = (0..5).map(|i| adjoints.y[i] * y[i]).sum();

    println!("\n== gradients at the start");
    println!("d cost / d y      = {:?}", adjoints.y);
    println!("d cost / d logits = {:?}   (full Jacobian)", adjoints.logits);
    println!("                    {diagonal_logits:?}   (diagonal only)");
    println!("d cost / d w      = {:?}   (full Jacobian)", adjoints.w);
    println!("                    {diagonal_w:?}   (diagonal only)");
    println!(
        "\nThe softmax Jacobian is dy_i/dlogit_j = y_i (delta_ij - y_j). Keeping only the diagonal\n\
         y_i (1 - y_i) drops the off-diagonal terms -y_i y_j, which add up to -y_i * sum_j(d_y_j y_j).\n\
         Here sum(d_y * y) = {dot:.4}, far from zero, so the true gradient is\n\
         d_logits = y * (d_y - sum(d_y * y)), as the generated backward pass computes:"
    );
    println!("\n{}", softmax_net::GRADIENTS);

    // The forward graph (boxes) and the backward graph (blue ellipses, derived nodes labelled
    // with their formulas) as a picture: with the `svg` feature, no Graphviz needed.
    #[cfg(feature = "svg")]
    {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("softmax_backprop.svg");
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("target/ can be made");
        std::fs::write(&path, static_graph::svg(softmax_net::DOT)).expect("the picture can be written");
        println!("the forward and backward graph: {}", path.display());
    }
    #[cfg(not(feature = "svg"))]
    println!("(with `--features svg`, this example also draws the forward and backward graph)");
}
