//! Per-op code templates: the Rust expression for one element of each op, and how each
//! reduction starts, accumulates and finishes.

use crate::ir::{Axes, DType, Graph, NodeId, Op};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// A Rust expression, and whether it can stand anywhere without parentheses.
#[derive(Clone, Debug)]
pub struct Expr {
    /// The tokens.
    pub tokens: TokenStream,
    /// A name, an indexing or a literal: needs no parentheses as an operand.
    pub atomic: bool,
}

impl Expr {
    /// An expression that needs no parentheses.
    pub fn atom(tokens: TokenStream) -> Expr {
        Expr { tokens, atomic: true }
    }

    /// The tokens, parenthesised unless atomic: for use as an operand or method receiver.
    pub fn operand(&self) -> TokenStream {
        let tokens = &self.tokens;
        if self.atomic {
            tokens.clone()
        } else {
            quote!((#tokens))
        }
    }
}

/// A float literal of the graph's type, printed as briefly as the type allows.
pub fn literal(value: f64, dtype: DType) -> Expr {
    let tokens = match dtype {
        DType::F32 => Literal::f32_unsuffixed(value as f32),
        DType::F64 => Literal::f64_unsuffixed(value),
    };
    let tokens = quote!(#tokens);
    if value < 0.0 {
        Expr { tokens, atomic: false }
    } else {
        Expr::atom(tokens)
    }
}

/// The value of one element of elementwise `node`, from its operands' elements.
pub fn elementwise(graph: &Graph, node: NodeId, args: &[Expr]) -> Expr {
    let float = float_type(graph.dtype());
    let binary = |op: TokenStream| {
        let (a, b) = (args[0].operand(), args[1].operand());
        Expr {
            tokens: quote!(#a #op #b),
            atomic: false,
        }
    };
    let method = |call: TokenStream| {
        let a = &args[0].tokens;
        // `<f32>::exp(a)` rather than `a.exp()`: a bare literal has no type to call a method on.
        Expr::atom(quote!(#float::#call(#a)))
    };
    match *graph.op(node) {
        Op::Add => binary(quote!(+)),
        Op::Sub => binary(quote!(-)),
        Op::Mul => binary(quote!(*)),
        Op::Div => binary(quote!(/)),
        Op::Neg => {
            let a = args[0].operand();
            Expr {
                tokens: quote!(-#a),
                atomic: false,
            }
        }
        Op::Pow(e) => {
            if e.fract() == 0.0 && e.abs() <= f64::from(i32::MAX) {
                let e = Literal::i32_unsuffixed(e as i32);
                let a = &args[0].tokens;
                Expr::atom(quote!(#float::powi(#a, #e)))
            } else {
                let e = literal(e, graph.dtype()).tokens;
                let a = &args[0].tokens;
                Expr::atom(quote!(#float::powf(#a, #e)))
            }
        }
        Op::Exp => method(quote!(exp)),
        Op::Log => method(quote!(ln)),
        // A reduction of a scalar is the scalar itself; views read their operand.
        Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::SumTo | Op::Broadcast | Op::Expand(_) => args[0].clone(),
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Softmax => {
            unreachable!("{} is not computed element by element", graph.op(node))
        }
    }
}

/// How a reduction folds elements into its accumulator.
pub struct Fold {
    /// The accumulator's starting value.
    pub start: Expr,
    /// The statement that folds `value` into `acc` (a place expression).
    pub step: fn(acc: TokenStream, value: TokenStream, float: &TokenStream) -> TokenStream,
    /// What the finished accumulator is divided by (`mean`), if anything.
    pub divide_by: Option<usize>,
}

/// The fold of reduction `node`.
pub fn fold(graph: &Graph, node: NodeId) -> Fold {
    let dtype = graph.dtype();
    let operand = graph.shape(graph.operands(node)[0]);
    let sum = |acc: TokenStream, value: TokenStream, _: &TokenStream| quote!(#acc += #value;);
    match *graph.op(node) {
        Op::Sum(_) | Op::SumTo => Fold {
            start: literal(0.0, dtype),
            step: sum,
            divide_by: None,
        },
        Op::Mean(axes) => Fold {
            start: literal(0.0, dtype),
            step: sum,
            divide_by: Some(match axes {
                Axes::All => operand.len(),
                Axes::One(k) => operand.dims()[k],
            }),
        },
        Op::Max(_) => {
            let float = float_type(dtype);
            Fold {
                start: Expr::atom(quote!(#float::NEG_INFINITY)),
                step: |acc, value, float| quote!(#acc = #float::max(#acc, #value);),
                divide_by: None,
            }
        }
        _ => unreachable!("{} is not a reduction", graph.op(node)),
    }
}

/// `::core::primitive::f32` or `::core::primitive::f64`.
pub fn float_type(dtype: DType) -> TokenStream {
    match dtype {
        DType::F32 => quote!(::core::primitive::f32),
        DType::F64 => quote!(::core::primitive::f64),
    }
}
