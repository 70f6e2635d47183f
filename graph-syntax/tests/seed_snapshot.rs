//! Snapshot of the code generated for the seed graph, so that any change in what the macro
//! emits shows up in review. Update with `UPDATE_EXPECT=1 cargo test -p graph-syntax`.

use quote::quote;

fn pretty(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

#[test]
fn seed_graph_expansion() {
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
    let expanded = graph_syntax::try_expand(input).expect("the seed graph compiles");
    expect_test::expect_file!["seed_expansion.rs.txt"].assert_eq(&pretty(expanded));
}
