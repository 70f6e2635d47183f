//! `tests/no-std-network`, a `#![no_std]` library without `alloc` that declares and trains a
//! network, builds on its own (its own workspace: here static-graph's features would unify
//! with `std`), trains, and computes what the same network computes with `std`, to float
//! rounding: the float functions come from `libm` there and from `std` here, and the products
//! from the runtime's own kernel there and the `gemm` crate here.

#[path = "no-std-network/src/network.rs"]
mod network;

const STEPS: usize = 60;

/// The lines `tests/no-std-network/examples/train.rs` prints, built with `features`.
fn run_no_std_example(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--example", "train", "--manifest-path"])
        .arg(format!("{root}/tests/no-std-network/Cargo.toml"))
        .arg("--target-dir")
        .arg(format!("{root}/target/no-std"))
        .args(features)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the no_std crate builds and runs:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Each of `got` within 1e-4 of `want`, relative: the worst relative difference.
fn assert_costs_close(what: &str, got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    let mut worst = 0.0f32;
    for (step, (got, want)) in got.iter().zip(want).enumerate() {
        let difference = (got - want).abs() / want.abs().max(1e-3);
        worst = worst.max(difference);
        assert!(difference < 1e-4, "{what}, step {step}: cost {got}, with std {want}");
    }
    worst
}

fn parse_costs(lines: &[String]) -> Vec<f32> {
    lines.iter().map(|l| l.parse().expect("a cost")).collect()
}

#[test]
fn a_no_std_crate_without_alloc_trains_like_the_std_build() {
    let lines = run_no_std_example(&[]);
    let costs = parse_costs(&lines[..STEPS]);
    let accuracy: f32 = lines[STEPS]
        .strip_prefix("accuracy ")
        .and_then(|a| a.parse().ok())
        .expect("the accuracy");

    let (std_costs, std_accuracy) = network::train::<STEPS>();
    let worst = assert_costs_close("core only", &costs, &std_costs);
    println!("worst relative difference of the costs over {STEPS} steps: {worst:e}");
    // `sgd_step` updates the weights inside the products: the runtime's own kernel's update.
    let sgd = parse_costs(&lines[STEPS + 1..2 * STEPS + 1]);
    let worst_sgd = assert_costs_close("core only, sgd_step", &sgd, &network::train_sgd::<STEPS>());
    println!("sgd_step: worst relative difference {worst_sgd:e}");
    assert!(sgd[STEPS - 1] < sgd[0] / 4.0, "{sgd:?}");
    assert_eq!(accuracy, std_accuracy);
    // It trains: the cost falls from ln 4 to a small fraction of it, every point classified.
    assert!(costs[0] > 1.0 && costs[STEPS - 1] < 0.05, "{costs:?}");
    assert_eq!(accuracy, 1.0);
}

#[test]
fn with_alloc_and_without_std_boxed_tensors_train_too() {
    let lines = run_no_std_example(&["--features", "alloc"]);
    let batched = parse_costs(&lines[2 * STEPS + 1..]);
    let (std_costs, _) = network::train::<STEPS>();
    let worst = assert_costs_close("alloc", &batched, &std_costs);
    println!("alloc, batched: worst relative difference {worst:e}");
    assert_costs_close("batched with std", &network::train_batched::<STEPS>(), &std_costs);
}

#[test]
fn without_alloc_a_graph_too_large_to_be_inline_does_not_compile() {
    // The crate's doc test is a `compile_fail` graph of 64 x 784 inputs, built against the
    // facade without `alloc` (`graph-syntax/tests/platforms.rs` checks the message it gives).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new(cargo)
        .args(["test", "--quiet", "--doc", "--manifest-path"])
        .arg(format!("{root}/tests/no-std-network/Cargo.toml"))
        .arg("--target-dir")
        .arg(format!("{root}/target/no-std"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "the compile_fail doc test ran: {stdout}");
}
