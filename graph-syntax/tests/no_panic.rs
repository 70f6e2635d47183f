//! The macro never panics: thousands of token streams made by mutating valid graphs (tokens
//! deleted, duplicated, swapped, replaced by other tokens of the language) all expand to
//! either a module or `compile_error!`. Seeded, so a failure reproduces; the failing input is
//! printed.

use proc_macro2::{TokenStream, TokenTree};

const GRAPHS: &[&str] = &[
    "pub mod net { placeholder x: [f32; 5]; placeholder y_true: [f32; 5]; variable w: [f32; 5];
      let logits = multiply(x, w); let y = softmax(logits); let loss = pow(y - y_true, 2);
      let cost = mean(loss); minimize cost; }",
    "mod m { placeholder x: [f64; 2, 3]; variable w: [f64; 2, 3] = 0.5; variable b: f64;
      let z = exp(x * w + b) / 2 - -log(w); let cost = sum(softmax(z)) * 3; minimize cost; }",
    "mod s { variable w: f32; let c = w * w + 1; minimize c; }",
    // Found by the `random_graph` fuzz target: the gradient of `max` of a scalar.
    "mod fuzz1 { variable w: f64; let m = max(w) * 2; minimize m; }",
    "mod shapes { placeholder x: [f32; batch, 4]; variable w: [f32; 4]; variable u: [f32; 4, 4];
      let h = x - mean(x, axis = -1, keepdims = true); let s = matmul(tanh(matmul(h, u)), w);
      let cost = mean(s * s) + min(h) + sum(max(h, axis = 0, keepdims = false)); minimize cost; }",
];

/// Tokens to splice in: every keyword, operator and shape of the language, and some that are
/// not; the operations' names are added from the op table (`Op::calls`).
const SPARE: &str = "placeholder variable let minimize mod pub f32 f64 i32 [ ] ( ) ; : , = + - * / 0 1 2 0.5 1e40 1e400
    99999999999999999999 x w y cost axis keepdims true false
    self r#type _ p v i values learning_rate # ! { }";

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Flattens a stream into a list of leaf tokens and group markers, so groups can be
/// broken too, then re-lexes the mutated text (unbalanced brackets are skipped).
fn mutate(source: &str, spare: &[String], rng: &mut Rng) -> String {
    let mut words: Vec<String> = lex_words(source);
    for _ in 0..=rng.below(3) {
        let at = rng.below(words.len());
        match rng.below(4) {
            0 => {
                words.remove(at);
            }
            1 => words.insert(at, words[at].clone()),
            2 => {
                let other = rng.below(words.len());
                words.swap(at, other);
            }
            _ => words[at] = spare[rng.below(spare.len())].clone(),
        }
    }
    words.join(" ")
}

fn lex_words(source: &str) -> Vec<String> {
    fn walk(stream: TokenStream, out: &mut Vec<String>) {
        for tree in stream {
            match tree {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        proc_macro2::Delimiter::Brace => ("{", "}"),
                        proc_macro2::Delimiter::Bracket => ("[", "]"),
                        proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                        proc_macro2::Delimiter::None => ("", ""),
                    };
                    out.push(open.to_owned());
                    walk(g.stream(), out);
                    out.push(close.to_owned());
                }
                other => out.push(other.to_string()),
            }
        }
    }
    let mut out = Vec::new();
    walk(source.parse().expect("valid tokens"), &mut out);
    out
}

#[test]
fn mutated_graphs_never_panic() {
    let mut spare: Vec<String> = SPARE.split_whitespace().map(str::to_owned).collect();
    spare.extend(graph_core::Op::calls().map(|(_, call)| call.name.to_owned()));
    let mut rng = Rng(0x5EED);
    let mut expanded = 0;
    for round in 0..3000 {
        let source = mutate(GRAPHS[round % GRAPHS.len()], &spare, &mut rng);
        let Ok(tokens) = source.parse::<TokenStream>() else {
            continue;
        };
        let result = std::panic::catch_unwind(|| graph_syntax::expand(tokens));
        assert!(result.is_ok(), "round {round}: the macro panicked on:\n{source}");
        expanded += 1;
    }
    assert!(expanded > 1500, "only {expanded} inputs lexed");
}

#[test]
fn valid_inputs_expand_without_errors() {
    for source in GRAPHS {
        let tokens: TokenStream = source.parse().unwrap();
        let out = graph_syntax::try_expand(tokens);
        assert!(out.is_ok(), "{source}: {:?}", out.err().map(|e| e.to_string()));
    }
}

#[test]
fn huge_tensors_are_an_error_not_an_overflow() {
    let tokens: TokenStream =
        "mod m { variable w: [f32; 100000000, 100000000, 100000000, 100000000]; let c = sum(w); minimize c; }"
            .parse()
            .unwrap();
    let err = graph_syntax::try_expand(tokens).unwrap_err().to_string();
    assert!(err.contains("more than a tensor can"), "{err}");
}

/// Found by the `expand_text` fuzz target: an attribute on the module whose value is a long
/// run of `||` (to syn, closures nested in closures) overflowed the stack while syn parsed it
/// as an expression. Attributes are now kept as tokens, never parsed.
#[test]
fn a_deep_attribute_is_passed_through_unparsed() {
    let source = format!(
        "#[tscxt = &r & {} 1] mod m {{ variable w: f32; let c = w * w; minimize c; }}",
        "||".repeat(50_000)
    );
    let expanded = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || graph_syntax::try_expand(source.parse().unwrap()).map(|t| t.to_string()))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(expanded.is_ok_and(|text| text.starts_with("# [tscxt")));
}
