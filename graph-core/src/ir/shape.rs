//! Shapes and element types: what every node carries besides its op.

use std::fmt;

/// The float type of a graph. One graph uses exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl DType {
    /// The Rust spelling, as the user writes it.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }
}

/// The dimensions of a tensor, outermost first. Rank 0 is a scalar.
///
/// Invariant: rank is at most [`Shape::MAX_RANK`] and no dimension is zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// The highest rank the language accepts.
    pub const MAX_RANK: usize = 4;

    /// A shape from its dimensions, outermost first.
    pub fn new(dims: Vec<usize>) -> Shape {
        Shape(dims)
    }

    /// The rank-0 shape.
    pub fn scalar() -> Shape {
        Shape(Vec::new())
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the rank-0 shape.
    pub fn is_scalar(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of elements (never zero: dimensions are at least 1, so there is no `is_empty`).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.0.iter().product()
    }

    /// The shape without axis `axis`.
    pub fn without_axis(&self, axis: usize) -> Shape {
        let mut dims = self.0.clone();
        dims.remove(axis);
        Shape(dims)
    }

    /// The shape with a new axis of length `len` at position `axis`.
    pub fn with_axis(&self, axis: usize, len: usize) -> Shape {
        let mut dims = self.0.clone();
        dims.insert(axis, len);
        Shape(dims)
    }

    /// How the user writes a value of this shape: `f32`, `[f32; 5]`, `[f32; 2, 3]`.
    pub fn describe(&self, dtype: DType) -> String {
        if self.is_scalar() {
            return dtype.name().to_owned();
        }
        let dims: Vec<String> = self.0.iter().map(usize::to_string).collect();
        format!("[{}; {}]", dtype.name(), dims.join(", "))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(usize::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_like_the_user_writes() {
        assert_eq!(Shape::scalar().describe(DType::F32), "f32");
        assert_eq!(Shape::new(vec![5]).describe(DType::F64), "[f64; 5]");
        assert_eq!(Shape::new(vec![2, 3]).describe(DType::F32), "[f32; 2, 3]");
        assert_eq!(Shape::new(vec![2, 3]).len(), 6);
        assert_eq!(Shape::scalar().len(), 1);
    }

    #[test]
    fn axes_come_and_go() {
        let s = Shape::new(vec![2, 3, 4]);
        assert_eq!(s.without_axis(1), Shape::new(vec![2, 4]));
        assert_eq!(s.without_axis(1).with_axis(1, 3), s);
    }
}
