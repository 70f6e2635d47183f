//! `check_gradients` (declared with `check_gradients;`): every variable's derived gradient,
//! from `backward`, against central finite differences of the objective computed in f64, on
//! the graph itself if it is f64 and otherwise on its f64 copy (the module `f64_copy`, which
//! the front end compiles beside it).

use super::{ident, Functions};
use crate::ir::{DType, Elem};
use proc_macro2::TokenStream;

impl Functions<'_> {
    /// `check_gradients(&p, &v) -> GradientCheck`; for the stub of a graph with mistakes
    /// (which has no f64 copy), one whose body is never run.
    pub(super) fn check_gradients(&self, stub: bool) -> TokenStream {
        let ctx = self.ctx;
        let program = ctx.program;
        let runtime = &ctx.runtime;
        let copy = match ctx.graph.dtype() {
            DType::F32 => code!(f64_copy::),
            DType::F64 => TokenStream::new(),
        };
        let (placeholders, variables, gradients) =
            (self.ty("Placeholders"), self.ty("Variables"), self.ty("Gradients"));
        let objective = ident(&program.objective.name);
        // Ids are copied as they are; floats through the flat views.
        let ids = program
            .placeholders
            .iter()
            .filter(|d| ctx.graph.elem(d.node) != Elem::Float)
            .map(|d| {
                let field = ident(&d.name);
                code!(p64.#field = ::core::clone::Clone::clone(&p.#field);)
            });
        let doc = format!(
            " Checks the derived gradient of `{objective}` with respect to every variable (from `backward`) \\
             against central finite differences of `{objective}` computed in f64 (on an f64 copy of the \\
             forward pass for an f32 graph): the worst absolute and relative error per variable. Two \\
             forward passes per element of every variable: for tests, not for training.",
            objective = program.objective.name
        );
        let generics = self.generics();
        let of_doc = " [`check_gradients`] of the gradients given, rather than `backward`'s: to see the check \
                      catch a wrong gradient, or to check gradients computed another way.";
        let checked = code! {
            #[doc = #doc]
            #[must_use]
            #[allow(non_snake_case)]
            pub fn check_gradients #generics (p: &#placeholders, v: &#variables) -> #runtime::GradientCheck {
                check_gradients_of(p, v, &backward(p, v).1)
            }
        };
        if stub {
            return code! {
                #checked
                #[doc = #of_doc]
                #[must_use]
                #[allow(non_snake_case)]
                pub fn check_gradients_of #generics (_p: &#placeholders, _v: &#variables, _gradients: &#gradients) -> #runtime::GradientCheck {
                    ::core::unreachable!("the graph did not compile")
                }
            };
        }
        code! {
            #checked
            #[doc = #of_doc]
            #[must_use]
            #[allow(non_snake_case, clippy::all, clippy::pedantic)]
            pub fn check_gradients_of #generics (p: &#placeholders, v: &#variables, gradients: &#gradients) -> #runtime::GradientCheck {
                let mut p64 = <#copy #placeholders>::default();
                for ((_, to), (_, from)) in p64.tensors_mut().into_iter().zip(p.tensors()) {
                    for (to, &from) in to.iter_mut().zip(from) {
                        *to = from as f64;
                    }
                }
                #(#ids)*
                let mut v64 = <#copy #variables>::default();
                for ((_, to), (_, from)) in v64.tensors_mut().into_iter().zip(v.tensors()) {
                    for (to, &from) in to.iter_mut().zip(from) {
                        *to = from as f64;
                    }
                }
                let mut checks = ::std::vec::Vec::new();
                for (k, (name, derived)) in gradients.tensors().into_iter().enumerate() {
                    let mut check = #runtime::VariableCheck { name, worst_absolute: 0.0, worst_relative: 0.0 };
                    for (j, &derived) in derived.iter().enumerate() {
                        let original = v64.tensors_mut()[k].1[j];
                        let step = 1e-6 * original.abs().max(1.0);
                        v64.tensors_mut()[k].1[j] = original + step;
                        let above = #copy forward(&p64, &v64).#objective;
                        v64.tensors_mut()[k].1[j] = original - step;
                        let below = #copy forward(&p64, &v64).#objective;
                        v64.tensors_mut()[k].1[j] = original;
                        let numeric = (above - below) / (2.0 * step);
                        let absolute = (derived as f64 - numeric).abs();
                        let relative = absolute / numeric.abs().max(1.0);
                        // A NaN is kept: `max` would drop it.
                        if !(absolute <= check.worst_absolute) {
                            check.worst_absolute = absolute;
                        }
                        if !(relative <= check.worst_relative) {
                            check.worst_relative = relative;
                        }
                    }
                    checks.push(check);
                }
                #runtime::GradientCheck { variables: checks }
            }
        }
    }
}
