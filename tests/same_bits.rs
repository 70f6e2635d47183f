//! The same value has the same bits whichever entry point computed it (`forward`,
//! `backward`, `sgd_step`, `adjoints`, and their `_into` forms), whichever instruction set
//! the CPU's loops were compiled for (AVX-512, AVX2+FMA or the baseline; child processes run
//! with `STATIC_GRAPH_SIMD` capping the level), and on any number of threads (child processes
//! run with `RAYON_NUM_THREADS` at 1, 2, 3 and 8, which sizes the pool that long loops and
//! large products share out their work over).

use static_graph::graph;

graph! {
    /// Powers, softmax, means and products, in f64.
    pub mod mixed {
        placeholder a: [f64; 300];
        placeholder c: [f64; 300];
        variable w: [f64; 300] = 0.5;
        variable m: [f64; 300, 4] = uniform(-0.5, 0.5);
        let cube = pow(a - c, 3);
        let soft = softmax(cube * w);
        let root = pow(a * a + 1, 0.5) * w;
        let projected = matmul(soft, m);
        let cost = mean(cube * w) + sum(projected * projected) + mean(root) + mean(pow(w, 7));
        minimize cost;
    }
}

graph! {
    /// Long f32 loops: blocks, lanes, the polynomial exp and tanh, chunks over the pool.
    pub mod long {
        placeholder x: [f32; 300000];
        variable w: [f32; 300000] = uniform(-1, 1);
        let y = tanh(x * w) + exp(x - w) / 4;
        let cost = mean(y * y) + max(y);
        minimize cost;
    }
}

graph! {
    /// A cube of scalars, as in the report: `pow(a - c, 3)` with `a - c = -4.7`. With LLVM's
    /// `powi` (before the runtime's `powi_f64`), a release build folded the call with known
    /// inputs to -103.82300000000001 and computed -103.82300000000002 at run time.
    pub mod scalars {
        placeholder a: f64;
        placeholder c: f64;
        variable w: f64 = 1;
        let cube = pow(a - c, 3);
        let cost = cube * w + pow(w, 3);
        minimize cost;
    }
}

#[test]
fn a_cube_of_scalars_has_the_same_bits_everywhere() {
    let p = scalars::Placeholders { a: 0.3, c: 5.0 };
    let v = scalars::Variables::default();
    let forward = scalars::forward(&p, &v);
    let (backward, _) = scalars::backward(&p, &v);
    let mut stepped = v.clone();
    let step = scalars::sgd_step(&p, &mut stepped, 0.1);
    assert_eq!(
        forward.cube.to_bits(),
        backward.cube.to_bits(),
        "{} {}",
        forward.cube,
        backward.cube
    );
    assert_eq!(
        forward.cube.to_bits(),
        step.cube.to_bits(),
        "{} {}",
        forward.cube,
        step.cube
    );
    assert_eq!(forward, backward);
    // The same inputs hidden from the optimiser: what it may fold at compile time above, it
    // must compute at run time here, to the same bits.
    let hidden = std::hint::black_box(scalars::Placeholders { a: 0.3, c: 5.0 });
    let (at_run_time, _) = scalars::backward(&hidden, std::hint::black_box(&v));
    assert_eq!(
        forward.cube.to_bits(),
        at_run_time.cube.to_bits(),
        "{} {}",
        forward.cube,
        at_run_time.cube
    );
}

/// Deterministic inputs from `seed`.
fn fill(values: &mut [f64], seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for v in values {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *v = (state % 20_000) as f64 / 1000.0 - 10.0;
    }
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn every_entry_point_computes_the_same_bits() {
    for seed in 1..=20 {
        let mut p = mixed::Placeholders::default();
        fill(&mut p.a, seed);
        fill(&mut p.c, seed + 100);
        let v = mixed::Variables::init(seed);
        let forward = mixed::forward(&p, &v);
        let (backward, gradients) = mixed::backward(&p, &v);
        let mut stepped = v.clone();
        let step = mixed::sgd_step(&p, &mut stepped, 0.01);
        let adjoints = mixed::adjoints(&p, &v);
        for ((name, f), ((_, b), (_, s))) in forward
            .tensors()
            .iter()
            .zip(backward.tensors().iter().zip(step.tensors().iter()))
        {
            assert_eq!(bits(f), bits(b), "seed {seed}: `{name}` from forward and backward");
            assert_eq!(bits(f), bits(s), "seed {seed}: `{name}` from forward and sgd_step");
        }
        assert_eq!(bits(&gradients.w), bits(&adjoints.w), "seed {seed}: d_w");
        assert_eq!(
            bits(gradients.m.as_flattened()),
            bits(adjoints.m.as_flattened()),
            "seed {seed}: d_m"
        );
        let mut values = mixed::Values::default();
        let mut workspace = mixed::Workspace::default();
        mixed::forward_into(&p, &v, &mut values, &mut workspace);
        assert_eq!(values, forward);
    }
}

graph! {
    /// A product of 2^23 multiply-adds, which the GEMM shares out over a pool of 4 threads
    /// or more.
    pub mod wide {
        placeholder a: [f32; 512, 1024];
        variable m: [f32; 1024, 16] = uniform(-0.1, 0.1);
        let h = tanh(matmul(a, m));
        let cost = mean(h * h);
        minimize cost;
    }
}

graph! {
    /// A batch of 64 products of 64 x 32 x 64 (2^23 multiply-adds), which a pool of 4 threads
    /// or more shares out a few products at a time.
    pub mod batched {
        placeholder q: [f32; 64, 64, 32];
        variable w: [f32; 32, 32] = uniform(-0.2, 0.2);
        let k = matmul(q, w);
        let scores = matmul(k, transpose(q, axes = (0, 2, 1)));
        let cost = mean(tanh(scores));
        minimize cost;
    }
}

graph! {
    /// A bias of 16 broadcast down 20,000 rows (320,000 elements: chunks over the pool), read
    /// from a copy repeated to a block, and its gradient summed a block at a time into lanes.
    pub mod rows {
        placeholder x: [f32; 20000, 16];
        variable b: [f32; 16] = uniform(-1, 1);
        let y = tanh(x + b);
        let cost = mean(y * y);
        minimize cost;
    }
}

/// The bits of the long graph's values and gradients, the wide product's, the batched
/// products' and the broadcast rows', as text: what a child process prints.
fn long_fingerprint() -> String {
    let mut p = long::Placeholders::default();
    for (k, x) in p.x.iter_mut().enumerate() {
        *x = ((k * 7919) % 2003) as f32 / 1001.0 - 1.0;
    }
    let v = long::Variables::init(5);
    let (values, gradients) = long::backward(&p, &v);
    let hash = |xs: &[f32]| {
        xs.iter()
            .fold(0u64, |h, x| (h ^ u64::from(x.to_bits())).wrapping_mul(0x100_0000_01B3))
    };
    let mut q = wide::Placeholders::default();
    for (k, a) in q.a.as_flattened_mut().iter_mut().enumerate() {
        *a = ((k * 613) % 1009) as f32 / 504.5 - 1.0;
    }
    let (wide_values, wide_gradients) = wide::backward(&q, &wide::Variables::init(2));
    let mut b = batched::Placeholders::default();
    for (k, q) in b.q.as_flattened_mut().as_flattened_mut().iter_mut().enumerate() {
        *q = ((k * 389) % 811) as f32 / 405.5 - 1.0;
    }
    let (batched_values, batched_gradients) = batched::backward(&b, &batched::Variables::init(3));
    let mut r = rows::Placeholders::default();
    for (k, x) in r.x.as_flattened_mut().iter_mut().enumerate() {
        *x = ((k * 211) % 401) as f32 / 200.5 - 1.0;
    }
    let (rows_values, rows_gradients) = rows::backward(&r, &rows::Variables::init(4));
    format!(
        "{:x} {:x} {:x} {:x} {:x} {:x} {:x} {:x} {:x}",
        values.cost.to_bits(),
        hash(&values.y[..]),
        hash(&gradients.w[..]),
        hash(wide_values.h.as_flattened()),
        hash(wide_gradients.m.as_flattened()),
        hash(batched_values.scores.as_flattened().as_flattened()),
        hash(batched_gradients.w.as_flattened()),
        hash(rows_values.y.as_flattened()),
        hash(&rows_gradients.b)
    )
}

#[test]
fn fingerprint_child() {
    // Run by the next test in a child process: prints the fingerprint at its level.
    if std::env::var_os("STATIC_GRAPH_FINGERPRINT").is_some() {
        println!("fingerprint: {}", long_fingerprint());
        println!("threads: {}", static_graph::__private::threads());
    }
}

/// The fingerprint a child process prints with the environment variable `name` set to `value`,
/// and the number of threads its pool had.
fn child_fingerprint(name: &str, value: &str) -> (String, usize) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["fingerprint_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("STATIC_GRAPH_FINGERPRINT", "1")
        .env(name, value)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = |key: &str| {
        text.lines()
            .find_map(|l| l.split_once(key).map(|(_, f)| f.to_owned()))
            .unwrap_or_else(|| panic!("{text}"))
    };
    (line("fingerprint: "), line("threads: ").parse().unwrap())
}

#[test]
fn loops_compute_the_same_bits_on_every_instruction_set() {
    let here = long_fingerprint();
    for level in ["baseline", "avx2"] {
        let (there, _) = child_fingerprint("STATIC_GRAPH_SIMD", level);
        assert_eq!(there, here, "loops compiled for {level} and for this CPU's widest set");
    }
}

#[test]
fn loops_and_products_compute_the_same_bits_on_any_number_of_threads() {
    let here = long_fingerprint();
    for threads in ["1", "2", "3", "8"] {
        let (there, pool) = child_fingerprint("RAYON_NUM_THREADS", threads);
        assert_eq!(pool.to_string(), threads, "the pool has the threads asked for");
        assert_eq!(there, here, "{threads} threads, and the default");
    }
}
