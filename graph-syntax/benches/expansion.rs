//! Compile time: how long `graph!` takes to expand graphs of 10 to 5,000 nodes, per node.
//! The pipeline must stay linear: time per node flat as graphs grow.
//!
//! `cargo bench -p graph-syntax --bench expansion`; figures are recorded in ARCHITECTURE.md.

use std::fmt::Write as _;
use std::time::Instant;

/// A chain: each `let` reads the one before, through an elementwise op, a broadcast or a
/// reduction, so the graph is one long dependency path.
fn chain(lets: usize) -> String {
    let mut src = String::from(
        "mod chain { placeholder x: [f32; 16, 8]; variable w: [f32; 8]; variable s: f32;\n let v0 = x * w;\n",
    );
    for k in 1..lets {
        let prev = format!("v{}", k - 1);
        let expr = match k % 5 {
            0 => format!("tanh({prev}) * w"),
            1 => format!("{prev} + s"),
            2 => format!("softmax({prev})"),
            3 => format!("{prev} - x * 0.5"),
            _ => format!("sigmoid({prev})"),
        };
        writeln!(src, " let v{k} = {expr};").unwrap();
    }
    writeln!(src, " let cost = mean(v{});\n minimize cost; }}", lets - 1).unwrap();
    src
}

/// A wide tree: many independent branches from the inputs, summed pairwise.
fn tree(leaves: usize) -> String {
    let mut src =
        String::from("mod tree { placeholder x: [f32; 16, 8]; variable w: [f32; 8, 8]; variable b: [f32; 8];\n");
    for k in 0..leaves {
        let expr = match k % 3 {
            0 => "tanh(matmul(x, w) + b)".to_owned(),
            1 => format!("sigmoid(x * {}.5 + b)", k % 7),
            _ => "relu(x - b)".to_owned(),
        };
        writeln!(src, " let l{k} = {expr};").unwrap();
    }
    let mut level: Vec<String> = (0..leaves).map(|k| format!("l{k}")).collect();
    let mut n = 0;
    while level.len() > 1 {
        let mut next = Vec::new();
        for pair in level.chunks(2) {
            if let [a, b] = pair {
                writeln!(src, " let s{n} = {a} + {b};").unwrap();
                next.push(format!("s{n}"));
                n += 1;
            } else {
                next.push(pair[0].clone());
            }
        }
        level = next;
    }
    writeln!(src, " let cost = mean({});\n minimize cost; }}", level[0]).unwrap();
    src
}

/// Nodes in the lowered graph, and the best of `runs` expansion times in seconds.
fn measure(source: &str, runs: usize) -> (usize, f64) {
    let tokens: proc_macro2::TokenStream = source.parse().expect("generated source lexes");
    let nodes = graph_syntax::program(tokens.clone())
        .expect("generated source lowers")
        .graph
        .len();
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        let out = graph_syntax::try_expand(tokens.clone()).expect("generated source compiles");
        best = best.min(start.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    (nodes, best)
}

fn main() {
    println!(
        "{:<6} {:>8} {:>12} {:>14}",
        "shape", "nodes", "expand ms", "us per node"
    );
    for (name, make) in [("chain", chain as fn(usize) -> String), ("tree", tree)] {
        for target in [10, 100, 1_000, 5_000] {
            // Both generators add about three nodes per `let`.
            let source = make((target / 3).max(2));
            let (nodes, seconds) = measure(&source, if target > 1_000 { 2 } else { 5 });
            println!(
                "{name:<6} {nodes:>8} {:>12.1} {:>14.1}",
                seconds * 1e3,
                seconds * 1e6 / nodes as f64
            );
        }
    }
}
