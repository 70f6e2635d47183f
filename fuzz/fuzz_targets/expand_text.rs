//! Arbitrary text, lexed as Rust tokens, through the whole `graph!` expansion: it returns a
//! module or `compile_error!`s, and never panics (libFuzzer reports a panic as a crash, and a
//! run over its time limit as a hang).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() {
        let _ = graph_syntax::expand(tokens);
    }
});
