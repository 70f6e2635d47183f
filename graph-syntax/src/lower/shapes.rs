//! The shape forms: named constants (`const eye: [f32; 2, 2] = ...`), `transpose` with an
//! order of axes, `concat`, `reshape` with an inferred dimension, and indexing with constant
//! indices and ranges; each checked against its operand's shape, with errors that name it.

use super::{text, Lowering};
use crate::ast::{DimSpec, Expr, IndexSpec, Number, TypeSpec};
use graph_core::{AxisSet, Diagnostic, Dim, Graph, Loc, NodeId, Op, Perm, Shape, Size, Window};
use proc_macro2::Ident;

impl Lowering {
    /// `const NAME: TYPE = VALUE;`: a scalar constant, or a constant tensor whose nested
    /// lists match the declared dimensions.
    pub(super) fn constant(&mut self, name: &Ident, ty: &TypeSpec, value: &Expr) -> Option<NodeId> {
        if ty.elem.is_integer() {
            let message = format!(
                "a constant is a float tensor of the graph's type: `{name}` cannot be {}; integer ids are fed as \
                 placeholders (`placeholder ids: [i32; batch];`), and compared with numbers written in the graph",
                ty.elem.name(self.graph.dtype())
            );
            self.errors.push(Diagnostic::new(Loc::at(ty.dtype_span), message));
            return None;
        }
        let mut dims = Vec::new();
        for dim in &ty.dims {
            match dim {
                DimSpec::Fixed(n) => dims.push(*n),
                DimSpec::Named(dim) => {
                    let message = format!(
                        "a constant's shape is fixed when the graph compiles, but `{dim}` is known only when the \
                         code runs: give the number"
                    );
                    self.errors.push(Diagnostic::new(Loc::at(dim.span()), message));
                    return None;
                }
            }
        }
        let shape = Shape::new(dims.clone());
        let describe = self.graph.describe(&shape);
        let mut elements = Vec::new();
        // Each list at depth `d` holds `dims[d]` entries; the innermost hold numbers.
        let mut pending: Vec<(&Expr, usize)> = vec![(value, 0)];
        while let Some((expr, depth)) = pending.pop() {
            if depth == dims.len() {
                let Some(v) = expr.constant() else {
                    let what = if matches!(expr, Expr::List { .. }) {
                        "a list"
                    } else {
                        "an expression"
                    };
                    let message = if dims.is_empty() {
                        format!(
                            "`{name}` is declared {describe}: its value is a number written in the graph, found {what}"
                        )
                    } else {
                        format!("`{name}` is declared {describe}: each element is a number written in the graph, found {what}")
                    };
                    self.errors.push(Diagnostic::new(expr.loc(), message));
                    return None;
                };
                elements.push(self.number(Number {
                    value: v,
                    loc: expr.loc(),
                })?);
                continue;
            }
            let Expr::List { items, loc } = expr else {
                let message = format!(
                    "`{name}` is declared {describe}: here a list of {} entries is expected (axis {depth})",
                    dims[depth]
                );
                self.errors.push(Diagnostic::new(expr.loc(), message));
                return None;
            };
            if items.len() != dims[depth] {
                let message = format!(
                    "`{name}` is declared {describe}, so this list needs {} entries (axis {depth}), but it has {}",
                    dims[depth],
                    items.len()
                );
                self.errors.push(Diagnostic::new(*loc, message));
                return None;
            }
            // Reversed onto the stack, so elements come off in row-major order.
            pending.extend(items.iter().rev().map(|item| (item, depth + 1)));
        }
        let loc = Loc::at(name.span());
        if dims.is_empty() {
            return Some(self.graph.constant(elements[0], loc));
        }
        let result = self.graph.literal(elements, shape, &text(name), loc);
        self.errors.check(result)
    }

    /// `transpose(x)`, the swap of a matrix's axes, or `transpose(x, axes = (0, 2, 1))`.
    pub(super) fn transpose(&mut self, x: NodeId, axes: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let rank = self.graph.shape(x).rank();
        let perm = match axes {
            None if rank == 2 => Perm::swap_last(2),
            None if rank < 2 => {
                let message = format!(
                    "`transpose(x)` swaps the two axes of a matrix, but this is {}, with {}",
                    self.graph.describe(self.graph.shape(x)),
                    if rank == 0 { "no axes" } else { "one axis" }
                );
                self.errors.push(Diagnostic::new(loc, message));
                return None;
            }
            None => {
                let message = format!(
                    "`transpose(x)` swaps the two axes of a matrix, but this is {}: give the order of its axes, \
                     like `transpose(x, axes = ({}))`",
                    self.graph.describe(self.graph.shape(x)),
                    (0..rank).rev().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
                );
                self.errors.push(Diagnostic::new(loc, message));
                return None;
            }
            Some(value) => {
                let Expr::Tuple { items, .. } = value else {
                    let message = "`axes` is the new order of the axes, like `axes = (0, 2, 1)`";
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                };
                let mut order = Vec::new();
                for item in items {
                    let Some(k) = item.constant() else {
                        let message = "`axes` must list numbers written in the graph, like `axes = (0, 2, 1)`";
                        self.errors.push(Diagnostic::new(item.loc(), message));
                        return None;
                    };
                    order.push(self.axis_index(x, k, item.loc())?);
                }
                if order.len() != rank {
                    let message = format!(
                        "`axes` must list each of the {rank} axes of {} once, found {}",
                        self.graph.describe(self.graph.shape(x)),
                        order.len()
                    );
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                }
                let perm = Perm::of(&order);
                if !perm.is_valid() {
                    let message = format!(
                        "`axes = {}` is not an order of the axes of {}: it must list each of 0 to {} once",
                        perm.describe(),
                        self.graph.describe(self.graph.shape(x)),
                        rank - 1
                    );
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                }
                perm
            }
        };
        let result = self.graph.push(Op::Transpose(perm), &[x], loc);
        self.errors.check(result)
    }

    /// `concat(a, b, c, axis = k)`: joined pairwise, left to right.
    pub(super) fn concat(&mut self, x: &[NodeId], axis: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let axis = match axis {
            None => 0,
            Some(value @ Expr::Tuple { .. }) => {
                let message = "`concat` joins along one axis: `axis = k`";
                self.errors.push(Diagnostic::new(value.loc(), message));
                return None;
            }
            Some(value) => self.axis_list(x[0], value)?[0],
        };
        let mut joined = x[0];
        for &next in &x[1..] {
            let result = self.graph.push(Op::Concat(axis), &[joined, next], loc);
            joined = self.errors.check(result)?;
        }
        Some(joined)
    }

    /// `reshape(x, [2, -1])`: the dimensions as in a declaration, at most one `-1`.
    pub(super) fn reshape(&mut self, x: &Expr, dims: &Expr, loc: Loc) -> Option<NodeId> {
        let x = self.expr(x);
        let Expr::List { items, .. } = dims else {
            let message = "the shape of `reshape` is a list of dimensions, like `reshape(x, [2, 6])` or `[batch, -1]`";
            self.errors.push(Diagnostic::new(dims.loc(), message));
            return None;
        };
        let mut shape: Vec<Option<Dim>> = Vec::new();
        let mut inferred: Option<Loc> = None;
        for item in items {
            let dim = match item {
                Expr::Name(name) if self.graph.named_dim(&text(name)).is_some() => self.graph.named_dim(&text(name)),
                _ => match item.constant() {
                    Some(-1.0) => {
                        if inferred.is_some() {
                            let message = "`reshape` can infer one dimension, but this is the second `-1`";
                            self.errors.push(Diagnostic::new(item.loc(), message));
                            return None;
                        }
                        inferred = Some(item.loc());
                        None
                    }
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= Shape::MAX_BYTES as f64 => {
                        Some(Dim::Fixed(n as usize))
                    }
                    _ => {
                        let message = format!(
                            "a dimension of `reshape` is a positive whole number, `-1` (inferred){}",
                            if self.graph.has_named() {
                                let names: Vec<String> = self.graph.named().iter().map(|n| format!("`{n}`")).collect();
                                format!(" or a named dimension ({})", names.join(", "))
                            } else {
                                String::new()
                            }
                        );
                        self.errors.push(Diagnostic::new(item.loc(), message));
                        return None;
                    }
                },
            };
            shape.push(dim);
        }
        let x = x?;
        if shape.is_empty() || shape.len() > Shape::MAX_RANK {
            let message = format!("a shape has 1 to {} dimensions, found {}", Shape::MAX_RANK, shape.len());
            self.errors.push(Diagnostic::new(dims.loc(), message));
            return None;
        }
        let from = self.graph.shape(x).clone();
        let known = shape.iter().flatten().fold(Size::ONE, |n, &d| n.times(Size::of(d)));
        let total = from.size();
        let describe = |graph: &Graph, dims: &[Option<Dim>]| {
            let dims: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Some(dim) => graph_core::ir::dim_text(*dim, graph.named()),
                    None => "-1".to_owned(),
                })
                .collect();
            format!("[{}; {}]", graph.dtype().name(), dims.join(", "))
        };
        // The inferred dimension, if the count left over is one dimension.
        let fill = match inferred {
            None => None,
            Some(_) => total.over(known).and_then(Size::as_dim),
        };
        let fits = inferred.is_none() && known == total || fill.is_some();
        if !fits {
            let count = |s: Size| format!("{} elements", s.describe(self.graph.named()));
            let message = format!(
                "cannot reshape {} ({}) to {} ({}): the element counts must agree",
                self.graph.describe(&from),
                count(total),
                describe(&self.graph, &shape),
                if inferred.is_some() {
                    format!("a multiple of {}", count(known))
                } else {
                    count(known)
                }
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let dims: Vec<Dim> = shape
            .iter()
            .map(|d| d.or(fill).expect("the one `-1` is inferred"))
            .collect();
        let result = self.graph.push_with_shape(Op::Reshape, Shape::of(dims), &[x], loc);
        self.errors.check(result)
    }

    /// `x[2]`, `x[-1]`, `x[.., 1..3]`: a slice, each index and range checked against its axis.
    pub(super) fn index(&mut self, base: &Expr, indices: &[IndexSpec], loc: Loc) -> Option<NodeId> {
        let x = self.expr(base)?;
        let shape = self.graph.shape(x).clone();
        if indices.len() > shape.rank() {
            let message = format!(
                "{} has {} axes, but this indexes {}",
                self.graph.describe(&shape),
                shape.rank(),
                indices.len()
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let mut window = Window {
            start: [0; Shape::MAX_RANK],
            dropped: AxisSet::default(),
        };
        let mut dims = Vec::new();
        let mut dropped = Vec::new();
        for (k, &dim) in shape.dims().iter().enumerate() {
            let (spec_loc, start, end, drop) = match indices.get(k) {
                None => {
                    dims.push(dim);
                    continue;
                }
                Some(IndexSpec::Range {
                    start: None, end: None, ..
                }) => {
                    dims.push(dim);
                    continue;
                }
                Some(IndexSpec::At(at)) => (at.loc(), Some(at), None, true),
                Some(IndexSpec::Range {
                    start,
                    end,
                    inclusive,
                    loc,
                }) => (*loc, start.as_ref(), end.as_ref().map(|e| (e, *inclusive)), false),
            };
            let Dim::Fixed(length) = dim else {
                let message = format!(
                    "axis {k} of {} has the run-time length `{}`: it can only be taken whole, with `..`",
                    self.graph.describe(&shape),
                    graph_core::ir::dim_text(dim, self.graph.named())
                );
                self.errors.push(Diagnostic::new(spec_loc, message));
                return None;
            };
            let axis = |this: &mut Self, e: &Expr| -> Option<i64> {
                match e.constant() {
                    Some(v) if v.fract() == 0.0 && v.abs() <= Shape::MAX_BYTES as f64 => Some(v as i64),
                    _ => {
                        let message = "an index is a whole number written in the graph, like `x[2]` or `x[-1]`: \
                                       indexing with a tensor (a gather) is not supported";
                        this.errors.push(Diagnostic::new(e.loc(), message));
                        None
                    }
                }
            };
            let from_end = |v: i64| if v < 0 { v + length as i64 } else { v };
            let written_start = match start {
                Some(e) => Some(axis(self, e)?),
                None => None,
            };
            let written_end = match end {
                Some((e, inclusive)) => Some((axis(self, e)?, inclusive)),
                None => None,
            };
            let first = written_start.map_or(0, from_end);
            let last = match (drop, written_end) {
                (true, _) => first + 1,
                (false, Some((e, inclusive))) => from_end(e) + i64::from(inclusive),
                (false, None) => length as i64,
            };
            let out_of_bounds = first < 0 || last > length as i64 || first >= last;
            if out_of_bounds {
                let what = if drop { "index" } else { "range" };
                // As the user wrote it.
                let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                let written = match written_end {
                    _ if drop => show(written_start),
                    Some((e, true)) => format!("{}..={e}", show(written_start)),
                    Some((e, false)) => format!("{}..{e}", show(written_start)),
                    None => format!("{}..", show(written_start)),
                };
                let why = if first >= last && first >= 0 && last <= length as i64 {
                    "it is empty, and a tensor has no zero-length axes".to_owned()
                } else {
                    format!("axis {k} has length {length}")
                };
                let message = format!(
                    "{what} {written} is out of bounds for axis {k} of {}: {why}",
                    self.graph.describe(&shape)
                );
                self.errors.push(Diagnostic::new(spec_loc, message));
                return None;
            }
            window.start[k] = first as usize;
            if drop {
                dropped.push(k);
            } else {
                dims.push(Dim::Fixed((last - first) as usize));
            }
        }
        window.dropped = AxisSet::of(dropped);
        if window.dropped == AxisSet::default() && window.start == [0; Shape::MAX_RANK] && dims == shape.dims() {
            return Some(x);
        }
        let result = self
            .graph
            .push_with_shape(Op::Slice(window), Shape::of(dims), &[x], loc);
        self.errors.check(result)
    }
}
