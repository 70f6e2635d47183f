//! Every local the generated code binds for itself is covered by `tests/hygiene.rs`.
//!
//! The generator's own locals and parameters (`i`, `k`, `at`, `p`, ...) are hygienic by
//! construction (see `graph-core/src/emit/names.rs`). This test keeps the compiled proof
//! complete: it expands graphs that reach every loop shape the emitter writes (short loops,
//! blocks with lanes, chunks over the pool, kernels, products fused with their update, a named
//! dimension), collects every name the expansion binds (`let`, `for`, closure and function
//! parameters) that is not derived from a tensor name, and checks that `tests/hygiene.rs`
//! declares a tensor of each of those names in both of its graphs of tensors named like locals,
//! and lists each in `graphs_with_dimensions!`, which makes a graph with it as the named
//! dimension. A new local in
//! the emitter fails here until it is covered there.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use std::collections::BTreeSet;

/// Graphs whose tensor names all start with `u_`, so that every other bound name is the
/// generator's own. Together they reach every code shape of `graph-core/src/emit`.
const GRAPHS: &[&str] = &[
    // Short loops, scalar statements, softmax rows, the seed.
    "mod a { placeholder u_x: [f32; 5]; placeholder u_t: [f32; 5]; variable u_w: [f32; 5];
       let u_y = softmax(u_x * u_w); let u_c = mean(pow(u_y - u_t, 3)) + max(u_w); minimize u_c; }",
    // Blocks, lanes and a loop in chunks over the pool (2^17 elements and more).
    "mod b { placeholder u_x: [f32; 300000]; variable u_w: [f32; 300000]; variable u_s: f32;
       let u_y = exp(u_x * u_w) * u_s; let u_c = sum(tanh(u_y)) + max(u_y); minimize u_c; }",
    // A named dimension, kernels (products, transposes, arg-max masks), updates in the product.
    "mod c { placeholder u_x: [f64; u_batch, 300]; placeholder u_l: [f64; u_batch, 10];
       variable u_w: [f64; 300, 10] = glorot_uniform; variable u_b: [f64; 10];
       variable u_v: [f64; 10, 300];
       let u_h = relu(matmul(u_x, u_w) + u_b); let u_m = max(u_h, axis = 1) + max(u_h);
       let u_z = matmul(u_h, transpose(u_w)) * matmul(u_h, u_v);
       let u_c = mean(softmax_cross_entropy(u_h, u_l)) + mean(u_m) + sum(sigmoid(u_z)) + sum(mean(u_h, axis = 0));
       minimize u_c; }",
    // Two named dimensions, shape kernels (batched products, concatenations, pads of slices'
    // gradients, masks over several axes) and constant tensors.
    "mod d { const u_k: [f64; 2] = [1.0, 2.0]; placeholder u_x: [f64; u_batch, u_seq, 3];
       variable u_w: [f64; 3, 3];
       let u_q = matmul(u_x, u_w); let u_s = matmul(u_q, transpose(u_q, axes = (0, 2, 1)));
       let u_j = concat(u_q[.., .., 0..2] * u_k, u_q[.., .., 1..], axis = 2);
       let u_m = max(u_s, axis = (1, 2)) + min(u_q, axis = (0, 2), keepdims = true);
       let u_c = sum(u_s) + sum(u_j) + sum(u_m) + sum(reshape(u_q, [u_batch, u_seq, 3, 1])); minimize u_c; }",
    // Integer ids: their range checks, gathers and their scatters, one-hot rows, sparse cross
    // entropy, `argmax` and comparisons of ids.
    "mod e { placeholder u_i: [i32; u_batch, 2]; placeholder u_l: [usize; u_batch, 2]; placeholder u_o: i64;
       variable u_t: [f32; 5, 3];
       let u_g = gather(u_t, u_i); let u_r = gather(u_t, u_o); let u_h = one_hot(u_l, depth = 3);
       let u_x = sparse_softmax_cross_entropy(u_g, u_l);
       let u_a = mean(argmax(u_g, axis = -1) == u_l) + sum(u_i == 1);
       let u_c = mean(u_x) + sum(u_h * u_g) + sum(u_r) + u_a; minimize u_c; }",
    // Convolutions (windows as rows, their gradient added back) and pools with their gradients.
    "mod f { placeholder u_i: [f32; u_batch, 5, 4, 2]; variable u_f: [f32; 3, 3, 2, 3];
       let u_y = conv2d(u_i, u_f, stride = 2, padding = same);
       let u_c = sum(max_pool(u_y, size = 2, stride = 1, padding = same)) + sum(avg_pool(u_y, padding = same));
       minimize u_c; }",
    // Every optimizer's step, with a clipped global norm; forward mode and second order.
    "mod g { placeholder u_x: [f32; u_batch, 3]; variable u_w: [f32; 3, 2]; variable u_b: f32;
       let u_c = mean(matmul(u_x, u_w)) + u_b * u_b; minimize u_c;
       optimizer momentum(clip_global_norm = 1.0); optimizer adam; optimizer adamw; optimizer rmsprop;
       optimizer adagrad; check_gradients; jvp; hvp; }",
    // Forward mode through pools (the maxima's directions picked) and their gradients.
    "mod h { placeholder u_i: [f64; u_batch, 4, 4, 2]; variable u_f: [f64; 3, 3, 2, 2];
       let u_c = sum(square(max_pool(conv2d(u_i, u_f, padding = same)))); minimize u_c; jvp; hvp; }",
];

/// Names bound in `tokens`: after `let` (through `mut` and tuple patterns), after `for`,
/// between closure bars, and before `:` in a function's parameter list.
fn bound(tokens: TokenStream, out: &mut BTreeSet<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut k = 0;
    while k < trees.len() {
        match &trees[k] {
            TokenTree::Ident(word) if word == "let" || word == "for" => {
                let mut j = k + 1;
                if matches!(trees.get(j), Some(TokenTree::Ident(m)) if m == "mut") {
                    j += 1;
                }
                let is_loop = word == "for";
                match trees.get(j) {
                    // `impl Trait for Type` binds nothing.
                    Some(TokenTree::Ident(_))
                        if is_loop && !matches!(trees.get(j + 1), Some(TokenTree::Ident(i)) if i == "in") => {}
                    Some(TokenTree::Ident(name)) => {
                        out.insert(name.to_string());
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                        for t in g.stream() {
                            if let TokenTree::Ident(name) = t {
                                out.insert(name.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            TokenTree::Punct(p) if p.as_char() == '|' => {
                // A closure's parameters: `name` or `name: type` up to the closing bar.
                let mut j = k + 1;
                let mut expect_name = true;
                while let Some(t) = trees.get(j) {
                    match t {
                        TokenTree::Punct(p) if p.as_char() == '|' => break,
                        TokenTree::Punct(p) if p.as_char() == ',' => expect_name = true,
                        TokenTree::Ident(word) if expect_name && word == "mut" => {}
                        TokenTree::Ident(name) if expect_name => {
                            out.insert(name.to_string());
                            expect_name = false;
                        }
                        _ => expect_name = false,
                    }
                    j += 1;
                }
                k = j;
            }
            TokenTree::Ident(word) if word == "fn" => {
                // `fn name<...>(params)`: each parameter's name stands before a `:`.
                if let Some(TokenTree::Group(g)) = trees[k + 1..]
                    .iter()
                    .find(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis))
                {
                    let params: Vec<TokenTree> = g.stream().into_iter().collect();
                    for (at, pair) in params.windows(2).enumerate() {
                        let after_path = at > 0 && matches!(&params[at - 1], TokenTree::Punct(p) if p.as_char() == ':');
                        if let (TokenTree::Ident(name), TokenTree::Punct(colon)) = (&pair[0], &pair[1]) {
                            if colon.as_char() == ':' && colon.spacing() == proc_macro2::Spacing::Alone && !after_path {
                                out.insert(name.to_string().trim_start_matches('_').to_owned());
                            }
                        }
                    }
                }
            }
            TokenTree::Group(g) => bound(g.stream(), out),
            _ => {}
        }
        k += 1;
    }
}

/// Whether a bound name comes from a tensor's name (`u_x`, `d_u_x`, `u_x_2`, `u_x_lanes`, the
/// tangent `tangent_u_x`, the Hessian-vector product `hvp_u_w`) or is a temporary (`t42`): the
/// rest are the generator's own.
fn from_tensor(name: &str) -> bool {
    let temporary = name
        .strip_prefix('t')
        .map(|n| n.trim_start_matches(|c: char| c.is_ascii_digit()))
        .is_some_and(|rest| rest.len() < name.len() - 1 && (rest.is_empty() || rest.starts_with('_')));
    let derived = ["u_", "d_u_", "tangent_u_", "hvp_u_"];
    derived.iter().any(|prefix| name.starts_with(prefix)) || temporary || name == "self"
}

#[test]
fn every_local_of_the_generator_is_a_tensor_and_a_dimension_in_the_hygiene_test() {
    let mut locals = BTreeSet::new();
    for source in GRAPHS {
        let tokens = graph_syntax::try_expand(source.parse().unwrap()).unwrap_or_else(|e| panic!("{e}"));
        bound(tokens, &mut locals);
    }
    // `_` in a pattern binds nothing.
    locals.retain(|name| !from_tensor(name) && name != "_");
    assert!(locals.len() > 20, "the walk found the generator's locals: {locals:?}");
    let hygiene = include_str!("../../tests/hygiene.rs");
    let (_, tensors) = hygiene
        .split_once("// Tensors named like locals: begin")
        .expect("the tensors' section");
    let (tensors, _) = tensors
        .split_once("// Tensors named like locals: end")
        .expect("its end");
    let missing_tensor: Vec<&String> = locals
        .iter()
        .filter(|name| tensors.matches(&format!("let {name} =")).count() < 2)
        .collect();
    let (_, dimensions) = hygiene
        .split_once("graphs_with_dimensions!(")
        .expect("the dimensions' list");
    let (dimensions, _) = dimensions.split_once(");").expect("its end");
    let dimensions: Vec<&str> = dimensions.split_whitespace().collect();
    let missing_dimension: Vec<&String> = locals
        .iter()
        .filter(|name| !dimensions.contains(&name.as_str()))
        .collect();
    assert!(
        missing_tensor.is_empty() && missing_dimension.is_empty(),
        "tests/hygiene.rs must use every local of the generated code as a tensor name \
         (`let NAME =`, in both graphs between the markers) and as a dimension (in `graphs_with_dimensions!(...)`).\n\
         not yet a tensor there: {missing_tensor:?}\nnot yet a dimension there: {missing_dimension:?}"
    );
}
