//! The reference interpreter: evaluates every node of a graph in f64, one op at a time,
//! written for clarity rather than speed and independently of the emitter. Tests use it as
//! an oracle for the generated code, and to check that every pass preserves meaning.

use crate::ir::{Axes, Conv, Graph, IndexMap, NodeId, Op, Shape};
use std::collections::BTreeMap;

/// The value of every node, flat in row-major order.
pub type Values = BTreeMap<NodeId, Vec<f64>>;

/// Evaluates `graph` with the named dimensions of sizes `named` (in the graph's order), taking the value of each
/// placeholder and variable from `leaf`.
///
/// Returns an error naming the leaf whose value has the wrong length.
pub fn evaluate(graph: &Graph, named: &[usize], mut leaf: impl FnMut(NodeId) -> Vec<f64>) -> Result<Values, String> {
    let mut values = Values::new();
    for id in graph.topological_order() {
        let value = match graph.op(id) {
            Op::Placeholder | Op::Variable => {
                let value = leaf(id);
                let want = graph.shape(id).size().eval(named);
                if value.len() != want {
                    let name = graph.node(id).name.clone().unwrap_or_else(|| id.to_string());
                    return Err(format!("`{name}` needs {want} values, got {}", value.len()));
                }
                value
            }
            _ => {
                let operands: Vec<&[f64]> = graph.operands(id).iter().map(|o| values[o].as_slice()).collect();
                let evaluator = Evaluator { graph, named };
                evaluator.check_ids(id, &operands)?;
                evaluator.compute(id, &operands)
            }
        };
        values.insert(id, value);
    }
    Ok(values)
}

struct Evaluator<'a> {
    graph: &'a Graph,
    named: &'a [usize],
}

impl Evaluator<'_> {
    fn len(&self, shape: &Shape) -> usize {
        shape.size().eval(self.named)
    }

    fn dim(&self, shape: &Shape, axis: usize) -> usize {
        shape.dim(axis).eval(self.named)
    }

    /// An error naming the first id out of range, if `id` takes ids (as the generated code
    /// panics, before computing anything).
    fn check_ids(&self, id: NodeId, x: &[&[f64]]) -> Result<(), String> {
        let graph = self.graph;
        let Some((k, bound)) = graph.ids_operand(id) else {
            return Ok(());
        };
        let (ids, bound) = (x[k], bound.eval(self.named));
        match ids.iter().position(|&v| !(v >= 0.0 && v < bound as f64)) {
            None => Ok(()),
            Some(at) => Err(format!(
                "`{}`: id {} at position {at} is out of range 0..{bound}",
                graph.op(id).name(),
                ids[at]
            )),
        }
    }

    /// The value of one non-leaf node from its operands' values.
    fn compute(&self, id: NodeId, x: &[&[f64]]) -> Vec<f64> {
        let graph = self.graph;
        let shape = graph.shape(id);
        let operand = |k: usize| graph.shape(graph.operands(id)[k]);
        match *graph.op(id) {
            Op::Placeholder | Op::Variable => unreachable!("leaves are fed, not computed"),
            Op::Constant(c) => vec![c],
            Op::Literal(number) => graph.literal_elements(number).to_vec(),
            Op::Count(size) => vec![size.eval(self.named) as f64],
            Op::Add | Op::Sub | Op::Mul | Op::Div => x[0]
                .iter()
                .zip(x[1])
                .map(|(&a, &b)| scalar(graph.op(id), &[a, b]))
                .collect(),
            Op::Neg | Op::Pow(_) | Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => {
                x[0].iter().map(|&a| scalar(graph.op(id), &[a])).collect()
            }
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => {
                x[0].iter().map(|&a| scalar(graph.op(id), &[a])).collect()
            }
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::Clip(..) | Op::StopGradient => {
                x[0].iter().map(|&a| scalar(graph.op(id), &[a])).collect()
            }
            Op::Maximum | Op::Minimum | Op::Compare(_) => x[0]
                .iter()
                .zip(x[1])
                .map(|(&a, &b)| scalar(graph.op(id), &[a, b]))
                .collect(),
            Op::Select => (0..x[0].len())
                .map(|i| scalar(graph.op(id), &[x[0][i], x[1][i], x[2][i]]))
                .collect(),
            Op::Softmax => rows(x[0], self.dim(shape, shape.rank() - 1), softmax),
            Op::LogSoftmax => rows(x[0], self.dim(shape, shape.rank() - 1), log_softmax),
            Op::SoftmaxCrossEntropy => {
                let row = self.dim(operand(0), operand(0).rank() - 1);
                let log_p = rows(x[0], row, log_softmax);
                log_p
                    .chunks(row)
                    .zip(x[1].chunks(row))
                    .map(|(lp, t)| -lp.iter().zip(t).map(|(l, t)| l * t).sum::<f64>())
                    .collect()
            }
            Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) | Op::Min(axes) => {
                let index = IndexMap::reduction(operand(0), axes);
                let count = axes.count(operand(0)).eval(self.named);
                self.reduce(graph.op(id), x[0], &index, self.len(shape), count)
            }
            Op::LogSumExp(axes) => {
                // Shifted by each slice's maximum where it is finite (by 0 where it is not, so
                // a slice of -inf gives -inf and one with +inf gives +inf).
                let index = IndexMap::reduction(operand(0), axes);
                let len = self.len(shape);
                let max = self.reduce(&Op::Max(axes), x[0], &index, len, 1);
                let shift: Vec<f64> = max.iter().map(|&m| if m.is_finite() { m } else { 0.0 }).collect();
                let mut sums = vec![0.0; len];
                for (i, &v) in x[0].iter().enumerate() {
                    let slot = index.apply(i, self.named);
                    sums[slot] += (v - shift[slot]).exp();
                }
                sums.iter().zip(&shift).map(|(s, c)| s.ln() + c).collect()
            }
            Op::SumTo => self.reduce(
                &Op::Sum(Axes::All),
                x[0],
                &IndexMap::broadcast(shape, operand(0)),
                self.len(shape),
                1,
            ),
            Op::ExtremeMask { axes, min } => {
                let index = IndexMap::reduction(shape, axes);
                let extreme = if min { Op::Min(axes) } else { Op::Max(axes) };
                let slices = self.len(shape) / axes.count(shape).eval(self.named);
                let y = self.reduce(&extreme, x[0], &index, slices, 1);
                extreme_mask(x[0], &y, &index, self.named)
            }
            Op::Broadcast | Op::Expand(_) | Op::Transpose(_) | Op::Reshape | Op::Slice(_) => {
                self.gather(x[0], &graph.view_map(id), self.len(shape))
            }
            Op::Pad(window) => {
                let mut out = vec![0.0; self.len(shape)];
                let index = IndexMap::window(shape, operand(0), window);
                for (i, &v) in x[0].iter().enumerate() {
                    out[index.apply(i, self.named)] = v;
                }
                out
            }
            Op::Concat(axis) => {
                // Each operand is a run of `outer` chunks; the result alternates them.
                let outer: usize = (0..axis).map(|k| self.dim(shape, k)).product();
                let (la, lb) = (x[0].len() / outer, x[1].len() / outer);
                (0..outer)
                    .flat_map(|o| x[0][o * la..(o + 1) * la].iter().chain(&x[1][o * lb..(o + 1) * lb]))
                    .copied()
                    .collect()
            }
            Op::MatMul { ta, tb, fold: true } => {
                // The batch's products, summed.
                let (sa, sb) = (operand(0), operand(1));
                let matrix = |s: &Shape| Shape::of(s.dims()[s.rank() - 2..].to_vec());
                let (ma, mb) = (matrix(sa), matrix(sb));
                let (la, lb) = (self.len(&ma), self.len(&mb));
                let mut sum = vec![0.0; self.len(shape)];
                for (a, b) in x[0].chunks(la).zip(x[1].chunks(lb)) {
                    for (s, p) in sum.iter_mut().zip(self.matmul(a, &ma, ta, b, &mb, tb)) {
                        *s += p;
                    }
                }
                sum
            }
            Op::MatMul { ta, tb, .. } if shape.rank() > 2 || operand(0).rank() > 2 || operand(1).rank() > 2 => {
                // One product per element of the batch, each operand's matrix found through the
                // broadcast of its batch axes.
                let (batch, (sa, sb)) = (
                    Shape::of(shape.dims()[..shape.rank() - 2].to_vec()),
                    (operand(0), operand(1)),
                );
                let matrix = |s: &Shape| Shape::of(s.dims()[s.rank() - 2..].to_vec());
                let (ma, mb) = (matrix(sa), matrix(sb));
                let (la, lb) = (self.len(&ma), self.len(&mb));
                let (ia, ib) = (
                    IndexMap::broadcast(&Shape::of(sa.dims()[..sa.rank() - 2].to_vec()), &batch),
                    IndexMap::broadcast(&Shape::of(sb.dims()[..sb.rank() - 2].to_vec()), &batch),
                );
                (0..self.len(&batch))
                    .flat_map(|t| {
                        let a = &x[0][ia.apply(t, self.named) * la..][..la];
                        let b = &x[1][ib.apply(t, self.named) * lb..][..lb];
                        self.matmul(a, &ma, ta, b, &mb, tb)
                    })
                    .collect()
            }
            Op::MatMul { ta, tb, .. } => self.matmul(x[0], operand(0), ta, x[1], operand(1), tb),
            Op::Gather => {
                let row = x[0].len() / self.dim(operand(0), 0).max(1);
                x[1].iter()
                    .flat_map(|&id| &x[0][id as usize * row..][..row])
                    .copied()
                    .collect()
            }
            Op::ScatterAdd => {
                let mut out = vec![0.0; self.len(shape)];
                let row = out.len() / self.dim(shape, 0).max(1);
                for (r, &id) in x[1].iter().enumerate() {
                    for (o, &v) in out[id as usize * row..][..row].iter_mut().zip(&x[0][r * row..][..row]) {
                        *o += v;
                    }
                }
                out
            }
            Op::OneHot(depth) => {
                let mut out = vec![0.0; self.len(shape)];
                for (r, &id) in x[0].iter().enumerate() {
                    out[r * depth + id as usize] = 1.0;
                }
                out
            }
            Op::SparseSoftmaxCrossEntropy => {
                let row = self.dim(operand(0), operand(0).rank() - 1);
                x[0].chunks(row)
                    .zip(x[1])
                    .map(|(logits, &label)| -log_softmax(logits)[label as usize])
                    .collect()
            }
            Op::Conv2d(conv) => {
                // Straight from the definition: each output a sum over its window and channels.
                let (b, h, w, c) = self.nhwc(operand(0));
                let f = self.dim(operand(1), 3);
                let kw = conv.size[1];
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    for f_i in 0..f {
                        let mut total = 0.0;
                        for (i, j, inside) in window_cells(&conv, oh, ow, h, w) {
                            let Some((y, x_)) = inside else { continue };
                            for ch in 0..c {
                                let filter = x[1][((i * kw + j) * c + ch) * f + f_i];
                                total += x[0][((n * h + y) * w + x_) * c + ch] * filter;
                            }
                        }
                        out[at * f + f_i] = total;
                    }
                }
                out
            }
            Op::Im2col(conv) => {
                let (b, h, w, c) = self.nhwc(operand(0));
                let depth = conv.size[0] * conv.size[1] * c;
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    for (i, j, inside) in window_cells(&conv, oh, ow, h, w) {
                        let Some((y, x_)) = inside else { continue };
                        for ch in 0..c {
                            out[at * depth + (i * conv.size[1] + j) * c + ch] = x[0][((n * h + y) * w + x_) * c + ch];
                        }
                    }
                }
                out
            }
            Op::Col2im(conv) => {
                let (b, h, w, c) = self.nhwc(shape);
                let depth = conv.size[0] * conv.size[1] * c;
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    for (i, j, inside) in window_cells(&conv, oh, ow, h, w) {
                        let Some((y, x_)) = inside else { continue };
                        for ch in 0..c {
                            out[((n * h + y) * w + x_) * c + ch] += x[0][at * depth + (i * conv.size[1] + j) * c + ch];
                        }
                    }
                }
                out
            }
            Op::MaxPool(conv) | Op::AvgPool(conv) => {
                let (b, h, w, c) = self.nhwc(operand(0));
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    for ch in 0..c {
                        let cells: Vec<f64> = window_cells(&conv, oh, ow, h, w)
                            .filter_map(|(_, _, inside)| inside)
                            .map(|(y, x_)| x[0][((n * h + y) * w + x_) * c + ch])
                            .collect();
                        out[at * c + ch] = match graph.op(id) {
                            // A NaN wins and stays, as in `max`.
                            Op::MaxPool(_) => cells.iter().copied().fold(f64::NEG_INFINITY, |m, v| {
                                if !m.is_nan() && (v > m || v.is_nan()) {
                                    v
                                } else {
                                    m
                                }
                            }),
                            _ => cells.iter().sum::<f64>() / cells.len() as f64,
                        };
                    }
                }
                out
            }
            Op::MaxPoolGrad(conv) | Op::MaxPoolPick(conv) => {
                // Each window's gradient to its first maximum in row-major order; or the
                // direction at that maximum, its transpose.
                let pick = matches!(graph.op(id), Op::MaxPoolPick(_));
                let images = if pick { operand(0) } else { shape };
                let (b, h, w, c) = self.nhwc(images);
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    for ch in 0..c {
                        let mut best: Option<(usize, f64)> = None;
                        for (y, x_) in window_cells(&conv, oh, ow, h, w).filter_map(|(_, _, inside)| inside) {
                            let k = ((n * h + y) * w + x_) * c + ch;
                            let v = x[0][k];
                            best = match best {
                                Some((_, m)) if m.is_nan() || !(v > m || v.is_nan()) => best,
                                _ => Some((k, v)),
                            };
                        }
                        if let Some((k, _)) = best {
                            if pick {
                                out[at * c + ch] = x[1][k];
                            } else {
                                out[k] += x[1][at * c + ch];
                            }
                        }
                    }
                }
                out
            }
            Op::AvgPoolGrad(conv) => {
                let (b, h, w, c) = self.nhwc(shape);
                let mut out = vec![0.0; self.len(shape)];
                for (n, oh, ow, at) in self.windows(&conv, b) {
                    let inside: Vec<(usize, usize)> = window_cells(&conv, oh, ow, h, w)
                        .filter_map(|(_, _, inside)| inside)
                        .collect();
                    for ch in 0..c {
                        for &(y, x_) in &inside {
                            out[((n * h + y) * w + x_) * c + ch] += x[0][at * c + ch] / inside.len() as f64;
                        }
                    }
                }
                out
            }
            Op::ArgMax(axis) => {
                // Each slice along `axis`: the first index of its maximum, or of its first NaN.
                let a = operand(0);
                let (n, inner) = (
                    self.dim(a, axis),
                    (axis + 1..a.rank()).map(|k| self.dim(a, k)).product::<usize>(),
                );
                (0..self.len(shape))
                    .map(|r| {
                        let (outer, within) = (r / inner, r % inner);
                        let at = |j: usize| x[0][(outer * n + j) * inner + within];
                        let mut best = 0;
                        for j in 1..n {
                            if at(best).is_nan() {
                                break;
                            }
                            if at(j) > at(best) || at(j).is_nan() {
                                best = j;
                            }
                        }
                        best as f64
                    })
                    .collect()
            }
        }
    }

    /// `[batch, H, W, C]`'s sizes.
    fn nhwc(&self, shape: &Shape) -> (usize, usize, usize, usize) {
        (
            self.dim(shape, 0),
            self.dim(shape, 1),
            self.dim(shape, 2),
            self.dim(shape, 3),
        )
    }

    /// Every window of `conv` over `b` images of `h` x `w`: its image, row and column, and its
    /// place among the windows (row-major).
    fn windows(&self, conv: &Conv, b: usize) -> Vec<(usize, usize, usize, usize)> {
        let [oh, ow] = conv.out;
        (0..b * oh * ow)
            .map(|at| (at / (oh * ow), at / ow % oh, at % ow, at))
            .collect()
    }

    fn gather(&self, x: &[f64], index: &IndexMap, len: usize) -> Vec<f64> {
        (0..len).map(|i| x[index.apply(i, self.named)]).collect()
    }

    /// Folds `x` into `len` results, element `i` going to `index.apply(i)`.
    fn reduce(&self, op: &Op, x: &[f64], index: &IndexMap, len: usize, count: usize) -> Vec<f64> {
        let start = match op {
            Op::Max(_) => f64::NEG_INFINITY,
            Op::Min(_) => f64::INFINITY,
            _ => 0.0,
        };
        let mut out = vec![start; len];
        for (i, &v) in x.iter().enumerate() {
            let slot = &mut out[index.apply(i, self.named)];
            *slot = match op {
                Op::Max(_) if v > *slot || v.is_nan() => v,
                Op::Min(_) if v < *slot || v.is_nan() => v,
                Op::Max(_) | Op::Min(_) => *slot,
                _ => *slot + v,
            };
        }
        if matches!(op, Op::Mean(_)) {
            out.iter_mut().for_each(|v| *v /= count as f64);
        }
        out
    }

    fn matmul(&self, a: &[f64], sa: &Shape, ta: bool, b: &[f64], sb: &Shape, tb: bool) -> Vec<f64> {
        let matrix = |s: &Shape| match s.rank() {
            1 => (1, self.dim(s, 0)),
            _ => (self.dim(s, 0), self.dim(s, 1)),
        };
        let ((ar, ac), (br, bc)) = (matrix(sa), matrix(sb));
        let at = |i: usize, k: usize| if ta { a[k * ac + i] } else { a[i * ac + k] };
        let bt = |k: usize, j: usize| if tb { b[j * bc + k] } else { b[k * bc + j] };
        let (n, inner, m) = (
            if ta { ac } else { ar },
            if ta { ar } else { ac },
            if tb { br } else { bc },
        );
        let mut out = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                out[i * m + j] = (0..inner).map(|k| at(i, k) * bt(k, j)).sum();
            }
        }
        out
    }
}

/// Elementwise arithmetic op `op` on one element of each operand: the one statement of these
/// ops' meaning, which constant folding shares.
pub fn scalar(op: &Op, x: &[f64]) -> f64 {
    match *op {
        Op::Add => x[0] + x[1],
        Op::Sub => x[0] - x[1],
        Op::Mul => x[0] * x[1],
        Op::Div => x[0] / x[1],
        Op::Neg => -x[0],
        Op::Pow(e) => x[0].powf(e),
        Op::Exp => x[0].exp(),
        Op::Log => x[0].ln(),
        Op::Sqrt => x[0].sqrt(),
        Op::Tanh => x[0].tanh(),
        Op::Sigmoid => 1.0 / (1.0 + (-x[0]).exp()),
        // NaN stays NaN, as IEEE arithmetic would have it.
        Op::Relu if x[0] > 0.0 || x[0].is_nan() => x[0],
        Op::Relu => 0.0,
        Op::Step => f64::from(u8::from(x[0] > 0.0)),
        Op::Abs => x[0].abs(),
        Op::Square => x[0] * x[0],
        // 0 (and -0) and NaN are their own sign.
        Op::Sign if x[0] > 0.0 => 1.0,
        Op::Sign if x[0] < 0.0 => -1.0,
        Op::Sign => x[0],
        // `max` ignores a NaN, but `exp(-|NaN|)` keeps it.
        Op::Softplus => x[0].max(0.0) + (-x[0].abs()).exp().ln_1p(),
        Op::LeakyRelu(_) | Op::Elu if x[0] > 0.0 => x[0],
        Op::LeakyRelu(alpha) => alpha * x[0],
        Op::Elu => x[0].exp_m1(),
        Op::Gelu => 0.5 * x[0] * (1.0 + libm::erf(x[0] * std::f64::consts::FRAC_1_SQRT_2)),
        Op::Silu => x[0] / (1.0 + (-x[0]).exp()),
        Op::Log1p => x[0].ln_1p(),
        Op::Expm1 => x[0].exp_m1(),
        Op::Sin => x[0].sin(),
        Op::Cos => x[0].cos(),
        Op::Rsqrt => 1.0 / x[0].sqrt(),
        Op::Erf => libm::erf(x[0]),
        // A NaN wins, as in `max` and `min`.
        Op::Maximum | Op::Minimum if x[0].is_nan() || x[1].is_nan() => f64::NAN,
        Op::Maximum => x[0].max(x[1]),
        Op::Minimum => x[0].min(x[1]),
        Op::Clip(..) if x[0].is_nan() => x[0],
        Op::Clip(lo, hi) => x[0].max(lo).min(hi),
        Op::Compare(cmp) => f64::from(u8::from(cmp.holds(x[0], x[1]))),
        Op::Select => {
            if x[0] != 0.0 {
                x[1]
            } else {
                x[2]
            }
        }
        Op::StopGradient => x[0],
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => {
            unreachable!("a leaf is not computed")
        }
        Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy | Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::LogSumExp(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::ExtremeMask { .. } | Op::MatMul { .. } | Op::Transpose(_) | Op::Broadcast | Op::SumTo | Op::Expand(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::Reshape | Op::Slice(_) | Op::Pad(_) | Op::Concat(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::Gather | Op::ScatterAdd | Op::OneHot(_) | Op::SparseSoftmaxCrossEntropy | Op::ArgMax(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::Conv2d(_) | Op::Im2col(_) | Op::Col2im(_) | Op::MaxPool(_) | Op::AvgPool(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
        Op::MaxPoolGrad(_) | Op::AvgPoolGrad(_) | Op::MaxPoolPick(_) => {
            unreachable!("{op} is not elementwise arithmetic")
        }
    }
}

/// The cells of window (`oh`, `ow`) of `conv` over an `h` x `w` image, row-major: each one's
/// row and column within the window, and its place in the image unless it is padding.
fn window_cells(
    conv: &Conv,
    oh: usize,
    ow: usize,
    h: usize,
    w: usize,
) -> impl Iterator<Item = (usize, usize, Option<(usize, usize)>)> + '_ {
    let (top, left) = (conv.start(0, oh), conv.start(1, ow));
    (0..conv.size[0]).flat_map(move |i| {
        (0..conv.size[1]).map(move |j| {
            let (y, x) = (top + i as isize, left + j as isize);
            let inside = (0..h as isize).contains(&y) && (0..w as isize).contains(&x);
            (i, j, inside.then_some((y as usize, x as usize)))
        })
    })
}

/// The gradient's share of each element of `x` under its slice's extreme `y` (slice
/// `index.apply(i)`): `1 / k` at each of the `k` elements equal to it, 0 elsewhere; NaN
/// throughout a slice whose extreme is NaN (no element equals it: 0 / 0), as TensorFlow's
/// `cast(x == y) / sum(cast(x == y))`.
fn extreme_mask(x: &[f64], y: &[f64], index: &IndexMap, named: &[usize]) -> Vec<f64> {
    let mut ties = vec![0.0; y.len()];
    for (i, &v) in x.iter().enumerate() {
        let slice = index.apply(i, named);
        if v == y[slice] {
            ties[slice] += 1.0;
        }
    }
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let slice = index.apply(i, named);
            f64::from(u8::from(v == y[slice])) / ties[slice]
        })
        .collect()
}

/// `f` applied to each row of length `row`.
fn rows(x: &[f64], row: usize, f: fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
    x.chunks(row).flat_map(f).collect()
}

/// Softmax of one row, shifted by its maximum so that it cannot overflow.
fn softmax(row: &[f64]) -> Vec<f64> {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = row.iter().map(|&v| (v - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

/// Log-softmax of one row: `x - max - log(sum(exp(x - max)))`.
fn log_softmax(row: &[f64]) -> Vec<f64> {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = row.iter().map(|&v| (v - max).exp()).sum();
    row.iter().map(|&v| v - max - total.ln()).collect()
}
