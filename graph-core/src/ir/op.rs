//! The closed set of operations a node can perform.
//!
//! Every stage matches on [`Op`] exhaustively (shape rules in `check::shapes`, gradient
//! rules in `autodiff::rules`, code templates in `emit::ops`, the interpreter in `eval`),
//! so a new op is a compile error everywhere it still needs a decision.

use std::fmt;

/// Which elements a reduction folds together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axes {
    /// Every element: the result is a scalar.
    All,
    /// One axis, which disappears from the shape.
    One(usize),
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
    /// Softmax over the last axis.
    Softmax,
    /// Sum of the elements over some axes.
    Sum(Axes),
    /// Mean of the elements over some axes.
    Mean(Axes),
    /// Maximum of the elements over some axes (its gradient is not defined here: the
    /// compiler only creates it when lowering `softmax`, where the shift is constant).
    Max(Axes),
    /// The operand repeated to this node's shape (NumPy rules: the operand's dims align to
    /// the right; a missing or length-1 dim is repeated).
    Broadcast,
    /// The inverse of [`Op::Broadcast`]: sums the operand down to this node's shape.
    SumTo,
    /// The operand with a new axis inserted at this position, repeated along it.
    Expand(usize),
}

impl Op {
    /// Whether the node has no operands and its value comes from outside the computation.
    pub fn is_leaf(&self) -> bool {
        matches!(self, Op::Placeholder | Op::Variable | Op::Constant(_))
    }

    /// Whether element `i` of the result depends only on element `i` of each operand
    /// (after the operand's own index mapping, for [`Op::Broadcast`] and [`Op::Expand`]).
    pub fn is_elementwise(&self) -> bool {
        match self {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg | Op::Pow(_) | Op::Exp | Op::Log => true,
            Op::Broadcast | Op::Expand(_) => true,
            Op::Placeholder | Op::Variable | Op::Constant(_) => false,
            Op::Softmax | Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::SumTo => false,
        }
    }

    /// Whether the node only re-indexes its operand (no arithmetic).
    pub fn is_view(&self) -> bool {
        matches!(self, Op::Broadcast | Op::Expand(_))
    }

    /// Whether the node folds many elements of its operand into one of its own.
    pub fn is_reduction(&self) -> bool {
        matches!(self, Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::SumTo)
    }

    /// The short name used in the text form, in DOT labels and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Placeholder => "placeholder",
            Op::Variable => "variable",
            Op::Constant(_) => "constant",
            Op::Add => "add",
            Op::Sub => "subtract",
            Op::Mul => "multiply",
            Op::Div => "divide",
            Op::Neg => "negate",
            Op::Pow(_) => "pow",
            Op::Exp => "exp",
            Op::Log => "log",
            Op::Softmax => "softmax",
            Op::Sum(_) => "sum",
            Op::Mean(_) => "mean",
            Op::Max(_) => "max",
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
            _ => f.write_str(self.name()),
        }
    }
}
