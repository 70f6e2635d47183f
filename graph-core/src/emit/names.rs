//! Local variable names in generated code: the user's names where there are any, unique,
//! and never one of the names the generated code itself uses.

use crate::ir::{Graph, NodeId};
use proc_macro2::{Ident, Span};
use std::collections::{BTreeMap, BTreeSet};

/// Names the generated functions use for their own parameters and locals.
const RESERVED: &[&str] = &[
    "p",
    "v",
    "i",
    "values",
    "gradients",
    "adjoints",
    "workspace",
    "learning_rate",
    "element",
    "value",
    "row_i",
    "col_i",
    "outer_i",
    "inner_i",
    "first_i",
    "best_i",
    "along_i",
    "at_i",
];

/// A unique identifier per node.
pub struct Names {
    by_node: BTreeMap<NodeId, Ident>,
}

impl Names {
    /// Names every node in `order`: its own name if free, else the name with a suffix;
    /// unnamed nodes are `t` and their id.
    pub fn new(graph: &Graph, order: &[NodeId]) -> Names {
        let mut taken: BTreeSet<String> = RESERVED.iter().map(|s| (*s).to_owned()).collect();
        let mut by_node = BTreeMap::new();
        for &id in order {
            let base = graph
                .node(id)
                .name
                .clone()
                .unwrap_or_else(|| format!("t{}", id.index()));
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

/// An identifier from a name the user wrote (which may be a raw identifier, `r#type`).
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}
