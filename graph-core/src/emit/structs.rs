//! The structs a graph module exposes: `Placeholders`, `Variables`, `Values`, `Gradients`,
//! `Adjoints` and `Workspace`, each with a `Default` (zeros or the declared fill), and flat
//! views of their fields.
//!
//! A tensor is a plain Rust array: `[[f32; 3]; 2]` for `[f32; 2, 3]`. Large ones are boxed,
//! `Box<[[f32; 784]; 64]>`, and built on the heap directly (see [`boxing`]): those of more than
//! [`INLINE_LIMIT`] elements or sized by the named dimension, and the largest others of a struct
//! whose inline tensors would take more than [`INLINE_STRUCT_BYTES`], so that no struct, however
//! many tensors it has, overflows a thread's stack.

use super::names::ident;
use super::ops::{literal, size};
use super::Ctx;
use crate::ir::{Dim, Elem, Shape, Size};
use crate::program::Init;
use proc_macro2::{Literal, TokenStream};
use quote::format_ident;

/// Tensors with more elements than this are boxed.
pub const INLINE_LIMIT: usize = 4096;

/// One field: its name, shape, starting value and doc line.
pub struct Field {
    /// The user's name (or the node's, in `Workspace`).
    pub name: String,
    /// The tensor's shape.
    pub shape: Shape,
    /// Its elements: floats, or integer ids.
    pub elem: Elem,
    /// How it starts: `Default` (and `Variables::init`).
    pub init: Init,
    /// What it holds, for its doc comment.
    pub doc: String,
}

/// The most bytes of tensors one struct holds inline; past it, its largest inline tensors
/// are boxed until the rest fit. With six structs per graph, an entry point's frame holds
/// at most a few hundred KiB even in a debug build (which copies a struct as it is built),
/// far inside a 2 MiB thread, however many tensors a graph has.
pub const INLINE_STRUCT_BYTES: usize = 64 * 1024;

/// Whether each of `fields` lives in a `Box`: those sized by the named dimension or of more
/// than [`INLINE_LIMIT`] elements, then the largest others (earlier first among equals)
/// until the inline ones take at most [`INLINE_STRUCT_BYTES`].
pub fn boxing(ctx: &Ctx, fields: &[Field]) -> Vec<bool> {
    if ctx.program.platform == crate::Platform::Core {
        // No heap: every tensor inline (`check::heap` rejected the graphs that need one).
        return vec![false; fields.len()];
    }
    let bytes = |f: &Field| f.shape.size().factor.saturating_mul(f.elem.bytes(ctx.graph.dtype()));
    let mut boxed: Vec<bool> = fields.iter().map(|f| always_boxed(&f.shape)).collect();
    let mut inline: usize = fields
        .iter()
        .zip(&boxed)
        .filter(|(_, &b)| !b)
        .map(|(f, _)| bytes(f))
        .sum();
    let mut largest: Vec<usize> = (0..fields.len()).filter(|&k| !boxed[k]).collect();
    largest.sort_by_key(|&k| (std::cmp::Reverse(bytes(&fields[k])), k));
    for k in largest {
        // Scalars are never boxed: a struct of scalars alone is small (a graph has far fewer
        // than 16,384 of them).
        if inline <= INLINE_STRUCT_BYTES || fields[k].shape.is_scalar() {
            break;
        }
        boxed[k] = true;
        inline -= bytes(&fields[k]);
    }
    boxed
}

/// Whether a tensor of `shape` is boxed wherever it is stored: sized by a named dimension, or
/// of more than [`INLINE_LIMIT`] elements. Without a heap, such a tensor is an error
/// (`check::platform`).
pub fn always_boxed(shape: &Shape) -> bool {
    shape.has_named() || shape.size().factor > INLINE_LIMIT
}

fn dim(ctx: &Ctx, dim: Dim) -> TokenStream {
    match dim {
        Dim::Fixed(n) => {
            let n = Literal::usize_unsuffixed(n);
            code!(#n)
        }
        Dim::Named(k) => {
            let dim = &ctx.dims[usize::from(k)];
            code!(#dim)
        }
    }
}

/// The Rust type of one element: the float type, or an integer type.
pub fn element_type(ctx: &Ctx, elem: Elem) -> TokenStream {
    match elem {
        Elem::Float => ctx.float.clone(),
        Elem::I32 => code!(::core::primitive::i32),
        Elem::I64 => code!(::core::primitive::i64),
        Elem::Usize => code!(::core::primitive::usize),
    }
}

/// The Rust type of a tensor: `f32`, `[f32; 5]`, `[[f32; 3]; 2]`, `Box<[[f32; 784]; batch]>`,
/// `[i32; 8]`.
pub fn tensor_type(ctx: &Ctx, shape: &Shape, elem: Elem, boxed: bool) -> TokenStream {
    let mut ty = element_type(ctx, elem);
    for &d in shape.dims().iter().rev() {
        let d = dim(ctx, d);
        ty = code!([#ty; #d]);
    }
    match (boxed, ctx.program.platform) {
        (false, _) => ty,
        (true, crate::Platform::Std) => code!(::std::boxed::Box<#ty>),
        // `alloc`'s, re-exported: a `#![no_std]` crate need not declare `extern crate alloc`.
        (true, _) => {
            let runtime = &ctx.runtime;
            code!(#runtime::Box<#ty>)
        }
    }
}

/// A tensor of `shape` filled with `value` (ids with 0), built on the heap directly if it is boxed.
pub fn tensor_value(ctx: &Ctx, shape: &Shape, elem: Elem, value: f64, boxed: bool) -> TokenStream {
    let mut tokens = match elem {
        Elem::Float => literal(value, ctx.graph.dtype()).tokens,
        _ => code!(0),
    };
    let dims = shape.dims();
    let inner = if boxed { 1 } else { 0 };
    for &d in dims.iter().skip(inner).rev() {
        let d = dim(ctx, d);
        tokens = code!([#tokens; #d]);
    }
    if boxed {
        // `boxed(row)` repeats one row (the inner dimensions) on the heap: no big array on the stack.
        let runtime = &ctx.runtime;
        code!(#runtime::boxed(#tokens))
    } else {
        tokens
    }
}

/// Whether any of `fields` is sized by the named dimension.
pub fn is_generic(fields: &[Field]) -> bool {
    fields.iter().any(|f| f.shape.has_named())
}

/// What kind of struct [`tensor_struct`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// User-facing, with pub fields and `tensors()` views.
    Public,
    /// `Variables`: also `init(seed)`, which `Default` calls with seed 0.
    Variables,
    /// `Workspace`: private fields.
    Private,
}

/// A field that is no tensor (the `Workspace`'s gradients, for the optimizers): its
/// declaration (`Gradients: Gradients,`) and its default (`Gradients: Default::default(),`).
pub struct Extra {
    /// The field's declaration, with its doc comment.
    pub declaration: TokenStream,
    /// The field in `Default`'s struct expression.
    pub default: TokenStream,
}

/// A struct named `name` with one field per entry of `fields`, and `extra` (for
/// [`Kind::Private`]).
pub fn tensor_struct(
    ctx: &Ctx,
    name: &str,
    doc: &str,
    fields: &[Field],
    kind: Kind,
    extra: Option<&Extra>,
) -> TokenStream {
    let name = format_ident!("{name}");
    let dims = &ctx.dims;
    let (params, args) = if is_generic(fields) {
        (code!(<#(const #dims: usize),*>), code!(<#(#dims),*>))
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    // Field names are the user's tensor names as written (`W1` included).
    let allow = code!(#[allow(non_snake_case)]);
    let idents: Vec<_> = fields.iter().map(|f| ident(&f.name)).collect();
    let docs = fields.iter().map(|f| format!(" {}", f.doc));
    let boxed = boxing(ctx, fields);
    let types = fields
        .iter()
        .zip(&boxed)
        .map(|(f, &b)| tensor_type(ctx, &f.shape, f.elem, b));
    let fill = |f: &Field| match f.init {
        Init::Fill(value) => value,
        _ => 0.0,
    };
    let defaults: Vec<_> = fields
        .iter()
        .zip(&boxed)
        .map(|(f, &b)| tensor_value(ctx, &f.shape, f.elem, fill(f), b))
        .collect();
    let vis = (kind != Kind::Private).then(|| code!(pub));
    let views = (kind != Kind::Private).then(|| views(ctx, fields, &idents));
    let serde = (kind != Kind::Private).then(|| serde(ctx, &name, &params, &args, fields, &idents));
    let (extra_declaration, extra_default) = match extra {
        Some(e) => (e.declaration.clone(), e.default.clone()),
        None => (TokenStream::new(), TokenStream::new()),
    };
    let safetensors = (kind == Kind::Variables).then(|| safetensors(ctx, &name, &params, &args, fields));
    let (default, init) = if kind == Kind::Variables {
        (code!(Self::init(0)), Some(init_fn(ctx, fields, &idents, &defaults)))
    } else {
        (code!(Self { #( #idents: #defaults, )* #extra_default }), None)
    };
    code! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq)]
        #allow
        pub struct #name #params {
            #( #[doc = #docs] #vis #idents: #types, )*
            #extra_declaration
        }

        #allow
        impl #params ::core::default::Default for #name #args {
            fn default() -> Self {
                #default
            }
        }

        #allow
        impl #params #name #args {
            #init
            #views
        }

        #safetensors
        #serde
    }
}

/// `Serialize` and `Deserialize`, inside the facade's `with_serde!`, which keeps them only
/// when its `serde` feature is on (their type parameters, `Ser` and `De`, have lower-case
/// letters, so no named dimension's parameter can be one of them): a struct of the fields, each a flat row-major sequence (a
/// scalar a sequence of one), read back in place with every field required and of its length.
fn serde(
    ctx: &Ctx,
    name: &proc_macro2::Ident,
    params: &TokenStream,
    args: &TokenStream,
    fields: &[Field],
    idents: &[proc_macro2::Ident],
) -> TokenStream {
    let (runtime, float, dims) = (&ctx.runtime, &ctx.float, &ctx.dims);
    let de_params = if is_generic(fields) {
        code!(<'de, #(const #dims: usize),*>)
    } else {
        code!(<'de>)
    };
    let text = name.to_string();
    let label = |f: &Field| f.name.trim_start_matches("r#").to_owned();
    let labels: Vec<String> = fields.iter().map(label).collect();
    type Named<'a> = Vec<(&'a Field, &'a proc_macro2::Ident)>;
    let (floats, ids): (Named, Named) = fields.iter().zip(idents).partition(|(f, _)| f.elem == Elem::Float);
    let ids_shared = ids.iter().map(|(f, id)| {
        let (label, slice) = (label(f), flat(code!(self.#id), f.shape.rank(), false));
        code!((#label, ::core::convert::Into::into(#slice)))
    });
    let floats_unique = floats.iter().map(|(f, id)| {
        let (label, slice) = (label(f), flat(code!(out.#id), f.shape.rank(), true));
        code!((#label, #slice))
    });
    let ids_unique = ids.iter().map(|(f, id)| {
        let (label, slice) = (label(f), flat(code!(out.#id), f.shape.rank(), true));
        code!((#label, ::core::convert::Into::into(#slice)))
    });
    code! {
        #runtime::with_serde! {
            #[allow(non_snake_case)]
            impl #params #runtime::serde::Serialize for #name #args {
                fn serialize<Ser: #runtime::serde::Serializer>(&self, serializer: Ser) -> ::core::result::Result<Ser::Ok, Ser::Error> {
                    #runtime::tensors_serde::serialize(serializer, #text, &self.tensors(), &[#(#ids_shared),*])
                }
            }

            #[allow(non_snake_case)]
            impl #de_params #runtime::serde::Deserialize<'de> for #name #args {
                fn deserialize<De: #runtime::serde::Deserializer<'de>>(deserializer: De) -> ::core::result::Result<Self, De::Error> {
                    let mut out = <Self as ::core::default::Default>::default();
                    #runtime::tensors_serde::deserialize::<De, #float>(
                        deserializer,
                        #text,
                        &[#(#labels),*],
                        &mut [#(#floats_unique),*],
                        &mut [#(#ids_unique),*],
                    )?;
                    ::core::result::Result::Ok(out)
                }
            }
        }
    }
}

/// `to_safetensors` and `from_safetensors` for `Variables`, inside the facade's
/// `with_safetensors!`, which keeps them only when its `safetensors` feature is on: each float
/// field a tensor named as declared, with its declared shape.
fn safetensors(
    ctx: &Ctx,
    name: &proc_macro2::Ident,
    params: &TokenStream,
    args: &TokenStream,
    fields: &[Field],
) -> TokenStream {
    let runtime = &ctx.runtime;
    let shapes: Vec<TokenStream> = fields
        .iter()
        .filter(|f| f.elem == Elem::Float)
        .map(|f| {
            let dims = f.shape.dims().iter().map(|&d| dim(ctx, d));
            code!(&[#(#dims),*])
        })
        .collect();
    code! {
        #runtime::with_safetensors! {
            #[allow(non_snake_case)]
            impl #params #name #args {
                /// The variables in the safetensors format (PyTorch's, JAX's, candle's), each a
                /// tensor named as declared, of its declared shape and the graph's float type.
                #[must_use]
                pub fn to_safetensors(&self) -> #runtime::Vec<u8> {
                    #runtime::weights::write(&self.tensors(), &[#(#shapes),*], ::core::option::Option::None)
                }

                /// Variables read from the safetensors format: every declared variable must be
                /// there with its declared shape and the graph's float type, and nothing else;
                /// otherwise an error naming the tensor, and nothing is loaded.
                pub fn from_safetensors(bytes: &[u8]) -> ::core::result::Result<Self, #runtime::LoadError> {
                    let mut v = <Self as ::core::default::Default>::default();
                    let shapes: &[&[usize]] = &[#(#shapes),*];
                    #runtime::weights::read(bytes, &mut v.tensors_mut(), shapes, ::core::option::Option::None)?;
                    ::core::result::Result::Ok(v)
                }
            }
        }
    }
}

/// `Variables::init(seed)`: each variable filled by its initialiser, from its own stream.
fn init_fn(ctx: &Ctx, fields: &[Field], idents: &[proc_macro2::Ident], defaults: &[TokenStream]) -> TokenStream {
    let runtime = &ctx.runtime;
    let mut draws = TokenStream::new();
    for (stream, (f, id)) in fields.iter().zip(idents).enumerate() {
        let slice = flat(code!(v.#id), f.shape.rank(), true);
        let stream = stream as u64;
        draws.extend(match f.init {
            Init::Fill(_) => continue,
            Init::Uniform(lo, hi) => code!(#runtime::uniform(#slice, seed, #stream, #lo, #hi);),
            Init::Normal(mean, std) => code!(#runtime::normal(#slice, seed, #stream, #mean, #std);),
            Init::GlorotUniform => {
                let (fan_in, fan_out) = match f.shape.rank() {
                    0 => (Size::ONE, Size::ONE),
                    1 => (f.shape.dim(0), f.shape.dim(0)),
                    rank => {
                        // Keras: the last two axes, times the receptive field of the others.
                        let field = f.shape.dims()[..rank - 2]
                            .iter()
                            .fold(Size::ONE, |n, &d| n.times(Size::of(d)));
                        (f.shape.dim(rank - 2).times(field), f.shape.dim(rank - 1).times(field))
                    }
                };
                let (fan_in, fan_out) = (size(ctx, fan_in), size(ctx, fan_out));
                code!(#runtime::glorot_uniform(#slice, seed, #stream, #fan_in, #fan_out);)
            }
        });
    }
    let seed = if draws.is_empty() { code!(_seed) } else { code!(seed) };
    let binding = if draws.is_empty() {
        code!(let v)
    } else {
        code!(let mut v)
    };
    code! {
        /// Fresh variables: each filled by its initialiser, random ones drawn deterministically
        /// from `seed` (the same seed gives the same values everywhere). `Default` is `init(0)`.
        #[must_use]
        pub fn init(#seed: u64) -> Self {
            #binding = Self { #( #idents: #defaults, )* };
            #draws
            v
        }
    }
}

/// `tensors()` and `tensors_mut()`: every float field as a named flat slice (ids, being of
/// another type, are read and written as fields).
fn views(ctx: &Ctx, fields: &[Field], idents: &[proc_macro2::Ident]) -> TokenStream {
    let float = &ctx.float;
    let (fields, idents): (Vec<&Field>, Vec<&proc_macro2::Ident>) =
        fields.iter().zip(idents).filter(|(f, _)| f.elem == Elem::Float).unzip();
    let labels: Vec<String> = fields
        .iter()
        .map(|f| f.name.trim_start_matches("r#").to_owned())
        .collect();
    let shared = fields
        .iter()
        .zip(&idents)
        .map(|(f, id)| flat(code!(self.#id), f.shape.rank(), false));
    let unique = fields
        .iter()
        .zip(&idents)
        .map(|(f, id)| flat(code!(self.#id), f.shape.rank(), true));
    let count = Literal::usize_unsuffixed(fields.len());
    code! {
        /// Every float field as a flat slice (row-major), with its name, in declaration order.
        #[must_use]
        pub fn tensors(&self) -> [(&'static str, &[#float]); #count] {
            [ #( (#labels, #shared), )* ]
        }

        /// Every float field as a flat mutable slice (row-major), with its name, in declaration order.
        pub fn tensors_mut(&mut self) -> [(&'static str, &mut [#float]); #count] {
            [ #( (#labels, #unique), )* ]
        }
    }
}

/// A flat slice of a tensor place: `&x[..]`, `x.as_flattened()`, a one-element slice of a scalar.
pub fn flat(place: TokenStream, rank: usize, mutable: bool) -> TokenStream {
    match (rank, mutable) {
        (0, false) => code!(::core::slice::from_ref(&#place)),
        (0, true) => code!(::core::slice::from_mut(&mut #place)),
        (1, false) => code!(&#place[..]),
        (1, true) => code!(&mut #place[..]),
        _ => {
            let mut tokens = place;
            for _ in 1..rank {
                tokens = if mutable {
                    code!(#tokens.as_flattened_mut())
                } else {
                    code!(#tokens.as_flattened())
                };
            }
            tokens
        }
    }
}

/// The number of elements of `shape`, as a `usize` expression.
pub fn len(ctx: &Ctx, shape: &Shape) -> TokenStream {
    size(ctx, shape.size())
}
