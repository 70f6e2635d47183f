//! The generated functions allocate nothing per call: a counting global allocator watches
//! `backward`, `forward_into`, `backward_into` and `sgd_step` on the seed graph, and the
//! `_into` forms on a batch-generic network (whose outputs and workspace are boxed, made
//! once). The one exception is inside the GEMM: the `gemm` crate allocates its packing buffers
//! per product, so a graph with `matmul` makes at most two allocations per product, none of
//! its own.

// A global allocator is an `unsafe impl`; it only counts and forwards to the system's.
#![allow(unsafe_code)]

use static_graph::graph;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`; the counter is thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
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

/// How many allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
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
    }
}

#[test]
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
    // The counter does count: a boxed value is one allocation.
    assert_eq!(allocations(|| drop(std::hint::black_box(Box::new(1)))), 1);
}

#[test]
fn into_functions_allocate_only_inside_the_gemm() {
    let p = net::Placeholders::<16>::default();
    let mut v = net::Variables::default();
    let mut values = net::Values::default();
    let mut gradients = net::Gradients::default();
    let mut workspace = net::Workspace::<16>::default();
    // The first call may set up the GEMM (its thread pool); count the calls after it.
    net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
    // Forward: one product. Backward and the step: that one and d_w = matmul(transpose(x), g).
    // The GEMM allocates its packing buffers, two per product.
    assert!(allocations(|| net::forward_into(&p, &v, &mut values, &mut workspace)) <= 2);
    assert!(allocations(|| net::backward_into(&p, &v, &mut values, &mut gradients, &mut workspace)) <= 4);
    assert!(allocations(|| net::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace)) <= 4);
}
