//! Prints what `graph!` expands to for the graph in a file (the macro's input, without the
//! `graph! { }` around it), formatted: `cargo run -p graph-syntax --example expand -- FILE`.

use std::io::Read;

fn main() {
    let mut source = String::new();
    match std::env::args().nth(1) {
        Some(path) => source = std::fs::read_to_string(path).expect("readable file"),
        None => {
            std::io::stdin().read_to_string(&mut source).expect("readable stdin");
        }
    }
    let tokens: proc_macro2::TokenStream = source.parse().expect("the input lexes as Rust tokens");
    let expanded = graph_syntax::expand(tokens);
    match syn::parse2::<syn::File>(expanded.clone()) {
        Ok(file) => print!("{}", prettyplease::unparse(&file)),
        Err(_) => println!("{expanded}"),
    }
}
