//! The generated functions allocate nothing of their own per call, counted on every thread (the
//! threads of rayon's pool included): a counting global allocator watches `backward`,
//! `forward_into`, `backward_into`, `sgd_step`, `jvp_into` and `hvp_into` on the seed graph,
//! and on the seed graph at 300,000 elements (loops in chunks over the pool). What the
//! libraries underneath allocate is bounded and counted too:
//! - the `gemm` crate allocates its packing buffers, at most two per product, and a large
//!   product shared over the pool a small buffer per further thread for each block of its
//!   inner dimension;
//! - rayon's job queue allocates one block per 63 jobs handed to the pool from outside it, and
//!   each long loop (2^17 elements and up) is one job: under one allocation in ten calls of
//!   the seed step. With one thread (`RAYON_NUM_THREADS=1`, checked in a child process) no
//!   job is handed over, and nothing is allocated.

// A global allocator is an `unsafe impl`; it only counts and forwards to the system's.
#![allow(unsafe_code)]

use static_graph::graph;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

/// Whether allocations are being counted, on any thread.
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes, on every thread, while it runs. Every thread's are counted,
/// so the file has one `#[test]`, which runs the cases in turn: a second test's thread, which
/// the harness starts (and allocates for) at any time, would be counted too.
fn allocations(f: impl FnOnce()) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    f();
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst)
}

graph! {
    /// The seed graph.
    pub mod seed {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];
        let logits = x * w;
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);
        minimize cost;
        jvp;
        hvp;
    }
}

graph! {
    /// A batch-generic network with boxed tensors.
    pub mod net {
        placeholder x: [f32; batch, 784];
        placeholder t: [f32; batch, 10];
        variable w: [f32; 784, 10];
        let cost = mean(softmax_cross_entropy(matmul(x, w), t));
        minimize cost;
        jvp;
        hvp;
    }
}

fn seed_functions_allocate_nothing() {
    let p = seed::Placeholders {
        x: [1.0, 2.0, 3.0, 4.0, 5.0],
        y_true: [3.0, 4.0, 5.0, 6.0, 7.0],
    };
    let mut v = seed::Variables::default();
    let mut values = seed::Values::default();
    let mut gradients = seed::Gradients::default();
    let mut workspace = seed::Workspace::default();
    assert_eq!(
        allocations(|| {
            std::hint::black_box(seed::backward(&p, &v));
        }),
        0,
        "backward"
    );
    assert_eq!(
        allocations(|| seed::forward_into(&p, &v, &mut values, &mut workspace)),
        0,
        "forward_into"
    );
    assert_eq!(
        allocations(|| seed::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace)),
        0,
        "backward_into"
    );
    assert_eq!(
        allocations(|| {
            std::hint::black_box(seed::sgd_step(&p, &mut v, 1.0));
        }),
        0,
        "sgd_step"
    );
    let (mut tangents, mut products) = (seed::Values::default(), seed::Gradients::default());
    let direction = seed::Variables::init(1);
    assert_eq!(
        allocations(|| seed::jvp_into(&p, &v, &direction, &mut values, &mut tangents, &mut workspace)),
        0,
        "jvp_into"
    );
    assert_eq!(
        allocations(|| seed::hvp_into(&p, &v, &direction, &mut products, &mut workspace)),
        0,
        "hvp_into"
    );
    // The counter does count: a boxed value is one allocation.
    assert_eq!(allocations(|| drop(std::hint::black_box(Box::new(1)))), 1);
}

graph! {
    /// The seed graph at 300,000 elements: every loop runs in chunks over the pool.
    pub mod long_seed {
        placeholder x: [f32; 300000];
        placeholder y_true: [f32; 300000];
        variable w: [f32; 300000];
        let y = softmax(x * w);
        let cost = mean(pow(y - y_true, 2));
        minimize cost;
    }
}

/// The pool's threads (`RAYON_NUM_THREADS`, or one per core).
fn threads() -> usize {
    static_graph::__private::threads()
}

fn loops_on_the_pool_allocate_once_in_63_jobs() {
    let p = long_seed::Placeholders::default();
    let mut v = long_seed::Variables::default();
    let mut values = long_seed::Values::default();
    let mut gradients = long_seed::Gradients::default();
    let mut workspace = long_seed::Workspace::default();
    // The first call starts the pool.
    long_seed::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
    let forward = allocations(|| {
        for _ in 0..200 {
            long_seed::forward_into(&p, &v, &mut values, &mut workspace);
        }
    });
    let step = allocations(|| {
        for _ in 0..50 {
            long_seed::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace);
            long_seed::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
        }
    });
    if threads() == 1 {
        assert_eq!((forward, step), (0, 0), "one thread: 200 forward_into, 100 steps");
    } else {
        assert!(forward <= 20, "200 forward_into calls: {forward}");
        assert!(step <= 10, "50 backward_into and sgd_step_into calls: {step}");
    }
}

fn into_functions_allocate_only_inside_the_gemm() {
    let p = net::Placeholders::<16>::default();
    let mut v = net::Variables::default();
    let mut values = net::Values::default();
    let mut gradients = net::Gradients::default();
    let mut workspace = net::Workspace::<16>::default();
    // The first call sets up the GEMM's per-thread caches and the pool; count after it.
    net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
    // Forward: one product. Backward and the step: that one and d_w = matmul(transpose(x), g).
    // The GEMM allocates its packing buffers, at most two per call; a product shared over the
    // pool (2^23 multiply-adds or more) also a small buffer per further thread. These are
    // below that: one call each, on the calling thread.
    let forward = allocations(|| net::forward_into(&p, &v, &mut values, &mut workspace));
    assert!(forward <= 2, "forward_into: {forward}");
    let backward = allocations(|| net::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace));
    assert!(backward <= 4, "backward_into: {backward}");
    let step = allocations(|| net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace));
    assert!(step <= 4, "sgd_step_into: {step}");
    // Forward mode: the product and its tangent; second order: those, the gradient's product
    // and its tangent (each GEMM allocates its packing buffers).
    let (direction, mut tangents, mut products) = (
        net::Variables::init(2),
        net::Values::default(),
        net::Gradients::default(),
    );
    let jvp = allocations(|| net::jvp_into(&p, &v, &direction, &mut values, &mut tangents, &mut workspace));
    assert!(jvp <= 4, "jvp_into: {jvp}");
    let hvp = allocations(|| net::hvp_into(&p, &v, &direction, &mut products, &mut workspace));
    assert!(hvp <= 8, "hvp_into: {hvp}");
}

graph! {
    /// Products large enough to share over the pool (64 x 784 x 256 multiply-adds).
    pub mod wide_net {
        placeholder x: [f32; batch, 784];
        placeholder t: [f32; batch, 256];
        variable w: [f32; 784, 256];
        let cost = mean(pow(matmul(x, w) - t, 2));
        minimize cost;
    }
}

fn large_products_allocate_their_packing_buffers_and_one_more_per_thread() {
    let p = wide_net::Placeholders::<64>::default();
    let mut v = wide_net::Variables::default();
    let mut values = wide_net::Values::default();
    let mut gradients = wide_net::Gradients::default();
    let mut workspace = wide_net::Workspace::<64>::default();
    wide_net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
    // Two packing buffers a product; shared over the pool, a flag buffer per further thread
    // for each of the inner dimension's blocks (784 is at most two), and the pool's queue a
    // block now and then.
    let most = |products: usize| products * (2 + 2 * (threads() - 1)) + usize::from(threads() > 1);
    let forward = allocations(|| wide_net::forward_into(&p, &v, &mut values, &mut workspace));
    assert!(forward <= most(1), "forward_into, one product: {forward}");
    let backward = allocations(|| wide_net::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace));
    assert!(backward <= most(2), "backward_into, two products: {backward}");
    let step = allocations(|| wide_net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace));
    assert!(step <= most(2), "sgd_step_into, two products: {step}");
}

graph! {
    /// A batch of products, each sequence's scores `q kᵀ`, and a matrix shared by the batch.
    pub mod scores {
        placeholder q: [f32; batch, seq, 8];
        variable w: [f32; 8, 8];
        let k = matmul(q, w);
        let cost = mean(matmul(q, transpose(k, axes = (0, 2, 1))));
        minimize cost;
    }
}

fn batched_products_allocate_only_inside_the_gemm() {
    // 5 sequences: the batched product is 5 GEMM calls, the shared-weight one a single call.
    let p = scores::Placeholders::<5, 4>::default();
    let v = scores::Variables::default();
    let mut values = scores::Values::<5, 4>::default();
    let mut workspace = scores::Workspace::<5, 4>::default();
    scores::forward_into(&p, &v, &mut values, &mut workspace);
    let forward = allocations(|| scores::forward_into(&p, &v, &mut values, &mut workspace));
    assert!(forward <= 2 * (5 + 1), "forward_into: {forward}");
}

graph! {
    /// Token ids through an embedding to class ids: the id checks, gathers and their scatters,
    /// sparse cross entropy and `argmax`.
    pub mod tokens {
        placeholder ids: [i32; batch, 4];
        placeholder labels: [usize; batch, 4];
        variable table: [f32; 10, 3] = 0.5;
        let logits = gather(table, ids);
        let loss = mean(sparse_softmax_cross_entropy(logits, labels));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize loss;
    }
}

fn id_kernels_allocate_nothing() {
    let mut p = tokens::Placeholders::<3>::default();
    p.ids[2] = [9, 1, 0, 4];
    p.labels[1] = [2, 2, 0, 1];
    let mut v = tokens::Variables::default();
    let mut values = tokens::Values::<3>::default();
    let mut gradients = tokens::Gradients::default();
    let mut workspace = tokens::Workspace::<3>::default();
    let forward = allocations(|| tokens::forward_into(&p, &v, &mut values, &mut workspace));
    let backward = allocations(|| tokens::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace));
    let step = allocations(|| tokens::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace));
    assert_eq!(
        (forward, backward, step),
        (0, 0, 0),
        "forward_into, backward_into, sgd_step_into"
    );
    assert!(values.loss.is_finite() && values.accuracy >= 0.0);
}

graph! {
    /// A small network with every optimizer, one of them clipped.
    pub mod optimized {
        placeholder x: [f32; batch, 3];
        variable w: [f32; 3, 2] = 0.5;
        variable b: f32;
        let cost = mean(tanh(matmul(x, w)) * b) + b * b;
        minimize cost;
        optimizer momentum(clip_global_norm = 0.5);
        optimizer adam;
        optimizer adamw;
        optimizer rmsprop;
        optimizer adagrad;
    }
}

fn optimizer_steps_allocate_only_inside_the_gemm() {
    let p = optimized::Placeholders::<4>::default();
    let mut v = optimized::Variables::default();
    let mut values = optimized::Values::default();
    let mut workspace = optimized::Workspace::<4>::default();
    let (mut momentum, mut adam, mut adamw) = (
        optimized::Momentum::new(),
        optimized::Adam::new(),
        optimized::AdamW::new(),
    );
    let (mut rmsprop, mut adagrad) = (optimized::RmsProp::new(), optimized::Adagrad::new());
    optimized::adam_step_into(&p, &mut v, &mut adam, &mut values, &mut workspace);
    // Each step: the forward product and the two of the gradients, at most two allocations each.
    let steps = allocations(|| {
        optimized::momentum_step_into(&p, &mut v, &mut momentum, &mut values, &mut workspace);
        optimized::adam_step_into(&p, &mut v, &mut adam, &mut values, &mut workspace);
        optimized::adamw_step_into(&p, &mut v, &mut adamw, &mut values, &mut workspace);
        optimized::rmsprop_step_into(&p, &mut v, &mut rmsprop, &mut values, &mut workspace);
        optimized::adagrad_step_into(&p, &mut v, &mut adagrad, &mut values, &mut workspace);
    });
    assert!(steps <= 5 * 6, "five optimizer steps: {steps}");
}

graph! {
    /// A convolution (windows as rows, then the GEMM) and both pools.
    pub mod convolution {
        placeholder x: [f32; batch, 6, 6, 2];
        variable k: [f32; 3, 3, 2, 4] = 0.1;
        let y = relu(conv2d(x, k, stride = 2, padding = same));
        let cost = sum(max_pool(y, padding = same)) + sum(avg_pool(y, size = 3, stride = 1, padding = same));
        minimize cost;
    }
}

fn convolutions_allocate_only_inside_the_gemm() {
    let p = convolution::Placeholders::<3>::default();
    let mut v = convolution::Variables::default();
    let mut values = convolution::Values::default();
    let mut gradients = convolution::Gradients::default();
    let mut workspace = convolution::Workspace::<3>::default();
    convolution::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
    // Forward: one product. Backward: that one, the windows' gradient and the filters'.
    let forward = allocations(|| convolution::forward_into(&p, &v, &mut values, &mut workspace));
    assert!(forward <= 2, "forward_into: {forward}");
    let backward = allocations(|| convolution::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace));
    assert!(backward <= 6, "backward_into: {backward}");
    let step = allocations(|| convolution::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace));
    assert!(step <= 6, "sgd_step_into: {step}");
}

#[test]
fn generated_functions_allocate_nothing_of_their_own() {
    seed_functions_allocate_nothing();
    loops_on_the_pool_allocate_once_in_63_jobs();
    into_functions_allocate_only_inside_the_gemm();
    large_products_allocate_their_packing_buffers_and_one_more_per_thread();
    batched_products_allocate_only_inside_the_gemm();
    id_kernels_allocate_nothing();
    convolutions_allocate_only_inside_the_gemm();
    optimizer_steps_allocate_only_inside_the_gemm();
    // Then the same cases on one thread, in a child process (the pool's size is fixed once).
    if threads() > 1 {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "generated_functions_allocate_nothing_of_their_own",
                "--test-threads=1",
            ])
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "on one thread:\n{}",
            String::from_utf8_lossy(&child.stdout)
        );
    }
}
