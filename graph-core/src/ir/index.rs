//! Index maps: where element `i` of a broadcast, an expansion or a reduction's input finds
//! its partner element in the smaller tensor. Shared by the interpreter and the emitter,
//! so both agree on the layout (row-major, outermost axis first).

use super::{Axes, Perm, Shape, Size, Window};

/// One run of adjacent axes kept from the large shape: contributes `(i / div) % modulo * mul`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Divides the flat index: the stride of the run's innermost axis in the large shape.
    pub div: Size,
    /// The run's element count; `None` when the run starts at the outermost axis.
    pub modulo: Option<Size>,
    /// The stride of the run's innermost axis in the small shape.
    pub mul: Size,
}

/// A map from flat indices of a large shape to flat indices of a small one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexMap {
    /// The runs, outermost first; the small index is their sum (0 if there are none)...
    pub runs: Vec<Run>,
    /// ... plus these terms (a slice's start).
    pub offset: Vec<Size>,
}

impl IndexMap {
    /// The map that keeps the axes of `large` marked in `kept`, dropping the others.
    pub fn keeping(large: &Shape, kept: &[bool]) -> IndexMap {
        let mut small_stride = Size::ONE;
        let mut runs = Vec::new();
        let mut k = large.rank();
        // Walk from the innermost axis, gathering runs of kept axes.
        while k > 0 {
            k -= 1;
            if !kept[k] {
                continue;
            }
            let inner = k;
            let mut count = large.dim(k);
            while k > 0 && kept[k - 1] {
                k -= 1;
                count = count.times(large.dim(k));
            }
            let modulo = if k == 0 { None } else { Some(count) };
            runs.push(Run {
                div: large.stride(inner),
                modulo,
                mul: small_stride,
            });
            small_stride = small_stride.times(count);
        }
        runs.reverse();
        IndexMap {
            runs,
            offset: Vec::new(),
        }
    }

    /// From the elements of the axes of `large` marked in `selected`, counted in row-major
    /// order as a tensor of their own, to their flat offsets in `large`: with the unselected
    /// axes, splits each element of `large` into a slice's start and an offset along it.
    pub fn embedding(large: &Shape, selected: &[bool]) -> IndexMap {
        let mut compact_stride = Size::ONE;
        let mut runs = Vec::new();
        let outermost = selected.iter().position(|&s| s);
        for k in (0..large.rank()).rev().filter(|&k| selected[k]) {
            runs.push(Run {
                div: compact_stride,
                modulo: (Some(k) != outermost).then(|| large.dim(k)),
                mul: large.stride(k),
            });
            compact_stride = compact_stride.times(large.dim(k));
        }
        runs.reverse();
        IndexMap {
            runs,
            offset: Vec::new(),
        }
    }

    /// Each index to itself (a reshape).
    pub fn identity() -> IndexMap {
        IndexMap {
            runs: vec![Run {
                div: Size::ONE,
                modulo: None,
                mul: Size::ONE,
            }],
            offset: Vec::new(),
        }
    }

    /// From the transpose `out` of `operand` (axis `j` of `out` is axis `perm[j]` of
    /// `operand`) to the operand.
    pub fn permutation(out: &Shape, operand: &Shape, perm: Perm) -> IndexMap {
        let runs = perm
            .axes()
            .enumerate()
            .map(|(j, k)| Run {
                div: out.stride(j),
                modulo: (j > 0).then(|| out.dim(j)),
                mul: operand.stride(k),
            })
            .collect();
        IndexMap {
            runs,
            offset: Vec::new(),
        }
    }

    /// From the slice `small` to the tensor `large` it is cut from at `window`.
    pub fn window(large: &Shape, small: &Shape, window: Window) -> IndexMap {
        let kept = (0..large.rank()).filter(|&k| !window.dropped.contains(k));
        let runs = kept
            .enumerate()
            .map(|(j, k)| Run {
                div: small.stride(j),
                modulo: (j > 0).then(|| small.dim(j)),
                mul: large.stride(k),
            })
            .collect();
        let offset = (0..large.rank())
            .filter(|&k| window.start[k] > 0)
            .map(|k| large.stride(k).times(Size::fixed(window.start[k])))
            .collect();
        IndexMap { runs, offset }
    }

    /// From the broadcast shape `large` back to the operand shape `small` (NumPy rules).
    pub fn broadcast(small: &Shape, large: &Shape) -> IndexMap {
        let pad = large.rank() - small.rank();
        let kept: Vec<bool> = (0..large.rank())
            .map(|k| k >= pad && !small.dims()[k - pad].is_one())
            .collect();
        IndexMap::keeping(large, &kept)
    }

    /// From a tensor of shape `large` to its reduction over `axes`.
    pub fn reduction(large: &Shape, axes: Axes) -> IndexMap {
        IndexMap::keeping(large, &axes.kept(large.rank()))
    }

    /// The map of an expansion: `large` is the operand's shape with a new axis at `axis`.
    pub fn expansion(large: &Shape, axis: usize) -> IndexMap {
        let kept: Vec<bool> = (0..large.rank()).map(|k| k != axis).collect();
        IndexMap::keeping(large, &kept)
    }

    /// The small index of large index `i`, for named dimensions of sizes `named`.
    pub fn apply(&self, i: usize, named: &[usize]) -> usize {
        let runs: usize = self
            .runs
            .iter()
            .map(|r| (i / r.div.eval(named)) % r.modulo.map_or(usize::MAX, |m| m.eval(named)) * r.mul.eval(named))
            .sum();
        runs + self.offset.iter().map(|o| o.eval(named)).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec())
    }

    #[test]
    fn bias_broadcast_takes_the_column() {
        let map = IndexMap::broadcast(&s(&[3]), &s(&[2, 3]));
        let got: Vec<usize> = (0..6).map(|i| map.apply(i, &[])).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn column_vector_broadcast_takes_the_row() {
        let map = IndexMap::broadcast(&s(&[2, 1]), &s(&[2, 3]));
        let got: Vec<usize> = (0..6).map(|i| map.apply(i, &[])).collect();
        assert_eq!(got, [0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn middle_axis_reduction() {
        let map = IndexMap::reduction(&s(&[2, 3, 4]), Axes::one(1));
        let got: Vec<usize> = (0..24).map(|i| map.apply(i, &[])).collect();
        let want: Vec<usize> = (0..24).map(|i| (i / 12) * 4 + i % 4).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn identity_and_scalar() {
        assert_eq!(IndexMap::reduction(&s(&[2, 3]), Axes::one(1)).apply(5, &[]), 1);
        assert_eq!(IndexMap::broadcast(&s(&[2, 3]), &s(&[2, 3])).apply(4, &[]), 4);
        assert_eq!(IndexMap::broadcast(&s(&[]), &s(&[4])).apply(3, &[]), 0);
    }

    #[test]
    fn embeddings_split_an_index_into_slice_and_offset() {
        let large = s(&[2, 3, 4]);
        // Axes 0 and 2 (8 elements) and axis 1 (3): every element once, as start + offset.
        let along = IndexMap::embedding(&large, &[true, false, true]);
        let starts = IndexMap::embedding(&large, &[false, true, false]);
        let mut seen: Vec<usize> = (0..3)
            .flat_map(|slice| (0..8).map(move |k| (slice, k)))
            .map(|(slice, k)| starts.apply(slice, &[]) + along.apply(k, &[]))
            .collect();
        assert_eq!(along.apply(5, &[]), 12 + 1);
        seen.sort_unstable();
        assert_eq!(seen, (0..24).collect::<Vec<_>>());
    }

    #[test]
    fn batch_dimension_strides() {
        use crate::ir::Dim;
        let large = Shape::of(vec![Dim::Named(0), Dim::Fixed(3)]);
        let map = IndexMap::reduction(&large, Axes::one(0));
        let got: Vec<usize> = (0..12).map(|i| map.apply(i, &[4])).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
        let map = IndexMap::reduction(&large, Axes::one(1));
        assert_eq!(map.apply(7, &[4]), 2);
    }
}
