//! Expansion: the pipeline from the macro's input tokens to its output tokens.

use crate::ast::GraphDef;
use crate::lower::lower;
use graph_core::Diagnostic;
use proc_macro2::TokenStream;
use quote::quote;

/// The tokens `graph!` expands to: the module, or `compile_error!`s at the user's mistakes.
pub fn expand(input: TokenStream) -> TokenStream {
    try_expand(input).unwrap_or_else(syn::Error::into_compile_error)
}

/// The pipeline, stage by stage; the first stage with errors stops it.
pub fn try_expand(input: TokenStream) -> syn::Result<TokenStream> {
    crate::parse::check_nesting(&input)?;
    let def: GraphDef = syn::parse2(input)?;
    let program = lower(&def).map_err(to_syn)?;
    let items = graph_core::compile(program, &def.name.to_string()).map_err(to_syn)?;
    let GraphDef { attrs, vis, name, .. } = def;
    Ok(quote! {
        #(#attrs)*
        #vis mod #name {
            #items
        }
    })
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
