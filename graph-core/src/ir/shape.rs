//! Shapes and element types: what every node carries besides its op.
//!
//! A dimension is a number or one of the graph's named dimensions (`batch` and `seq` in
//! `placeholder x: [f32; batch, seq, 64]`), each of which becomes a const generic parameter
//! of the generated code. Sizes are therefore products `factor * batch^p * seq^q ...`.

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

    /// `value` rounded to this type (to nearest, as `as` does), kept in an f64.
    pub fn round(self, value: f64) -> f64 {
        match self {
            DType::F32 => f64::from(value as f32),
            DType::F64 => value,
        }
    }

    /// `value` (a value of this type) written as briefly as the type allows: `0.4`, not the
    /// f64 digits of the f32 nearest 0.4.
    pub fn format(self, value: f64) -> String {
        match self {
            DType::F32 => format!("{}", value as f32),
            DType::F64 => format!("{value}"),
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// What a tensor's elements are: the graph's float type, or integers (class and token ids),
/// which carry no gradient and feed only the ops that take ids (`check::shapes::element`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Elem {
    /// The graph's float type.
    #[default]
    Float,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `usize` (what `argmax` gives).
    Usize,
}

impl Elem {
    /// The integer types, as the user writes them.
    pub const INTEGERS: [(&'static str, Elem); 3] = [("i32", Elem::I32), ("i64", Elem::I64), ("usize", Elem::Usize)];

    /// Whether the elements are integers.
    pub fn is_integer(self) -> bool {
        self != Elem::Float
    }

    /// The Rust spelling: the float type's name for [`Elem::Float`].
    pub fn name(self, dtype: DType) -> &'static str {
        match self {
            Elem::Float => dtype.name(),
            Elem::I32 => "i32",
            Elem::I64 => "i64",
            Elem::Usize => "usize",
        }
    }

    /// Bytes per element, in a graph of float type `dtype`.
    pub fn bytes(self, dtype: DType) -> usize {
        match self {
            Elem::Float => dtype.bytes(),
            Elem::I32 => 4,
            Elem::I64 | Elem::Usize => 8,
        }
    }
}

/// The most named dimensions a graph may have.
pub const MAX_NAMED: usize = 4;

/// One dimension of a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A number known when the graph is compiled.
    Fixed(usize),
    /// The graph's named dimension of this number (in order of first appearance), known when
    /// the generated code is called.
    Named(u8),
}

impl Dim {
    /// Whether the dimension is the number 1 (a dimension NumPy broadcasting repeats).
    pub fn is_one(self) -> bool {
        self == Dim::Fixed(1)
    }
}

/// A number of elements: `factor * n0^powers[0] * n1^powers[1] ...`, the `n`s the named
/// dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Size {
    /// The part known at compile time.
    pub factor: usize,
    /// How many times each named dimension is a factor.
    pub powers: [u8; MAX_NAMED],
}

impl Size {
    /// The size 1.
    pub const ONE: Size = Size {
        factor: 1,
        powers: [0; MAX_NAMED],
    };

    /// A known number.
    pub fn fixed(n: usize) -> Size {
        Size { factor: n, ..Size::ONE }
    }

    /// The size of one dimension.
    pub fn of(dim: Dim) -> Size {
        match dim {
            Dim::Fixed(n) => Size::fixed(n),
            Dim::Named(k) => {
                let mut powers = [0; MAX_NAMED];
                powers[usize::from(k)] = 1;
                Size { factor: 1, powers }
            }
        }
    }

    /// `self * other` (saturating: shapes are checked against overflow when parsed).
    pub fn times(self, other: Size) -> Size {
        let mut powers = self.powers;
        for (p, q) in powers.iter_mut().zip(other.powers) {
            *p = p.saturating_add(q);
        }
        Size {
            factor: self.factor.saturating_mul(other.factor),
            powers,
        }
    }

    /// `self / other`, if it is a size (whole, with no negative powers).
    pub fn over(self, other: Size) -> Option<Size> {
        if other.factor == 0 || !self.factor.is_multiple_of(other.factor) {
            return None;
        }
        let mut powers = self.powers;
        for (p, q) in powers.iter_mut().zip(other.powers) {
            *p = p.checked_sub(q)?;
        }
        Some(Size {
            factor: self.factor / other.factor,
            powers,
        })
    }

    /// The number, once the named dimensions are known (`named[k]` is dimension `k`).
    pub fn eval(self, named: &[usize]) -> usize {
        let mut n = self.factor;
        for (k, &power) in self.powers.iter().enumerate() {
            for _ in 0..power {
                n = n.saturating_mul(named.get(k).copied().unwrap_or(1));
            }
        }
        n
    }

    /// The number, if it does not depend on a named dimension.
    pub fn known(self) -> Option<usize> {
        (self.powers == [0; MAX_NAMED]).then_some(self.factor)
    }

    /// The one dimension this size is, if it is one: a number, or a named dimension.
    pub fn as_dim(self) -> Option<Dim> {
        if let Some(n) = self.known() {
            return Some(Dim::Fixed(n));
        }
        let named: Vec<usize> = (0..MAX_NAMED).filter(|&k| self.powers[k] > 0).collect();
        match (self.factor, named.as_slice()) {
            (1, &[k]) if self.powers[k] == 1 => Some(Dim::Named(k as u8)),
            _ => None,
        }
    }

    /// As the user would write it: `64`, `batch`, `64 * batch * seq`.
    pub fn describe(self, names: &[String]) -> String {
        let mut parts = Vec::new();
        if self.factor != 1 || self.known().is_some() {
            parts.push(self.factor.to_string());
        }
        for (k, &power) in self.powers.iter().enumerate() {
            let name = names.get(k).cloned().unwrap_or_else(|| format!("n{k}"));
            parts.extend((0..power).map(|_| name.clone()));
        }
        parts.join(" * ")
    }

    /// Whether this is the size 1.
    pub fn is_one(self) -> bool {
        self == Size::ONE
    }
}

/// The dimensions of a tensor, outermost first. Rank 0 is a scalar.
///
/// Invariant: rank is at most [`Shape::MAX_RANK`] and no dimension is zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Shape(Vec<Dim>);

impl Shape {
    /// The highest rank the language accepts.
    pub const MAX_RANK: usize = 4;

    /// The most bytes one tensor may hold (the named dimension counted as 1): 2^47, the
    /// address space of x86-64 and far below what rustc accepts for a type, so that every
    /// shape the compiler accepts is a type rustc accepts, and every size product fits a
    /// `usize`.
    pub const MAX_BYTES: usize = 1 << 47;

    /// A shape of known dimensions, outermost first.
    pub fn new(dims: Vec<usize>) -> Shape {
        Shape(dims.into_iter().map(Dim::Fixed).collect())
    }

    /// A shape from its dimensions, outermost first.
    pub fn of(dims: Vec<Dim>) -> Shape {
        Shape(dims)
    }

    /// The rank-0 shape.
    pub fn scalar() -> Shape {
        Shape(Vec::new())
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[Dim] {
        &self.0
    }

    /// The size of dimension `axis`.
    pub fn dim(&self, axis: usize) -> Size {
        Size::of(self.0[axis])
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the rank-0 shape.
    pub fn is_scalar(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a named dimension appears.
    pub fn has_named(&self) -> bool {
        self.0.iter().any(|d| matches!(d, Dim::Named(_)))
    }

    /// Number of elements.
    pub fn size(&self) -> Size {
        self.0.iter().fold(Size::ONE, |n, &d| n.times(Size::of(d)))
    }

    /// The number of elements, if it can be counted in a `usize`, leaving out the named
    /// dimensions (run-time values, bounded by what the caller can allocate).
    pub fn elements(&self) -> Option<usize> {
        self.0.iter().try_fold(1usize, |n, d| match d {
            Dim::Fixed(d) => n.checked_mul(*d),
            Dim::Named(_) => Some(n),
        })
    }

    /// Why a tensor of this shape and `dtype` cannot exist, if it cannot: more than
    /// [`Shape::MAX_BYTES`] (leaving out the named dimension).
    pub fn too_large(&self, dtype: DType, describe: &str) -> Option<String> {
        let bytes = self.elements().and_then(|n| n.checked_mul(dtype.bytes()));
        match bytes {
            Some(bytes) if bytes <= Shape::MAX_BYTES => None,
            _ => {
                let elements = self.0.iter().fold(1u128, |n, d| match d {
                    Dim::Fixed(d) => n.saturating_mul(*d as u128),
                    Dim::Named(_) => n,
                });
                let most = (Shape::MAX_BYTES / dtype.bytes()) as f64;
                Some(format!(
                    "{describe} would hold {elements} elements, more than a tensor can: at most 2^47 bytes (128 TiB), \
                     {most:.1e} {} elements",
                    dtype.name()
                ))
            }
        }
    }

    /// The number of elements of the axes marked in `axes`.
    pub fn size_of(&self, axes: &[bool]) -> Size {
        self.0
            .iter()
            .zip(axes)
            .filter(|&(_, &marked)| marked)
            .fold(Size::ONE, |n, (&d, _)| n.times(Size::of(d)))
    }

    /// The size of the axes after `axis` (the stride of `axis` in row-major order).
    pub fn stride(&self, axis: usize) -> Size {
        self.0[axis + 1..].iter().fold(Size::ONE, |n, &d| n.times(Size::of(d)))
    }

    /// The shape without axis `axis`.
    pub fn without_axis(&self, axis: usize) -> Shape {
        let mut dims = self.0.clone();
        dims.remove(axis);
        Shape(dims)
    }

    /// The shape with a new axis `dim` at position `axis`.
    pub fn with_axis(&self, axis: usize, dim: Dim) -> Shape {
        let mut dims = self.0.clone();
        dims.insert(axis, dim);
        Shape(dims)
    }

    /// How the user writes a value of this shape: `f32`, `[f32; 5]`, `[f32; batch, 3]`
    /// (`names` are the named dimensions').
    pub fn describe(&self, dtype: DType, names: &[String]) -> String {
        if self.is_scalar() {
            return dtype.name().to_owned();
        }
        let dims: Vec<String> = self.0.iter().map(|d| dim_text(*d, names)).collect();
        format!("[{}; {}]", dtype.name(), dims.join(", "))
    }
}

/// A dimension as written: `3`, or its name.
pub fn dim_text(dim: Dim, names: &[String]) -> String {
    match dim {
        Dim::Fixed(n) => n.to_string(),
        Dim::Named(k) => names.get(usize::from(k)).cloned().unwrap_or_else(|| format!("n{k}")),
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(|d| dim_text(*d, &[])).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_like_the_user_writes() {
        let names = ["n".to_owned(), "seq".to_owned()];
        assert_eq!(Shape::scalar().describe(DType::F32, &names), "f32");
        assert_eq!(Shape::new(vec![5]).describe(DType::F64, &names), "[f64; 5]");
        assert_eq!(
            Shape::of(vec![Dim::Named(0), Dim::Named(1), Dim::Fixed(3)]).describe(DType::F32, &names),
            "[f32; n, seq, 3]"
        );
    }

    #[test]
    fn sizes_multiply_symbolically() {
        let s = Shape::of(vec![Dim::Named(0), Dim::Fixed(3), Dim::Named(1), Dim::Fixed(4)]);
        assert_eq!(
            s.size(),
            Size {
                factor: 12,
                powers: [1, 1, 0, 0]
            }
        );
        assert_eq!(s.size().eval(&[10, 2]), 240);
        assert_eq!(s.size().describe(&["b".to_owned(), "s".to_owned()]), "12 * b * s");
        assert_eq!(s.size().over(s.dim(0).times(s.dim(1))).and_then(Size::as_dim), None);
        assert_eq!(
            s.size().over(Size::fixed(12).times(s.dim(0))).and_then(Size::as_dim),
            Some(Dim::Named(1))
        );
        assert_eq!(s.stride(1), s.dim(2).times(Size::fixed(4)));
        assert_eq!(Shape::scalar().size(), Size::ONE);
        assert_eq!(s.without_axis(1).with_axis(1, Dim::Fixed(3)), s);
    }
}
