//! The structs a graph module exposes: `Placeholders`, `Variables`, `Values`, `Gradients`,
//! `Adjoints`, each with a `Default` (zeros or the declared fill) and flat views of its fields.

use super::names::ident;
use super::ops::{float_type, literal};
use crate::ir::{DType, Shape};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// One field: its name, shape, starting value and doc line.
pub struct Field {
    /// The user's name.
    pub name: String,
    /// The tensor's shape.
    pub shape: Shape,
    /// Its `Default` value.
    pub fill: f64,
    /// What it holds, for its doc comment.
    pub doc: String,
}

/// The Rust type of a tensor: `f32`, `[f32; 5]`, `[[f32; 3]; 2]`.
pub fn tensor_type(shape: &Shape, dtype: DType) -> TokenStream {
    let mut ty = float_type(dtype);
    for &dim in shape.dims().iter().rev() {
        let dim = Literal::usize_unsuffixed(dim);
        ty = quote!([#ty; #dim]);
    }
    ty
}

fn tensor_value(shape: &Shape, value: f64, dtype: DType) -> TokenStream {
    let mut tokens = literal(value, dtype).tokens;
    for &dim in shape.dims().iter().rev() {
        let dim = Literal::usize_unsuffixed(dim);
        tokens = quote!([#tokens; #dim]);
    }
    tokens
}

/// A struct named `name` with one pub field per entry of `fields`.
pub fn tensor_struct(name: &str, doc: &str, fields: &[Field], dtype: DType) -> TokenStream {
    let name = format_ident!("{name}");
    let float = float_type(dtype);
    let idents: Vec<_> = fields.iter().map(|f| ident(&f.name)).collect();
    let docs = fields.iter().map(|f| format!(" {}", f.doc));
    let types = fields.iter().map(|f| tensor_type(&f.shape, dtype));
    let defaults = fields.iter().map(|f| tensor_value(&f.shape, f.fill, dtype));
    let labels = fields.iter().map(|f| f.name.trim_start_matches("r#").to_owned());
    let labels_mut = labels.clone();
    let views = fields
        .iter()
        .zip(&idents)
        .map(|(f, id)| flat_view(quote!(self.#id), f.shape.rank(), false));
    let views_mut = fields
        .iter()
        .zip(&idents)
        .map(|(f, id)| flat_view(quote!(self.#id), f.shape.rank(), true));
    let count = Literal::usize_unsuffixed(fields.len());
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub struct #name {
            #( #[doc = #docs] pub #idents: #types, )*
        }

        impl ::core::default::Default for #name {
            fn default() -> Self {
                Self { #( #idents: #defaults, )* }
            }
        }

        impl #name {
            /// Every field as a flat slice (row-major), with its name, in declaration order.
            #[must_use]
            pub fn tensors(&self) -> [(&'static str, &[#float]); #count] {
                [ #( (#labels, #views), )* ]
            }

            /// Every field as a flat mutable slice (row-major), with its name, in declaration order.
            pub fn tensors_mut(&mut self) -> [(&'static str, &mut [#float]); #count] {
                [ #( (#labels_mut, #views_mut), )* ]
            }
        }
    }
}

fn flat_view(place: TokenStream, rank: usize, mutable: bool) -> TokenStream {
    match (rank, mutable) {
        (0, false) => quote!(::core::slice::from_ref(&#place)),
        (0, true) => quote!(::core::slice::from_mut(&mut #place)),
        (1, false) => quote!(#place.as_slice()),
        (1, true) => quote!(#place.as_mut_slice()),
        _ => {
            let mut tokens = place;
            for _ in 1..rank {
                tokens = if mutable {
                    quote!(#tokens.as_flattened_mut())
                } else {
                    quote!(#tokens.as_flattened())
                };
            }
            tokens
        }
    }
}
