//! The `graph!` proc macro. Use it through the `static-graph` crate, which documents it.
//!
//! This crate is a thin entry point: the parsing, lowering and code generation live in
//! `graph-syntax` and `graph-core`, where they can be tested without a compiler in the loop.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Compiles a declarative graph into a module of fused forward and backward functions.
///
/// See the `static-graph` crate for the language and what it generates.
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    graph_syntax::expand(input.into()).into()
}
