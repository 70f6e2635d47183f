//! The front end of static-graph: parses the `graph!` language with syn, lowers it into a
//! graph-core [`Program`](graph_core::Program), and runs the compiler.
//!
//! It is a plain library, not a proc-macro crate, so that tests and fuzzers can call the
//! whole expansion ([`expand`]) and the lowering ([`lower()`]) directly; `graph-macros` is a
//! one-line wrapper around [`expand`].

#![forbid(unsafe_code)]

pub mod ast;
mod expand;
pub mod lower;
mod parse;

pub use parse::MAX_NESTING;

pub use expand::{expand, expand_in, expand_on, to_syn, try_expand};
pub use lower::lower;

use proc_macro2::TokenStream;

/// Parses and lowers a graph definition, without differentiating it: for tests that run the
/// interpreter on the same source the macro compiles.
pub fn program(input: TokenStream) -> syn::Result<graph_core::Program> {
    parse::check_nesting(&input)?;
    let def: ast::GraphDef = syn::parse2(input)?;
    lower(&def).map_err(to_syn)
}
