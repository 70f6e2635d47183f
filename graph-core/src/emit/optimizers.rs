//! The optimizers a graph declares (`optimizer adam(...);`, table in `crate::optimizer`): for
//! each, a struct of its hyperparameters and state, and `NAME_step` / `NAME_step_into`.
//!
//! A step runs the fused forward and backward pass with the gradients stored in the
//! workspace (`workspace.Gradients`), then one loop per variable that reads each gradient
//! once and moves the variable and its state together. With `clip_global_norm`, one more pass
//! over the gradients finds their global norm first.

use super::{Ctx, Functions};
use crate::optimizer::{Kind, Optimizer, Start, CLIP};
use crate::program::Program;
use proc_macro2::{Ident, TokenStream};
use quote::format_ident;

/// The spec of an optimizer step's fused pass: the values, and every variable's gradient into
/// `workspace.Gradients`.
pub fn outputs(program: &Program) -> Vec<super::body::Output> {
    let mut outputs = super::value_outputs(program, code!(values));
    outputs.extend(super::adjoints_of(
        program,
        program.variables.iter(),
        code!(workspace.Gradients),
    ));
    outputs
}

impl Functions<'_> {
    /// `Serialize` and `Deserialize` for an optimizer's state (with the facade's `serde`
    /// feature): a struct of its fields by name, the slots as `Variables` serialize.
    fn optimizer_serde(&self, opt: &Optimizer, type_name: &proc_macro2::Ident, args: &TokenStream) -> TokenStream {
        let (ctx, runtime) = (self.ctx, &self.ctx.runtime);
        let mut names: Vec<String> = opt.kind.hypers().iter().map(|h| h.name.to_owned()).collect();
        names.push("clip_global_norm".to_owned());
        names.extend(opt.kind.slots().iter().map(|&(slot, _)| slot.to_owned()));
        if opt.kind.counts_steps() {
            names.push("step".to_owned());
        }
        let fields: Vec<proc_macro2::Ident> = names.iter().map(|n| format_ident!("{n}")).collect();
        let ks = (0..names.len()).map(proc_macro2::Literal::usize_unsuffixed);
        let count = proc_macro2::Literal::usize_unsuffixed(names.len());
        let text = type_name.to_string();
        let dims = &ctx.dims;
        let (params, de_params) = if self.structs.generic("Variables") {
            (code!(<#(const #dims: usize),*>), code!(<'de, #(const #dims: usize),*>))
        } else {
            (TokenStream::new(), code!(<'de>))
        };
        code! {
            #runtime::with_serde! {
                impl #params #runtime::serde::Serialize for #type_name #args {
                    fn serialize<Ser: #runtime::serde::Serializer>(&self, serializer: Ser) -> ::core::result::Result<Ser::Ok, Ser::Error> {
                        use #runtime::serde::ser::SerializeStruct as _;
                        let mut out = serializer.serialize_struct(#text, #count)?;
                        #( out.serialize_field(#names, &self.#fields)?; )*
                        out.end()
                    }
                }

                impl #de_params #runtime::tensors_serde::FieldByField<'de> for #type_name #args {
                    fn read<Map: #runtime::serde::de::MapAccess<'de>>(&mut self, k: usize, map: &mut Map) -> ::core::result::Result<(), Map::Error> {
                        match k {
                            #( #ks => self.#fields = map.next_value()?, )*
                            _ => {}
                        }
                        ::core::result::Result::Ok(())
                    }
                }

                impl #de_params #runtime::serde::Deserialize<'de> for #type_name #args {
                    fn deserialize<De: #runtime::serde::Deserializer<'de>>(deserializer: De) -> ::core::result::Result<Self, De::Error> {
                        let mut state = Self::new();
                        #runtime::tensors_serde::deserialize_fields(deserializer, #text, &[#(#names),*], &mut state)?;
                        ::core::result::Result::Ok(state)
                    }
                }
            }
        }
    }

    /// `to_safetensors` and `from_safetensors` for an optimizer's state (with the facade's
    /// `safetensors` feature): each slot's tensors named `slot/variable` (`m/w`), and Adam's
    /// step count as the scalar `I64` tensor `step`; the hyperparameters are the declaration's.
    fn optimizer_safetensors(
        &self,
        opt: &Optimizer,
        type_name: &proc_macro2::Ident,
        generics: &TokenStream,
        args: &TokenStream,
    ) -> TokenStream {
        let (ctx, runtime) = (self.ctx, &self.ctx.runtime);
        let variables: Vec<&crate::program::Decl> = ctx
            .program
            .variables
            .iter()
            .filter(|d| ctx.graph.elem(d.node) == crate::ir::Elem::Float)
            .collect();
        let (mut labels, mut shared, mut unique, mut shapes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &(slot, _) in opt.kind.slots() {
            let slot_ident = format_ident!("{slot}");
            for d in &variables {
                let (field, shape) = (super::names::ident(&d.name), ctx.graph.shape(d.node));
                labels.push(format!("{slot}/{}", d.name.trim_start_matches("r#")));
                shared.push(super::structs::flat(
                    code!(self.#slot_ident.#field),
                    shape.rank(),
                    false,
                ));
                unique.push(super::structs::flat(
                    code!(state.#slot_ident.#field),
                    shape.rank(),
                    true,
                ));
                let dims = shape
                    .dims()
                    .iter()
                    .map(|&d| super::ops::size(ctx, crate::ir::Size::of(d)));
                shapes.push(code!(&[#(#dims),*]));
            }
        }
        let (step_out, step_in) = if opt.kind.counts_steps() {
            (
                code!(::core::option::Option::Some(self.step)),
                code!(::core::option::Option::Some(&mut state.step)),
            )
        } else {
            (code!(::core::option::Option::None), code!(::core::option::Option::None))
        };
        let name = type_name.to_string();
        let doc_out = format!(
            " The state in the safetensors format: each slot's tensors named `slot/variable`{}.",
            if opt.kind.counts_steps() {
                ", and the steps taken as `step`"
            } else {
                ""
            }
        );
        let doc_in = format!(
            " {name} with the declared hyperparameters and the state read from the safetensors format (see \
             `to_safetensors`): every tensor present, of its shape and type, and nothing else; otherwise an \
             error naming the tensor, and nothing is loaded."
        );
        code! {
            #runtime::with_safetensors! {
                impl #generics #type_name #args {
                    #[doc = #doc_out]
                    #[must_use]
                    pub fn to_safetensors(&self) -> #runtime::Vec<u8> {
                        #runtime::weights::write(&[#((#labels, #shared)),*], &[#(#shapes),*], #step_out)
                    }

                    #[doc = #doc_in]
                    pub fn from_safetensors(bytes: &[u8]) -> ::core::result::Result<Self, #runtime::LoadError> {
                        let mut state = Self::new();
                        let shapes: &[&[usize]] = &[#(#shapes),*];
                        #runtime::weights::read(bytes, &mut [#((#labels, #unique)),*], shapes, #step_in)?;
                        ::core::result::Result::Ok(state)
                    }
                }
            }
        }
    }

    /// The state struct of `opt` and its two step functions, whose fused pass is `body`.
    pub(super) fn optimizer(&self, opt: &Optimizer, body: TokenStream) -> TokenStream {
        let ctx = self.ctx;
        let kind = opt.kind;
        let float = &ctx.float;
        let type_name = format_ident!("{}", kind.type_name());
        let variables = self.ty("Variables");
        // Generic like `Variables` (over the named dimensions, where a variable is sized by one).
        let (generics, args) = if self.structs.generic("Variables") {
            let dims = &ctx.dims;
            (self.generics(), code!(<#(#dims),*>))
        } else {
            (TokenStream::new(), TokenStream::new())
        };
        let number = |v: f64| super::ops::literal(v, ctx.graph.dtype()).tokens;

        // The struct: hyperparameters (pub, so schedules are plain code), then the state.
        let mut fields = TokenStream::new();
        let mut defaults = TokenStream::new();
        for (hyper, &value) in kind.hypers().iter().zip(&opt.values) {
            let name = format_ident!("{}", hyper.name);
            let doc = format!(" `{}`, as declared (default {}).", hyper.name, hyper.default);
            if hyper.flag {
                let flag = value != 0.0;
                fields.extend(code!(#[doc = #doc] pub #name: bool,));
                defaults.extend(code!(#name: #flag,));
            } else {
                let value = number(value);
                fields.extend(code!(#[doc = #doc] pub #name: #float,));
                defaults.extend(code!(#name: #value,));
            }
        }
        let clip_doc = format!(" `{CLIP}`: when the gradients' global norm is above it, they are scaled down to it.");
        let clip = match opt.clip {
            Some(c) => {
                let c = number(c);
                code!(::core::option::Option::Some(#c))
            }
            None => code!(::core::option::Option::None),
        };
        fields.extend(code!(#[doc = #clip_doc] pub clip_global_norm: ::core::option::Option<#float>,));
        defaults.extend(code!(clip_global_norm: #clip,));
        for &(slot, start) in kind.slots() {
            let name = format_ident!("{slot}");
            let doc = format!(" Slot `{slot}`: one value per element of every variable.");
            let start = match start {
                Start::Zero => number(0.0),
                Start::One => number(1.0),
                Start::Hyper(h) => number(opt.value(h)),
            };
            fields.extend(code!(#[doc = #doc] pub #name: #variables,));
            defaults.extend(code!(#name: {
                let mut slot = <#variables>::default();
                for (_, values) in slot.tensors_mut() {
                    values.fill(#start);
                }
                slot
            },));
        }
        if kind.counts_steps() {
            fields.extend(code!(#[doc = " The steps taken."] pub step: u64,));
            defaults.extend(code!(step: 0,));
        }
        let struct_doc = format!(
            " {}'s hyperparameters and state, as declared by `optimizer {}(...)`: TensorFlow 1.x's update. \
             The fields are public, so a schedule is plain code (`opt.learning_rate = ...`), and the \
             struct is `Clone + PartialEq`, so a checkpoint is a copy.",
            kind.type_name(),
            kind.name()
        );
        let safetensors = self.optimizer_safetensors(opt, &type_name, &generics, &args);
        let serde = self.optimizer_serde(opt, &type_name, &args);
        let structure = code! {
            #[doc = #struct_doc]
            #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq)]
            pub struct #type_name #generics {
                #fields
            }

            impl #generics ::core::default::Default for #type_name #args {
                fn default() -> Self {
                    Self { #defaults }
                }
            }

            impl #generics #type_name #args {
                /// The declared hyperparameters, and the state before the first step.
                #[must_use]
                pub fn new() -> Self {
                    Self::default()
                }
            }

            #safetensors
            #serde
        };

        // The functions.
        let (placeholders, values, workspace) = (self.ty("Placeholders"), self.ty("Values"), self.ty("Workspace"));
        let state = if self.structs.generic("Variables") {
            let dims = &ctx.dims;
            code!(#type_name<#(#dims),*>)
        } else {
            code!(#type_name)
        };
        let step = format_ident!("{}_step", kind.name());
        let step_into = format_ident!("{}_step_into", kind.name());
        let update = update(ctx, opt);
        let objective = self.objective();
        let doc = format!(
            " One step of {} on `{objective}`: the gradients, then each variable and its state moved by \
             TensorFlow 1.x's update (`tf.train`'s; AdamW as Keras's). Returns the values computed before \
             the update.",
            kind.type_name()
        );
        let into = self.function(
            code!(#step_into),
            &format!(" [`{step}`] into caller-owned `values`, with `workspace` for the intermediates: no allocation."),
            code!(p: &#placeholders, v: &mut #variables, opt: &mut #state, values: &mut #values, workspace: &mut #workspace),
            TokenStream::new(),
            code!(#body #update),
            false,
        );
        let fn_generics = self.generics();
        code! {
            #structure

            #[doc = #doc]
            #[allow(non_snake_case)]
            pub fn #step #fn_generics (p: &#placeholders, v: &mut #variables, opt: &mut #state) -> #values {
                let mut values = <#values>::default();
                #step_into(p, v, opt, &mut values, &mut <#workspace>::default());
                values
            }
            #into
        }
    }
}

/// The update after the fused pass: the global norm's scale, then one loop per variable over
/// it, its gradient and its slots.
fn update(ctx: &Ctx, opt: &Optimizer) -> TokenStream {
    let (float, math) = (&ctx.float, &ctx.math);
    let runtime = &ctx.runtime;
    let kind = opt.kind;
    let one = super::ops::literal(1.0, ctx.graph.dtype()).tokens;
    let zero = super::ops::literal(0.0, ctx.graph.dtype()).tokens;
    let slots: Vec<Ident> = kind.slots().iter().map(|(s, _)| format_ident!("{s}")).collect();
    let elements: Vec<Ident> = kind.slots().iter().map(|(s, _)| format_ident!("{s}_i")).collect();
    // Before the loops: the step count and any per-step rate.
    let prepare = match kind {
        Kind::Adam | Kind::AdamW => code! {
            opt.step += 1;
            let t = opt.step as #float;
            let (beta1, beta2, epsilon) = (opt.beta1, opt.beta2, opt.epsilon);
            let rate = opt.learning_rate * #math::sqrt(#one - #math::powf(beta2, t)) / (#one - #math::powf(beta1, t));
        },
        Kind::Momentum => code!(let (rate, momentum) = (opt.learning_rate, opt.momentum);),
        Kind::RmsProp => {
            code!(let (rate, decay, momentum, epsilon) = (opt.learning_rate, opt.decay, opt.momentum, opt.epsilon);)
        }
        Kind::Adagrad => code!(let rate = opt.learning_rate;),
    };
    let decay = match kind {
        Kind::AdamW => code!(let weight_decay = opt.learning_rate * opt.weight_decay;),
        _ => TokenStream::new(),
    };
    // One element: `w`, `gradient` (scaled), and the slots' elements.
    let step = match kind {
        Kind::Momentum => {
            let a = &elements[0];
            code! {
                *#a = momentum * *#a + gradient;
                *w -= if opt.nesterov { rate * (gradient + momentum * *#a) } else { rate * *#a };
            }
        }
        Kind::Adam | Kind::AdamW => {
            let (m, s) = (&elements[0], &elements[1]);
            let decayed = match kind {
                Kind::AdamW => code!(*w -= weight_decay * *w;),
                _ => TokenStream::new(),
            };
            code! {
                #decayed
                *#m = beta1 * *#m + (#one - beta1) * gradient;
                *#s = beta2 * *#s + (#one - beta2) * gradient * gradient;
                *w -= rate * *#m / (#math::sqrt(*#s) + epsilon);
            }
        }
        Kind::RmsProp => {
            let (ms, mom) = (&elements[0], &elements[1]);
            code! {
                *#ms = decay * *#ms + (#one - decay) * gradient * gradient;
                *#mom = momentum * *#mom + rate * gradient / #math::sqrt(*#ms + epsilon);
                *w -= *#mom;
            }
        }
        Kind::Adagrad => {
            let a = &elements[0];
            code! {
                *#a += gradient * gradient;
                *w -= rate * gradient / #math::sqrt(*#a);
            }
        }
    };
    // Every variable's elements, with its gradient's and its slots', in declaration order.
    let mut zipped = code!(v.tensors_mut().into_iter().zip(workspace.Gradients.tensors()));
    let mut pattern = code!(((_, w_all), (_, gradient_all)));
    for slot in &slots {
        zipped = code!(#zipped.zip(opt.#slot.tensors_mut()));
        let all = format_ident!("{slot}_all");
        pattern = code!((#pattern, (_, #all)));
    }
    let mut inner = code!(w_all.iter_mut().zip(gradient_all.iter()));
    let mut inner_pattern = code!((w, &gradient));
    for (slot, element) in slots.iter().zip(&elements) {
        let all = format_ident!("{slot}_all");
        inner = code!(#inner.zip(#all.iter_mut()));
        inner_pattern = code!((#inner_pattern, #element));
    }
    code! {
        // The gradients' global norm, scaled down to `clip_global_norm` if above it (TensorFlow's
        // `clip_by_global_norm`).
        let scale = match opt.clip_global_norm {
            ::core::option::Option::Some(limit) => {
                let mut total = #zero;
                for (_, gradient_all) in workspace.Gradients.tensors() {
                    for &gradient in gradient_all {
                        total += gradient * gradient;
                    }
                }
                let norm = #math::sqrt(total);
                if norm > limit { limit / norm } else { #one }
            }
            ::core::option::Option::None => #one,
        };
        #prepare
        #decay
        #runtime::simd(#[inline(always)] || {
            for #pattern in #zipped {
                for #inner_pattern in #inner {
                    let gradient = gradient * scale;
                    #step
                }
            }
        });
    }
}
