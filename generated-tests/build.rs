//! Writes the graphs that this crate's tests compile: the random graphs of
//! `tests/random_graphs.rs`, and the 3,000-term sum of `tests/machine_written.rs`.
//!
//! A seeded generator makes valid `graph!` programs over every op of the language, with
//! broadcasting, batch dimensions and reductions along axes, so the macro compiles them for
//! real and the test checks each against the interpreter and finite differences. 200 graphs
//! by default; `STATIC_GRAPH_RANDOM_GRAPHS=N` asks for more, `STATIC_GRAPH_RANDOM_SEED=S`
//! for another family. Every graph is named after the seed and its index, so a failure names
//! what to regenerate.

use graph_core::Op;
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=STATIC_GRAPH_RANDOM_GRAPHS");
    println!("cargo:rerun-if-env-changed=STATIC_GRAPH_RANDOM_SEED");
    let count: usize = std::env::var("STATIC_GRAPH_RANDOM_GRAPHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("STATIC_GRAPH_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2026);
    let mut out = String::new();
    let mut checks = String::new();
    for index in 0..count {
        let name = format!("seed_{seed}_graph_{index}");
        let mut rng =
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let (body, named, ids) = Generator::new(&mut rng).graph();
        writeln!(out, "graph_case!({name} {{\n{body}}});\n").unwrap();
        let sizes: Vec<String> = named.iter().map(usize::to_string).collect();
        let ids: Vec<String> = ids.iter().map(|id| format!("{id} < {ID_BOUND}")).collect();
        // A function per graph: one frame each, however many graphs there are.
        writeln!(
            out,
            "fn check_{name}() {{\n    check!({name}, cost, 0.5, 1.5, [{}], ids = [{}]);\n}}\n",
            sizes.join(", "),
            ids.join(", ")
        )
        .unwrap();
        writeln!(checks, "    check_{name}();").unwrap();
    }
    writeln!(
        out,
        "#[test]\nfn random_graphs_match_the_interpreter_and_finite_differences() {{\n{checks}}}"
    )
    .unwrap();
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("random_graphs.rs"), out).unwrap();
    std::fs::write(out_dir.join("long_sum.rs"), long_sum(LONG_SUM_TERMS)).unwrap();
}

/// Terms of the machine-written sum `tests/machine_written.rs` compiles.
const LONG_SUM_TERMS: usize = 3000;

/// A graph whose one `let` is a sum of `terms` terms, as a program writes it:
/// `x * w * 1 - x * w * 2 + x * w * 3 - ...`.
fn long_sum(terms: usize) -> String {
    let mut sum = String::from("x * w * 1");
    for k in 2..=terms {
        let sign = if k % 2 == 0 { '-' } else { '+' };
        write!(sum, " {sign} x * w * {k}").unwrap();
    }
    format!(
        "/// Terms in `long::s`.\npub const TERMS: usize = {terms};\n\n\
         static_graph::graph! {{\n    /// A sum of {terms} terms.\n    pub mod long {{\n        \
         placeholder x: [f64; 4];\n        variable w: [f64; 4];\n        let s = {sum};\n        \
         let cost = sum(s);\n        minimize cost;\n    }}\n}}\n"
    )
}

/// xorshift64: small, deterministic, enough to choose among a few options.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A tensor in scope: its name and dimensions (`0` stands for the batch dimension), and
/// whether it holds integer ids.
struct Value {
    name: String,
    dims: Vec<usize>,
    ids: bool,
}

/// Every id is below this: the shortest numbered axis a table, a depth or a number of
/// classes has in a generated graph.
const ID_BOUND: usize = 2;

struct Generator<'a> {
    rng: &'a mut Rng,
    values: Vec<Value>,
    lines: Vec<String>,
    lets: Vec<String>,
    batch: bool,
    seq: bool,
}

/// The named dimensions, in a list of dimensions: `batch` (first) and `seq`.
const BATCH: usize = 0;
const SEQ: usize = usize::MAX;

/// Whether `d` is a named dimension.
fn named(d: usize) -> bool {
    d == BATCH || d == SEQ
}

impl<'a> Generator<'a> {
    fn new(rng: &'a mut Rng) -> Self {
        let batch = rng.below(4) == 0;
        let seq = batch && rng.below(2) == 0;
        Generator {
            rng,
            values: Vec::new(),
            lines: Vec::new(),
            lets: Vec::new(),
            batch,
            seq,
        }
    }

    fn dims_text(dims: &[usize]) -> String {
        if dims.is_empty() {
            return "f64".to_owned();
        }
        let dims: Vec<String> = dims
            .iter()
            .map(|&d| match d {
                BATCH => "batch".to_owned(),
                SEQ => "seq".to_owned(),
                d => d.to_string(),
            })
            .collect();
        format!("[f64; {}]", dims.join(", "))
    }

    /// The program, the sizes of its named dimensions to check it at, and its placeholders
    /// of ids.
    fn graph(mut self) -> (String, Vec<usize>, Vec<String>) {
        let shapes: [&[usize]; 5] = [&[], &[3], &[2, 3], &[3, 2], &[2, 3, 2]];
        for k in 0..1 + self.rng.below(2) {
            // A graph with two named dimensions has a sequence: its first input is [batch, seq, 2].
            let mut dims = if self.seq && k == 0 {
                shapes[4].to_vec()
            } else {
                shapes[self.rng.below(5)].to_vec()
            };
            if self.batch && !dims.is_empty() {
                dims[0] = BATCH;
            }
            if self.seq && dims.len() >= 3 {
                dims[1] = SEQ;
            }
            self.declare("placeholder", &format!("x{k}"), dims);
        }
        let mut ids = Vec::new();
        if self.rng.below(3) == 0 {
            // Ids of one integer type, one per row: `[i32; 3]` or `[usize; batch]`.
            let ty = ["i32", "i64", "usize"][self.rng.below(3)];
            let dims = if self.batch { vec![BATCH] } else { vec![3] };
            self.lines.push(format!(
                "    placeholder k0: {};",
                Self::dims_text(&dims).replace("f64", ty)
            ));
            self.values.push(Value {
                name: "k0".to_owned(),
                dims,
                ids: true,
            });
            ids.push("k0".to_owned());
        }
        self.batch = self.values.iter().any(|v| v.dims.contains(&BATCH));
        self.seq = self.values.iter().any(|v| v.dims.contains(&SEQ));
        let variables = 1 + self.rng.below(2);
        for k in 0..variables {
            let dims = shapes[1 + self.rng.below(3)].to_vec();
            self.declare("variable", &format!("w{k}"), dims);
        }
        if !self.seq && self.rng.below(4) == 0 {
            // Images `[batch, 4, 3, 2]` (NHWC) and filters for them, for convolutions and pools.
            let first = if self.batch { BATCH } else { 2 };
            self.declare("placeholder", "i0", vec![first, 4, 3, 2]);
            let size = [[2, 2], [3, 2], [1, 3]][self.rng.below(3)];
            self.declare("variable", "f0", vec![size[0], size[1], 2, 3]);
            self.batch = self.batch || first == BATCH;
        }
        if self.rng.below(3) == 0 {
            // A constant tensor (`Op::Literal`), read like any value.
            let dims = shapes[1 + self.rng.below(3)].to_vec();
            let mut numbers = (0..dims.iter().product::<usize>())
                .map(|_| format!("{:?}", (self.rng.below(9) as f64 - 4.0) * 0.25))
                .collect::<Vec<_>>();
            let literal = match dims.as_slice() {
                [_] => format!("[{}]", numbers.join(", ")),
                [rows, _] => {
                    let columns = numbers.len() / rows;
                    let lists: Vec<String> = (0..*rows)
                        .map(|_| format!("[{}]", numbers.drain(..columns).collect::<Vec<_>>().join(", ")))
                        .collect();
                    format!("[{}]", lists.join(", "))
                }
                _ => unreachable!("constants are drawn from the rank-1 and rank-2 shapes"),
            };
            self.lines
                .push(format!("    const c0: {} = {literal};", Self::dims_text(&dims)));
            self.values.push(Value {
                name: "c0".to_owned(),
                dims,
                ids: false,
            });
        }
        // Every variable is used by the first lets, so each can change the objective (the
        // filters by a convolution of the images).
        for k in 0..variables {
            let w = self.values.iter().position(|v| v.name == format!("w{k}")).unwrap();
            self.step(Some(w));
        }
        if self.values.iter().any(|v| v.name == "f0") {
            let images = self.values.iter().position(|v| v.name == "i0").unwrap();
            self.step_with(images, Op::Conv2d(graph_core::Conv::ONE));
            // A pool of the convolution's output.
            let pool = [Op::MaxPool(graph_core::Conv::ONE), Op::AvgPool(graph_core::Conv::ONE)][self.rng.below(2)];
            self.step_with(self.values.len() - 1, pool);
        }
        for _ in 0..2 + self.rng.below(4) {
            self.step(None);
        }
        let terms: Vec<String> = self
            .lets
            .iter()
            .map(|name| {
                let v = self.values.iter().find(|v| &v.name == name).unwrap();
                if v.dims.is_empty() {
                    name.clone()
                } else {
                    format!("mean({name})")
                }
            })
            .collect();
        self.lines.push(format!("    let cost = {};", terms.join(" + ")));
        self.lines.push("    minimize cost;".to_owned());
        let mut named = Vec::new();
        if self.batch {
            named.push(2 + self.rng.below(3));
        }
        if self.seq {
            named.push(2 + self.rng.below(2));
        }
        (self.lines.join("\n") + "\n", named, ids)
    }

    fn declare(&mut self, kind: &str, name: &str, dims: Vec<usize>) {
        self.lines
            .push(format!("    {kind} {name}: {};", Self::dims_text(&dims)));
        self.values.push(Value {
            name: name.to_owned(),
            dims,
            ids: false,
        });
    }

    /// A float value.
    fn pick(&mut self) -> usize {
        let floats: Vec<usize> = (0..self.values.len()).filter(|&i| !self.values[i].ids).collect();
        floats[self.rng.below(floats.len())]
    }

    /// The placeholder of ids, if the graph has one: its name and dimensions.
    fn ids(&self) -> Option<(String, Vec<usize>)> {
        let v = self.values.iter().find(|v| v.ids)?;
        Some((v.name.clone(), v.dims.clone()))
    }

    /// A float value whose shape broadcasts with `dims`.
    fn partner(&mut self, dims: &[usize]) -> usize {
        let fits: Vec<usize> = (0..self.values.len())
            .filter(|&i| !self.values[i].ids && broadcast(dims, &self.values[i].dims).is_some())
            .collect();
        fits[self.rng.below(fits.len())]
    }

    /// One `let`, reading `first` (or a random value): an op of the language chosen from the
    /// op table (`Op::calls`, and `-a`), written with arguments in its domain.
    fn step(&mut self, first: Option<usize>) {
        let a = first.unwrap_or_else(|| self.pick());
        // `-a`, `a[..]` and `a < b` are syntax, not calls: the op table's `Op::Neg`, `Op::Slice`
        // and `Op::Compare` stand for them.
        let slice = Op::EVERY[Op::Slice(graph_core::Window {
            start: [0; 4],
            dropped: Default::default(),
        })
        .ordinal()];
        let compare = Op::Compare(graph_core::Cmp::Less);
        let ops: Vec<Op> = Op::calls().map(|(op, _)| op).chain([Op::Neg, slice, compare]).collect();
        let op = ops[self.rng.below(ops.len())];
        self.step_with(a, op);
    }

    /// One `let`: `op` applied to value `a`, or a mean of it where the op does not apply to its
    /// shape.
    fn step_with(&mut self, a: usize, op: Op) {
        let (an, ad) = (self.values[a].name.clone(), self.values[a].dims.clone());
        let (expr, dims) = self
            .expression(op, &an, &ad)
            .unwrap_or_else(|| (format!("mean({an})"), vec![]));
        let name = format!("v{}", self.lets.len());
        self.lines.push(format!("    let {name} = {expr};"));
        self.values.push(Value {
            name: name.clone(),
            dims,
            ids: false,
        });
        self.lets.push(name);
    }

    /// `op` applied to `an` (of dims `ad`) and, for two operands, a value that fits, with
    /// inputs kept where each op is smooth and defined; `None` if the shape does not allow it.
    /// Every op is decided here (no wildcard): a new op must say how it is generated.
    fn expression(&mut self, op: Op, an: &str, ad: &[usize]) -> Option<(String, Vec<usize>)> {
        let unary = |f: &str| Some((f.replace("{a}", an), ad.to_vec()));
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div => {
                let b = self.partner(ad);
                let (bn, bd) = (self.values[b].name.clone(), self.values[b].dims.clone());
                let dims = broadcast(ad, &bd)?;
                let expr = match op {
                    Op::Add => format!("{an} + {bn}"),
                    Op::Sub => format!("subtract({an}, {bn})"),
                    Op::Mul => format!("{an} * {bn} * 0.5"),
                    _ => format!("{an} / ({bn} * {bn} + 1)"),
                };
                Some((expr, dims))
            }
            Op::Neg => unary("-{a}"),
            Op::Pow(_) => unary(["pow({a}, 2)", "pow({a}, 3) / 3", "pow({a} * {a} + 1, 0.5)"][self.rng.below(3)]),
            Op::Exp => unary("exp(tanh({a}))"),
            Op::Log => unary("log({a} * {a} + 1)"),
            Op::Sqrt => unary("sqrt({a} * {a} + 1)"),
            Op::Tanh => unary("tanh({a})"),
            Op::Sigmoid => unary("sigmoid({a})"),
            Op::Relu => unary("relu({a})"),
            Op::Abs => unary("abs({a} - 1)"),
            Op::Square => unary("square({a})"),
            Op::Sign => unary("sign({a} - 1) * {a}"),
            Op::Softplus => unary("softplus({a})"),
            Op::LeakyRelu(_) => unary(["leaky_relu({a} - 1)", "leaky_relu({a} - 1, alpha = 0.1)"][self.rng.below(2)]),
            Op::Elu => unary("elu({a} - 1)"),
            Op::Gelu => unary("gelu({a} - 1)"),
            Op::Silu => unary("silu({a})"),
            Op::Log1p => unary("log1p({a} * {a})"),
            Op::Expm1 => unary("expm1(tanh({a}))"),
            Op::Sin => unary("sin({a})"),
            Op::Cos => unary("cos({a})"),
            Op::Rsqrt => unary("rsqrt({a} * {a} + 1)"),
            Op::Erf => unary("erf({a} - 1)"),
            // Finite differences see through `stop_gradient`, so it is written where what it stops
            // sums to nothing (`tests/ops.rs` checks that it stops the gradient).
            Op::StopGradient => unary("stop_gradient({a} * 2) - stop_gradient({a}) * 2 + {a}"),
            // Bounds inside the inputs' range [0.5, 1.5), away from the kinks of a sample.
            Op::Clip(..) => unary("clip({a}, 0.75, 1.25)"),
            Op::Maximum | Op::Minimum | Op::Compare(_) | Op::Select => {
                let b = self.partner(ad);
                let (bn, bd) = (self.values[b].name.clone(), self.values[b].dims.clone());
                let dims = broadcast(ad, &bd)?;
                let expr = match op {
                    Op::Maximum => format!("maximum({an}, {bn} * 0.9)"),
                    Op::Minimum => format!("minimum({an}, {bn} * 1.1)"),
                    // Ids against a number, as a mask of the ids' shape.
                    Op::Compare(_) if self.ids().is_some_and(|(_, kd)| kd == ad) && self.rng.below(2) == 0 => {
                        let (k, _) = self.ids()?;
                        let cmp = ["<", "==", "!="][self.rng.below(3)];
                        return Some((format!("({k} {cmp} 1) * {an}"), ad.to_vec()));
                    }
                    // A mask of the comparison (its gradient is zero) times a value.
                    Op::Compare(_) => {
                        let cmp = ["<", "<=", ">", ">=", "==", "!="][self.rng.below(6)];
                        format!("({an} {cmp} {bn}) * {an}")
                    }
                    _ => format!("select({an} > {bn}, {an} * 2, {bn})"),
                };
                Some((expr, dims))
            }
            Op::Softmax if !ad.is_empty() => unary("softmax({a})"),
            Op::LogSoftmax if !ad.is_empty() => unary("log_softmax({a})"),
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::LogSumExp(_) if !ad.is_empty() => {
                let f = op.call()?.name;
                let mut dims = ad.to_vec();
                if ad.len() >= 2 && self.rng.below(3) == 0 {
                    // Two axes at once, kept or not.
                    let first = self.rng.below(ad.len() - 1);
                    let second = first + 1 + self.rng.below(ad.len() - first - 1);
                    if self.rng.below(2) == 0 {
                        dims[first] = 1;
                        dims[second] = 1;
                        return Some((format!("{f}({an}, axis = ({first}, {second}), keepdims = true)"), dims));
                    }
                    dims.remove(second);
                    dims.remove(first);
                    return Some((
                        format!("{f}({an}, axis = ({first}, -{})", ad.len() - second) + ")",
                        dims,
                    ));
                }
                if self.rng.below(3) == 0 {
                    // The axis stays, with length 1.
                    *dims.last_mut()? = 1;
                    return Some((format!("{f}({an}, axis = -1, keepdims = true)"), dims));
                }
                dims.pop();
                Some((format!("{f}({an}, axis = -1)"), dims))
            }
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::LogSumExp(_) => {
                Some((format!("sum({an})"), vec![]))
            }
            Op::Transpose(_) if ad.len() == 2 && self.rng.below(2) == 0 => {
                Some((format!("transpose({an})"), vec![ad[1], ad[0]]))
            }
            Op::Transpose(_) if ad.len() >= 2 => {
                // A random order of the axes (the batch axis moves too).
                let mut order: Vec<usize> = (0..ad.len()).collect();
                for k in (1..order.len()).rev() {
                    let j = self.rng.below(k + 1);
                    order.swap(k, j);
                }
                let text: Vec<String> = order.iter().map(|k| k.to_string()).collect();
                let dims = order.iter().map(|&k| ad[k]).collect();
                Some((format!("transpose({an}, axes = ({}))", text.join(", ")), dims))
            }
            Op::Reshape if !ad.is_empty() && !ad.iter().any(|&d| named(d)) => {
                let count: usize = ad.iter().product();
                match self.rng.below(2) {
                    0 => Some((format!("reshape({an}, [-1])"), vec![count])),
                    _ => Some((format!("reshape({an}, [1, {count}])"), vec![1, count])),
                }
            }
            Op::Reshape if ad.len() >= 2 && ad[0] == BATCH && !ad[1..].iter().any(|&d| named(d)) => {
                let count: usize = ad[1..].iter().product();
                Some((format!("reshape({an}, [batch, -1])"), vec![BATCH, count]))
            }
            Op::Concat(_) if ad.iter().any(|&d| !named(d)) => {
                let axes: Vec<usize> = (0..ad.len()).filter(|&k| !named(ad[k])).collect();
                let k = axes[self.rng.below(axes.len())];
                let mut dims = ad.to_vec();
                dims[k] *= 2;
                Some((format!("concat({an}, tanh({an}), axis = {k})"), dims))
            }
            Op::MatMul { .. } if ad.len() == 3 => {
                // A batch of matrices times a shared weight, or times its own transposes.
                let k = ad[2];
                let weights: Vec<usize> = (0..self.values.len())
                    .filter(|&i| !self.values[i].ids && self.values[i].dims.len() == 2)
                    .filter(|&i| self.values[i].dims[0] == k && !named(k))
                    .filter(|&i| !named(self.values[i].dims[1]))
                    .collect();
                if !weights.is_empty() && self.rng.below(2) == 0 {
                    let w = weights[self.rng.below(weights.len())];
                    let dims = vec![ad[0], ad[1], self.values[w].dims[1]];
                    return Some((format!("matmul({an}, {})", self.values[w].name), dims));
                }
                Some((
                    format!("matmul({an}, transpose(tanh({an}), axes = (0, 2, 1)))"),
                    vec![ad[0], ad[1], ad[1]],
                ))
            }
            Op::MatMul { .. } if ad.len() == 2 => {
                // [n, k] x [k, m], with a weight of the right rows if there is one.
                let k = ad[1];
                let weights: Vec<usize> = (0..self.values.len())
                    .filter(|&i| !self.values[i].ids && self.values[i].dims.len() == 2)
                    .filter(|&i| self.values[i].dims[0] == k && !named(k))
                    .filter(|&i| !named(self.values[i].dims[1]))
                    .collect();
                let vectors: Vec<usize> = (0..self.values.len())
                    .filter(|&i| !self.values[i].ids && self.values[i].dims == [k] && !named(k))
                    .collect();
                if !vectors.is_empty() && self.rng.below(2) == 0 {
                    // [n, k] x [k] -> [n]
                    let v = vectors[self.rng.below(vectors.len())];
                    return Some((format!("matmul({an}, {})", self.values[v].name), vec![ad[0]]));
                }
                let b = *weights.get(self.rng.below(weights.len().max(1)))?;
                Some((
                    format!("matmul({an}, {})", self.values[b].name),
                    vec![ad[0], self.values[b].dims[1]],
                ))
            }
            Op::SoftmaxCrossEntropy if !ad.is_empty() => {
                let b = self.partner(ad);
                let bn = self.values[b].name.clone();
                if broadcast(ad, &self.values[b].dims)? != ad {
                    return None;
                }
                let mut dims = ad.to_vec();
                dims.pop();
                Some((format!("softmax_cross_entropy({an}, softmax({bn} + {an} * 0))"), dims))
            }
            // Rows of a table with a numbered first axis, picked by the ids.
            Op::Gather if !ad.is_empty() && !named(ad[0]) && ad[0] >= ID_BOUND && ad.len() <= 3 => {
                let (k, kd) = self.ids()?;
                let dims = [&kd[..], &ad[1..]].concat();
                Some((format!("gather({an}, {k})"), dims))
            }
            Op::OneHot(_) => {
                let (k, kd) = self.ids()?;
                let dims = [&kd[..], &[3]].concat();
                match broadcast(&dims, ad) {
                    Some(both) => Some((format!("one_hot({k}, depth = 3) * {an}"), both)),
                    // Summed, so that the value read (a variable, at first) still counts.
                    None => Some((format!("sum(one_hot({k}, depth = 3)) * {an}"), ad.to_vec())),
                }
            }
            // Logits of one row per id: the rows of a table `[V, C]`.
            Op::SparseSoftmaxCrossEntropy if ad.len() == 2 && ad.iter().all(|&d| !named(d) && d >= ID_BOUND) => {
                let (k, kd) = self.ids()?;
                Some((format!("sparse_softmax_cross_entropy(gather({an}, {k}), {k})"), kd))
            }
            // The largest entry of each row, as a mask (random inputs have no ties).
            Op::ArgMax(_) if !ad.is_empty() && !named(ad[ad.len() - 1]) => {
                let depth = ad[ad.len() - 1];
                Some((
                    format!("one_hot(argmax({an}, axis = -1), depth = {depth}) * {an}"),
                    ad.to_vec(),
                ))
            }
            Op::Gather | Op::SparseSoftmaxCrossEntropy | Op::ArgMax(_) | Op::ScatterAdd => None,
            // Images `[n, H, W, C]` of numbered H, W and C, with a filter for their channels.
            Op::Conv2d(_) if ad.len() == 4 && ad[1..].iter().all(|&d| !named(d)) => {
                let filters: Vec<usize> = (0..self.values.len())
                    .filter(|&i| self.values[i].dims.len() == 4 && self.values[i].name.starts_with('f'))
                    .filter(|&i| self.values[i].dims[2] == ad[3])
                    .collect();
                let f = *filters.get(self.rng.below(filters.len().max(1)))?;
                let fd = self.values[f].dims.clone();
                let (text, stride, padding) = self.window_options();
                let (_, out) = graph_core::Conv::new([fd[0], fd[1]], stride, padding, [ad[1], ad[2]])?;
                let name = &self.values[f].name;
                Some((
                    format!("conv2d({an}, {name}{text})"),
                    vec![ad[0], out[0], out[1], fd[3]],
                ))
            }
            Op::MaxPool(_) | Op::AvgPool(_) if ad.len() == 4 && ad[1..].iter().all(|&d| !named(d)) => {
                let size = [[2, 2], [2, 1], [3, 3]][self.rng.below(3)];
                let (text, stride, padding) = self.window_options();
                let (_, out) = graph_core::Conv::new(size, stride, padding, [ad[1], ad[2]])?;
                let f = op.call()?.name;
                let size_text = format!("size = ({}, {})", size[0], size[1]);
                Some((
                    format!("{f}({an}, {size_text}{text})"),
                    vec![ad[0], out[0], out[1], ad[3]],
                ))
            }
            Op::Conv2d(_) | Op::MaxPool(_) | Op::AvgPool(_) => None,
            Op::Im2col(_) | Op::Col2im(_) | Op::MaxPoolGrad(_) | Op::AvgPoolGrad(_) | Op::MaxPoolPick(_) => None,
            Op::Softmax | Op::LogSoftmax | Op::Transpose(_) | Op::MatMul { .. } | Op::SoftmaxCrossEntropy => None,
            Op::Reshape | Op::Concat(_) => None,
            // Not written by users: `Op::calls` never names them.
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Step => None,
            Op::ExtremeMask { .. } | Op::Broadcast | Op::SumTo | Op::Expand(_) => None,
            Op::Slice(_) if ad.iter().any(|&d| !named(d) && d >= 2) => {
                // `..` up to an axis of length 2 or more, then a range or an index of it.
                let k = (0..ad.len()).rev().find(|&k| !named(ad[k]) && ad[k] >= 2)?;
                let mut parts = vec!["..".to_owned(); k];
                let mut dims = ad.to_vec();
                match self.rng.below(3) {
                    0 => {
                        parts.push("1..".to_owned());
                        dims[k] -= 1;
                    }
                    1 => {
                        parts.push("-1".to_owned());
                        dims.remove(k);
                    }
                    _ => {
                        parts.push(format!("..{}", ad[k] - 1));
                        dims[k] -= 1;
                    }
                }
                Some((format!("{an}[{}]", parts.join(", ")), dims))
            }
            Op::Slice(_) | Op::Pad(_) => None,
            // Declared with `const` in `graph`, not written in a `let`.
            Op::Literal(_) => None,
        }
    }
}

impl Generator<'_> {
    /// A window's stride and padding, as keywords (`, stride = 2, padding = same`) and values.
    fn window_options(&mut self) -> (String, [usize; 2], graph_core::Padding) {
        use graph_core::Padding::{Same, Valid};
        match self.rng.below(4) {
            0 => (", stride = 1".to_owned(), [1, 1], Valid),
            1 => (", stride = 2, padding = same".to_owned(), [2, 2], Same),
            2 => (", stride = (1, 2), padding = same".to_owned(), [1, 2], Same),
            _ => (", stride = (2, 1), padding = valid".to_owned(), [2, 1], Valid),
        }
    }
}

/// NumPy broadcasting of two shapes (`0` is the batch dimension, equal only to itself).
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], k: usize| if k < rank - s.len() { 1 } else { s[k - (rank - s.len())] };
    (0..rank)
        .map(|k| match (dim(a, k), dim(b, k)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}
