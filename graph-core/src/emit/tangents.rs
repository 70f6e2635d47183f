//! `jvp` and `hvp` (opt-in with `jvp;` and `hvp;`): the fused passes that return the tangents
//! `autodiff::tangents` added, with a direction for every variable as a `Variables` argument.

use super::{value_outputs, Functions};
use crate::emit::body::Output;
use crate::emit::names::ident;
use crate::program::Program;
use proc_macro2::TokenStream;

/// What `jvp` writes: every `let`'s value, and every float `let`'s tangent into `tangents`.
pub(super) fn jvp_outputs(program: &Program) -> Vec<Output> {
    let mut outputs = value_outputs(program, code!(values));
    outputs.extend(program.lets.iter().filter_map(|d| {
        let node = *program.tangents.of_lets.get(&d.node)?;
        let field = ident(&d.name);
        Some(Output {
            node,
            place: code!(tangents.#field),
        })
    }));
    outputs
}

/// What `hvp` writes: the Hessian times the direction, a `Gradients` for every variable.
pub(super) fn hvp_outputs(program: &Program) -> Vec<Output> {
    program
        .variables
        .iter()
        .filter_map(|d| {
            let node = *program.tangents.of_gradients.get(&d.node)?;
            let field = ident(&d.name);
            Some(Output {
                node,
                place: code!(products.#field),
            })
        })
        .collect()
}

impl Functions<'_> {
    /// `jvp` and `jvp_into`.
    pub(super) fn jvp(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, values, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Values"),
            self.ty("Workspace"),
        );
        let doc = " Forward mode: the value of every `let`, and its derivative along `direction` (a direction\n \
                   for every variable, in the `Variables` type): `tangents.y` is d y(v + s direction) / d s at\n \
                   s = 0, JAX's `jax.jvp`. One fused pass, derived from each op's tangent rule. A `let` of\n \
                   integer ids has no tangent: its field is left as it is.";
        let into = self.function(
            code!(jvp_into),
            " [`jvp`] into caller-owned outputs, with `workspace` for the intermediates: no allocation.",
            code!(p: &#placeholders, v: &#variables, direction: &#variables, values: &mut #values, tangents: &mut #values, workspace: &mut #workspace),
            TokenStream::new(),
            body,
            false,
        );
        let generics = self.generics();
        code! {
            #[doc = #doc]
            #[must_use]
            #[allow(non_snake_case)]
            pub fn jvp #generics (p: &#placeholders, v: &#variables, direction: &#variables) -> (#values, #values) {
                let mut values = <#values>::default();
                let mut tangents = <#values>::default();
                jvp_into(p, v, direction, &mut values, &mut tangents, &mut <#workspace>::default());
                (values, tangents)
            }
            #into
        }
    }

    /// `hvp` and `hvp_into`.
    pub(super) fn hvp(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, gradients, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Gradients"),
            self.ty("Workspace"),
        );
        let objective = &self.ctx.program.objective.name;
        let doc = format!(
            " The Hessian of `{objective}` times `direction` (a direction for every variable, in the\n \
             `Variables` type): the derivative of [`backward`]'s gradients along `direction`, JAX's\n \
             `jax.jvp(jax.grad(f), ...)`. One fused pass, derived by differentiating the backward graph\n \
             forward (forward-over-reverse): for Newton and conjugate-gradient steps without forming the\n \
             Hessian."
        );
        let into = self.function(
            code!(hvp_into),
            " [`hvp`] into caller-owned `products`, with `workspace` for the intermediates: no allocation.",
            code!(p: &#placeholders, v: &#variables, direction: &#variables, products: &mut #gradients, workspace: &mut #workspace),
            TokenStream::new(),
            body,
            false,
        );
        let generics = self.generics();
        code! {
            #[doc = #doc]
            #[must_use]
            #[allow(non_snake_case)]
            pub fn hvp #generics (p: &#placeholders, v: &#variables, direction: &#variables) -> #gradients {
                let mut products = <#gradients>::default();
                hvp_into(p, v, direction, &mut products, &mut <#workspace>::default());
                products
            }
            #into
        }
    }
}
