//! Names in generated code, hygienic by construction.
//!
//! Three kinds of identifier meet in a generated function, and none can capture another:
//!
//! - the generator's own locals and parameters (`p`, `i`, `k`, `at`, `values`, ...) are
//!   written by [`code!`](super::code) with `Span::mixed_site()`, so they live in the macro's
//!   hygiene context and no name the user writes (spanned at the call site) can refer to them
//!   or shadow them;
//! - locals named after the user's tensors ([`Names`]) are spanned at the call site, ASCII
//!   lower-cased (so that none can be read as a pattern: `None`, `DOT`), unique among
//!   themselves, and never the named dimension's parameter;
//! - the named dimension is a const generic parameter, and const parameters are not
//!   hygienic (a parameter `p` would turn the pattern `p` of any local into a constant), so
//!   its identifier is the user's name ASCII upper-cased ([`dimension`]): every local contains
//!   a lower-case ASCII letter, so none can be it.

use crate::ir::{Graph, NodeId};
use proc_macro2::{Ident, Span};
use std::collections::{BTreeMap, BTreeSet};

/// A unique identifier per node.
pub struct Names {
    by_node: BTreeMap<NodeId, Ident>,
}

impl Names {
    /// Names every node in `order`: its own name (lower-cased) if free, else with a suffix;
    /// unnamed nodes are `t` and their id.
    pub fn new(graph: &Graph, order: &[NodeId]) -> Names {
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for name in graph.named() {
            taken.insert(dimension_text(name));
        }
        let mut by_node = BTreeMap::new();
        for &id in order {
            let base = match &graph.node(id).name {
                Some(name) => local_text(name),
                None => format!("t{}", id.index()),
            };
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            by_node.insert(id, ident(&name));
        }
        Names { by_node }
    }

    /// The identifier of `id`.
    pub fn of(&self, id: NodeId) -> &Ident {
        &self.by_node[&id]
    }
}

/// The local name for a user's name: without `r#` (raw again where needed, by [`ident`]),
/// ASCII lower-cased, so that it is never a unit variant, a constant or the dimension.
fn local_text(name: &str) -> String {
    let bare = name.strip_prefix("r#").unwrap_or(name);
    let lower = bare.to_ascii_lowercase();
    // An ASCII identifier with no letter (`_1`) gains one, so that it cannot be the dimension;
    // `SELF` would become a keyword that cannot be written raw.
    let letter = lower.bytes().any(|b| b.is_ascii_lowercase()) || !lower.is_ascii();
    if letter && !matches!(lower.as_str(), "self" | "super" | "crate") {
        lower
    } else {
        format!("t{lower}")
    }
}

/// The const generic parameter's text for the named dimension `name`: ASCII upper-cased.
pub fn dimension_text(name: &str) -> String {
    name.strip_prefix("r#").unwrap_or(name).to_ascii_uppercase()
}

/// The identifier of the named dimension's const generic parameter.
pub fn dimension(name: &str) -> Ident {
    ident(&dimension_text(name))
}

/// An identifier for a name the user wrote, at the call site: a raw identifier (`r#type`)
/// where the bare name is a keyword.
pub fn ident(name: &str) -> Ident {
    let bare = name.strip_prefix("r#").unwrap_or(name);
    if is_keyword(bare) {
        Ident::new_raw(bare, Span::call_site())
    } else {
        Ident::new(bare, Span::call_site())
    }
}

/// One of the generator's own locals, derived from a node's name (`logits_lanes`): in the
/// macro's hygiene context, like every identifier [`code!`](super::code) writes.
pub fn internal(text: &str) -> Ident {
    Ident::new(text, Span::mixed_site())
}

/// `ident` without a leading `r#`.
pub fn bare(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

/// Rust's keywords (strict and reserved, 2015 to 2024 editions) that a raw identifier can
/// spell: a name the user wrote as `r#type` must be written raw again.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
        "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
        "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type",
        "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    KEYWORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locals_are_lower_case_and_the_dimension_upper_case() {
        assert_eq!(local_text("W1"), "w1");
        assert_eq!(local_text("None"), "none");
        assert_eq!(local_text("r#type"), "type");
        assert_eq!(local_text("_1"), "t_1");
        assert_eq!(local_text("SELF"), "tself");
        assert_eq!(dimension_text("batch"), "BATCH");
        assert_eq!(dimension_text("p"), "P");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("r#match").to_string(), "r#match");
        assert_eq!(ident("logits").to_string(), "logits");
    }
}
