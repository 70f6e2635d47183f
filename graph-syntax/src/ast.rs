//! The syntax tree of a `graph!` definition, as written, with the spans of every token.

use graph_core::{DType, Elem, Loc};
use proc_macro2::Span;
use proc_macro2::TokenStream;
use syn::{Ident, Visibility};

/// `#[attrs] VIS mod NAME { ITEMS }`.
pub struct GraphDef {
    /// Attributes and doc comments on the module (`#[...]` each), kept as written: passed to
    /// the module untouched, never parsed (syn would parse `#[a = EXPR]` as a Rust expression,
    /// recursively, however deep).
    pub attrs: TokenStream,
    /// The module's visibility.
    pub vis: Visibility,
    /// The module's name.
    pub name: Ident,
    /// The statements, in order.
    pub items: Vec<Item>,
}

/// One statement of the graph.
pub enum Item {
    /// `placeholder NAME: TYPE;`
    Placeholder {
        /// The declared name.
        name: Ident,
        /// The declared type.
        ty: TypeSpec,
    },
    /// `variable NAME: TYPE (= NUMBER)?;`
    Variable {
        /// The declared name.
        name: Ident,
        /// The declared type.
        ty: TypeSpec,
        /// The initialiser, if given.
        init: Option<InitSpec>,
    },
    /// `const NAME: TYPE = NUMBER;` or `const NAME: TYPE = [...];`: a named constant.
    Const {
        /// The declared name.
        name: Ident,
        /// The declared type.
        ty: TypeSpec,
        /// The value: a number, or nested lists of numbers matching the type.
        value: Expr,
    },
    /// `let NAME = EXPR;`
    Let {
        /// The bound name.
        name: Ident,
        /// Its definition.
        expr: Expr,
    },
    /// `minimize NAME;`
    Minimize {
        /// The `minimize` keyword's span.
        keyword: Span,
        /// The objective's name.
        name: Ident,
    },
    /// `check_gradients;`, `jvp;` or `hvp;`: generate that opt-in function.
    Generate {
        /// The keyword's span.
        keyword: Span,
        /// Which.
        function: Generated,
    },
    /// `optimizer NAME(KEY = VALUE, ...);`, after `minimize`.
    Optimizer {
        /// The `optimizer` keyword's span.
        keyword: Span,
        /// The declaration as a call: the optimizer's name and its hyperparameters.
        call: Expr,
    },
}

/// The functions a graph generates only when asked, each by a statement of its name: they
/// cost build time that most graphs do not need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    /// `check_gradients;`: `check_gradients` (and, for an f32 graph, an f64 copy of the
    /// forward pass for it).
    CheckGradients,
    /// `jvp;`: forward mode, the derivative of every `let` along a direction.
    Jvp,
    /// `hvp;`: the Hessian of the objective times a direction.
    Hvp,
}

impl Generated {
    /// Each, with its statement's keyword.
    pub const ALL: [(&'static str, Generated); 3] = [
        ("check_gradients", Generated::CheckGradients),
        ("jvp", Generated::Jvp),
        ("hvp", Generated::Hvp),
    ];

    /// The function the statement `keyword;` asks for, if it is one.
    pub fn from_keyword(keyword: &str) -> Option<Generated> {
        Generated::ALL.iter().find(|&&(k, _)| k == keyword).map(|&(_, g)| g)
    }
}

/// `f32`, `[f64; 5]`, `[f32; 2, 3]`.
pub struct TypeSpec {
    /// The float type, and where it was written: for integer ids, `None`.
    pub dtype: Option<DType>,
    /// The element type: the float type, or an integer type for ids (`[i32; batch]`).
    pub elem: Elem,
    /// The span of the float type's token.
    pub dtype_span: Span,
    /// The dimensions, outermost first.
    pub dims: Vec<DimSpec>,
    /// From the first to the last token of the type.
    pub loc: Loc,
}

/// One dimension of a type: a number, or a name (`batch`) that the generated code takes as
/// a const generic parameter.
pub enum DimSpec {
    /// `5`
    Fixed(usize),
    /// `batch`
    Named(Ident),
}

/// What follows `=` in a `variable` declaration.
pub enum InitSpec {
    /// `= 0.5`
    Number(Number),
    /// `= zeros`, `= glorot_uniform`, `= uniform(-0.1, 0.1)`, `= normal(0, 0.01)`.
    Named {
        /// The initialiser's name.
        name: Ident,
        /// Its numeric arguments, if it was called.
        args: Vec<Number>,
        /// From the name to the closing parenthesis.
        loc: Loc,
    },
}

/// A numeric literal, possibly negated: `2`, `0.5`, `-1e-3`.
#[derive(Clone, Copy)]
pub struct Number {
    /// Its value.
    pub value: f64,
    /// Where it was written.
    pub loc: Loc,
}

/// An expression on the right of a `let`.
pub enum Expr {
    /// A declared name.
    Name(Ident),
    /// A numeric literal.
    Number(Number),
    /// `true` or `false`: only as a keyword argument's value (`keepdims = true`).
    Bool(syn::LitBool),
    /// `-EXPR`.
    Neg {
        /// The span of `-`.
        minus: Span,
        /// The negated expression.
        expr: Box<Expr>,
    },
    /// A run of `+ -` (or of `* /`) at one level, applied left to right:
    /// `FIRST OP TERM OP TERM ...`. Kept flat, so that a sum of thousands of terms (written by
    /// a program) is a list, not a tree thousands of levels deep.
    Chain {
        /// The leftmost operand.
        first: Box<Expr>,
        /// Each operator (with its span) and the operand to its right.
        rest: Vec<(BinOp, Span, Expr)>,
    },
    /// `(A, B, ...)`: a list of axes, only as a keyword argument's value (`axis = (0, 2)`).
    Tuple {
        /// The elements.
        items: Vec<Expr>,
        /// From `(` to `)`.
        loc: Loc,
    },
    /// `[A, B, ...]`: a shape (`reshape(x, [2, -1])`) or a constant's elements.
    List {
        /// The elements.
        items: Vec<Expr>,
        /// From `[` to `]`.
        loc: Loc,
    },
    /// `BASE[INDEX, ...]`: constant indices and ranges, one per leading axis.
    Index {
        /// The indexed expression.
        base: Box<Expr>,
        /// One per axis, outermost first.
        indices: Vec<IndexSpec>,
        /// The span of the closing bracket.
        close: Span,
    },
    /// `A < B`, `A == B`, ...: a comparison (not chained).
    Compare {
        /// The operator.
        op: graph_core::Cmp,
        /// Its left operand.
        lhs: Box<Expr>,
        /// Its right operand.
        rhs: Box<Expr>,
    },
    /// `NAME(ARGS)`, `NAME(ARGS, axis = K)`.
    Call {
        /// The function's name.
        func: Ident,
        /// The positional arguments.
        args: Vec<Expr>,
        /// The keyword arguments (`axis = 1`), with their names.
        keywords: Vec<(Ident, Expr)>,
        /// The span of the closing parenthesis.
        close: Span,
    },
}

/// One axis of an indexing: `2`, `-1`, `..`, `1..3`, `..5`, `1..`, `1..=2`.
pub enum IndexSpec {
    /// One index (the axis is dropped).
    At(Expr),
    /// A range of indices (the axis is kept).
    Range {
        /// The first index, if written.
        start: Option<Expr>,
        /// The end, if written.
        end: Option<Expr>,
        /// Whether the end is included (`..=`).
        inclusive: bool,
        /// From the first token to the last.
        loc: Loc,
    },
}

/// The four arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl Expr {
    /// From the expression's first token to its last.
    pub fn loc(&self) -> Loc {
        match self {
            Expr::Name(name) => Loc::at(name.span()),
            Expr::Number(n) => n.loc,
            Expr::Bool(b) => Loc::at(b.span),
            Expr::Neg { minus, expr } => Loc::at(*minus).to(expr.loc()),
            Expr::Chain { first, rest } => match rest.last() {
                Some((_, _, last)) => first.loc().to(last.loc()),
                None => first.loc(),
            },
            Expr::Call { func, close, .. } => Loc::at(func.span()).to(Loc::at(*close)),
            Expr::Tuple { loc, .. } | Expr::List { loc, .. } => *loc,
            Expr::Compare { lhs, rhs, .. } => lhs.loc().to(rhs.loc()),
            Expr::Index { base, close, .. } => base.loc().to(Loc::at(*close)),
        }
    }

    /// The value of a constant expression (numbers, minus signs), if it is one.
    pub fn constant(&self) -> Option<f64> {
        match self {
            Expr::Number(n) => Some(n.value),
            Expr::Neg { expr, .. } => expr.constant().map(|v| -v),
            _ => None,
        }
    }
}
