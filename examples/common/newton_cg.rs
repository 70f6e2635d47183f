//! Newton-CG (a truncated Newton method) with the generated `hvp`: each step solves
//! `H s = -g` by conjugate gradients using only Hessian-vector products, never forming `H`,
//! then halves the step until the cost falls enough. Here it fits softmax regression on
//! Fisher's Iris (with a small L2 penalty, so that a minimum exists: one class is separable).
//! `#[path]`-included by `examples/optimizers.rs` and `tests/second_order.rs`.

use static_graph::graph;

graph! {
    /// Softmax regression over the 4 measurements, in f64, with `hvp` for Newton's method.
    pub mod iris {
        placeholder x: [f64; batch, 4];
        placeholder labels: [usize; batch];
        variable w: [f64; 4, 3];
        variable b: [f64; 3];
        let logits = matmul(x, w) + b;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels)) + 0.005 * sum(square(w));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize cost;
        hvp;
    }
}

/// The 150 flowers, each measurement standardised.
pub const FLOWERS: usize = 150;

/// All the flowers, each measurement standardised, as the graph's placeholders (the crate
/// that includes this file includes `data/loader.rs` as `loader`).
pub fn flowers() -> iris::Placeholders<FLOWERS> {
    let mut data = crate::loader::iris();
    let reference = crate::loader::DataSet {
        features: data.features.clone(),
        labels: vec![],
        classes: 3,
    };
    data.standardise(&reference);
    let mut p = iris::Placeholders::<FLOWERS>::default();
    for (k, (row, &label)) in data.features.iter().zip(&data.labels).enumerate() {
        for (to, &from) in p.x[k].iter_mut().zip(row) {
            *to = f64::from(from);
        }
        p.labels[k] = label;
    }
    p
}

/// One Newton step: the cost and gradient norm before it, the conjugate-gradient iterations
/// (Hessian-vector products) it took, and the step length the line search kept.
#[derive(Debug)]
pub struct Iteration {
    /// The cost before the step.
    pub cost: f64,
    /// The gradient's Euclidean norm before the step.
    pub gradient_norm: f64,
    /// Hessian-vector products used.
    pub products: usize,
    /// The fraction of the Newton step taken (1 unless the line search halved it).
    pub step: f64,
}

/// Every float of `tensors`, in order.
fn flat<const N: usize>(tensors: [(&'static str, &[f64]); N]) -> Vec<f64> {
    tensors.iter().flat_map(|(_, t)| t.iter().copied()).collect()
}

/// The variables holding `values`, in the order `flat` reads them.
fn variables(values: &[f64]) -> iris::Variables {
    let mut v = iris::Variables::default();
    let mut rest = values;
    for (_, t) in v.tensors_mut() {
        let (head, tail) = rest.split_at(t.len());
        t.copy_from_slice(head);
        rest = tail;
    }
    v
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// Fits `p` from zero weights by Newton-CG until the gradient norm is below `tolerance` (or
/// after `limit` steps): the fitted variables and each step taken.
pub fn fit(p: &iris::Placeholders<FLOWERS>, tolerance: f64, limit: usize) -> (iris::Variables, Vec<Iteration>) {
    let mut x = flat(iris::Variables::default().tensors());
    let mut steps = Vec::new();
    for _ in 0..limit {
        let (values, gradients) = iris::backward(p, &variables(&x));
        let g = flat(gradients.tensors());
        let norm = dot(&g, &g).sqrt();
        if norm < tolerance {
            break;
        }
        // Conjugate gradients on H s = -g, to a relative residual of min(0.5, sqrt(|g|)): loose
        // far from the minimum, tight near it (superlinear convergence).
        let forcing = 0.5f64.min(norm.sqrt()) * norm;
        let (mut s, mut r) = (vec![0.0; x.len()], g.iter().map(|v| -v).collect::<Vec<f64>>());
        let mut d = r.clone();
        let mut products = 0;
        while products < 2 * x.len() {
            let hd = flat(iris::hvp(p, &variables(&x), &variables(&d)).tensors());
            products += 1;
            let curvature = dot(&d, &hd);
            if curvature <= 0.0 {
                break;
            }
            let rr = dot(&r, &r);
            let alpha = rr / curvature;
            for k in 0..x.len() {
                s[k] += alpha * d[k];
                r[k] -= alpha * hd[k];
            }
            if dot(&r, &r).sqrt() < forcing {
                break;
            }
            let beta = dot(&r, &r) / rr;
            for k in 0..x.len() {
                d[k] = r[k] + beta * d[k];
            }
        }
        // Backtracking: the full step unless the cost does not fall by enough (Armijo).
        let slope = dot(&g, &s);
        let mut step = 1.0;
        let moved = |step: f64| -> Vec<f64> { x.iter().zip(&s).map(|(x, s)| x + step * s).collect() };
        while iris::forward(p, &variables(&moved(step))).cost > values.cost + 1e-4 * step * slope && step > 1e-8 {
            step /= 2.0;
        }
        x = moved(step);
        steps.push(Iteration {
            cost: values.cost,
            gradient_norm: norm,
            products,
            step,
        });
    }
    (variables(&x), steps)
}
