//! Convenience constructors over [`Graph::push`]: what lowering and gradient rules call.
//!
//! They make broadcasts explicit: a binary op on a `[5]` and a scalar becomes a
//! `broadcast` node and a binary op on two `[5]`s, so every later stage sees equal shapes.

use crate::check::shapes;
use crate::diag::{Diagnostic, Loc};
use crate::ir::{Axes, Dim, Graph, NodeId, Op, Shape, Size};

impl Graph {
    /// A leaf fed from outside: `Op::Placeholder` or `Op::Variable`.
    pub fn leaf(&mut self, op: Op, shape: Shape, name: &str, loc: Loc) -> Result<NodeId, Diagnostic> {
        let id = self.push_with_shape(op, shape, &[], loc)?;
        self.node_mut(id).name = Some(name.to_owned());
        Ok(id)
    }

    /// `op` of `operands`, known to have `shape` (an op applied to tangents of its operands'
    /// shapes): the shape given where the op's shape is given (a broadcast, a reshape),
    /// otherwise inferred, and either way checked.
    pub fn push_as(&mut self, op: Op, shape: Shape, operands: &[NodeId], loc: Loc) -> Result<NodeId, Diagnostic> {
        let operand_shapes: Vec<&Shape> = operands.iter().map(|&o| self.shape(o)).collect();
        if shapes::check_given(&op, &operand_shapes, &shape).is_ok() {
            return self.push_with_shape(op, shape, operands, loc);
        }
        let id = self.push(op, operands, loc)?;
        if self.shape(id) != &shape {
            let message = format!("internal error: `{op}` made {}, not {shape}", self.shape(id));
            return Err(Diagnostic::new(loc, message));
        }
        Ok(id)
    }

    /// A scalar constant.
    pub fn constant(&mut self, value: f64, loc: Loc) -> NodeId {
        // A constant is a value of the graph's float type: rounded to it once, here.
        let value = self.dtype().round(value);
        let id = self.push_with_shape(Op::Constant(value), Shape::scalar(), &[], loc);
        id.unwrap_or_else(|_| unreachable!("a constant is always a scalar"))
    }

    /// `a <op> b` for an elementwise binary op, broadcasting the operands to a common shape.
    pub fn binary(&mut self, op: Op, a: NodeId, b: NodeId, loc: Loc) -> Result<NodeId, Diagnostic> {
        let Some(shape) = shapes::broadcast(self.shape(a), self.shape(b)) else {
            // The shape rule writes the message that names both shapes.
            return self.push(op, &[a, b], loc);
        };
        let a = self.broadcast_to(a, &shape, loc)?;
        let b = self.broadcast_to(b, &shape, loc)?;
        self.push(op, &[a, b], loc)
    }

    /// `select(mask, a, b)`, broadcasting the three operands to a common shape.
    pub fn select(&mut self, mask: NodeId, a: NodeId, b: NodeId, loc: Loc) -> Result<NodeId, Diagnostic> {
        let shape =
            shapes::broadcast(self.shape(mask), self.shape(a)).and_then(|s| shapes::broadcast(&s, self.shape(b)));
        let Some(shape) = shape else {
            return self.push(Op::Select, &[mask, a, b], loc);
        };
        let mask = self.broadcast_to(mask, &shape, loc)?;
        let a = self.broadcast_to(a, &shape, loc)?;
        let b = self.broadcast_to(b, &shape, loc)?;
        self.push(Op::Select, &[mask, a, b], loc)
    }

    /// `a`, a reduction over `axes` of a tensor of `shape`, back at `shape`: each folded axis
    /// expanded to its length in `shape`, in increasing order so that each lands at its own
    /// place (a view); a reduction of every element broadcast. The spread of a reduction's
    /// adjoint, and with lengths of 1 in `shape`, `keepdims`.
    pub fn unreduce(&mut self, a: NodeId, axes: Axes, shape: &Shape, loc: Loc) -> Result<NodeId, Diagnostic> {
        match axes {
            Axes::All => self.broadcast_to(a, shape, loc),
            Axes::Set(set) => set
                .iter()
                .try_fold(a, |spread, k| self.expand(spread, k, shape.dims()[k], loc)),
        }
    }

    /// `a` repeated to `shape`; `a` itself if it has that shape already.
    pub fn broadcast_to(&mut self, a: NodeId, shape: &Shape, loc: Loc) -> Result<NodeId, Diagnostic> {
        if self.shape(a) == shape {
            return Ok(a);
        }
        self.push_with_shape(Op::Broadcast, shape.clone(), &[a], loc)
    }

    /// `a` summed down to `shape` (the inverse of a broadcast); `a` itself if it has that shape.
    pub fn sum_to(&mut self, a: NodeId, shape: &Shape, loc: Loc) -> Result<NodeId, Diagnostic> {
        if self.shape(a) == shape {
            return Ok(a);
        }
        if shape.is_scalar() {
            return self.push(Op::Sum(crate::ir::Axes::All), &[a], loc);
        }
        self.push_with_shape(Op::SumTo, shape.clone(), &[a], loc)
    }

    /// `a` with a new axis `dim` at position `axis`, repeating it along that axis.
    pub fn expand(&mut self, a: NodeId, axis: usize, dim: Dim, loc: Loc) -> Result<NodeId, Diagnostic> {
        let shape = self.shape(a).with_axis(axis, dim);
        self.push_with_shape(Op::Expand(axis), shape, &[a], loc)
    }

    /// `a` with a new last axis like the last axis of `like`.
    pub fn expand_last(&mut self, a: NodeId, like: NodeId, loc: Loc) -> Result<NodeId, Diagnostic> {
        let shape = self.shape(like);
        let (axis, dim) = (shape.rank() - 1, shape.dims()[shape.rank() - 1]);
        self.expand(a, axis, dim, loc)
    }

    /// `a` divided by a number of elements, which may be known only at run time.
    pub fn div_size(&mut self, a: NodeId, size: Size, loc: Loc) -> Result<NodeId, Diagnostic> {
        match size.known() {
            Some(n) => self.div_constant(a, n as f64, loc),
            None => {
                let count = self.push_with_shape(Op::Count(size), Shape::scalar(), &[], loc)?;
                self.binary(Op::Div, a, count, loc)
            }
        }
    }

    /// `a * c` for a constant `c`.
    pub fn mul_constant(&mut self, a: NodeId, c: f64, loc: Loc) -> Result<NodeId, Diagnostic> {
        let c = self.constant(c, loc);
        self.binary(Op::Mul, a, c, loc)
    }

    /// `a / c` for a constant `c`.
    pub fn div_constant(&mut self, a: NodeId, c: f64, loc: Loc) -> Result<NodeId, Diagnostic> {
        let c = self.constant(c, loc);
        self.binary(Op::Div, a, c, loc)
    }
}
