//! The parser: tokens to [`GraphDef`], with syn.
//!
//! Grammar:
//!
//! ```text
//! graph  := attr* vis "mod" IDENT "{" item* "}"      (attributes kept as tokens, unparsed)
//! item   := "placeholder" IDENT ":" type ";"
//!         | "variable" IDENT ":" type ("=" init)? ";"
//!         | "let" IDENT "=" expr ";"
//!         | "const" IDENT ":" type "=" expr ";"          (a number, or nested lists of numbers)
//!         | "minimize" IDENT ";"
//!         | "optimizer" IDENT "(" (arg ("," arg)*)? ")" ";"
//!         | ("check_gradients" | "jvp" | "hvp") ";"
//! type   := ("f32" | "f64") | "[" ("f32" | "f64") ";" dim ("," dim)* "]"
//! dim    := INT | IDENT
//! init   := number | IDENT | IDENT "(" number ("," number)* ")"
//! expr   := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?   (comparisons do not chain)
//! sum    := term (("+" | "-") term)*        (kept flat: a run of any length)
//! term   := unary (("*" | "/") unary)*
//! unary  := "-" unary | atom
//! atom   := (number | bool | IDENT | IDENT "(" (arg ("," arg)*)? ")" | "(" expr ")"
//!            | tuple | list) ("[" index ("," index)* "]")*
//! tuple  := "(" expr "," (expr ("," expr)*)? ")"   (`axis = (0, 2)`)
//! list   := "[" (expr ("," expr)*)? "]"           (`reshape(x, [2, -1])`, constants' elements)
//! index  := expr | expr? (".." | "..=") expr?       (`x[2]`, `x[.., 1..3]`)
//! arg    := expr | IDENT "=" expr                 (`axis = -1`, `keepdims = true`)
//! bool   := "true" | "false"                      (only as a keyword argument's value)
//! number := "-"? (INT | FLOAT)
//! ```
//!
//! Nesting (parentheses, calls, unary minus) is bounded by [`MAX_NESTING`].

use crate::ast::{BinOp, DimSpec, Expr, Generated, GraphDef, IndexSpec, InitSpec, Item, Number, TypeSpec};
use graph_core::{DType, Dim, Elem, Loc, Shape};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, parenthesized, Ident, Lit, Token, Visibility};

impl Parse for GraphDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = outer_attributes(input)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Token![mod]) {
            return Err(
                input.error("expected `mod NAME { ... }`: a graph is written as a module, e.g. `pub mod net { ... }`")
            );
        }
        input.parse::<Token![mod]>()?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(content.parse()?);
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the graph module: one `graph!` holds one module"));
        }
        Ok(GraphDef {
            attrs,
            vis,
            name,
            items,
        })
    }
}

/// `#[...]`s (doc comments arrive as `#[doc = "..."]`), as tokens: each a `#` and a bracketed
/// group, its content unparsed.
fn outer_attributes(input: ParseStream) -> syn::Result<proc_macro2::TokenStream> {
    let mut attrs = proc_macro2::TokenStream::new();
    while input.peek(Token![#]) {
        let pound: Token![#] = input.parse()?;
        let content;
        let brackets = bracketed!(content in input);
        let inner: proc_macro2::TokenStream = content.parse()?;
        let mut group = proc_macro2::Group::new(proc_macro2::Delimiter::Bracket, inner);
        group.set_span(brackets.span.join());
        attrs.extend(quote::quote!(#pound #group));
    }
    Ok(attrs)
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![let]) {
            input.parse::<Token![let]>()?;
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let expr = parse_expr(input)?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Let { name, expr });
        }
        if input.peek(Token![const]) {
            input.parse::<Token![const]>()?;
            let (name, ty) = parse_declaration(input)?;
            input.parse::<Token![=]>()?;
            let value = parse_expr(input)?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Const { name, ty, value });
        }
        let keyword: Ident = input.parse().map_err(|_| statement_error(input))?;
        let word = keyword.to_string();
        if let Some(function) = Generated::from_keyword(&word) {
            if !input.peek(Token![;]) {
                return Err(input.error(format!("`{word}` takes no arguments: write `{word};`")));
            }
            input.parse::<Token![;]>()?;
            let keyword = keyword.span();
            return Ok(Item::Generate { keyword, function });
        }
        let item = match word.as_str() {
            "placeholder" => {
                let (name, ty) = parse_declaration(input)?;
                Item::Placeholder { name, ty }
            }
            "variable" => {
                let (name, ty) = parse_declaration(input)?;
                let init = if input.peek(Token![=]) {
                    input.parse::<Token![=]>()?;
                    Some(parse_init(input)?)
                } else {
                    None
                };
                Item::Variable { name, ty, init }
            }
            "minimize" => Item::Minimize {
                keyword: keyword.span(),
                name: input.parse()?,
            },
            "optimizer" => Item::Optimizer {
                keyword: keyword.span(),
                call: parse_expr(input)?,
            },
            _ => return Err(syn::Error::new(keyword.span(), statement_message(&word))),
        };
        input.parse::<Token![;]>()?;
        Ok(item)
    }
}

fn statement_error(input: ParseStream) -> syn::Error {
    input.error(statement_message(""))
}

fn statement_message(found: &str) -> String {
    let found = if found.is_empty() {
        String::new()
    } else {
        format!(", found `{found}`")
    };
    format!("expected a statement: `placeholder`, `variable`, `const`, `let`, `minimize`, `optimizer`, `check_gradients`, `jvp` or `hvp`{found}")
}

/// `NAME: TYPE`
fn parse_declaration(input: ParseStream) -> syn::Result<(Ident, TypeSpec)> {
    let name: Ident = input.parse()?;
    input.parse::<Token![:]>()?;
    Ok((name, input.parse()?))
}

impl Parse for TypeSpec {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(syn::token::Bracket) {
            let (dtype, elem, span) = parse_dtype(input)?;
            return Ok(TypeSpec {
                dtype,
                elem,
                dtype_span: span,
                dims: Vec::new(),
                loc: Loc::at(span),
            });
        }
        let content;
        let brackets = bracketed!(content in input);
        let (dtype, elem, dtype_span) = parse_dtype(&content)?;
        content.parse::<Token![;]>()?;
        let mut dims = Vec::new();
        loop {
            dims.push(parse_dim(&content)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        let loc = Loc::at(brackets.span.open()).to(Loc::at(brackets.span.close()));
        if dims.len() > Shape::MAX_RANK {
            let message = format!(
                "a tensor has at most {} dimensions, found {}",
                Shape::MAX_RANK,
                dims.len()
            );
            return Err(syn::Error::new(brackets.span.join(), message));
        }
        let shape = Shape::of(
            dims.iter()
                .map(|d| match d {
                    DimSpec::Fixed(n) => Dim::Fixed(*n),
                    DimSpec::Named(_) => Dim::Named(0),
                })
                .collect(),
        );
        // Ids are at most 8 bytes, as an f64 is.
        if let Some(message) = shape.too_large(dtype.unwrap_or(DType::F64), "this tensor") {
            return Err(syn::Error::new(brackets.span.join(), message));
        }
        Ok(TypeSpec {
            dtype,
            elem,
            dtype_span,
            dims,
            loc,
        })
    }
}

/// One dimension: a whole number of at least 1, or a name.
fn parse_dim(input: ParseStream) -> syn::Result<DimSpec> {
    if input.peek(Ident) {
        return Ok(DimSpec::Named(input.parse()?));
    }
    let expected = "expected a dimension: a whole number such as `5`, or a name such as `batch`";
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        let message = "a dimension cannot be negative: write a whole number of at least 1";
        return Err(match input.parse::<Lit>() {
            Ok(lit) => syn::Error::new_spanned(quote::quote!(#minus #lit), message),
            Err(_) => syn::Error::new(minus.span, message),
        });
    }
    let lit: Lit = input.parse().map_err(|e| syn::Error::new(e.span(), expected))?;
    let Lit::Int(int) = &lit else {
        let message = format!("{expected}, found `{}`", lit.to_token_stream());
        return Err(syn::Error::new(lit.span(), message));
    };
    if int.base10_digits().starts_with('-') {
        return Err(syn::Error::new(
            int.span(),
            "a dimension cannot be negative: write a whole number of at least 1",
        ));
    }
    if !int.suffix().is_empty() {
        let message = format!("write a dimension without a type suffix: `{}`", int.base10_digits());
        return Err(syn::Error::new(int.span(), message));
    }
    let dim: usize = int.base10_parse().map_err(|_| {
        let message = format!(
            "the dimension `{}` is too large: a tensor holds at most 2^47 bytes",
            int.base10_digits()
        );
        syn::Error::new(int.span(), message)
    })?;
    if dim == 0 {
        return Err(syn::Error::new(int.span(), "a dimension must be at least 1"));
    }
    Ok(DimSpec::Fixed(dim))
}

/// The element type: `f32` or `f64`, or an integer type for ids (`i32`, `i64`, `usize`).
fn parse_dtype(input: ParseStream) -> syn::Result<(Option<DType>, Elem, proc_macro2::Span)> {
    let expected = "expected an element type: a float type, `f32` or `f64`, or for integer ids `i32`, `i64` or `usize`";
    let ident: Ident = input.parse().map_err(|e| syn::Error::new(e.span(), expected))?;
    let name = ident.to_string();
    match name.as_str() {
        "f32" => Ok((Some(DType::F32), Elem::Float, ident.span())),
        "f64" => Ok((Some(DType::F64), Elem::Float, ident.span())),
        _ => match Elem::INTEGERS.iter().find(|(n, _)| *n == name) {
            Some(&(_, elem)) => Ok((None, elem, ident.span())),
            None => Err(syn::Error::new(ident.span(), format!("{expected}, found `{name}`"))),
        },
    }
}

/// `= 0.5`, `= zeros`, `= uniform(-0.1, 0.1)`.
fn parse_init(input: ParseStream) -> syn::Result<InitSpec> {
    if !input.peek(Ident) {
        return parse_number(input).map(InitSpec::Number).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected an initial value: a number such as `0.5`, or an initialiser such as `glorot_uniform`",
            )
        });
    }
    let name: Ident = input.parse()?;
    let mut loc = Loc::at(name.span());
    let mut args = Vec::new();
    if input.peek(syn::token::Paren) {
        let content;
        let parens = parenthesized!(content in input);
        args = content.parse_terminated(parse_number, Token![,])?.into_iter().collect();
        loc = loc.to(Loc::at(parens.span.close()));
    }
    Ok(InitSpec::Named { name, args, loc })
}

/// `-`? then an integer or float literal.
fn parse_number(input: ParseStream) -> syn::Result<Number> {
    let minus: Option<Token![-]> = input.parse()?;
    let lit: Lit = input.parse()?;
    let (value, span) = match &lit {
        Lit::Int(i) => (i.base10_parse::<f64>()?, i.span()),
        Lit::Float(f) => (f.base10_parse::<f64>()?, f.span()),
        _ => return Err(syn::Error::new(lit.span(), "expected a number")),
    };
    let first = minus.map_or(span, |m| m.span);
    let value = if minus.is_some() { -value } else { value };
    Ok(Number {
        value,
        loc: Loc::at(first).to(Loc::at(span)),
    })
}

/// How deeply expressions may nest: parentheses, calls and unary minus signs, counted along
/// any path from a `let` to a leaf. Long runs of `+ - * /` do not nest (they are kept flat),
/// so a program can write a sum of any length; deeper nesting is an error at the token
/// where the limit is passed, before anything (rustc included) would run out of stack.
pub const MAX_NESTING: usize = 128;

/// `expr := term (("+" | "-") term)*`
pub fn parse_expr(input: ParseStream) -> syn::Result<Expr> {
    expr(input, 0)
}

/// An error at `span` if `depth` passes [`MAX_NESTING`].
fn nest(depth: usize, span: proc_macro2::Span) -> syn::Result<usize> {
    if depth >= MAX_NESTING {
        let message = format!(
            "this expression nests more than {MAX_NESTING} levels deep (parentheses, calls and unary minus \
             signs count): split it into several `let`s"
        );
        return Err(syn::Error::new(span, message));
    }
    Ok(depth + 1)
}

/// `expr := sum (CMP sum)?`: a comparison, or a sum.
fn expr(input: ParseStream, depth: usize) -> syn::Result<Expr> {
    let lhs = sum(input, depth)?;
    let Some(op) = comparison(input)? else {
        return Ok(lhs);
    };
    let rhs = sum(input, depth)?;
    if comparison(&input.fork())?.is_some() {
        return Err(
            input.error("comparisons do not chain (as in Rust): write `(a < b) * (b < c)` for both, or compare once")
        );
    }
    Ok(Expr::Compare {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}

/// A comparison operator, consumed, if one comes next.
fn comparison(input: ParseStream) -> syn::Result<Option<graph_core::Cmp>> {
    use graph_core::Cmp;
    let op = if input.peek(Token![<=]) {
        input.parse::<Token![<=]>()?;
        Cmp::LessEq
    } else if input.peek(Token![>=]) {
        input.parse::<Token![>=]>()?;
        Cmp::GreaterEq
    } else if input.peek(Token![==]) {
        input.parse::<Token![==]>()?;
        Cmp::Equal
    } else if input.peek(Token![!=]) {
        input.parse::<Token![!=]>()?;
        Cmp::NotEqual
    } else if input.peek(Token![<]) {
        input.parse::<Token![<]>()?;
        Cmp::Less
    } else if input.peek(Token![>]) {
        input.parse::<Token![>]>()?;
        Cmp::Greater
    } else {
        return Ok(None);
    };
    Ok(Some(op))
}

/// `sum := term (("+" | "-") term)*`
fn sum(input: ParseStream, depth: usize) -> syn::Result<Expr> {
    let first = term(input, depth)?;
    let mut rest = Vec::new();
    loop {
        let (op, op_span) = if input.peek(Token![+]) {
            (BinOp::Add, input.parse::<Token![+]>()?.span)
        } else if input.peek(Token![-]) {
            (BinOp::Sub, input.parse::<Token![-]>()?.span)
        } else {
            break;
        };
        rest.push((op, op_span, term(input, depth)?));
    }
    Ok(chain(first, rest))
}

/// `term := unary (("*" | "/") unary)*`
fn term(input: ParseStream, depth: usize) -> syn::Result<Expr> {
    let first = unary(input, depth)?;
    let mut rest = Vec::new();
    loop {
        let (op, op_span) = if input.peek(Token![*]) {
            (BinOp::Mul, input.parse::<Token![*]>()?.span)
        } else if input.peek(Token![/]) {
            (BinOp::Div, input.parse::<Token![/]>()?.span)
        } else {
            break;
        };
        rest.push((op, op_span, unary(input, depth)?));
    }
    Ok(chain(first, rest))
}

fn chain(first: Expr, rest: Vec<(BinOp, proc_macro2::Span, Expr)>) -> Expr {
    if rest.is_empty() {
        first
    } else {
        Expr::Chain {
            first: Box::new(first),
            rest,
        }
    }
}

/// `unary := "-" unary | atom`, read without recursion: the signs are counted first.
fn unary(input: ParseStream, mut depth: usize) -> syn::Result<Expr> {
    let mut minuses = Vec::new();
    while input.peek(Token![-]) {
        let minus = input.parse::<Token![-]>()?.span;
        depth = nest(depth, minus)?;
        minuses.push(minus);
    }
    let mut expr = atom(input, depth)?;
    for minus in minuses.into_iter().rev() {
        expr = Expr::Neg {
            minus,
            expr: Box::new(expr),
        };
    }
    Ok(expr)
}

/// An atom, then any indexings of it (`x[0][1]`).
fn atom(input: ParseStream, depth: usize) -> syn::Result<Expr> {
    let mut expr = primary(input, depth)?;
    while input.peek(syn::token::Bracket) {
        let content;
        let brackets = bracketed!(content in input);
        let depth = nest(depth, brackets.span.open())?;
        let mut indices = Vec::new();
        while !content.is_empty() {
            indices.push(index(&content, depth)?);
            if content.is_empty() {
                break;
            }
            if content.peek(Token![;]) || content.peek(Token![:]) {
                return Err(content.error(
                    "a range takes every element from its start to its end: steps are not supported; \
                     write Rust ranges, `..` for a whole axis, `1..3`, `..5` or `2..`",
                ));
            }
            content.parse::<Token![,]>()?;
        }
        if indices.is_empty() {
            return Err(syn::Error::new(
                brackets.span.join(),
                "an indexing needs at least one index or range, like `x[0]` or `x[.., 1..3]`",
            ));
        }
        expr = Expr::Index {
            base: Box::new(expr),
            indices,
            close: brackets.span.close(),
        };
    }
    Ok(expr)
}

/// One axis of an indexing: an index, or a range with optional ends.
fn index(input: ParseStream, depth: usize) -> syn::Result<IndexSpec> {
    let range_follows = |input: ParseStream| input.peek(Token![..]) || input.peek(Token![..=]);
    let start = if range_follows(input) {
        None
    } else {
        Some(expr(input, depth)?)
    };
    if !range_follows(input) {
        let at = start.expect("an index was parsed when no range follows");
        return Ok(IndexSpec::At(at));
    }
    let first = input.span();
    let inclusive = if input.peek(Token![..=]) {
        input.parse::<Token![..=]>()?;
        true
    } else {
        input.parse::<Token![..]>()?;
        false
    };
    let ends_here = input.is_empty() || input.peek(Token![,]);
    let end = if ends_here { None } else { Some(expr(input, depth)?) };
    if range_follows(input) {
        return Err(input.error(
            "a range takes every element from its start to its end: steps are not supported; \
             write Rust ranges, `..` for a whole axis, `1..3`, `..5` or `2..`",
        ));
    }
    let mut loc = start.as_ref().map_or(Loc::at(first), Expr::loc);
    if let Some(end) = &end {
        loc = loc.to(end.loc());
    } else {
        loc = loc.to(Loc::at(first));
    }
    Ok(IndexSpec::Range {
        start,
        end,
        inclusive,
        loc,
    })
}

/// A list of expressions separated by commas (a trailing comma allowed), up to the end of `content`.
fn items(content: ParseStream, depth: usize) -> syn::Result<Vec<Expr>> {
    let mut items = Vec::new();
    while !content.is_empty() {
        items.push(expr(content, depth)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(items)
}

fn primary(input: ParseStream, depth: usize) -> syn::Result<Expr> {
    if input.peek(syn::token::Paren) {
        let content;
        let parens = parenthesized!(content in input);
        let depth = nest(depth, parens.span.open())?;
        let first = expr(&content, depth)?;
        if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
            let mut items = vec![first];
            items.extend(self::items(&content, depth)?);
            let loc = Loc::at(parens.span.open()).to(Loc::at(parens.span.close()));
            return Ok(Expr::Tuple { items, loc });
        }
        if !content.is_empty() {
            return Err(content.error("expected `)`: one expression in parentheses"));
        }
        return Ok(first);
    }
    if input.peek(syn::token::Bracket) {
        let content;
        let brackets = bracketed!(content in input);
        let depth = nest(depth, brackets.span.open())?;
        let items = items(&content, depth)?;
        let loc = Loc::at(brackets.span.open()).to(Loc::at(brackets.span.close()));
        return Ok(Expr::List { items, loc });
    }
    if input.peek(syn::LitBool) {
        return Ok(Expr::Bool(input.parse()?));
    }
    if input.peek(Token![where]) {
        return Err(input.error("`where` is a Rust keyword: choose elementwise with `select(mask, a, b)`"));
    }
    if input.peek(Lit) {
        return Ok(Expr::Number(parse_number(input)?));
    }
    if input.peek(Ident) {
        let name: Ident = input.parse()?;
        if !input.peek(syn::token::Paren) {
            return Ok(Expr::Name(name));
        }
        let content;
        let parens = parenthesized!(content in input);
        let depth = nest(depth, name.span())?;
        let (mut args, mut keywords) = (Vec::new(), Vec::new());
        while !content.is_empty() {
            if content.peek(Ident) && content.peek2(Token![=]) && !content.peek2(Token![==]) {
                let key: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                keywords.push((key, expr(&content, depth)?));
            } else {
                args.push(expr(&content, depth)?);
            }
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(Expr::Call {
            func: name,
            args,
            keywords,
            close: parens.span.close(),
        });
    }
    Err(input.error("expected an expression: a name, a number, a call such as `softmax(x)`, or `(...)`"))
}

/// An error at the first bracket, brace or parenthesis nested deeper than the language
/// allows, found without recursion: checked before syn reads the tokens (its reader recurses
/// into groups), so that no input, however deep, can exhaust the stack.
pub fn check_nesting(input: &proc_macro2::TokenStream) -> syn::Result<()> {
    // The module's braces, a type's brackets and an expression's own nesting.
    const MAX_GROUPS: usize = MAX_NESTING + 4;
    let mut stack = vec![input.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(group)) => {
                if stack.len() > MAX_GROUPS {
                    let message = format!(
                        "this nests more than {MAX_NESTING} levels deep: split the expression into several `let`s"
                    );
                    return Err(syn::Error::new(group.span_open(), message));
                }
                stack.push(group.stream().into_iter());
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn precedence_and_calls() {
        let e = syn::parse::Parser::parse2(parse_expr, quote!(a + b * -c - pow(d, 2))).unwrap();
        let Expr::Chain { first, rest } = e else {
            panic!("top is a run of `+ -`")
        };
        assert!(matches!(*first, Expr::Name(_)));
        assert!(matches!(&rest[0], (BinOp::Add, _, Expr::Chain { rest, .. }) if rest[0].0 == BinOp::Mul));
        assert!(matches!(&rest[1], (BinOp::Sub, _, Expr::Call { args, .. }) if args.len() == 2));
    }

    #[test]
    fn types() {
        let t: TypeSpec = syn::parse2(quote!([f64; batch, 3])).unwrap();
        assert_eq!(t.dtype, Some(DType::F64));
        assert!(matches!(t.dims.as_slice(), [DimSpec::Named(n), DimSpec::Fixed(3)] if n == "batch"));
        assert!(syn::parse2::<TypeSpec>(quote!([f32; 0])).is_err());
        assert!(syn::parse2::<TypeSpec>(quote!([u8; 2])).is_err());
        let ids: TypeSpec = syn::parse2(quote!([i64; batch])).unwrap();
        assert_eq!((ids.dtype, ids.elem), (None, Elem::I64));
    }
}
