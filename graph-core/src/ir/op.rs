//! The closed set of operations a node can perform.
//!
//! Every stage matches on [`Op`] exhaustively (shape rules in `check::shapes`, gradient
//! rules in `autodiff::rules`, code templates in `emit::ops`, the interpreter in `eval`),
//! so a new op is a compile error everywhere it still needs a decision.

use super::Size;
use std::fmt;

/// Which elements a reduction folds together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axes {
    /// Every element: the result is a scalar.
    All,
    /// Some axes, which disappear from the shape.
    Set(AxisSet),
}

/// A set of axes of a shape (at most [`super::Shape::MAX_RANK`] of them), as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AxisSet(u8);

impl AxisSet {
    /// The set of `axes` (each below 8).
    pub fn of(axes: impl IntoIterator<Item = usize>) -> AxisSet {
        AxisSet(axes.into_iter().fold(0, |bits, k| bits | 1 << k))
    }

    /// Whether axis `k` is in the set.
    pub fn contains(self, k: usize) -> bool {
        k < 8 && self.0 & 1 << k != 0
    }

    /// The axes, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..8).filter(move |&k| self.contains(k))
    }

    /// The mask's bits: bit `k` for axis `k`.
    pub fn bits(self) -> u8 {
        self.0
    }
}

/// An order of the axes of a shape: axis `j` of a transpose is axis `perm[j]` of its operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Perm {
    axes: [u8; super::Shape::MAX_RANK],
    rank: u8,
}

impl Perm {
    /// The order `axes` (a permutation of `0..axes.len()`, at most [`super::Shape::MAX_RANK`]
    /// long; checked by the shape rule, not here).
    pub fn of(axes: &[usize]) -> Perm {
        let mut packed = [0; super::Shape::MAX_RANK];
        for (slot, &k) in packed.iter_mut().zip(axes) {
            *slot = k as u8;
        }
        Perm {
            axes: packed,
            rank: axes.len() as u8,
        }
    }

    /// The swap of the last two axes of a rank-`rank` shape (`transpose(x)` of a matrix).
    pub fn swap_last(rank: usize) -> Perm {
        let mut axes: Vec<usize> = (0..rank).collect();
        axes.swap(rank - 2, rank - 1);
        Perm::of(&axes)
    }

    /// The axes, in order.
    pub fn axes(&self) -> impl Iterator<Item = usize> + '_ {
        self.axes[..usize::from(self.rank)].iter().map(|&k| usize::from(k))
    }

    /// How many axes it orders.
    pub fn rank(&self) -> usize {
        usize::from(self.rank)
    }

    /// Whether it is a permutation of `0..rank`.
    pub fn is_valid(&self) -> bool {
        let mut seen = 0u8;
        self.axes().all(|k| {
            let fresh = k < self.rank() && seen & 1 << k == 0;
            seen |= 1 << k.min(7);
            fresh
        })
    }

    /// The order that undoes this one.
    pub fn inverse(&self) -> Perm {
        let mut inverse = vec![0; self.rank()];
        for (j, k) in self.axes().enumerate() {
            inverse[k] = j;
        }
        Perm::of(&inverse)
    }

    /// Whether it swaps the last two axes and keeps the others (a batch of matrix transposes).
    pub fn is_swap_last(&self) -> bool {
        self.rank() >= 2 && *self == Perm::swap_last(self.rank())
    }

    /// A key for common-subexpression elimination: the axes, four bits each, and the rank.
    fn key(&self) -> u64 {
        self.axes().fold(u64::from(self.rank), |key, k| key << 4 | k as u64)
    }

    /// `(0, 2, 1)`.
    pub fn describe(&self) -> String {
        let axes: Vec<String> = self.axes().map(|k| k.to_string()).collect();
        format!("({})", axes.join(", "))
    }
}

/// Where a slice sits in a larger tensor: the first index along each axis of the larger
/// one, and which of its axes the slice drops (indexed with one number, `x[2]`). The slice's
/// lengths along the other axes are its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// The first index along each axis of the larger tensor.
    pub start: [usize; super::Shape::MAX_RANK],
    /// The axes of the larger tensor the slice does not have.
    pub dropped: AxisSet,
}

impl Window {
    /// A key for common-subexpression elimination (with the shape, which CSE compares too).
    fn key(&self) -> u64 {
        let mut hash = u64::from(self.dropped.bits());
        for &s in &self.start {
            hash = hash.wrapping_mul(0x0100_0000_01b3).wrapping_add(s as u64);
        }
        hash
    }
}

/// The windows of a convolution or a pooling over the two spatial axes of `[batch, H, W, C]`
/// (TensorFlow's NHWC): each window's size, the step between windows, and the zeros padded
/// before the first row and column (those after are what the output size leaves over).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv {
    /// The window's height and width (a filter's `KH`, `KW`; a pool's `size`).
    pub size: [usize; 2],
    /// The steps between windows, down and across.
    pub stride: [usize; 2],
    /// Zeros before the first row and before the first column.
    pub pad: [usize; 2],
    /// How many windows fit down and across: the output's spatial sizes.
    pub out: [usize; 2],
}

/// How a convolution or pooling pads its input, as TensorFlow's `padding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// `valid`: windows only where they fit; no zeros.
    Valid,
    /// `same`: `ceil(H / stride)` windows down (so `H` at stride 1), the input padded with
    /// zeros split evenly, the odd one at the bottom and right.
    Same,
}

impl Conv {
    /// Windows of one element, one apart: the example parameters of [`Op::EVERY`].
    pub const ONE: Conv = Conv {
        size: [1, 1],
        stride: [1, 1],
        pad: [0, 0],
        out: [1, 1],
    };

    /// The windows of size `size` and stride `stride` over spatial sizes `input` with
    /// `padding`: the convolution, and its output's spatial sizes; `None` where a window does
    /// not fit (`valid` with a window larger than the input).
    pub fn new(
        size: [usize; 2],
        stride: [usize; 2],
        padding: Padding,
        input: [usize; 2],
    ) -> Option<(Conv, [usize; 2])> {
        let mut pad = [0; 2];
        let mut out = [0; 2];
        for k in 0..2 {
            let (n, s, w) = (input[k], stride[k], size[k]);
            if s == 0 || w == 0 {
                return None;
            }
            out[k] = match padding {
                Padding::Valid => (n.checked_sub(w)?) / s + 1,
                Padding::Same => n.div_ceil(s),
            };
            if padding == Padding::Same {
                let total = ((out[k] - 1) * s + w).saturating_sub(n);
                pad[k] = total / 2;
            }
        }
        Some((Conv { size, stride, pad, out }, out))
    }

    /// Window `o`'s first row (`axis` 0) or column (`axis` 1) in the unpadded input: negative
    /// inside the padding.
    pub fn start(&self, axis: usize, o: usize) -> isize {
        (o * self.stride[axis]) as isize - self.pad[axis] as isize
    }

    /// A key for common-subexpression elimination.
    fn key(&self) -> u64 {
        [self.size, self.stride, self.pad, self.out]
            .iter()
            .flatten()
            .fold(0u64, |hash, &v| {
                hash.wrapping_mul(0x0100_0000_01b3).wrapping_add(v as u64)
            })
    }

    /// `size = 3, stride = 2, pad = (0, 1)`, for the text form.
    pub fn describe(&self) -> String {
        format!(
            "size=({}, {}) stride=({}, {}) pad=({}, {})",
            self.size[0], self.size[1], self.stride[0], self.stride[1], self.pad[0], self.pad[1]
        )
    }
}

impl Axes {
    /// The one axis `k`.
    pub fn one(k: usize) -> Axes {
        Axes::Set(AxisSet::of([k]))
    }

    /// Whether axis `k` of a shape is folded.
    pub fn folds(self, k: usize) -> bool {
        match self {
            Axes::All => true,
            Axes::Set(set) => set.contains(k),
        }
    }

    /// Which axes of a rank-`rank` shape survive the reduction.
    pub fn kept(self, rank: usize) -> Vec<bool> {
        (0..rank).map(|k| !self.folds(k)).collect()
    }

    /// How many elements of `shape` fold into each result: the product of the folded axes.
    pub fn count(self, shape: &super::Shape) -> Size {
        (0..shape.rank())
            .filter(|&k| self.folds(k))
            .fold(Size::ONE, |n, k| n.times(shape.dim(k)))
    }

    /// `shape` without the folded axes.
    pub fn reduce(self, shape: &super::Shape) -> super::Shape {
        super::Shape::of(
            shape
                .dims()
                .iter()
                .enumerate()
                .filter(|&(k, _)| !self.folds(k))
                .map(|(_, &d)| d)
                .collect(),
        )
    }

    /// How the language writes the axes: `axis = 1`, `axis = (0, 2)`; empty for all.
    pub fn describe(self) -> String {
        match self {
            Axes::All => String::new(),
            Axes::Set(set) => {
                let axes: Vec<String> = set.iter().map(|k| k.to_string()).collect();
                match axes.as_slice() {
                    [one] => format!("axis = {one}"),
                    _ => format!("axis = ({})", axes.join(", ")),
                }
            }
        }
    }
}

/// A comparison, written as an operator (`a < b`): 1 where it holds, else 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `<`
    Less,
    /// `<=`
    LessEq,
    /// `>`
    Greater,
    /// `>=`
    GreaterEq,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Cmp {
    /// Every comparison.
    pub const ALL: [Cmp; 6] = [
        Cmp::Less,
        Cmp::LessEq,
        Cmp::Greater,
        Cmp::GreaterEq,
        Cmp::Equal,
        Cmp::NotEqual,
    ];

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Less => "<",
            Cmp::LessEq => "<=",
            Cmp::Greater => ">",
            Cmp::GreaterEq => ">=",
            Cmp::Equal => "==",
            Cmp::NotEqual => "!=",
        }
    }

    /// Whether `a <op> b` holds (IEEE: a NaN compares unequal to everything, itself included).
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Less => a < b,
            Cmp::LessEq => a <= b,
            Cmp::Greater => a > b,
            Cmp::GreaterEq => a >= b,
            Cmp::Equal => a == b,
            Cmp::NotEqual => a != b,
        }
    }
}

/// How the language spells a call of an op (see [`Op::call`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The function name: `softmax`.
    pub name: &'static str,
    /// How many positional arguments it takes (at least, if `variadic`).
    pub arity: usize,
    /// Whether it takes any number of arguments from `arity` up (`concat(a, b, c)`).
    pub variadic: bool,
    /// The keyword arguments it takes: `axis` (a number, or a tuple of them where it
    /// reduces), `keepdims`, `axes`.
    pub keywords: &'static [&'static str],
}

impl Call {
    /// Whether it reduces along axes it is given (`axis = k`, `keepdims`).
    pub fn reduces(&self) -> bool {
        self.keywords.contains(&"keepdims")
    }
}

/// What a node computes from its operands (in operand order).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// A value fed at each call (`placeholder`). No operands.
    Placeholder,
    /// A trainable value (`variable`). No operands.
    Variable,
    /// A scalar constant. No operands.
    Constant(f64),
    /// A constant tensor (`const eye: [f32; 2, 2] = ...`): its elements are the graph's
    /// literal of this number ([`super::Graph::literal`]). No operands.
    Literal(u32),
    /// A scalar: the number of elements `Size` stands for, known when the code runs (so a
    /// `mean` over the batch divides by the batch size). No operands.
    Count(Size),
    /// `a + b`, same shapes.
    Add,
    /// `a - b`, same shapes.
    Sub,
    /// `a * b`, same shapes.
    Mul,
    /// `a / b`, same shapes.
    Div,
    /// `-a`.
    Neg,
    /// `a` raised to a constant power.
    Pow(f64),
    /// `e` raised to `a`.
    Exp,
    /// Natural logarithm.
    Log,
    /// Square root.
    Sqrt,
    /// Hyperbolic tangent.
    Tanh,
    /// `1 / (1 + exp(-a))`.
    Sigmoid,
    /// `max(a, 0)`.
    Relu,
    /// 1 where `a > 0`, else 0: the derivative of `relu`, itself with zero gradient.
    Step,
    /// `|a|`.
    Abs,
    /// `a * a`.
    Square,
    /// -1, 0 or 1 by the sign of `a` (NaN for NaN); zero gradient.
    Sign,
    /// `log(1 + exp(a))`, computed stably as `max(a, 0) + log1p(exp(-|a|))`.
    Softplus,
    /// `a` where `a > 0`, else `alpha * a`.
    LeakyRelu(f64),
    /// `a` where `a > 0`, else `exp(a) - 1`.
    Elu,
    /// `a * Φ(a)`, `Φ` the standard normal distribution function (the exact `erf` form).
    Gelu,
    /// `a * sigmoid(a)`.
    Silu,
    /// `log(1 + a)`, accurate near 0.
    Log1p,
    /// `exp(a) - 1`, accurate near 0.
    Expm1,
    /// `sin(a)`.
    Sin,
    /// `cos(a)`.
    Cos,
    /// `1 / sqrt(a)`.
    Rsqrt,
    /// The error function.
    Erf,
    /// The larger of `a` and `b` (a NaN wins), same shapes.
    Maximum,
    /// The smaller of `a` and `b` (a NaN wins), same shapes.
    Minimum,
    /// `a` limited to `[lo, hi]` (constants; a NaN stays NaN).
    Clip(f64, f64),
    /// 1 where the comparison of `a` and `b` holds, else 0, same shapes; zero gradient.
    Compare(Cmp),
    /// `b` where `mask` (the first operand) is nonzero, else `c`: operands `mask, b, c`, same
    /// shapes.
    Select,
    /// The value of `a`, through which no gradient flows.
    StopGradient,
    /// `log(sum(exp(a)))` over some axes, computed stably (legalised after autodiff, like
    /// `softmax`).
    LogSumExp(Axes),
    /// For each slice along the axes, `1 / k` at each of its `k` entries equal to the slice's
    /// maximum (minimum, if `min`), 0 elsewhere, and NaN across a slice whose extreme is NaN:
    /// routes the gradient of `max` (`min`), split evenly among ties, as TensorFlow's
    /// `x == y` over the count of matches does. Zero gradient.
    ExtremeMask {
        /// The slices.
        axes: Axes,
        /// Of the minimum, not the maximum.
        min: bool,
    },
    /// `log(softmax(a))` over the last axis, computed stably.
    LogSoftmax,
    /// `-sum(labels * log_softmax(logits))` over the last axis: operands `logits, labels`.
    SoftmaxCrossEntropy,
    /// Matrix product of two operands, each optionally transposed. A rank-1 operand is a row
    /// `[1, K]`; the result is rank 1 when `a` is an untransposed row. Operands of rank 3 or
    /// 4 are batches of matrices whose leading axes broadcast.
    MatMul {
        /// Use `a` transposed.
        ta: bool,
        /// Use `b` transposed.
        tb: bool,
        /// Sum the batch's products (`[..., N, K]ᵀ x [..., N, M] -> [K, M]`, with `ta`): the
        /// gradient of a matrix shared by a batch, one GEMM over the batch's rows. Made only
        /// by differentiation.
        fold: bool,
    },
    /// The operand with its axes reordered (a view).
    Transpose(Perm),
    /// The operand's elements, in the same order, in this node's shape (a view).
    Reshape,
    /// A part of the operand: along each axis, a range or one index (a view; its shape is
    /// given).
    Slice(Window),
    /// The operand placed at the window in zeros of this node's shape: the inverse of
    /// [`Op::Slice`], its gradient.
    Pad(Window),
    /// The two operands joined along an axis (equal shapes on the others).
    Concat(usize),
    /// Softmax over the last axis.
    Softmax,
    /// Sum of the elements over some axes.
    Sum(Axes),
    /// Mean of the elements over some axes.
    Mean(Axes),
    /// Maximum of the elements over some axes; a NaN wins.
    Max(Axes),
    /// Minimum of the elements over some axes; a NaN wins.
    Min(Axes),
    /// The operand repeated to this node's shape (NumPy rules: the operand's dims align to
    /// the right; a missing or length-1 dim is repeated).
    Broadcast,
    /// The inverse of [`Op::Broadcast`]: sums the operand down to this node's shape.
    SumTo,
    /// The operand with a new axis inserted at this position, repeated along it.
    Expand(usize),
    /// Rows of a table picked by integer ids: operands `table [V, D...]` and `ids [...]`, result
    /// `[..., D...]`. An id outside `0..V` is a run-time panic, before any output is written.
    Gather,
    /// The gradient of [`Op::Gather`]: operands `rows [..., D...]` and `ids [...]`; each row
    /// added into row `id` of zeros of this node's shape `[V, D...]` (repeated ids accumulate).
    ScatterAdd,
    /// Integer ids `[...]` as rows `[..., depth]` of 0 with a 1 at the id.
    OneHot(usize),
    /// `logsumexp(logits) - logits[label]` over the last axis: operands `logits [..., C]` and
    /// integer `labels [...]` (class ids).
    SparseSoftmaxCrossEntropy,
    /// The index of the largest element along an axis (the first of ties; a NaN wins), as
    /// `usize` elements.
    ArgMax(usize),
    /// The 2-D convolution of `x [batch, H, W, C]` with filters `w [KH, KW, C, F]` (TensorFlow's
    /// `conv2d`, a cross-correlation): `[batch, OH, OW, F]`. Differentiated as itself, then
    /// legalised into a product of [`Op::Im2col`] and the filters as a matrix.
    Conv2d(Conv),
    /// Each window of `x [batch, H, W, C]` as one row, `(kh, kw, c)` in row-major order, zeros
    /// where it reaches the padding: `[batch, OH, OW, KH * KW * C]`.
    Im2col(Conv),
    /// The inverse of [`Op::Im2col`] and its gradient: each row's entries added back where
    /// they came from in zeros of this node's shape `[batch, H, W, C]` (the padding dropped).
    Col2im(Conv),
    /// The largest element of each window of `[batch, H, W, C]`, channel by channel (padding
    /// counts for nothing).
    MaxPool(Conv),
    /// The mean of each window, over the entries inside the input (padding not counted, as
    /// TensorFlow's).
    AvgPool(Conv),
    /// The gradient of [`Op::MaxPool`]: operands `x` and `g`; each window's `g` to its first
    /// maximum in row-major order (TensorFlow's `MaxPoolGrad`), summed where windows overlap.
    MaxPoolGrad(Conv),
    /// The gradient of [`Op::AvgPool`]: operand `g`; each window's `g` over its count, spread
    /// over its entries inside the input, in zeros of this node's shape.
    AvgPoolGrad(Conv),
    /// The directional derivative of [`Op::MaxPool`]: operands `x` and `t` (of `x`'s shape);
    /// each window's `t` at the first maximum of `x` that [`Op::MaxPoolGrad`] routes to (its
    /// transpose), `[batch, OH, OW, C]`. Made only by forward-mode differentiation.
    MaxPoolPick(Conv),
}

/// How many kinds of [`Op`] there are: one per variant, numbered by [`Op::ordinal`].
pub const OP_KINDS: usize = 69;

impl Op {
    /// One op of every kind (parameters chosen as examples), in [`Op::ordinal`] order: the one
    /// list every table is derived from (the language's calls, the known-ops message, the
    /// random-graph generator's and the fuzzer's choices). A unit test checks that it holds
    /// every kind, so a new variant must be listed here.
    pub const EVERY: [Op; OP_KINDS] = [
        Op::Placeholder,
        Op::Variable,
        Op::Constant(1.0),
        Op::Count(Size::ONE),
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Div,
        Op::Neg,
        Op::Pow(2.0),
        Op::Exp,
        Op::Log,
        Op::Sqrt,
        Op::Tanh,
        Op::Sigmoid,
        Op::Relu,
        Op::Step,
        Op::ExtremeMask {
            axes: Axes::All,
            min: false,
        },
        Op::LogSoftmax,
        Op::SoftmaxCrossEntropy,
        Op::MatMul {
            ta: false,
            tb: false,
            fold: false,
        },
        Op::Transpose(Perm {
            axes: [1, 0, 0, 0],
            rank: 2,
        }),
        Op::Softmax,
        Op::Sum(Axes::All),
        Op::Mean(Axes::All),
        Op::Max(Axes::All),
        Op::Broadcast,
        Op::SumTo,
        Op::Expand(0),
        Op::Min(Axes::All),
        Op::Reshape,
        Op::Slice(Window {
            start: [0; 4],
            dropped: AxisSet(0),
        }),
        Op::Pad(Window {
            start: [0; 4],
            dropped: AxisSet(0),
        }),
        Op::Concat(0),
        Op::Literal(0),
        Op::Abs,
        Op::Square,
        Op::Sign,
        Op::Softplus,
        Op::LeakyRelu(0.2),
        Op::Elu,
        Op::Gelu,
        Op::Silu,
        Op::Log1p,
        Op::Expm1,
        Op::Sin,
        Op::Cos,
        Op::Rsqrt,
        Op::Erf,
        Op::Maximum,
        Op::Minimum,
        Op::Clip(-1.0, 1.0),
        Op::Compare(Cmp::Less),
        Op::Select,
        Op::StopGradient,
        Op::LogSumExp(Axes::All),
        Op::Gather,
        Op::ScatterAdd,
        Op::OneHot(2),
        Op::SparseSoftmaxCrossEntropy,
        Op::ArgMax(0),
        Op::Conv2d(Conv::ONE),
        Op::Im2col(Conv::ONE),
        Op::Col2im(Conv::ONE),
        Op::MaxPool(Conv::ONE),
        Op::AvgPool(Conv::ONE),
        Op::MaxPoolGrad(Conv::ONE),
        Op::AvgPoolGrad(Conv::ONE),
        Op::MaxPoolPick(Conv::ONE),
    ];

    /// The kind's number, `0..OP_KINDS`: its place in [`Op::EVERY`].
    pub fn ordinal(&self) -> usize {
        match self {
            Op::Placeholder => 0,
            Op::Variable => 1,
            Op::Constant(_) => 2,
            Op::Count(_) => 3,
            Op::Add => 4,
            Op::Sub => 5,
            Op::Mul => 6,
            Op::Div => 7,
            Op::Neg => 8,
            Op::Pow(_) => 9,
            Op::Exp => 10,
            Op::Log => 11,
            Op::Sqrt => 12,
            Op::Tanh => 13,
            Op::Sigmoid => 14,
            Op::Relu => 15,
            Op::Step => 16,
            Op::ExtremeMask { .. } => 17,
            Op::LogSoftmax => 18,
            Op::SoftmaxCrossEntropy => 19,
            Op::MatMul { .. } => 20,
            Op::Transpose(_) => 21,
            Op::Softmax => 22,
            Op::Sum(_) => 23,
            Op::Mean(_) => 24,
            Op::Max(_) => 25,
            Op::Broadcast => 26,
            Op::SumTo => 27,
            Op::Expand(_) => 28,
            Op::Min(_) => 29,
            Op::Reshape => 30,
            Op::Slice(_) => 31,
            Op::Pad(_) => 32,
            Op::Concat(_) => 33,
            Op::Literal(_) => 34,
            Op::Abs => 35,
            Op::Square => 36,
            Op::Sign => 37,
            Op::Softplus => 38,
            Op::LeakyRelu(_) => 39,
            Op::Elu => 40,
            Op::Gelu => 41,
            Op::Silu => 42,
            Op::Log1p => 43,
            Op::Expm1 => 44,
            Op::Sin => 45,
            Op::Cos => 46,
            Op::Rsqrt => 47,
            Op::Erf => 48,
            Op::Maximum => 49,
            Op::Minimum => 50,
            Op::Clip(..) => 51,
            Op::Compare(_) => 52,
            Op::Select => 53,
            Op::StopGradient => 54,
            Op::LogSumExp(_) => 55,
            Op::Gather => 56,
            Op::ScatterAdd => 57,
            Op::OneHot(_) => 58,
            Op::SparseSoftmaxCrossEntropy => 59,
            Op::ArgMax(_) => 60,
            Op::Conv2d(_) => 61,
            Op::Im2col(_) => 62,
            Op::Col2im(_) => 63,
            Op::MaxPool(_) => 64,
            Op::AvgPool(_) => 65,
            Op::MaxPoolGrad(_) => 66,
            Op::AvgPoolGrad(_) => 67,
            Op::MaxPoolPick(_) => 68,
        }
    }

    /// How many operands the op takes.
    pub fn arity(&self) -> usize {
        match self {
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => 0,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::SoftmaxCrossEntropy | Op::MatMul { .. } | Op::Concat(_) => 2,
            Op::Neg | Op::Pow(_) | Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => 1,
            Op::ExtremeMask { .. } | Op::LogSoftmax | Op::Transpose(_) | Op::Softmax => 1,
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => 1,
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::Clip(..) | Op::StopGradient => 1,
            Op::Maximum | Op::Minimum | Op::Compare(_) => 2,
            Op::Select => 3,
            Op::LogSumExp(_) | Op::OneHot(_) | Op::ArgMax(_) => 1,
            Op::Gather | Op::ScatterAdd | Op::SparseSoftmaxCrossEntropy => 2,
            Op::Conv2d(_) | Op::MaxPoolGrad(_) | Op::MaxPoolPick(_) => 2,
            Op::Im2col(_) | Op::Col2im(_) | Op::MaxPool(_) | Op::AvgPool(_) | Op::AvgPoolGrad(_) => 1,
            Op::Reshape | Op::Slice(_) | Op::Pad(_) => 1,
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::Broadcast | Op::SumTo | Op::Expand(_) => 1,
        }
    }

    /// How a user calls the op in a `let`, if they can: its name, the number of arguments, and
    /// its keyword arguments. `None` for the ops only the compiler makes (masks, broadcasts,
    /// pads) and for those written only as syntax (`-a`, numbers, declarations, `x[i]`).
    pub fn call(&self) -> Option<Call> {
        const REDUCES: &[&str] = &["axis", "keepdims"];
        let call = |name, arity, reduces: bool| {
            Some(Call {
                name,
                arity,
                variadic: false,
                keywords: if reduces { REDUCES } else { &[] },
            })
        };
        match self {
            Op::Add => call("add", 2, false),
            Op::Sub => call("subtract", 2, false),
            Op::Mul => call("multiply", 2, false),
            Op::Div => call("divide", 2, false),
            // `pow(a, e)`: the exponent is a second argument, a number written in the graph.
            Op::Pow(_) => call("pow", 2, false),
            Op::MatMul { .. } => call("matmul", 2, false),
            Op::Transpose(_) => Some(Call {
                keywords: &["axes"],
                ..call("transpose", 1, false)?
            }),
            // `reshape(x, [2, -1])`: the shape is a second argument, a list written in the graph.
            Op::Reshape => call("reshape", 2, false),
            Op::Concat(_) => Some(Call {
                variadic: true,
                keywords: &["axis"],
                ..call("concat", 2, false)?
            }),
            Op::Exp => call("exp", 1, false),
            Op::Log => call("log", 1, false),
            Op::Sqrt => call("sqrt", 1, false),
            Op::Tanh => call("tanh", 1, false),
            Op::Sigmoid => call("sigmoid", 1, false),
            Op::Relu => call("relu", 1, false),
            Op::Softmax => call("softmax", 1, false),
            Op::LogSoftmax => call("log_softmax", 1, false),
            Op::SoftmaxCrossEntropy => call("softmax_cross_entropy", 2, false),
            Op::Sum(_) => call("sum", 1, true),
            Op::Mean(_) => call("mean", 1, true),
            Op::Max(_) => call("max", 1, true),
            Op::Min(_) => call("min", 1, true),
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) | Op::Neg => None,
            Op::Step | Op::ExtremeMask { .. } | Op::Broadcast | Op::SumTo | Op::Expand(_) => None,
            Op::Abs => call("abs", 1, false),
            Op::Square => call("square", 1, false),
            Op::Sign => call("sign", 1, false),
            Op::Softplus => call("softplus", 1, false),
            Op::LeakyRelu(_) => Some(Call {
                keywords: &["alpha"],
                ..call("leaky_relu", 1, false)?
            }),
            Op::Elu => call("elu", 1, false),
            Op::Gelu => call("gelu", 1, false),
            Op::Silu => call("silu", 1, false),
            Op::Log1p => call("log1p", 1, false),
            Op::Expm1 => call("expm1", 1, false),
            Op::Sin => call("sin", 1, false),
            Op::Cos => call("cos", 1, false),
            Op::Rsqrt => call("rsqrt", 1, false),
            Op::Erf => call("erf", 1, false),
            Op::Maximum => call("maximum", 2, false),
            Op::Minimum => call("minimum", 2, false),
            // `clip(x, lo, hi)`: the bounds are arguments, numbers written in the graph.
            Op::Clip(..) => call("clip", 3, false),
            Op::Select => call("select", 3, false),
            Op::StopGradient => call("stop_gradient", 1, false),
            Op::LogSumExp(_) => call("logsumexp", 1, true),
            Op::Gather => call("gather", 2, false),
            Op::OneHot(_) => Some(Call {
                keywords: &["depth"],
                ..call("one_hot", 1, false)?
            }),
            Op::SparseSoftmaxCrossEntropy => call("sparse_softmax_cross_entropy", 2, false),
            Op::ArgMax(_) => Some(Call {
                keywords: &["axis"],
                ..call("argmax", 1, false)?
            }),
            Op::ScatterAdd => None,
            Op::Conv2d(_) => Some(Call {
                keywords: &["stride", "padding"],
                ..call("conv2d", 2, false)?
            }),
            Op::MaxPool(_) => Some(Call {
                keywords: &["size", "stride", "padding"],
                ..call("max_pool", 1, false)?
            }),
            Op::AvgPool(_) => Some(Call {
                keywords: &["size", "stride", "padding"],
                ..call("avg_pool", 1, false)?
            }),
            Op::Im2col(_) | Op::Col2im(_) | Op::MaxPoolGrad(_) | Op::AvgPoolGrad(_) | Op::MaxPoolPick(_) => None,
            // Written as operators: `a < b`.
            Op::Compare(_) => None,
            Op::Slice(_) | Op::Pad(_) => None,
        }
    }

    /// The same reduction over `axes` (`sum` of every element becomes `sum` along an axis);
    /// any other op unchanged.
    pub fn with_axes(self, axes: Axes) -> Op {
        match self {
            Op::Sum(_) => Op::Sum(axes),
            Op::Mean(_) => Op::Mean(axes),
            Op::Max(_) => Op::Max(axes),
            Op::Min(_) => Op::Min(axes),
            Op::LogSumExp(_) => Op::LogSumExp(axes),
            Op::ExtremeMask { min, .. } => Op::ExtremeMask { axes, min },
            op => op,
        }
    }

    /// Every op a user can call, with how: [`Op::EVERY`] through [`Op::call`], in that order.
    pub fn calls() -> impl Iterator<Item = (Op, Call)> {
        Op::EVERY.into_iter().filter_map(|op| op.call().map(|call| (op, call)))
    }

    /// Whether the node has no operands and its value comes from outside the computation.
    pub fn is_leaf(&self) -> bool {
        matches!(
            self,
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_)
        )
    }

    /// Whether element `i` of the result depends only on element `i` of each operand
    /// (after the operand's own index mapping, for [`Op::Broadcast`] and [`Op::Expand`]).
    pub fn is_elementwise(&self) -> bool {
        match self {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg | Op::Pow(_) | Op::Exp | Op::Log => true,
            Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => true,
            Op::Broadcast | Op::Expand(_) | Op::Transpose(_) | Op::Reshape | Op::Slice(_) => true,
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => true,
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::Clip(..) | Op::StopGradient => true,
            Op::Maximum | Op::Minimum | Op::Compare(_) | Op::Select => true,
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => false,
            Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy => false,
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::SumTo => false,
            Op::ExtremeMask { .. } | Op::MatMul { .. } | Op::Pad(_) | Op::Concat(_) => false,
            Op::LogSumExp(_) => false,
            Op::Gather | Op::ScatterAdd | Op::OneHot(_) | Op::SparseSoftmaxCrossEntropy | Op::ArgMax(_) => false,
            Op::Conv2d(_) | Op::Im2col(_) | Op::Col2im(_) | Op::MaxPool(_) | Op::AvgPool(_) => false,
            Op::MaxPoolGrad(_) | Op::AvgPoolGrad(_) | Op::MaxPoolPick(_) => false,
        }
    }

    /// Whether the node only re-indexes its operand (no arithmetic): each element reads one
    /// of the operand's, through the node's index map (`Graph::view_map`).
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            Op::Broadcast | Op::Expand(_) | Op::Transpose(_) | Op::Reshape | Op::Slice(_)
        )
    }

    /// Whether the node folds many elements of its operand into one of its own.
    pub fn is_reduction(&self) -> bool {
        matches!(self, Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::SumTo)
    }

    /// Whether the emitter computes the node whole, in a step of its own, rather than fusing
    /// it into a loop.
    pub fn is_kernel(&self) -> bool {
        matches!(
            self,
            Op::ExtremeMask { .. }
                | Op::MatMul { .. }
                | Op::Pad(_)
                | Op::Concat(_)
                | Op::Gather
                | Op::ScatterAdd
                | Op::OneHot(_)
                | Op::SparseSoftmaxCrossEntropy
                | Op::ArgMax(_)
                | Op::Im2col(_)
                | Op::Col2im(_)
                | Op::MaxPool(_)
                | Op::AvgPool(_)
                | Op::MaxPoolGrad(_)
                | Op::AvgPoolGrad(_)
                | Op::MaxPoolPick(_)
        )
    }

    /// A key equal for equal ops (payload floats by their bits), for common-subexpression
    /// elimination: the variant's name and up to two numbers.
    pub fn key(&self) -> (&'static str, u64, u64) {
        let axes = |a: &Axes| match a {
            Axes::All => u64::MAX,
            Axes::Set(set) => u64::from(set.bits()),
        };
        // Every parameter is in the key: two ops that differ in one are never merged.
        match self {
            Op::Constant(c) | Op::Pow(c) => (self.name(), c.to_bits(), 0),
            Op::Count(size) => (
                self.name(),
                size.factor as u64,
                u64::from(u32::from_le_bytes(size.powers)),
            ),
            Op::Sum(a) | Op::Mean(a) | Op::Max(a) | Op::Min(a) | Op::LogSumExp(a) => (self.name(), axes(a), 0),
            Op::ExtremeMask { axes: a, min } => (self.name(), axes(a), u64::from(*min)),
            Op::Expand(k) => (self.name(), *k as u64, 0),
            Op::MatMul { ta, tb, fold } => (self.name(), u64::from(*ta) | u64::from(*fold) << 1, u64::from(*tb)),
            Op::Transpose(perm) => (self.name(), perm.key(), 0),
            Op::Slice(window) | Op::Pad(window) => (self.name(), window.key(), 0),
            Op::Concat(k) | Op::OneHot(k) | Op::ArgMax(k) => (self.name(), *k as u64, 0),
            Op::Gather | Op::ScatterAdd | Op::SparseSoftmaxCrossEntropy => (self.name(), 0, 0),
            Op::Conv2d(c) | Op::Im2col(c) | Op::Col2im(c) | Op::MaxPool(c) | Op::AvgPool(c) => {
                (self.name(), c.key(), 0)
            }
            Op::MaxPoolGrad(c) | Op::AvgPoolGrad(c) | Op::MaxPoolPick(c) => (self.name(), c.key(), 0),
            Op::Literal(k) => (self.name(), u64::from(*k), 0),
            Op::LeakyRelu(alpha) => (self.name(), alpha.to_bits(), 0),
            Op::Clip(lo, hi) => (self.name(), lo.to_bits(), hi.to_bits()),
            Op::Compare(cmp) => (self.name(), *cmp as u64, 0),
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::Elu | Op::Gelu | Op::Silu => (self.name(), 0, 0),
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::StopGradient => (self.name(), 0, 0),
            Op::Maximum | Op::Minimum | Op::Select => (self.name(), 0, 0),
            // Its shape, which CSE compares too, is its only parameter.
            Op::Reshape => (self.name(), 0, 0),
            Op::Placeholder | Op::Variable | Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg => (self.name(), 0, 0),
            Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => (self.name(), 0, 0),
            Op::LogSoftmax | Op::SoftmaxCrossEntropy | Op::Softmax => (self.name(), 0, 0),
            Op::Broadcast | Op::SumTo => (self.name(), 0, 0),
        }
    }

    /// Whether swapping the two operands gives the same result.
    pub fn is_commutative(&self) -> bool {
        matches!(self, Op::Add | Op::Mul)
    }

    /// The short name used in the text form, in DOT labels and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Placeholder => "placeholder",
            Op::Variable => "variable",
            Op::Constant(_) => "constant",
            Op::Count(_) => "count",
            Op::Add => "add",
            Op::Sub => "subtract",
            Op::Mul => "multiply",
            Op::Div => "divide",
            Op::Neg => "negate",
            Op::Pow(_) => "pow",
            Op::Exp => "exp",
            Op::Log => "log",
            Op::Sqrt => "sqrt",
            Op::Tanh => "tanh",
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::Step => "step",
            Op::ExtremeMask { min: false, .. } => "max_mask",
            Op::ExtremeMask { min: true, .. } => "min_mask",
            Op::LogSoftmax => "log_softmax",
            Op::SoftmaxCrossEntropy => "softmax_cross_entropy",
            Op::MatMul { .. } => "matmul",
            Op::Transpose(_) => "transpose",
            Op::Reshape => "reshape",
            Op::Slice(_) => "slice",
            Op::Pad(_) => "pad",
            Op::Concat(_) => "concat",
            Op::Literal(_) => "literal",
            Op::Abs => "abs",
            Op::Square => "square",
            Op::Sign => "sign",
            Op::Softplus => "softplus",
            Op::LeakyRelu(_) => "leaky_relu",
            Op::Elu => "elu",
            Op::Gelu => "gelu",
            Op::Silu => "silu",
            Op::Log1p => "log1p",
            Op::Expm1 => "expm1",
            Op::Sin => "sin",
            Op::Cos => "cos",
            Op::Rsqrt => "rsqrt",
            Op::Erf => "erf",
            Op::Maximum => "maximum",
            Op::Minimum => "minimum",
            Op::Clip(..) => "clip",
            Op::Compare(_) => "compare",
            Op::Select => "select",
            Op::StopGradient => "stop_gradient",
            Op::LogSumExp(_) => "logsumexp",
            Op::Softmax => "softmax",
            Op::Sum(_) => "sum",
            Op::Mean(_) => "mean",
            Op::Max(_) => "max",
            Op::Min(_) => "min",
            Op::Broadcast => "broadcast",
            Op::SumTo => "sum_to",
            Op::Expand(_) => "expand",
            Op::Gather => "gather",
            Op::ScatterAdd => "scatter_add",
            Op::OneHot(_) => "one_hot",
            Op::SparseSoftmaxCrossEntropy => "sparse_softmax_cross_entropy",
            Op::ArgMax(_) => "argmax",
            Op::Conv2d(_) => "conv2d",
            Op::Im2col(_) => "im2col",
            Op::Col2im(_) => "col2im",
            Op::MaxPool(_) => "max_pool",
            Op::AvgPool(_) => "avg_pool",
            Op::MaxPoolGrad(_) => "max_pool_grad",
            Op::AvgPoolGrad(_) => "avg_pool_grad",
            Op::MaxPoolPick(_) => "max_pool_pick",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Constant(c) => write!(f, "constant {c}"),
            Op::Pow(e) => write!(f, "pow {e}"),
            Op::Sum(axes @ Axes::Set(_))
            | Op::Mean(axes @ Axes::Set(_))
            | Op::Max(axes @ Axes::Set(_))
            | Op::Min(axes @ Axes::Set(_))
            | Op::LogSumExp(axes @ Axes::Set(_))
            | Op::ExtremeMask {
                axes: axes @ Axes::Set(_),
                ..
            } => write!(f, "{} {}", self.name(), axes.describe().replace(" = ", "=")),
            Op::Expand(k) => write!(f, "expand axis={k}"),
            Op::Concat(k) => write!(f, "concat axis={k}"),
            Op::OneHot(depth) => write!(f, "one_hot depth={depth}"),
            Op::ArgMax(k) => write!(f, "argmax axis={k}"),
            Op::Conv2d(c) | Op::Im2col(c) | Op::Col2im(c) | Op::MaxPool(c) | Op::AvgPool(c) => {
                write!(f, "{} {}", self.name(), c.describe())
            }
            Op::MaxPoolGrad(c) | Op::AvgPoolGrad(c) | Op::MaxPoolPick(c) => {
                write!(f, "{} {}", self.name(), c.describe())
            }
            Op::LeakyRelu(alpha) => write!(f, "leaky_relu alpha={alpha}"),
            Op::Clip(lo, hi) => write!(f, "clip {lo} {hi}"),
            Op::Compare(cmp) => write!(f, "compare {}", cmp.symbol()),
            Op::Transpose(perm) => write!(f, "transpose {}", perm.describe()),
            Op::Slice(w) | Op::Pad(w) => {
                let dropped: Vec<String> = w.dropped.iter().map(|k| k.to_string()).collect();
                write!(f, "{} start={:?} dropped=({})", self.name(), w.start, dropped.join(","))
            }
            Op::Count(size) => write!(f, "count {}", size.describe(&[])),
            Op::MatMul { ta, tb, fold } => write!(
                f,
                "matmul{}{}{}",
                if *ta { " ta" } else { "" },
                if *tb { " tb" } else { "" },
                if *fold { " fold" } else { "" }
            ),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_invert() {
        let p = Perm::of(&[2, 0, 1]);
        assert!(p.is_valid());
        assert_eq!(p.inverse(), Perm::of(&[1, 2, 0]));
        assert!(!Perm::of(&[0, 0, 1]).is_valid());
        assert!(!Perm::of(&[0, 3]).is_valid());
        assert!(Perm::of(&[0, 2, 1]).is_swap_last());
        assert!(!Perm::of(&[1, 0, 2]).is_swap_last());
    }

    #[test]
    fn every_lists_each_kind_once_in_order() {
        let ordinals: Vec<usize> = Op::EVERY.iter().map(Op::ordinal).collect();
        assert_eq!(ordinals, (0..OP_KINDS).collect::<Vec<_>>());
    }

    #[test]
    fn calls_are_named_once_and_agree_with_arities() {
        let mut names: Vec<&str> = Op::calls().map(|(_, call)| call.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "each call name is unique");
        for (op, call) in Op::calls() {
            // `pow`'s exponent is an argument but not an operand.
            // `pow`'s exponent, `reshape`'s shape and `clip`'s bounds are arguments, not operands.
            let operands = match op {
                Op::Pow(_) | Op::Reshape => 2,
                Op::Clip(..) => 3,
                _ => op.arity(),
            };
            assert_eq!(call.arity, operands, "{}", call.name);
        }
    }
}
