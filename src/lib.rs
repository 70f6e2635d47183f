//! static-graph (placeholder while the facade is written)
