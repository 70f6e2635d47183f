//! The shape forms of the language: reductions over several axes, transposes in any order,
//! reshapes, indexing and slicing, concatenation and batched products. Each graph is checked
//! against the interpreter and central finite differences in f64 (`check!`), at two sizes of
//! the named dimension where it has one.

mod common;

graph_case!(several_axes {
    placeholder x: [f64; 2, 3, 4];
    variable w: [f64; 4];
    let y = x * w;
    let outer = sum(y, axis = (0, 2));
    let centred = y - mean(y, axis = (0, -1), keepdims = true);
    let peaks = max(y, axis = (1, 2));
    let floors = min(y, axis = (0, 1), keepdims = true);
    let cost = sum(outer * outer) + mean(centred * centred * x) + sum(peaks) + sum(floors * floors);
    minimize cost;
});

#[test]
fn reductions_over_several_axes() {
    check!(several_axes, cost, -2.0, 2.0);
    let values = several_axes::g::forward(
        &several_axes::g::Placeholders::default(),
        &several_axes::g::Variables::default(),
    );
    // The kept axes stay with length 1; the others go.
    let (outer, floors): ([f64; 3], [[[f64; 4]; 1]; 1]) = (values.outer, values.floors);
    assert_eq!((outer, floors), ([0.0; 3], [[[0.0; 4]]]));
}

graph_case!(tied_extremes_of_a_matrix {
    placeholder x: [f64; 2, 3];
    let top = max(x, axis = (0, 1));
    let bottom = min(x, axis = (1, 0));
    let cost = top + bottom;
    minimize cost;
});

#[test]
fn ties_over_several_axes_split_the_gradient_evenly() {
    use tied_extremes_of_a_matrix::g;
    // Three entries tie for the maximum and two for the minimum, across rows and columns:
    // TensorFlow's `reduce_max` gradient gives each tied entry 1 / (number of ties).
    let p = g::Placeholders {
        x: [[2.0, -1.0, 2.0], [0.5, 2.0, -1.0]],
    };
    let adjoints = g::adjoints(&p, &g::Variables::default());
    let third = 1.0 / 3.0;
    assert_eq!(adjoints.x, [[third, 0.5, third], [0.0, third, 0.5]]);
    // The interpreter, which computes the mask its own way, agrees.
    let inputs = common::owned(p.tensors());
    let interpreted = common::interpret(tied_extremes_of_a_matrix::SOURCE, &inputs);
    assert_eq!(interpreted.adjoints["x"], adjoints.x.as_flattened());
}

graph_case!(transposes {
    placeholder x: [f64; batch, 3, 4];
    placeholder m: [f64; 3, 4];
    variable w: [f64; 4];
    variable v: [f64; 3, 2];
    let t = transpose(x * w, axes = (2, 0, 1));
    let back = transpose(t, axes = (1, 2, 0));
    let product = matmul(transpose(m * w), v);
    let cost = sum(t * t * transpose(x, axes = (2, 0, 1))) + mean(back * x) + sum(product * product);
    minimize cost;
});

#[test]
fn transposes_in_any_order() {
    check!(transposes, cost, -2.0, 2.0, batch = 2);
    check!(transposes, cost, -2.0, 2.0, batch = 5);
}

graph_case!(reshapes {
    placeholder x: [f64; batch, 6];
    placeholder flat: [f64; 12];
    variable w: [f64; 6];
    variable v: [f64; 3, 2];
    let r = reshape(x * w, [batch, 2, 3]);
    let rows = matmul(r, v);
    let grid = reshape(flat, [3, -1]);
    let back = reshape(grid * grid, [12]);
    let cost = sum(rows * rows) + mean(back * flat) + sum(matmul(reshape(w, [2, 3]), v));
    minimize cost;
});

#[test]
fn reshapes_keep_the_order_of_elements() {
    check!(reshapes, cost, -2.0, 2.0, batch = 2);
    check!(reshapes, cost, -2.0, 2.0, batch = 3);
}

graph_case!(slices {
    placeholder x: [f64; batch, 5, 4];
    placeholder table: [f64; 5, 4];
    variable w: [f64; 4];
    variable u: [f64; 5];
    let y = x * w;
    let middle = y[.., 1..3];
    let last = y[.., -1];
    let column = y[.., .., 2];
    let corner = y[.., 1..=2, ..2];
    let one = u[2];
    let rows = matmul(table[1..4], w);
    let row = table[-2] * w;
    let cost = sum(middle * middle) + mean(last) + sum(column * column) + sum(corner) * one
        + sum(rows * rows) + sum(row) + u[-1] * u[0];
    minimize cost;
});

#[test]
fn indexing_and_slicing() {
    check!(slices, cost, -2.0, 2.0, batch = 2);
    check!(slices, cost, -2.0, 2.0, batch = 4);
    let mut p = slices::g::Placeholders::<1>::default();
    for (k, row) in p.x[0].iter_mut().enumerate() {
        row.fill(k as f64);
    }
    let v = slices::g::Variables {
        w: [1.0; 4],
        u: [0.0; 5],
    };
    let values = slices::g::forward(&p, &v);
    // `y[.., 1..3]` keeps rows 1 and 2; `y[.., -1]` is row 4, its axis dropped.
    assert_eq!(*values.middle, [[[1.0; 4], [2.0; 4]]]);
    assert_eq!(*values.last, [[4.0; 4]]);
}

graph_case!(concatenations {
    placeholder a: [f64; batch, 2];
    placeholder b: [f64; batch, 3];
    variable w: [f64; 2];
    variable v: [f64; 3, 2];
    let joined = concat(a * w, b, tanh(a), axis = 1);
    let stacked = concat(v, v * v, axis = 0);
    let cost = sum(joined * joined * joined) + sum(matmul(a * w, transpose(stacked)) * 0.5);
    minimize cost;
});

#[test]
fn concatenation_along_an_axis() {
    check!(concatenations, cost, -2.0, 2.0, batch = 2);
    check!(concatenations, cost, -2.0, 2.0, batch = 3);
    let mut p = concatenations::g::Placeholders::<1>::default();
    p.a[0] = [1.0, 2.0];
    p.b[0] = [3.0, 4.0, 5.0];
    let v = concatenations::g::Variables {
        w: [1.0, 1.0],
        v: [[0.0; 2]; 3],
    };
    let joined = concatenations::g::forward(&p, &v).joined;
    assert_eq!(joined[0][..5], [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(joined[0][5..], [1.0f64.tanh(), 2.0f64.tanh()]);
}

graph_case!(batched_products {
    placeholder x: [f64; batch, 4, 3];
    placeholder heads: [f64; 2, 1, 3, 4];
    variable wk: [f64; 3, 3];
    variable wq: [f64; 3, 3];
    variable per_head: [f64; 3, 4, 2];
    let q = matmul(x, wq);
    let k = matmul(x, wk);
    let scores = softmax(matmul(q, transpose(k, axes = (0, 2, 1))) * 0.5);
    let attended = matmul(scores, x);
    let mixed = matmul(heads, per_head);
    let cost = sum(attended * attended) + sum(mixed * mixed);
    minimize cost;
});

#[test]
fn batched_matrix_products() {
    check!(batched_products, cost, -1.0, 1.0, batch = 2);
    check!(batched_products, cost, -1.0, 1.0, batch = 3);
    // [2, 1, 3, 4] x [3, 4, 2]: the batch axes broadcast to [2, 3].
    let mixed: [[[[f64; 2]; 3]; 3]; 2] = batched_products::g::forward(
        &batched_products::g::Placeholders::<1>::default(),
        &batched_products::g::Variables::default(),
    )
    .mixed;
    assert_eq!(mixed, [[[[0.0; 2]; 3]; 3]; 2]);
}

graph_case!(constants {
    const eye: [f64; 2, 2] = [[1.0, 0.0], [0.0, 1.0]];
    const scale: f64 = 0.125;
    const offsets: [f64; 3] = [-1.0, 0.5, 2.0];
    placeholder x: [f64; batch, 2];
    variable w: [f64; 2, 3];
    let kept = eye;
    let h = matmul(matmul(x, eye * 2), w) * scale + offsets;
    let cost = sum(h * h) + sum(kept);
    minimize cost;
});

#[test]
fn named_constants() {
    check!(constants, cost, -2.0, 2.0, batch = 2);
    check!(constants, cost, -2.0, 2.0, batch = 3);
    // A constant is no field of the inputs; a `let` of one returns its elements.
    let values = constants::g::forward(
        &constants::g::Placeholders::<1>::default(),
        &constants::g::Variables::default(),
    );
    assert_eq!(values.kept, [[1.0, 0.0], [0.0, 1.0]]);
    assert_eq!(*values.h, [[-1.0, 0.5, 2.0]]);
}

graph_case!(two_named_dimensions {
    placeholder tokens: [f64; batch, seq, 3];
    placeholder mask: [f64; seq];
    variable wq: [f64; 3, 3];
    variable wk: [f64; 3, 3];
    let q = matmul(tokens, wq);
    let k = matmul(tokens, wk);
    let scores = softmax(matmul(q, transpose(k, axes = (0, 2, 1))) * 0.5);
    let per_step = mean(scores, axis = (0, 1)) * mask;
    let pooled = mean(matmul(scores, tokens), axis = 1);
    let cost = sum(per_step) + sum(pooled * pooled) + mean(tokens[.., .., 0] * mask);
    minimize cost;
});

#[test]
fn several_named_dimensions() {
    // The generated items are generic over both, in order of first appearance.
    check!(two_named_dimensions, cost, -1.0, 1.0, dims = [2, 3]);
    check!(two_named_dimensions, cost, -1.0, 1.0, dims = [3, 5]);
    let values = two_named_dimensions::g::forward(
        &two_named_dimensions::g::Placeholders::<2, 4>::default(),
        &two_named_dimensions::g::Variables::default(),
    );
    let scores: &[[[f64; 4]; 4]; 2] = &values.scores;
    // Equal scores: each row of the softmax is uniform over the 4 steps of the sequence.
    assert_eq!(scores[1][3], [0.25; 4]);
}
