//! The 64-32-10 digits network of `digits_mlp` trained three ways from the same seed: plain
//! gradient descent (`sgd_step`), momentum and Adam, each declared in the graph after
//! `minimize` and stepped by its generated `momentum_step` / `adam_step`. One line per epoch,
//! and one SVG with the three loss curves. Then a second-order method: softmax regression on
//! Iris fitted by Newton-CG with the generated `hvp` (`examples/common/newton_cg.rs`), one
//! line per Newton step.
//!
//! Run with `cargo run --release --example optimizers`.

#[path = "../data/loader.rs"]
mod loader;
#[path = "common/newton_cg.rs"]
mod newton_cg;

use plotters::prelude::*;
use static_graph::graph;

graph! {
    /// 8x8 images to 10 digit classes, with two optimizers declared.
    pub mod mlp {
        placeholder x: [f32; batch, 64];
        placeholder labels: [usize; batch];
        variable w1: [f32; 64, 32] = glorot_uniform;
        variable b1: [f32; 32];
        variable w2: [f32; 32, 10] = glorot_uniform;
        variable b2: [f32; 10];
        let logits = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize cost;
        optimizer momentum(learning_rate = 0.05, momentum = 0.9);
        optimizer adam(learning_rate = 0.005);
    }
}

const BATCH: usize = 32;
const TRAIN: usize = 1438;
const TEST: usize = 359;
const EPOCHS: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut data = loader::digits();
    data.scale(16.0);
    let (train, test) = data.split(0.2, 42);
    let mut whole_train = mlp::Placeholders::<TRAIN>::default();
    train.batch_ids(0, &mut whole_train.x, &mut whole_train.labels);
    let mut whole_test = mlp::Placeholders::<TEST>::default();
    test.batch_ids(0, &mut whole_test.x, &mut whole_test.labels);

    // Each method's variables, from the same seed, and its step.
    let (mut sgd, mut with_momentum, mut with_adam) = (
        mlp::Variables::init(42),
        mlp::Variables::init(42),
        mlp::Variables::init(42),
    );
    let (mut momentum, mut adam) = (mlp::Momentum::new(), mlp::Adam::new());
    let mut p = mlp::Placeholders::<BATCH>::default();
    let mut values = mlp::Values::<BATCH>::default();
    let mut workspace = mlp::Workspace::<BATCH>::default();
    let mut curves: [Vec<f64>; 3] = Default::default();
    let started = std::time::Instant::now();
    for epoch in 1..=EPOCHS {
        for start in (0..TRAIN).step_by(BATCH) {
            train.batch_ids(start, &mut p.x, &mut p.labels);
            mlp::sgd_step_into(&p, &mut sgd, 0.05, &mut values, &mut workspace);
            mlp::momentum_step_into(&p, &mut with_momentum, &mut momentum, &mut values, &mut workspace);
            mlp::adam_step_into(&p, &mut with_adam, &mut adam, &mut values, &mut workspace);
        }
        let mut line = format!("epoch {epoch:2}");
        for (k, (name, v)) in [("sgd", &sgd), ("momentum", &with_momentum), ("adam", &with_adam)]
            .into_iter()
            .enumerate()
        {
            let (on_train, on_test) = (mlp::forward(&whole_train, v), mlp::forward(&whole_test, v));
            line += &format!("  {name} loss {:.4} test {:.3}", on_train.cost, on_test.accuracy);
            curves[k].push(f64::from(on_train.cost));
        }
        println!("{line}");
    }
    println!("trained three networks in {:.2} s", started.elapsed().as_secs_f64());

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("optimizers.svg");
    plot(&path, &curves)?;
    println!("curves written to {}", path.display());

    // Newton-CG: a handful of steps, each a few Hessian-vector products, to the minimum.
    println!("\nsoftmax regression on Iris by Newton-CG with hvp:");
    let started = std::time::Instant::now();
    let flowers = newton_cg::flowers();
    let (fitted, steps) = newton_cg::fit(&flowers, 1e-10, 20);
    let elapsed = started.elapsed().as_secs_f64();
    for (k, step) in steps.iter().enumerate() {
        println!(
            "newton {:2}  cost {:.10}  |gradient| {:.2e}  {:2} Hessian-vector products  step {}",
            k + 1,
            step.cost,
            step.gradient_norm,
            step.products,
            step.step
        );
    }
    let last = newton_cg::iris::backward(&flowers, &fitted);
    let norm = last
        .1
        .tensors()
        .iter()
        .flat_map(|(_, g)| g.iter())
        .map(|g| g * g)
        .sum::<f64>()
        .sqrt();
    println!(
        "converged in {} steps ({:.1} ms): cost {:.10}, |gradient| {norm:.1e}, accuracy {:.3}",
        steps.len(),
        elapsed * 1e3,
        last.0.cost,
        last.0.accuracy
    );
    Ok(())
}

/// The three training losses per epoch, on a log scale.
fn plot(path: &std::path::Path, curves: &[Vec<f64>; 3]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let epochs = curves[0].len() as f64;
    let all = curves.iter().flatten().copied();
    let (low, high) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let mut chart = ChartBuilder::on(&root)
        .caption("training loss", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(1.0..epochs, (low * 0.9..high * 1.1).log_scale())?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for ((name, values), colour) in ["sgd", "momentum", "adam"].iter().zip(curves).zip([RED, BLUE, GREEN]) {
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(e, &v)| (e as f64 + 1.0, v)),
                &colour,
            ))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}
