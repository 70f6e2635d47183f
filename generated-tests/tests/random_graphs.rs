//! Differential testing over random graphs: `build.rs` writes seeded random `graph!`
//! programs over all ops, shapes and broadcasts; each is compiled by the macro for real and
//! checked (values, adjoints, `backward`, `sgd_step`) against the graph-core interpreter and
//! against central finite differences in f64. The graph's name carries the generator's seed.

#[path = "../../tests/common/mod.rs"]
mod common;

include!(concat!(env!("OUT_DIR"), "/random_graphs.rs"));
