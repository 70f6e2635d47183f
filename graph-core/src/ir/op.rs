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
    /// One axis, which disappears from the shape.
    One(usize),
}

/// How the language spells a call of an op (see [`Op::call`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The function name: `softmax`.
    pub name: &'static str,
    /// How many positional arguments it takes.
    pub arity: usize,
    /// Whether it takes `axis = k`.
    pub takes_axis: bool,
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
    /// Matrix product of two rank-1 or rank-2 operands, each optionally transposed. A rank-1
    /// operand is a row `[1, K]`; the result is rank 1 when `a` is an untransposed row.
    MatMul {
        /// Use `a` transposed.
        ta: bool,
        /// Use `b` transposed.
        tb: bool,
    },
    /// The transpose of a rank-2 operand.
    Transpose,
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
}

/// How many kinds of [`Op`] there are: one per variant, numbered by [`Op::ordinal`].
pub const OP_KINDS: usize = 30;

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
        Op::MatMul { ta: false, tb: false },
        Op::Transpose,
        Op::Softmax,
        Op::Sum(Axes::All),
        Op::Mean(Axes::All),
        Op::Max(Axes::All),
        Op::Broadcast,
        Op::SumTo,
        Op::Expand(0),
        Op::Min(Axes::All),
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
            Op::Transpose => 21,
            Op::Softmax => 22,
            Op::Sum(_) => 23,
            Op::Mean(_) => 24,
            Op::Max(_) => 25,
            Op::Broadcast => 26,
            Op::SumTo => 27,
            Op::Expand(_) => 28,
            Op::Min(_) => 29,
        }
    }

    /// How many operands the op takes.
    pub fn arity(&self) -> usize {
        match self {
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) => 0,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::SoftmaxCrossEntropy | Op::MatMul { .. } => 2,
            Op::Neg | Op::Pow(_) | Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => 1,
            Op::ExtremeMask { .. } | Op::LogSoftmax | Op::Transpose | Op::Softmax => 1,
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::Broadcast | Op::SumTo | Op::Expand(_) => 1,
        }
    }

    /// How a user calls the op in a `let`, if they can: its name, the number of arguments, and
    /// whether it takes `axis = k`. `None` for the ops only the compiler makes (masks,
    /// broadcasts) and for those written only as syntax (`-a`, numbers, declarations).
    pub fn call(&self) -> Option<Call> {
        let call = |name, arity, takes_axis| {
            Some(Call {
                name,
                arity,
                takes_axis,
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
            Op::Transpose => call("transpose", 1, false),
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
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Neg => None,
            Op::Step | Op::ExtremeMask { .. } | Op::Broadcast | Op::SumTo | Op::Expand(_) => None,
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
        matches!(self, Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_))
    }

    /// Whether element `i` of the result depends only on element `i` of each operand
    /// (after the operand's own index mapping, for [`Op::Broadcast`] and [`Op::Expand`]).
    pub fn is_elementwise(&self) -> bool {
        match self {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg | Op::Pow(_) | Op::Exp | Op::Log => true,
            Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => true,
            Op::Broadcast | Op::Expand(_) => true,
            Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) => false,
            Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy => false,
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::SumTo => false,
            Op::ExtremeMask { .. } | Op::MatMul { .. } | Op::Transpose => false,
        }
    }

    /// Whether the node only re-indexes its operand (no arithmetic).
    pub fn is_view(&self) -> bool {
        matches!(self, Op::Broadcast | Op::Expand(_))
    }

    /// Whether the node folds many elements of its operand into one of its own.
    pub fn is_reduction(&self) -> bool {
        matches!(self, Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::SumTo)
    }

    /// Whether the emitter computes the node whole, in a step of its own, rather than fusing
    /// it into a loop.
    pub fn is_kernel(&self) -> bool {
        matches!(self, Op::ExtremeMask { .. } | Op::MatMul { .. } | Op::Transpose)
    }

    /// A key equal for equal ops (payload floats by their bits), for common-subexpression
    /// elimination: the variant's name and up to two numbers.
    pub fn key(&self) -> (&'static str, u64, u64) {
        let axes = |a: &Axes| match a {
            Axes::All => u64::MAX,
            Axes::One(k) => *k as u64,
        };
        // Every parameter is in the key: two ops that differ in one are never merged.
        match self {
            Op::Constant(c) | Op::Pow(c) => (self.name(), c.to_bits(), 0),
            Op::Count(size) => (self.name(), size.factor as u64, u64::from(size.power)),
            Op::Sum(a) | Op::Mean(a) | Op::Max(a) | Op::Min(a) => (self.name(), axes(a), 0),
            Op::ExtremeMask { axes: a, min } => (self.name(), axes(a), u64::from(*min)),
            Op::Expand(k) => (self.name(), *k as u64, 0),
            Op::MatMul { ta, tb } => (self.name(), u64::from(*ta), u64::from(*tb)),
            Op::Placeholder | Op::Variable | Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg => (self.name(), 0, 0),
            Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => (self.name(), 0, 0),
            Op::LogSoftmax | Op::SoftmaxCrossEntropy | Op::Transpose | Op::Softmax => (self.name(), 0, 0),
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
            Op::Transpose => "transpose",
            Op::Softmax => "softmax",
            Op::Sum(_) => "sum",
            Op::Mean(_) => "mean",
            Op::Max(_) => "max",
            Op::Min(_) => "min",
            Op::Broadcast => "broadcast",
            Op::SumTo => "sum_to",
            Op::Expand(_) => "expand",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Constant(c) => write!(f, "constant {c}"),
            Op::Pow(e) => write!(f, "pow {e}"),
            Op::Sum(Axes::One(k)) | Op::Mean(Axes::One(k)) | Op::Max(Axes::One(k)) => {
                write!(f, "{} axis={k}", self.name())
            }
            Op::Expand(k) => write!(f, "expand axis={k}"),
            Op::ExtremeMask { axes: Axes::One(k), .. } | Op::Min(Axes::One(k)) => {
                write!(f, "{} axis={k}", self.name())
            }
            Op::Count(size) => write!(f, "count {}*batch^{}", size.factor, size.power),
            Op::MatMul { ta, tb } => write!(
                f,
                "matmul{}{}",
                if *ta { " ta" } else { "" },
                if *tb { " tb" } else { "" }
            ),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let operands = if matches!(op, Op::Pow(_)) { 2 } else { op.arity() };
            assert_eq!(call.arity, operands, "{}", call.name);
        }
    }
}
