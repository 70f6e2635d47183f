//! Expansion: the pipeline from the macro's input tokens to its output tokens.

use crate::ast::GraphDef;
use crate::lower::lower_with_outline;
use graph_core::{Diagnostic, Platform};
use proc_macro2::TokenStream;
use quote::quote;

/// The tokens `graph!` expands to: the module, or `compile_error!`s at the user's mistakes
/// (with a stub of the module where its declarations could be read, so that code using it
/// adds no errors of its own). The generated code calls the runtime at
/// `::static_graph::__private`; see [`expand_in`] for a renamed crate.
pub fn expand(input: TokenStream) -> TokenStream {
    expand_in(&quote!(::static_graph), input)
}

/// [`expand`], for generated code that reaches the facade crate at `krate` (`$crate`, from
/// the facade's `graph!`, so that a user may rename the dependency).
pub fn expand_in(krate: &TokenStream, input: TokenStream) -> TokenStream {
    expand_on(krate, Platform::Std, input)
}

/// [`expand_in`], for a facade built for `platform` (without `std`, or without `alloc`: the
/// facade's `graph!` says which).
pub fn expand_on(krate: &TokenStream, platform: Platform, input: TokenStream) -> TokenStream {
    match expansion(krate, platform, input) {
        Ok(tokens) => tokens,
        Err((error, stub)) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(stub);
            tokens
        }
    }
}

/// The pipeline, stage by stage; the first stage with errors stops it.
pub fn try_expand(input: TokenStream) -> syn::Result<TokenStream> {
    expansion(&quote!(::static_graph), Platform::Std, input).map_err(|(error, _)| error)
}

/// The module, or the errors and a stub module (empty where not even the declarations read).
fn expansion(
    krate: &TokenStream,
    platform: Platform,
    input: TokenStream,
) -> Result<TokenStream, (syn::Error, TokenStream)> {
    let none = |error| (error, TokenStream::new());
    crate::parse::check_nesting(&input).map_err(none)?;
    let def: GraphDef = syn::parse2(input).map_err(none)?;
    let runtime = quote!(#krate::__private);
    let module = |items: TokenStream| {
        let GraphDef { attrs, vis, name, .. } = &def;
        quote! {
            #attrs
            #vis mod #name {
                #items
            }
        }
    };
    let mut program = match lower_with_outline(&def) {
        Ok(program) => program,
        Err((errors, mut outline)) => {
            outline.platform = platform;
            return Err((to_syn(errors), module(graph_core::emit::stub(&outline, &runtime))));
        }
    };
    program.platform = platform;
    // `check_gradients` of an f32 graph runs its differences on an f64 copy of the forward pass.
    let twin = program.check_gradients && program.graph.dtype() == graph_core::DType::F32;
    match graph_core::compile(program, &def.name.to_string(), &runtime) {
        Ok(mut items) => {
            if twin {
                let mut copy =
                    crate::lower::lower_in_f64(&def).map_err(|errors| (to_syn(errors), TokenStream::new()))?;
                copy.platform = platform;
                let copy = graph_core::compile(copy, "f64_copy", &runtime)
                    .map_err(|(errors, _)| (to_syn(errors), TokenStream::new()))?;
                items.extend(quote! {
                    /// The graph with every float in f64, for `check_gradients`.
                    #[doc(hidden)]
                    pub mod f64_copy {
                        #copy
                    }
                });
            }
            Ok(module(items))
        }
        Err((errors, program)) => Err((to_syn(errors), module(graph_core::emit::stub(&program, &runtime)))),
    }
}

/// Every diagnostic as one `syn::Error`, each underlining its own stretch of source.
pub fn to_syn(diagnostics: Vec<Diagnostic>) -> syn::Error {
    let mut errors = diagnostics.into_iter().map(|d| {
        // `new_spanned` underlines from its tokens' first span to their last.
        let first = proc_macro2::Ident::new("first", d.loc.first);
        let last = proc_macro2::Ident::new("last", d.loc.last);
        let ends = quote!(#first #last);
        syn::Error::new_spanned(ends, d.message)
    });
    let mut all = errors
        .next()
        .unwrap_or_else(|| syn::Error::new(proc_macro2::Span::call_site(), "internal error: no diagnostic"));
    for e in errors {
        all.combine(e);
    }
    all
}
