//! The 64 x 784-256-10 network: its tensors are too large for a thread's stack as plain
//! arrays (one `[f32; 784, 256]` is 784 KiB), so the generated structs box them. Runs
//! `forward`, `backward`, `sgd_step` and the `_into` forms on a 2 MiB thread stack, the
//! default for tests; CI runs it in debug and in release builds.

use static_graph::graph;

graph! {
    /// `h = tanh(x W1 + b1)`, `y = softmax(h W2 + b2)`, `cost = mean((y - t)^2)`.
    pub mod mlp {
        placeholder x: [f32; batch, 784];
        placeholder t: [f32; batch, 10];
        variable w1: [f32; 784, 256] = glorot_uniform;
        variable b1: [f32; 256];
        variable w2: [f32; 256, 10] = glorot_uniform;
        variable b2: [f32; 10];
        let h = tanh(matmul(x, w1) + b1);
        let y = softmax(matmul(h, w2) + b2);
        let cost = mean(pow(y - t, 2));
        minimize cost;
    }
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no stack overflow");
}

fn inputs<const B: usize>() -> mlp::Placeholders<B> {
    let mut p = mlp::Placeholders::<B>::default();
    for (row, (x, t)) in p.x.iter_mut().zip(p.t.iter_mut()).enumerate() {
        for (j, x) in x.iter_mut().enumerate() {
            *x = ((row * 31 + j * 17) % 97) as f32 / 97.0;
        }
        t[row % 10] = 1.0;
    }
    p
}

#[test]
fn trains_on_a_two_mebibyte_stack() {
    on_small_stack(|| {
        let p = inputs::<64>();
        let mut v = mlp::Variables::init(1);
        assert_ne!(v.w1[0][0], 0.0, "glorot_uniform draws");
        let limit = (6.0f32 / (784.0 + 256.0)).sqrt();
        assert!(v.w1.iter().flatten().all(|w| w.abs() <= limit));

        let first = mlp::forward(&p, &v).cost;
        let (values, gradients) = mlp::backward(&p, &v);
        assert_eq!(values.cost, first);
        assert!(gradients.w1.iter().flatten().all(|g| g.is_finite()));
        assert!(gradients.w1.iter().flatten().any(|g| *g != 0.0));

        let mut values = mlp::Values::<64>::default();
        let mut workspace = mlp::Workspace::<64>::default();
        for _ in 0..20 {
            mlp::sgd_step_into(&p, &mut v, 0.5, &mut values, &mut workspace);
        }
        let last = mlp::forward(&p, &v).cost;
        assert!(last < first, "training lowers the cost: {first} -> {last}");

        let step = mlp::sgd_step(&p, &mut v, 0.5);
        assert!(
            (step.cost - last).abs() < 1e-6,
            "sgd_step returns the values before its step"
        );
    });
}

#[test]
fn one_compiled_graph_runs_any_batch_size() {
    on_small_stack(|| {
        let v = mlp::Variables::init(7);
        let small = mlp::forward(&inputs::<3>(), &v);
        let large = mlp::forward(&inputs::<200>(), &v);
        // Row r of the input is the same in both batches, so its outputs are too.
        for r in 0..3 {
            for (a, b) in small.y[r].iter().zip(&large.y[r]) {
                assert!((a - b).abs() < 1e-6);
            }
        }
        assert!(large.y.iter().all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-5));
    });
}

graph! {
    /// 141 tensors of 4096 elements each (16 KiB, each just within the per-tensor limit for
    /// staying inline): 2.2 MiB of `Values`, more than a 2 MiB thread's whole stack, so the
    /// struct must box most of them.
    pub mod wide {
        placeholder x: [f32; 4096];
        variable w: [f32; 4096] = 0.5;
        let l1 = x * w;
        let l2 = l1 * 0.5 + x;
        let l3 = l2 * 0.5 + x;
        let l4 = l3 * 0.5 + x;
        let l5 = l4 * 0.5 + x;
        let l6 = l5 * 0.5 + x;
        let l7 = l6 * 0.5 + x;
        let l8 = l7 * 0.5 + x;
        let l9 = l8 * 0.5 + x;
        let l10 = l9 * 0.5 + x;
        let l11 = l10 * 0.5 + x;
        let l12 = l11 * 0.5 + x;
        let l13 = l12 * 0.5 + x;
        let l14 = l13 * 0.5 + x;
        let l15 = l14 * 0.5 + x;
        let l16 = l15 * 0.5 + x;
        let l17 = l16 * 0.5 + x;
        let l18 = l17 * 0.5 + x;
        let l19 = l18 * 0.5 + x;
        let l20 = l19 * 0.5 + x;
        let l21 = l20 * 0.5 + x;
        let l22 = l21 * 0.5 + x;
        let l23 = l22 * 0.5 + x;
        let l24 = l23 * 0.5 + x;
        let l25 = l24 * 0.5 + x;
        let l26 = l25 * 0.5 + x;
        let l27 = l26 * 0.5 + x;
        let l28 = l27 * 0.5 + x;
        let l29 = l28 * 0.5 + x;
        let l30 = l29 * 0.5 + x;
        let l31 = l30 * 0.5 + x;
        let l32 = l31 * 0.5 + x;
        let l33 = l32 * 0.5 + x;
        let l34 = l33 * 0.5 + x;
        let l35 = l34 * 0.5 + x;
        let l36 = l35 * 0.5 + x;
        let l37 = l36 * 0.5 + x;
        let l38 = l37 * 0.5 + x;
        let l39 = l38 * 0.5 + x;
        let l40 = l39 * 0.5 + x;
        let l41 = l40 * 0.5 + x;
        let l42 = l41 * 0.5 + x;
        let l43 = l42 * 0.5 + x;
        let l44 = l43 * 0.5 + x;
        let l45 = l44 * 0.5 + x;
        let l46 = l45 * 0.5 + x;
        let l47 = l46 * 0.5 + x;
        let l48 = l47 * 0.5 + x;
        let l49 = l48 * 0.5 + x;
        let l50 = l49 * 0.5 + x;
        let l51 = l50 * 0.5 + x;
        let l52 = l51 * 0.5 + x;
        let l53 = l52 * 0.5 + x;
        let l54 = l53 * 0.5 + x;
        let l55 = l54 * 0.5 + x;
        let l56 = l55 * 0.5 + x;
        let l57 = l56 * 0.5 + x;
        let l58 = l57 * 0.5 + x;
        let l59 = l58 * 0.5 + x;
        let l60 = l59 * 0.5 + x;
        let l61 = l60 * 0.5 + x;
        let l62 = l61 * 0.5 + x;
        let l63 = l62 * 0.5 + x;
        let l64 = l63 * 0.5 + x;
        let l65 = l64 * 0.5 + x;
        let l66 = l65 * 0.5 + x;
        let l67 = l66 * 0.5 + x;
        let l68 = l67 * 0.5 + x;
        let l69 = l68 * 0.5 + x;
        let l70 = l69 * 0.5 + x;
        let l71 = l70 * 0.5 + x;
        let l72 = l71 * 0.5 + x;
        let l73 = l72 * 0.5 + x;
        let l74 = l73 * 0.5 + x;
        let l75 = l74 * 0.5 + x;
        let l76 = l75 * 0.5 + x;
        let l77 = l76 * 0.5 + x;
        let l78 = l77 * 0.5 + x;
        let l79 = l78 * 0.5 + x;
        let l80 = l79 * 0.5 + x;
        let l81 = l80 * 0.5 + x;
        let l82 = l81 * 0.5 + x;
        let l83 = l82 * 0.5 + x;
        let l84 = l83 * 0.5 + x;
        let l85 = l84 * 0.5 + x;
        let l86 = l85 * 0.5 + x;
        let l87 = l86 * 0.5 + x;
        let l88 = l87 * 0.5 + x;
        let l89 = l88 * 0.5 + x;
        let l90 = l89 * 0.5 + x;
        let l91 = l90 * 0.5 + x;
        let l92 = l91 * 0.5 + x;
        let l93 = l92 * 0.5 + x;
        let l94 = l93 * 0.5 + x;
        let l95 = l94 * 0.5 + x;
        let l96 = l95 * 0.5 + x;
        let l97 = l96 * 0.5 + x;
        let l98 = l97 * 0.5 + x;
        let l99 = l98 * 0.5 + x;
        let l100 = l99 * 0.5 + x;
        let l101 = l100 * 0.5 + x;
        let l102 = l101 * 0.5 + x;
        let l103 = l102 * 0.5 + x;
        let l104 = l103 * 0.5 + x;
        let l105 = l104 * 0.5 + x;
        let l106 = l105 * 0.5 + x;
        let l107 = l106 * 0.5 + x;
        let l108 = l107 * 0.5 + x;
        let l109 = l108 * 0.5 + x;
        let l110 = l109 * 0.5 + x;
        let l111 = l110 * 0.5 + x;
        let l112 = l111 * 0.5 + x;
        let l113 = l112 * 0.5 + x;
        let l114 = l113 * 0.5 + x;
        let l115 = l114 * 0.5 + x;
        let l116 = l115 * 0.5 + x;
        let l117 = l116 * 0.5 + x;
        let l118 = l117 * 0.5 + x;
        let l119 = l118 * 0.5 + x;
        let l120 = l119 * 0.5 + x;
        let l121 = l120 * 0.5 + x;
        let l122 = l121 * 0.5 + x;
        let l123 = l122 * 0.5 + x;
        let l124 = l123 * 0.5 + x;
        let l125 = l124 * 0.5 + x;
        let l126 = l125 * 0.5 + x;
        let l127 = l126 * 0.5 + x;
        let l128 = l127 * 0.5 + x;
        let l129 = l128 * 0.5 + x;
        let l130 = l129 * 0.5 + x;
        let l131 = l130 * 0.5 + x;
        let l132 = l131 * 0.5 + x;
        let l133 = l132 * 0.5 + x;
        let l134 = l133 * 0.5 + x;
        let l135 = l134 * 0.5 + x;
        let l136 = l135 * 0.5 + x;
        let l137 = l136 * 0.5 + x;
        let l138 = l137 * 0.5 + x;
        let l139 = l138 * 0.5 + x;
        let l140 = l139 * 0.5 + x;
        let l141 = l140 * 0.5 + x;
        let cost = mean(l141);
        minimize cost;
    }
}

#[test]
fn a_graph_of_many_mid_sized_tensors_runs_every_entry_point_on_a_two_mebibyte_stack() {
    on_small_stack(|| {
        let mut p = wide::Placeholders::default();
        p.x.fill(1.0);
        let v = wide::Variables::default();
        let values = wide::forward(&p, &v);
        // l1 = 0.5, l_k = l_(k-1) / 2 + 1 -> 2 - 1.5 / 2^(k-1).
        assert!((values.l141[7] - 2.0).abs() < 1e-6);
        let (again, gradients) = wide::backward(&p, &v);
        assert_eq!(again, values);
        assert!(gradients.w.iter().all(|g| g.is_finite()));
        let adjoints = wide::adjoints(&p, &v);
        // `Adjoints` holds more tensors than `Gradients`, so it boxes `w` where `Gradients` need not.
        assert_eq!(adjoints.w[..], gradients.w[..]);
        let mut trained = v.clone();
        let before = wide::sgd_step(&p, &mut trained, 0.1);
        assert_eq!(before.cost, values.cost);
        let boxed = Box::new(wide::Values::default());
        assert_eq!(boxed.l1.len(), 4096);
        let mut workspace = Box::new(wide::Workspace::default());
        let mut into = Box::new(wide::Values::default());
        wide::forward_into(&p, &v, &mut into, &mut workspace);
        assert_eq!(*into, values);
        let _ = (
            wide::Adjoints::default(),
            wide::Gradients::default(),
            wide::Placeholders::default(),
        );
    });
}
