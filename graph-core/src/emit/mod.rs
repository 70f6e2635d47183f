//! Code generation: a differentiated, legalised [`Program`] becomes the items of the user's
//! module (structs, fused functions, `DOT`) as a `TokenStream`.

mod body;
mod dot;
pub mod formula;
mod names;
mod ops;
mod schedule;
mod structs;

pub use dot::dot;

use crate::ir::{NodeId, Role};
use crate::program::Program;
use body::{Output, Spec, Update};
use names::ident;
use ops::float_type;
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use structs::{tensor_struct, Field};

/// Everything the `graph!` module contains, given the DOT text of its graph.
pub fn module(program: &Program, dot_text: &str) -> TokenStream {
    let dtype = program.graph.dtype();
    let float = float_type(dtype);
    let mut items = structs_of(program);

    let forward = body::body(
        program,
        &Spec {
            outputs: value_outputs(program),
            updates: vec![],
        },
    );
    let mut backward_outputs = value_outputs(program);
    backward_outputs.extend(gradient_outputs(program));
    let backward = body::body(
        program,
        &Spec {
            outputs: backward_outputs,
            updates: vec![],
        },
    );
    let adjoints = body::body(
        program,
        &Spec {
            outputs: adjoint_outputs(program),
            updates: vec![],
        },
    );
    let sgd = body::body(
        program,
        &Spec {
            outputs: value_outputs(program),
            updates: updates(program),
        },
    );

    let objective = &program.objective.name;
    let derivations = derivations(program);
    let backward_doc = format!(
        " Runs the graph forward, then backward: the values, and the gradient of `{objective}` with\n \
         respect to every variable, in one fused pass.\n\n \
         # Derived gradients\n\n ```text\n{derivations} ```"
    );
    let forward_doc = " Runs the graph forward: the value of every `let`.";
    let adjoints_doc = format!(
        " The adjoint d {objective} / d x of every placeholder, variable and `let`: for reading and teaching.\n \
         A value that cannot change `{objective}` has adjoint zero.\n\n ```text\n{derivations} ```"
    );
    let sgd_doc = format!(
        " One step of gradient descent on `{objective}`: every variable moves by `-learning_rate` times\n \
         its gradient (TensorFlow's `GradientDescentOptimizer(learning_rate).minimize({objective})`).\n \
         Returns the values computed before the update."
    );
    items.extend(function(
        quote!(forward),
        forward_doc,
        quote!(&Variables),
        quote!(Values),
        &[(quote!(values), quote!(Values))],
        forward,
        None,
    ));
    items.extend(function(
        quote!(backward),
        &backward_doc,
        quote!(&Variables),
        quote!((Values, Gradients)),
        &[(quote!(values), quote!(Values)), (quote!(gradients), quote!(Gradients))],
        backward,
        None,
    ));
    items.extend(function(
        quote!(adjoints),
        &adjoints_doc,
        quote!(&Variables),
        quote!(Adjoints),
        &[(quote!(adjoints), quote!(Adjoints))],
        adjoints,
        None,
    ));
    items.extend(function(
        quote!(sgd_step),
        &sgd_doc,
        quote!(&mut Variables),
        quote!(Values),
        &[(quote!(values), quote!(Values))],
        sgd,
        Some(float),
    ));
    let dot_doc = " The forward graph (boxes) and the backward graph (blue ellipses) in Graphviz DOT.";
    items.extend(quote! {
        #[doc = #dot_doc]
        pub const DOT: &str = #dot_text;
    });
    items
}

/// `pub fn NAME(p: &Placeholders, v: VARIABLES[, learning_rate: F]) -> RETURNS { ... }`.
fn function(
    name: TokenStream,
    doc: &str,
    variables: TokenStream,
    returns: TokenStream,
    locals: &[(TokenStream, TokenStream)],
    body: TokenStream,
    learning_rate: Option<TokenStream>,
) -> TokenStream {
    // Parameters the body never reads are written `_`, so that no graph gives a warning.
    let learning_rate_absent = learning_rate.is_none();
    let param = |ident: &str| {
        if mentions(&body, ident) {
            quote::format_ident!("{ident}")
        } else {
            quote::format_ident!("_{ident}")
        }
    };
    let (p, v) = (param("p"), param("v"));
    let rate = learning_rate.map(|float| {
        let lr = param("learning_rate");
        quote!(, #lr: #float)
    });
    let declarations = locals.iter().map(|(local, ty)| {
        let mutable = mentions(&body, &local.to_string()).then(|| quote!(mut));
        quote!(let #mutable #local = #ty::default();)
    });
    let result = match locals {
        [(one, _)] => quote!(#one),
        many => {
            let names = many.iter().map(|(local, _)| local);
            quote!((#(#names),*))
        }
    };
    // The loops index several arrays by `i` and the arithmetic is whatever the graph says
    // (`x * -1` included), so clippy's style lints do not apply to this code: they are allowed
    // here rather than each one worked around. The doc comments on loops are for `cargo expand`.
    // `sgd_step` is called for its effect; the others only for what they return.
    let must_use = learning_rate_absent.then(|| quote!(#[must_use]));
    quote! {
        #[doc = #doc]
        #must_use
        #[allow(unused_doc_comments, clippy::all, clippy::pedantic)]
        pub fn #name(#p: &Placeholders, #v: #variables #rate) -> #returns {
            #(#declarations)*
            #body
            #result
        }
    }
}

/// Whether `tokens` contain the identifier `name`.
fn mentions(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => mentions(&group.stream(), name),
        _ => false,
    })
}

fn structs_of(program: &Program) -> TokenStream {
    let dtype = program.graph.dtype();
    let shape = |node: NodeId| program.graph.shape(node).clone();
    let field = |name: &str, node, fill, doc: String| Field {
        name: name.to_owned(),
        shape: shape(node),
        fill,
        doc,
    };
    let placeholders: Vec<Field> = program
        .placeholders
        .iter()
        .map(|d| field(&d.name, d.node, 0.0, format!("`{}`, fed at each call.", d.name)))
        .collect();
    let variables: Vec<Field> = program
        .variables
        .iter()
        .map(|d| field(&d.name, d.node, d.fill, format!("`{}`, trained.", d.name)))
        .collect();
    let values: Vec<Field> = program
        .lets
        .iter()
        .map(|d| field(&d.name, d.node, 0.0, format!("`{}`.", d.name)))
        .collect();
    let objective = &program.objective.name;
    let gradients: Vec<Field> = program
        .variables
        .iter()
        .map(|d| field(&d.name, d.node, 0.0, format!("d {objective} / d {}.", d.name)))
        .collect();
    let adjoints: Vec<Field> = program
        .decls()
        .map(|d| field(&d.name, d.node, 0.0, format!("d {objective} / d {}.", d.name)))
        .collect();
    let mut items = TokenStream::new();
    items.extend(tensor_struct(
        "Placeholders",
        " The values fed at each call, one field per `placeholder`.",
        &placeholders,
        dtype,
    ));
    items.extend(tensor_struct(
        "Variables",
        " The trained values, one field per `variable`; `Default` holds their initial values.",
        &variables,
        dtype,
    ));
    items.extend(tensor_struct(
        "Values",
        " The value of every `let`, as computed by the forward pass.",
        &values,
        dtype,
    ));
    items.extend(tensor_struct(
        "Gradients",
        &format!(" The gradient of `{objective}` with respect to every variable."),
        &gradients,
        dtype,
    ));
    items.extend(tensor_struct(
        "Adjoints",
        &format!(" d {objective} / d x for every placeholder, variable and `let` x."),
        &adjoints,
        dtype,
    ));
    items
}

fn value_outputs(program: &Program) -> Vec<Output> {
    program
        .lets
        .iter()
        .map(|d| {
            let field = ident(&d.name);
            Output {
                node: d.node,
                place: quote!(values.#field),
            }
        })
        .collect()
}

fn gradient_outputs(program: &Program) -> Vec<Output> {
    program
        .variables
        .iter()
        .filter_map(|d| {
            let field = ident(&d.name);
            let node = *program.adjoints.get(&d.node)?;
            Some(Output {
                node,
                place: quote!(gradients.#field),
            })
        })
        .collect()
}

fn adjoint_outputs(program: &Program) -> Vec<Output> {
    program
        .decls()
        .filter_map(|d| {
            let field = ident(&d.name);
            let node = *program.adjoints.get(&d.node)?;
            Some(Output {
                node,
                place: quote!(adjoints.#field),
            })
        })
        .collect()
}

fn updates(program: &Program) -> Vec<Update> {
    program
        .variables
        .iter()
        .filter_map(|d| {
            Some(Update {
                variable: d.node,
                gradient: *program.adjoints.get(&d.node)?,
            })
        })
        .collect()
}

/// One line per named backward node, operands first.
pub fn derivations(program: &Program) -> String {
    let graph = &program.graph;
    let mut text = String::new();
    for id in graph.topological_order() {
        let node = graph.node(id);
        if node.role == Role::Backward && node.name.is_some() {
            text.push_str(&format!(" {}\n", formula::derivation(graph, id)));
        }
    }
    text
}
