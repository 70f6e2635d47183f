//! Snapshot of the code generated for the seed graph, so that any change in what the macro
//! emits shows up in review. Update with `UPDATE_EXPECT=1 cargo test -p graph-syntax`.

use quote::quote;

fn pretty(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

/// The seed graph, expanded.
fn seed_expansion() -> proc_macro2::TokenStream {
    let input = quote! {
        /// The softmax network of the seed question.
        pub mod softmax_net {
            placeholder x: [f32; 5];
            placeholder y_true: [f32; 5];
            variable w: [f32; 5];

            let logits = multiply(x, w);
            let y = softmax(logits);
            let loss = pow(y - y_true, 2);
            let cost = mean(loss);

            minimize cost;
        }
    };
    graph_syntax::try_expand(input).expect("the seed graph compiles")
}

#[test]
fn seed_graph_expansion() {
    expect_test::expect_file!["seed_expansion.rs.txt"].assert_eq(&pretty(seed_expansion()));
}

/// The body of generated function `name`, found in `expansion`.
fn function_body(expansion: proc_macro2::TokenStream, name: &str) -> proc_macro2::TokenStream {
    let file: syn::File = syn::parse2(expansion).expect("valid Rust");
    let syn::Item::Mod(module) = &file.items[0] else {
        panic!("a module")
    };
    let items = &module.content.as_ref().expect("inline module").1;
    items
        .iter()
        .find_map(|item| match item {
            syn::Item::Fn(f) if f.sig.ident == name => {
                let block = &f.block;
                Some(quote!(#block))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no function `{name}`"))
}

/// The statements of a function body: inside the block, and inside the closure passed to the
/// runtime's `simd` if the body is wrapped in one.
fn statements(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenTree> {
    use proc_macro2::{Delimiter, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let body = match trees.as_slice() {
        [TokenTree::Group(g)] => g.stream().into_iter().collect::<Vec<_>>(),
        other => other.to_vec(),
    };
    let wrapped = body
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "simd"));
    let Some(at) = wrapped else { return body };
    let Some(TokenTree::Group(call)) = body.get(at + 1) else {
        panic!("`simd` is called")
    };
    let closure_body = call.stream().into_iter().find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g.stream()),
        _ => None,
    });
    closure_body
        .expect("`simd` gets a closure with a block")
        .into_iter()
        .collect()
}

/// The header and body of every top-level `for` loop in `tokens`, in order.
fn loops(tokens: proc_macro2::TokenStream) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut header: Option<String> = None;
    for tree in statements(tokens) {
        match &tree {
            proc_macro2::TokenTree::Ident(i) if i == "for" => header = Some(String::new()),
            proc_macro2::TokenTree::Group(g) if header.is_some() && g.delimiter() == proc_macro2::Delimiter::Brace => {
                found.push((header.take().unwrap_or_default(), g.stream().to_string()));
            }
            other => {
                if let Some(header) = &mut header {
                    header.push_str(&other.to_string());
                    header.push(' ');
                }
            }
        }
    }
    found
}

/// The seed graph at n = 4096, expanded: long loops, run in blocks and tails.
fn long_seed_expansion() -> proc_macro2::TokenStream {
    let input = quote! {
        pub mod softmax_net {
            placeholder x: [f32; 4096];
            placeholder y_true: [f32; 4096];
            variable w: [f32; 4096];
            let y = softmax(x * w);
            let cost = mean(pow(y - y_true, 2));
            minimize cost;
        }
    };
    graph_syntax::try_expand(input).expect("the seed graph compiles")
}

#[test]
fn backward_makes_at_most_four_passes_over_the_data() {
    let passes = loops(function_body(seed_expansion(), "backward_into"));
    assert!(
        (1..=4).contains(&passes.len()),
        "{} loops:\n{:#?}",
        passes.len(),
        passes
    );
}

#[test]
fn sgd_step_updates_the_weights_inside_its_last_pass() {
    let passes = loops(function_body(seed_expansion(), "sgd_step_into"));
    assert!((1..=4).contains(&passes.len()), "{} loops", passes.len());
    let (_, last) = passes.last().expect("a loop");
    assert!(
        last.contains("w [i] -= learning_rate"),
        "the update is not in the last loop:\n{last}"
    );
    assert!(passes[..passes.len() - 1]
        .iter()
        .all(|(_, p)| !p.contains("learning_rate")));
}

/// Long loops run in blocks (each followed, where the length is not a multiple of the block,
/// by a loop over the elements left): still at most four passes over the data, the update in
/// the last.
#[test]
fn long_loops_run_in_blocks_in_at_most_four_passes() {
    for function in ["backward_into", "sgd_step_into"] {
        let all = loops(function_body(long_seed_expansion(), function));
        // Passes over the data: loops of blocks, and loops of elements (not over lanes).
        let passes: Vec<&(String, String)> = all
            .iter()
            .filter(|(header, _)| header.starts_with("block ") || header.starts_with("i "))
            .collect();
        assert!(
            (1..=4).contains(&passes.len()) && passes.iter().any(|(h, _)| h.starts_with("block ")),
            "{function}: {all:#?}"
        );
        if function == "sgd_step_into" {
            let (_, last) = passes.last().expect("a pass");
            assert!(last.contains("w [k] -= learning_rate"), "{last}");
        }
    }
}

/// `sgd_step` subtracts a gradient that is a product nothing else reads inside the GEMM
/// (`matmul_update`), after the products that read the old weight; `backward`, which returns
/// the gradients, stores them.
#[test]
fn weights_whose_gradients_are_products_update_inside_the_gemm() {
    let input = quote! {
        pub mod net {
            placeholder a: [f32; 3, 4];
            variable v: [f32; 4];
            variable w: [f32; 4, 2];
            variable u: [f32; 2, 2];
            let x = a * v;
            let h = matmul(x, w);
            let z = tanh(matmul(h, u));
            let cost = mean(z * z);
            minimize cost;
        }
    };
    let expansion = graph_syntax::try_expand(input).expect("the graph compiles");
    let count = |function: &str, what: &str| {
        let body = function_body(expansion.clone(), function).to_string();
        body.matches(what).count()
    };
    assert_eq!(count("sgd_step_into", "matmul_update"), 2, "w and u");
    assert_eq!(count("sgd_step_into", "] -= learning_rate"), 1, "only v in a loop");
    assert_eq!(count("backward_into", "matmul_update"), 0);
}
