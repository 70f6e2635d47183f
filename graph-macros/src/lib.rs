//! The `graph!` proc macro. Use it through the `static-graph` crate, which documents it.
//!
//! This crate is a thin entry point: the parsing, lowering and code generation live in
//! `graph-syntax` and `graph-core`, where they can be tested (and fuzzed) without a compiler
//! in the loop.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Compiles a declarative graph into a module of fused forward and backward functions.
///
/// Called as `graph!($crate [std] mod ... { ... })` by the facade's `graph!`, which passes its
/// own path first so that the generated code reaches the runtime however the user named the
/// dependency, then what it was built with (`[std]`, `[alloc]` or `[core]`). See the
/// `static-graph` crate for the language and what it generates.
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    let mut input = proc_macro2::TokenStream::from(input).into_iter().peekable();
    let krate: proc_macro2::TokenStream = input.next().into_iter().collect();
    // `[std]`, `[alloc]` or `[core]`: what the facade was built with (no graph starts with a
    // bracket group).
    let mut platform = graph_core::Platform::Std;
    if let Some(proc_macro2::TokenTree::Group(group)) = input.peek() {
        if group.delimiter() == proc_macro2::Delimiter::Bracket {
            platform = match group.stream().to_string().as_str() {
                "alloc" => graph_core::Platform::Alloc,
                "core" => graph_core::Platform::Core,
                _ => graph_core::Platform::Std,
            };
            input.next();
        }
    }
    let graph: proc_macro2::TokenStream = input.collect();
    // The expansion is fuzzed not to panic; should it ever, the user gets a compile error
    // that says what happened instead of a compiler crash report.
    let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        graph_syntax::expand_on(&krate, platform, graph)
    }));
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(_) => quote::quote! {
            ::core::compile_error!("internal error in `graph!` (a bug in static-graph: please report it with this graph)");
        }
        .into(),
    }
}
