//! Calls of the op table: a call's arguments and keyword arguments checked against what the
//! op takes (`Op::call`), its axes, and the ops with arguments written in the graph (`pow`'s
//! exponent, `clip`'s bounds, `leaky_relu`'s `alpha`), then its node.

use super::Lowering;
use crate::ast::{Expr, Number};
use graph_core::{Axes, AxisSet, Call, Conv, Diagnostic, Dim, Loc, NodeId, Op, Padding, Shape};
use proc_macro2::Ident;

/// The error for a call the op table names but lowering does not handle: a bug, reported
/// as one rather than a panic.
fn internal(name: &str, loc: Loc) -> Diagnostic {
    let message = format!("internal error: `{name}` is in the op table but is not lowered (a bug in static-graph)");
    Diagnostic::new(loc, message)
}

/// The keyword arguments of one call.
#[derive(Default)]
struct Keywords<'e> {
    /// `axis = 1`, `axis = (0, 2)`.
    axis: Option<&'e Expr>,
    /// `axes = (0, 2, 1)`.
    axes: Option<&'e Expr>,
    /// `keepdims = true`.
    keepdims: bool,
    /// `alpha = 0.2`.
    alpha: Option<&'e Expr>,
    /// `depth = 10`.
    depth: Option<&'e Expr>,
    /// `size = 2`, `size = (2, 3)`.
    size: Option<&'e Expr>,
    /// `stride = 2`, `stride = (1, 2)`.
    stride: Option<&'e Expr>,
    /// `padding = same`.
    padding: Option<&'e Expr>,
}

/// The number of single-character insertions, deletions and substitutions that turn `a` into
/// `b` (Levenshtein's distance), for suggesting a known name.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

impl Lowering {
    pub(super) fn call(&mut self, func: &Ident, args: &[Expr], keywords: &[(Ident, Expr)], loc: Loc) -> Option<NodeId> {
        let name = func.to_string();
        // The calls come from the op table (`Op::call`): a new op is callable once it has a name there.
        let Some((op, call)) = Op::calls().find(|(_, call)| call.name == name) else {
            let known: Vec<String> = Op::calls().map(|(_, call)| format!("`{}`", call.name)).collect();
            let closest = Op::calls()
                .map(|(_, call)| (edit_distance(&name, call.name), call.name))
                .min()
                .filter(|&(distance, _)| distance <= 2);
            let message = match closest {
                Some((_, near)) => format!(
                    "unknown operation `{name}`: did you mean `{near}`? The known ones are {}",
                    known.join(", ")
                ),
                None => format!("unknown operation `{name}`; the known ones are {}", known.join(", ")),
            };
            self.errors.push(Diagnostic::new(Loc::at(func.span()), message));
            return None;
        };
        let arity = call.arity;
        if args.len() != arity && !(call.variadic && args.len() > arity) {
            let plural = if arity == 1 { "" } else { "s" };
            let least = if call.variadic { "at least " } else { "" };
            let message = format!("`{name}` takes {least}{arity} argument{plural}, found {}", args.len());
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let keywords = self.keywords(&name, call, keywords)?;
        let op = match op {
            Op::Pow(_) => return self.pow(&args[0], &args[1], loc),
            Op::Reshape => return self.reshape(&args[0], &args[1], loc),
            Op::Clip(..) => return self.clip(args, loc),
            // `alpha` defaults to TensorFlow's 0.2; a constant of the graph's type either way.
            Op::LeakyRelu(alpha) => {
                let alpha = match keywords.alpha {
                    None => alpha,
                    Some(value) => self.constant_argument("`alpha`", value, "`alpha = 0.2`")?,
                };
                Op::LeakyRelu(self.graph.dtype().round(alpha))
            }
            op => op,
        };
        let operands: Vec<Option<NodeId>> = args.iter().map(|a| self.expr(a)).collect();
        let x: Vec<NodeId> = operands.into_iter().collect::<Option<_>>()?;
        let located: Vec<(NodeId, Loc)> = x.iter().zip(args).map(|(&id, a)| (id, a.loc())).collect();
        // `concat` joins any number of tensors; each is checked as an operand of the first pair.
        let checked = if op.arity() == located.len() {
            &located[..]
        } else {
            &located[..op.arity().min(located.len())]
        };
        self.elements_fit(&op, checked)?;
        if matches!(op, Op::Concat(_)) {
            for &pair in located.iter().skip(2) {
                self.elements_fit(&op, &[located[0], pair])?;
            }
        }
        match op {
            Op::OneHot(_) => return self.one_hot(x[0], keywords.depth, loc),
            Op::ArgMax(_) => return self.argmax(x[0], keywords.axis, loc),
            Op::SparseSoftmaxCrossEntropy => return self.sparse_cross_entropy(x[0], x[1], loc),
            Op::Conv2d(_) | Op::MaxPool(_) | Op::AvgPool(_) => return self.windowed(op, &x, &keywords, loc),
            _ => {}
        }
        match op {
            Op::Concat(_) => return self.concat(&x, keywords.axis, loc),
            Op::Transpose(_) => return self.transpose(x[0], keywords.axes, loc),
            _ => {}
        }
        let axes = match keywords.axis {
            None => Axes::All,
            Some(axis) => Axes::Set(AxisSet::of(self.axis_list(x[0], axis)?)),
        };
        let result = self.lower_call(op, &name, &x, axes, loc);
        let result = match keywords.keepdims {
            // `keepdims`: the reduced axes come back with length 1, in increasing order, each
            // at its own place (a view: nothing is copied).
            true => {
                let operand = self.graph.shape(x[0]);
                let rank = operand.rank();
                let kept = Shape::of(
                    (0..rank)
                        .map(|k| {
                            if axes.folds(k) {
                                Dim::Fixed(1)
                            } else {
                                operand.dims()[k]
                            }
                        })
                        .collect(),
                );
                // Every axis by its own expansion, a view a product can read in place.
                let folded = Axes::Set(AxisSet::of((0..rank).filter(|&k| axes.folds(k))));
                result.and_then(|r| self.graph.unreduce(r, folded, &kept, loc))
            }
            false => result,
        };
        self.errors.check(result)
    }

    /// The node of call `name` (op `op`) of `x`, reducing `axes` if it reduces.
    fn lower_call(&mut self, op: Op, name: &str, x: &[NodeId], axes: Axes, loc: Loc) -> Result<NodeId, Diagnostic> {
        let g = &mut self.graph;
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div => g.binary(op, x[0], x[1], loc),
            Op::MatMul { .. } => self.matmul(x, loc),
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::LogSumExp(_) => g.push(op.with_axes(axes), x, loc),
            Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu => g.push(op, x, loc),
            Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy => g.push(op, x, loc),
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => {
                g.push(op, x, loc)
            }
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::StopGradient => g.push(op, x, loc),
            Op::Maximum | Op::Minimum => g.binary(op, x[0], x[1], loc),
            Op::Select => g.select(x[0], x[1], x[2], loc),
            Op::Gather => g.push(op, x, loc),
            Op::Clip(..) | Op::Compare(_) | Op::OneHot(_) | Op::ArgMax(_) | Op::SparseSoftmaxCrossEntropy => {
                Err(internal(name, loc))
            }
            Op::ScatterAdd => Err(internal(name, loc)),
            Op::Conv2d(_) | Op::MaxPool(_) | Op::AvgPool(_) => Err(internal(name, loc)),
            Op::Im2col(_) | Op::Col2im(_) | Op::MaxPoolGrad(_) | Op::AvgPoolGrad(_) | Op::MaxPoolPick(_) => {
                Err(internal(name, loc))
            }
            // Lowered above, or not callable (`Op::call` gives them no name).
            Op::Pow(_) | Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) | Op::Neg => {
                Err(internal(name, loc))
            }
            Op::Step | Op::ExtremeMask { .. } | Op::Broadcast | Op::SumTo | Op::Expand(_) => Err(internal(name, loc)),
            Op::Transpose(_) | Op::Reshape | Op::Concat(_) | Op::Slice(_) | Op::Pad(_) => Err(internal(name, loc)),
        }
    }

    /// The user's `matmul`: `[N, K] x [K, M] -> [N, M]`, `[K] x [K, M] -> [M]`, and
    /// `[N, K] x [K] -> [N]`, which is the product of the row `[K]` and the transposed matrix
    /// (`MatMul { tb }` with the operands swapped), so that its gradients are the forms the
    /// others already use. The other transposed and outer-product forms exist for gradients only.
    fn matmul(&mut self, x: &[NodeId], loc: Loc) -> Result<NodeId, Diagnostic> {
        let (a, b) = (self.graph.shape(x[0]), self.graph.shape(x[1]));
        match (a.rank(), b.rank()) {
            // Batches of matrices (NumPy's rule), and a batch times one shared matrix.
            (_, 2) | (3.., _) | (_, 3..) => self.graph.push(
                Op::MatMul {
                    ta: false,
                    tb: false,
                    fold: false,
                },
                x,
                loc,
            ),
            (2, 1) if a.dims()[1] == b.dims()[0] => self.graph.push(
                Op::MatMul {
                    ta: false,
                    tb: true,
                    fold: false,
                },
                &[x[1], x[0]],
                loc,
            ),
            (2, 1) => {
                let message = format!(
                    "cannot multiply {} by {}: the inner dimensions differ (`matmul` takes [N, K] x [K])",
                    self.graph.describe(a),
                    self.graph.describe(b)
                );
                Err(Diagnostic::new(loc, message))
            }
            _ => {
                let message = format!(
                    "`matmul` takes a matrix or a vector times a matrix, a matrix times a vector, or batches \
                     of matrices ([N, K] x [K, M], [K] x [K, M], [N, K] x [K] or [..., N, K] x [..., K, M]), \
                     found {} x {}",
                    self.graph.describe(a),
                    self.graph.describe(b)
                );
                Err(Diagnostic::new(loc, message))
            }
        }
    }

    /// The keyword arguments of a call of `name`, each checked against what `call` takes.
    fn keywords<'e>(&mut self, name: &str, call: Call, keywords: &'e [(Ident, Expr)]) -> Option<Keywords<'e>> {
        let mut found = Keywords::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in keywords {
            let loc = Loc::at(key.span()).to(value.loc());
            let key = key.to_string();
            let message = if !call.keywords.contains(&key.as_str()) {
                let takers: Vec<String> = Op::calls()
                    .filter(|(_, c)| c.keywords.contains(&key.as_str()))
                    .map(|(_, c)| format!("`{}`", c.name))
                    .collect();
                if takers.is_empty() {
                    format!("`{name}` has no argument `{key}`")
                } else {
                    format!("`{name}` takes no `{key}`: only {} do", takers.join(", "))
                }
            } else if seen.contains(&key) {
                format!("`{key}` is given twice")
            } else {
                seen.push(key.clone());
                match (key.as_str(), value) {
                    ("keepdims", Expr::Bool(b)) => {
                        found.keepdims = b.value;
                        continue;
                    }
                    ("keepdims", _) => "`keepdims` is `true` or `false`, like `keepdims = true`".to_owned(),
                    ("axes", _) => {
                        found.axes = Some(value);
                        continue;
                    }
                    ("alpha", _) => {
                        found.alpha = Some(value);
                        continue;
                    }
                    ("depth", _) => {
                        found.depth = Some(value);
                        continue;
                    }
                    ("size", _) => {
                        found.size = Some(value);
                        continue;
                    }
                    ("stride", _) => {
                        found.stride = Some(value);
                        continue;
                    }
                    ("padding", _) => {
                        found.padding = Some(value);
                        continue;
                    }
                    _ => {
                        found.axis = Some(value);
                        continue;
                    }
                }
            };
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        Some(found)
    }

    /// The axes of `node` that `axis = K` or `axis = (J, K)` names, each counted from the end
    /// when negative.
    pub(super) fn axis_list(&mut self, node: NodeId, value: &Expr) -> Option<Vec<usize>> {
        let items: Vec<&Expr> = match value {
            Expr::Tuple { items, .. } => items.iter().collect(),
            _ => vec![value],
        };
        let mut axes: Vec<usize> = Vec::new();
        for item in items {
            let Some(k) = item.constant() else {
                let message =
                    "`axis` must be a number written in the graph, like `axis = 1`, `axis = -1` or `axis = (0, 2)`";
                self.errors.push(Diagnostic::new(item.loc(), message));
                return None;
            };
            let axis = self.axis_index(node, k, item.loc())?;
            if axes.contains(&axis) {
                let message = format!("axis {axis} is listed twice (a negative axis counts from the end)");
                self.errors.push(Diagnostic::new(item.loc(), message));
                return None;
            }
            axes.push(axis);
        }
        Some(axes)
    }

    /// A number written in the graph, for the argument `what` (`example` shows one).
    fn constant_argument(&mut self, what: &str, value: &Expr, example: &str) -> Option<f64> {
        let Some(v) = value.constant() else {
            let message = format!("{what} must be a number written in the graph, like {example}");
            self.errors.push(Diagnostic::new(value.loc(), message));
            return None;
        };
        self.number(Number {
            value: v,
            loc: value.loc(),
        })
    }

    /// `one_hot(ids, depth = C)`: `depth` a whole number of at least 1, written in the graph.
    fn one_hot(&mut self, ids: NodeId, depth: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let example = "`one_hot(labels, depth = 10)`";
        let Some(depth) = depth else {
            let message = format!("`one_hot` needs `depth`, the number of classes: {example}");
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        };
        let value = match depth.constant() {
            Some(v) if v.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&v) => v as usize,
            _ => {
                let message =
                    format!("`depth` must be a whole number of at least 1 written in the graph, like {example}");
                self.errors.push(Diagnostic::new(depth.loc(), message));
                return None;
            }
        };
        let result = self.graph.push(Op::OneHot(value), &[ids], loc);
        self.errors.check(result)
    }

    /// `argmax(x, axis = k)`: one axis; it may be left out only for a vector.
    fn argmax(&mut self, x: NodeId, axis: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let rank = self.graph.shape(x).rank();
        let axis = match axis {
            None if rank == 1 => 0,
            None => {
                let message = format!(
                    "`argmax` of {} needs the axis to search along, like `argmax(logits, axis = -1)` for each row's \
                     largest entry",
                    self.graph.describe(self.graph.shape(x))
                );
                self.errors.push(Diagnostic::new(loc, message));
                return None;
            }
            Some(Expr::Tuple { loc, .. }) => {
                let message = "`argmax` searches along one axis, like `axis = -1`";
                self.errors.push(Diagnostic::new(*loc, message));
                return None;
            }
            Some(value) => self.axis_list(x, value)?[0],
        };
        let result = self.graph.push(Op::ArgMax(axis), &[x], loc);
        self.errors.check(result)
    }

    /// `sparse_softmax_cross_entropy(logits, labels)`: the classes along a numbered last axis.
    fn sparse_cross_entropy(&mut self, logits: NodeId, labels: NodeId, loc: Loc) -> Option<NodeId> {
        let shape = self.graph.shape(logits);
        if let Some(&Dim::Named(_)) = shape.dims().last() {
            let message = format!(
                "`sparse_softmax_cross_entropy` needs the number of classes, the last axis of the logits, to be a \
                 number; the logits are {}",
                self.graph.describe(shape)
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let result = self.graph.push(Op::SparseSoftmaxCrossEntropy, &[logits, labels], loc);
        self.errors.check(result)
    }

    /// `conv2d(x, w, stride = 1, padding = valid)`, `max_pool(x, size = 2, stride = 2, padding =
    /// valid)` and `avg_pool(...)` over images `[batch, H, W, C]`: their windows, with
    /// TensorFlow's sizes (a filter's size is its first two axes; a pool's stride defaults to its
    /// size, as Keras's).
    fn windowed(&mut self, op: Op, x: &[NodeId], keywords: &Keywords, loc: Loc) -> Option<NodeId> {
        let name = op.name();
        let images = self.graph.shape(x[0]).clone();
        let number = |d: Dim| match d {
            Dim::Fixed(n) => Some(n),
            Dim::Named(_) => None,
        };
        let spatial = match images.dims() {
            [_, h, w, c] if number(*c).is_some() => number(*h).zip(number(*w)),
            _ => None,
        };
        let Some((h, w)) = spatial else {
            let message = format!(
                "`{name}` takes images `[batch, H, W, C]` (TensorFlow's NHWC) whose height, width and channels are \
                 numbers, found {}",
                self.graph.describe(&images)
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        };
        let size = match op {
            Op::Conv2d(_) => {
                let filters = self.graph.shape(x[1]).clone();
                match filters.dims() {
                    [Dim::Fixed(kh), Dim::Fixed(kw), Dim::Fixed(_), Dim::Fixed(_)] => [*kh, *kw],
                    _ => {
                        let message = format!(
                            "`conv2d` takes filters `[KH, KW, C, F]` of numbers, found {}",
                            self.graph.describe(&filters)
                        );
                        self.errors.push(Diagnostic::new(loc, message));
                        return None;
                    }
                }
            }
            _ => match keywords.size {
                None => [2, 2],
                Some(value) => self.pair("size", value)?,
            },
        };
        let stride = match keywords.stride {
            None if matches!(op, Op::Conv2d(_)) => [1, 1],
            None => size,
            Some(value) => self.pair("stride", value)?,
        };
        let padding = match keywords.padding {
            None => Padding::Valid,
            Some(Expr::Name(p)) if p == "valid" => Padding::Valid,
            Some(Expr::Name(p)) if p == "same" => Padding::Same,
            Some(value) => {
                let message = "`padding` is `same` or `valid`, like `padding = same`";
                self.errors.push(Diagnostic::new(value.loc(), message));
                return None;
            }
        };
        let Some((conv, _)) = Conv::new(size, stride, padding, [h, w]) else {
            let message = format!(
                "the {}x{} window of `{name}` is larger than its {h}x{w} input, which `padding = valid` does not pad: \
                 use a smaller window, or `padding = same`",
                size[0], size[1]
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        };
        let op = match op {
            Op::Conv2d(_) => Op::Conv2d(conv),
            Op::MaxPool(_) => Op::MaxPool(conv),
            _ => Op::AvgPool(conv),
        };
        let result = self.graph.push(op, x, loc);
        self.errors.check(result)
    }

    /// `2` or `(2, 3)`: a pair of whole numbers of at least 1 written in the graph, for keyword `what`.
    fn pair(&mut self, what: &str, value: &Expr) -> Option<[usize; 2]> {
        let items: Vec<&Expr> = match value {
            Expr::Tuple { items, .. } => items.iter().collect(),
            _ => vec![value, value],
        };
        let whole = |e: &Expr| e.constant().filter(|v| v.fract() == 0.0 && (1.0..=65536.0).contains(v));
        if let [a, b] = items.as_slice() {
            if let (Some(a), Some(b)) = (whole(a), whole(b)) {
                return Some([a as usize, b as usize]);
            }
        }
        let message = format!(
            "`{what}` is a whole number of at least 1, or a pair of them for height and width, like `{what} = 2` \
             or `{what} = (2, 1)`"
        );
        self.errors.push(Diagnostic::new(value.loc(), message));
        None
    }

    /// `clip(x, lo, hi)`: bounds written in the graph, `lo <= hi`.
    fn clip(&mut self, args: &[Expr], loc: Loc) -> Option<NodeId> {
        let x = self.expr(&args[0]);
        let lo = self.constant_argument("the lower bound of `clip`", &args[1], "`clip(x, -1, 1)`");
        let hi = self.constant_argument("the upper bound of `clip`", &args[2], "`clip(x, -1, 1)`");
        let (x, lo, hi) = (x?, lo?, hi?);
        if lo > hi {
            let message = format!("`clip(x, lo, hi)` needs lo <= hi, found {lo} > {hi}");
            self.errors
                .push(Diagnostic::new(args[1].loc().to(args[2].loc()), message));
            return None;
        }
        let dtype = self.graph.dtype();
        let result = self.graph.push(Op::Clip(dtype.round(lo), dtype.round(hi)), &[x], loc);
        self.errors.check(result)
    }

    /// Axis `k` of `node`, counting from the end when negative (`-1` is the last axis).
    pub(super) fn axis_index(&mut self, node: NodeId, k: f64, loc: Loc) -> Option<usize> {
        let rank = self.graph.shape(node).rank() as f64;
        let index = if k < 0.0 { rank + k } else { k };
        if k.fract() == 0.0 && index >= 0.0 && index < rank {
            return Some(index as usize);
        }
        let shape = self.graph.describe(self.graph.shape(node));
        let message = if k.fract() != 0.0 {
            format!("`axis` must be a whole number, found `{k}`")
        } else {
            format!(
                "{shape} has no axis {k}: its axes are 0 to {} (or -1 for the last)",
                rank as isize - 1
            )
        };
        self.errors.push(Diagnostic::new(loc, message));
        None
    }

    fn pow(&mut self, base: &Expr, exponent: &Expr, loc: Loc) -> Option<NodeId> {
        let base = self.expr(base);
        let Some(e) = exponent.constant() else {
            let message =
                "the exponent of `pow` must be a number written in the graph, like `pow(x, 2)` or `pow(x, 0.5)`";
            self.errors.push(Diagnostic::new(exponent.loc(), message));
            return None;
        };
        let e = self.number(Number {
            value: e,
            loc: exponent.loc(),
        })?;
        let result = self.graph.push(Op::Pow(e), &[base?], loc);
        self.errors.check(result)
    }
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("tanhh", "tanh"), 1);
        assert_eq!(edit_distance("sigmoidal", "sigmoid"), 2);
        assert_eq!(edit_distance("relu", "elu"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("softmax", "softmax"), 0);
    }
}
