//! `optimizer NAME(KEY = VALUE, ...);`: each declaration checked against the optimizer table
//! (`graph_core::optimizer`): a known optimizer, declared once, after `minimize`, with known
//! hyperparameters of the right kind.

use super::Lowering;
use crate::ast::Expr;
use graph_core::optimizer::{Kind, Optimizer, CLIP};
use graph_core::{Diagnostic, Loc};
use proc_macro2::Span;

impl Lowering {
    /// The optimizer `call` declares (after `minimize` if `after_minimize`), unless it has a
    /// mistake, which is reported.
    pub(super) fn optimizer(
        &mut self,
        keyword: Span,
        call: &Expr,
        after_minimize: bool,
        declared: &[Optimizer],
    ) -> Option<Optimizer> {
        let loc = Loc::at(keyword).to(call.loc());
        let known: Vec<String> = Kind::ALL.iter().map(|k| format!("`{}`", k.name())).collect();
        // `optimizer adam;` is `optimizer adam();`: every hyperparameter at its default.
        let (func, args, keywords) = match call {
            Expr::Call {
                func, args, keywords, ..
            } => (func, &args[..], &keywords[..]),
            Expr::Name(func) => (func, &[][..], &[][..]),
            _ => {
                let message = format!(
                "an optimizer is declared like a call: `optimizer adam(learning_rate = 0.001);` (the known ones are {})",
                known.join(", ")
            );
                self.errors.push(Diagnostic::new(call.loc(), message));
                return None;
            }
        };
        let name = func.to_string();
        let Some(kind) = Kind::ALL.into_iter().find(|k| k.name() == name) else {
            let message = format!("unknown optimizer `{name}`; the known ones are {}", known.join(", "));
            self.errors.push(Diagnostic::new(Loc::at(func.span()), message));
            return None;
        };
        if !after_minimize {
            let message = "declare optimizers after `minimize`: they minimize its objective";
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        if declared.iter().any(|o| o.kind == kind) {
            let message = format!("`{name}` is declared twice: one declaration per optimizer");
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let hypers = kind.hypers();
        let mut values: Vec<f64> = hypers.iter().map(|h| h.default).collect();
        let mut clip = None;
        // One positional argument, the learning rate, as `tf.train.AdamOptimizer(1e-3)`.
        let positional = args.iter().map(|a| ("learning_rate", a, a.loc()));
        let named = keywords
            .iter()
            .map(|(k, v)| (k.to_string(), v, Loc::at(k.span()).to(v.loc())));
        let mut seen: Vec<String> = Vec::new();
        if args.len() > 1 {
            let message = format!(
                "`{name}` takes its learning rate as its one argument without a name; name the others: \
                 `{name}(0.001, {} = ...)`",
                hypers.get(1).map_or(CLIP, |h| h.name)
            );
            self.errors.push(Diagnostic::new(args[1].loc(), message));
            return None;
        }
        for (key, value, at) in positional.map(|(k, v, l)| (k.to_owned(), v, l)).chain(named) {
            if seen.contains(&key) {
                self.errors.push(Diagnostic::new(at, format!("`{key}` is given twice")));
                return None;
            }
            seen.push(key.clone());
            if key == CLIP {
                clip = Some(self.hyper_number(&key, value, true)?);
                continue;
            }
            let Some(k) = hypers.iter().position(|h| h.name == key) else {
                let takes: Vec<String> = hypers
                    .iter()
                    .map(|h| format!("`{}`", h.name))
                    .chain([format!("`{CLIP}`")])
                    .collect();
                let message = format!("`{name}` has no `{key}`; it takes {}", takes.join(", "));
                self.errors.push(Diagnostic::new(at, message));
                return None;
            };
            values[k] = match (hypers[k].flag, value) {
                (true, Expr::Bool(b)) => f64::from(u8::from(b.value)),
                (true, _) => {
                    let message = format!("`{key}` is `true` or `false`, like `{key} = true`");
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                }
                (false, _) => self.hyper_number(&key, value, false)?,
            };
        }
        Some(Optimizer {
            kind,
            values,
            clip,
            loc,
        })
    }

    /// Hyperparameter `key`'s value: a finite number written in the graph (above 0 if `positive`).
    fn hyper_number(&mut self, key: &str, value: &Expr, positive: bool) -> Option<f64> {
        match value.constant() {
            Some(v) if v.is_finite() && (!positive || v > 0.0) => Some(self.graph.dtype().round(v)),
            _ => {
                let what = if positive { "a number above 0" } else { "a number" };
                let message = format!("`{key}` must be {what} written in the graph, like `{key} = 0.5`");
                self.errors.push(Diagnostic::new(value.loc(), message));
                None
            }
        }
    }
}
