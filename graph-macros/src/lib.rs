//! The `graph!` proc macro. Use it through the `static-graph` crate, which documents it.
//!
//! This crate is a thin entry point: the parsing, lowering and code generation live in
//! `graph-syntax` and `graph-core`, where they can be tested (and fuzzed) without a compiler
//! in the loop.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Compiles a declarative graph into a module of fused forward and backward functions.
///
/// Called as `graph!($crate mod ... { ... })` by the facade's `graph!`, which passes its own
/// path first so that the generated code reaches the runtime however the user named the
/// dependency. See the `static-graph` crate for the language and what it generates.
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    let mut input = proc_macro2::TokenStream::from(input).into_iter();
    let krate: proc_macro2::TokenStream = input.next().into_iter().collect();
    let graph: proc_macro2::TokenStream = input.collect();
    // The expansion is fuzzed not to panic; should it ever, the user gets a compile error
    // that says what happened instead of a compiler crash report.
    let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| graph_syntax::expand_in(&krate, graph)));
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(_) => quote::quote! {
            ::core::compile_error!("internal error in `graph!` (a bug in static-graph: please report it with this graph)");
        }
        .into(),
    }
}
