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

/// The body of generated function `name`, found in the expansion of the seed graph.
fn function_body(name: &str) -> proc_macro2::TokenStream {
    let file: syn::File = syn::parse2(seed_expansion()).expect("valid Rust");
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

/// The token trees of every top-level `for` loop body in `tokens`, in order.
fn loops(tokens: proc_macro2::TokenStream) -> Vec<String> {
    let trees: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
    let body = match trees.as_slice() {
        [proc_macro2::TokenTree::Group(g)] => g.stream().into_iter().collect::<Vec<_>>(),
        other => other.to_vec(),
    };
    let mut found = Vec::new();
    let mut in_for = false;
    for tree in body {
        match &tree {
            proc_macro2::TokenTree::Ident(i) if i == "for" => in_for = true,
            proc_macro2::TokenTree::Group(g) if in_for && g.delimiter() == proc_macro2::Delimiter::Brace => {
                found.push(g.stream().to_string());
                in_for = false;
            }
            _ => {}
        }
    }
    found
}

#[test]
fn backward_makes_at_most_four_passes_over_the_data() {
    let passes = loops(function_body("backward_into"));
    assert!(passes.len() <= 4, "{} loops:\n{}", passes.len(), passes.join("\n"));
}

#[test]
fn sgd_step_updates_the_weights_inside_its_last_pass() {
    let passes = loops(function_body("sgd_step_into"));
    assert!(passes.len() <= 4, "{} loops", passes.len());
    let last = passes.last().expect("a loop");
    assert!(
        last.contains("w [i] -= learning_rate"),
        "the update is not in the last loop:\n{last}"
    );
    assert!(passes[..passes.len() - 1].iter().all(|p| !p.contains("learning_rate")));
}
