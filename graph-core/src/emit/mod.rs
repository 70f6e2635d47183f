//! Code generation: a differentiated, legalised [`Program`] becomes the items of the user's
//! module (structs, fused functions, `DOT`) as a `TokenStream`.

/// `quote!` for generated code: every identifier written literally in the template (the
/// generator's own locals and parameters, `i`, `k`, `p`, `values`) is spanned
/// `Span::mixed_site()`, so no name the user writes can refer to it or shadow it; what is
/// interpolated (`#name`) keeps its own span. See `names` for the whole scheme.
macro_rules! code {
    ($($tokens:tt)*) => {
        ::quote::quote_spanned!(::proc_macro2::Span::mixed_site()=> $($tokens)*)
    };
}

mod body;
mod check;
mod dot;
mod names;
mod ops;
mod optimizers;
mod schedule;
mod structs;
mod tangents;

pub use dot::dot;
pub use structs::{always_boxed, INLINE_LIMIT};

use crate::ir::{Graph, NodeId};
use crate::program::{Init, Program};
use body::{Output, Spec, Update};
use names::{ident, Names};
use ops::float_type;
use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::format_ident;
use structs::{is_generic, tensor_struct, Field, Kind};

/// What every template needs: the program, local names, and the spelling of the float type
/// and of the named dimension.
pub struct Ctx<'a> {
    /// The program being emitted.
    pub program: &'a Program,
    /// Its graph.
    pub graph: &'a Graph,
    /// A unique local name per node, shared by all functions (they share the `Workspace`).
    pub names: Names,
    /// `::core::primitive::f32` or `::core::primitive::f64`.
    pub float: TokenStream,
    /// Where the float functions `core` lacks (`exp`, `ln`, `sqrt`, ...) come from: the float
    /// type's own (`std`'s), or without `std` the runtime's `math::f32` (`libm`'s).
    pub math: TokenStream,
    /// The named dimensions' const generic parameters (`BATCH` for `batch`, see `names`), in
    /// the graph's order.
    pub dims: Vec<Ident>,
    /// The hidden runtime's path: `$crate::__private` through the facade's `graph!`, so a
    /// user may rename the dependency.
    pub runtime: TokenStream,
    /// Each derived gradient's formula, by node.
    pub derivations: std::collections::BTreeMap<NodeId, String>,
}

impl<'a> Ctx<'a> {
    /// The context for emitting `program`, whose code calls the runtime at `runtime`.
    fn new(program: &'a Program, runtime: &TokenStream) -> Ctx<'a> {
        let graph = &program.graph;
        Ctx {
            program,
            graph,
            names: Names::new(graph, &graph.topological_order()),
            float: float_type(graph.dtype()),
            math: ops::math_functions(program.platform, graph.dtype(), runtime),
            dims: graph.named().iter().map(|name| names::dimension(name)).collect(),
            runtime: runtime.clone(),
            derivations: program.derivations.iter().cloned().collect(),
        }
    }
}

/// Everything the `graph!` module contains, given the DOT text of its graph.
pub fn module(program: &Program, dot_text: &str, runtime: &TokenStream) -> TokenStream {
    let ctx = Ctx::new(program, runtime);
    let structs = Structs::new(program);

    let values = || value_outputs(program, code!(values));
    let mut backward_outputs = values();
    backward_outputs.extend(gradient_outputs(program));
    let forward = body::body(
        &ctx,
        &Spec {
            outputs: values(),
            updates: vec![],
        },
    );
    let backward = body::body(
        &ctx,
        &Spec {
            outputs: backward_outputs,
            updates: vec![],
        },
    );
    let adjoints = body::body(
        &ctx,
        &Spec {
            outputs: adjoint_outputs(program),
            updates: vec![],
        },
    );
    let sgd = body::body(
        &ctx,
        &Spec {
            outputs: values(),
            updates: updates(program),
        },
    );

    // Each optimizer's step: the fused pass with the gradients kept in the workspace.
    let steps: Vec<body::Body> = program
        .optimizers
        .iter()
        .map(|_| {
            body::body(
                &ctx,
                &Spec {
                    outputs: optimizers::outputs(program),
                    updates: vec![],
                },
            )
        })
        .collect();
    let spec = |outputs| Spec {
        outputs,
        updates: vec![],
    };
    let jvp = program
        .tangents
        .jvp
        .then(|| body::body(&ctx, &spec(tangents::jvp_outputs(program))));
    let hvp = program
        .tangents
        .hvp
        .then(|| body::body(&ctx, &spec(tangents::hvp_outputs(program))));
    let mut scratch: Vec<NodeId> = [&forward, &backward, &adjoints, &sgd]
        .into_iter()
        .chain(&steps)
        .chain(jvp.iter())
        .chain(hvp.iter())
        .flat_map(|b| b.scratch.clone())
        .collect();
    scratch.sort_unstable();
    scratch.dedup();

    let mut items = structs.emit(&ctx, &scratch);
    let f = Functions {
        ctx: &ctx,
        structs: &structs,
    };
    items.extend(f.forward(forward.tokens));
    items.extend(f.backward(backward.tokens));
    items.extend(f.adjoints(adjoints.tokens));
    items.extend(f.sgd_step(sgd.tokens));
    for (optimizer, step) in program.optimizers.iter().zip(steps) {
        items.extend(f.optimizer(optimizer, step.tokens));
    }
    if program.check_gradients {
        items.extend(f.check_gradients(false));
    }
    if let Some(jvp) = jvp {
        items.extend(f.jvp(jvp.tokens));
    }
    if let Some(hvp) = hvp {
        items.extend(f.hvp(hvp.tokens));
    }
    let dot_doc = " The forward graph (boxes) and the backward graph (blue ellipses) in Graphviz DOT.";
    let gradients_doc = " Every derived gradient as a formula, one per line, as in the docs of [`backward`].";
    let gradients_text: String = program
        .derivations
        .iter()
        .map(|(_, line)| format!("{line}\n"))
        .collect();
    items.extend(code! {
        #[doc = #dot_doc]
        pub const DOT: &str = #dot_text;

        #[doc = #gradients_doc]
        pub const GRADIENTS: &str = #gradients_text;
    });
    items
}

/// The items of a module whose graph did not compile: the structs with the declared fields,
/// and every function with its signature and a body that is never run (the expansion also
/// holds the `compile_error!`s, so the crate does not build). With them, the user's code that
/// calls the module type-checks, and the user sees only the real mistake.
pub fn stub(program: &Program, runtime: &TokenStream) -> TokenStream {
    let ctx = Ctx::new(program, runtime);
    let structs = Structs::new(program);
    let mut items = structs.emit(&ctx, &[]);
    let f = Functions {
        ctx: &ctx,
        structs: &structs,
    };
    let never = || code!(::core::unreachable!("the graph did not compile"););
    items.extend(f.forward(never()));
    items.extend(f.backward(never()));
    items.extend(f.adjoints(never()));
    items.extend(f.sgd_step(never()));
    for optimizer in &program.optimizers {
        items.extend(f.optimizer(optimizer, never()));
    }
    if program.check_gradients {
        items.extend(f.check_gradients(true));
    }
    if program.tangents.jvp {
        items.extend(f.jvp(never()));
    }
    if program.tangents.hvp {
        items.extend(f.hvp(never()));
    }
    items.extend(code! {
        /// The graph did not compile.
        pub const DOT: &str = "";
        /// The graph did not compile.
        pub const GRADIENTS: &str = "";
    });
    items
}

/// Which generated structs are generic over the named dimension.
struct Structs {
    placeholders: Vec<Field>,
    variables: Vec<Field>,
    values: Vec<Field>,
    gradients: Vec<Field>,
    adjoints: Vec<Field>,
    workspace_generic: bool,
}

impl Structs {
    fn new(program: &Program) -> Structs {
        let shape = |node: NodeId| program.graph.shape(node).clone();
        let field = |name: &str, node, init, doc: String| Field {
            name: name.to_owned(),
            shape: shape(node),
            elem: program.graph.elem(node),
            init,
            doc,
        };
        // Ids have no adjoint: they are not in `Adjoints`.
        let float = |d: &&crate::program::Decl| program.graph.elem(d.node) == crate::ir::Elem::Float;
        let zero = Init::Fill(0.0);
        let objective = &program.objective.name;
        Structs {
            placeholders: program
                .placeholders
                .iter()
                .map(|d| field(&d.name, d.node, zero, format!("`{}`, fed at each call.", d.name)))
                .collect(),
            variables: program
                .variables
                .iter()
                .map(|d| field(&d.name, d.node, d.init, format!("`{}`, trained.", d.name)))
                .collect(),
            values: program
                .lets
                .iter()
                .map(|d| field(&d.name, d.node, zero, format!("`{}`.", d.name)))
                .collect(),
            gradients: program
                .variables
                .iter()
                .map(|d| field(&d.name, d.node, zero, format!("d {objective} / d {}.", d.name)))
                .collect(),
            adjoints: program
                .decls()
                .filter(float)
                .map(|d| field(&d.name, d.node, zero, format!("d {objective} / d {}.", d.name)))
                .collect(),
            workspace_generic: program.graph.has_named(),
        }
    }

    fn emit(&self, ctx: &Ctx, scratch: &[NodeId]) -> TokenStream {
        let objective = &ctx.program.objective.name;
        let workspace: Vec<Field> = scratch
            .iter()
            .map(|&id| Field {
                name: ctx.names.of(id).to_string(),
                shape: ctx.graph.shape(id).clone(),
                elem: ctx.graph.elem(id),
                init: Init::Fill(0.0),
                doc: format!("`{}`.", crate::formula::expression(ctx.graph, id)),
            })
            .collect();
        let mut items = TokenStream::new();
        items.extend(tensor_struct(
            ctx,
            "Placeholders",
            " The values fed at each call, one field per `placeholder`.",
            &self.placeholders,
            Kind::Public,
            None,
        ));
        items.extend(tensor_struct(
            ctx,
            "Variables",
            " The trained values, one field per `variable`; `Default` holds their initial values.",
            &self.variables,
            Kind::Variables,
            None,
        ));
        items.extend(tensor_struct(
            ctx,
            "Values",
            " The value of every `let`, as computed by the forward pass.",
            &self.values,
            Kind::Public,
            None,
        ));
        items.extend(tensor_struct(
            ctx,
            "Gradients",
            &format!(" The gradient of `{objective}` with respect to every variable."),
            &self.gradients,
            Kind::Public,
            None,
        ));
        items.extend(tensor_struct(
            ctx,
            "Adjoints",
            &format!(" d {objective} / d x for every placeholder, variable and `let` x."),
            &self.adjoints,
            Kind::Public,
            None,
        ));
        let workspace_doc = " Scratch space for the intermediate tensors of one call. Keep one and pass it to the\n `_into` functions, so that a training loop allocates nothing per step.";
        // With optimizers, the workspace also holds the gradients they read (a field no tensor's
        // lower-cased name can be).
        let gradients_type = if is_generic(&self.gradients) {
            let dims = &ctx.dims;
            code!(Gradients<#(#dims),*>)
        } else {
            code!(Gradients)
        };
        let extra = (!ctx.program.optimizers.is_empty()).then(|| structs::Extra {
            declaration: code!(#[doc = " The gradients, for the optimizers' steps."] Gradients: #gradients_type,),
            default: code!(Gradients: ::core::default::Default::default(),),
        });
        let mut workspace_tokens = tensor_struct(
            ctx,
            "Workspace",
            workspace_doc,
            &workspace,
            Kind::Private,
            extra.as_ref(),
        );
        if self.workspace_generic && !is_generic(&workspace) {
            // Keep `Workspace<batch>` uniform in signatures even when no scratch tensor needs `batch`.
            workspace_tokens = generic_unit_workspace(ctx, workspace_doc, &workspace, extra.as_ref());
        }
        items.extend(workspace_tokens);
        items
    }

    fn generic(&self, name: &str) -> bool {
        match name {
            "Placeholders" => is_generic(&self.placeholders),
            "Variables" => is_generic(&self.variables),
            "Values" => is_generic(&self.values),
            "Gradients" => is_generic(&self.gradients),
            "Adjoints" => is_generic(&self.adjoints),
            _ => self.workspace_generic,
        }
    }
}

/// A `Workspace<const batch: usize>` whose fields do not use `batch`: a phantom keeps the
/// parameter, so every function names the workspace the same way.
fn generic_unit_workspace(ctx: &Ctx, doc: &str, fields: &[Field], extra: Option<&structs::Extra>) -> TokenStream {
    let (extra_declaration, extra_default) = match extra {
        Some(e) => (e.declaration.clone(), e.default.clone()),
        None => (TokenStream::new(), TokenStream::new()),
    };
    let dims = &ctx.dims;
    let idents: Vec<_> = fields.iter().map(|f| ident(&f.name)).collect();
    let boxed = structs::boxing(ctx, fields);
    let types = fields
        .iter()
        .zip(&boxed)
        .map(|(f, &b)| structs::tensor_type(ctx, &f.shape, f.elem, b));
    let defaults = fields
        .iter()
        .zip(&boxed)
        .map(|(f, &b)| structs::tensor_value(ctx, &f.shape, f.elem, 0.0, b));
    code! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq)]
        #[allow(non_snake_case)]
        pub struct Workspace<#(const #dims: usize),*> {
            #( #idents: #types, )*
            Dimension: ::core::marker::PhantomData<(#([(); #dims],)*)>,
            #extra_declaration
        }

        #[allow(non_snake_case)]
        impl<#(const #dims: usize),*> ::core::default::Default for Workspace<#(#dims),*> {
            fn default() -> Self {
                Self { #( #idents: #defaults, )* Dimension: ::core::marker::PhantomData, #extra_default }
            }
        }
    }
}

/// Writes the public functions.
struct Functions<'a> {
    ctx: &'a Ctx<'a>,
    structs: &'a Structs,
}

impl Functions<'_> {
    /// `Name` or `Name<BATCH, SEQ>`.
    fn ty(&self, name: &str) -> TokenStream {
        let ident = format_ident!("{name}");
        let dims = &self.ctx.dims;
        if self.structs.generic(name) {
            code!(#ident<#(#dims),*>)
        } else {
            code!(#ident)
        }
    }

    fn generics(&self) -> TokenStream {
        let dims = &self.ctx.dims;
        if self.ctx.graph.has_named() {
            code!(<#(const #dims: usize),*>)
        } else {
            TokenStream::new()
        }
    }

    fn objective(&self) -> &str {
        &self.ctx.program.objective.name
    }

    fn forward(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, values, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Values"),
            self.ty("Workspace"),
        );
        let into = self.function(
            code!(forward_into),
            " Runs the graph forward into `values`, with `workspace` for the intermediates: no allocation.",
            code!(p: &#placeholders, v: &#variables, values: &mut #values, workspace: &mut #workspace),
            TokenStream::new(),
            body,
            false,
        );
        let generics = self.generics();
        code! {
            /// Runs the graph forward: the value of every `let`.
            #[must_use]
            #[allow(non_snake_case)]
            pub fn forward #generics (p: &#placeholders, v: &#variables) -> #values {
                let mut values = <#values>::default();
                forward_into(p, v, &mut values, &mut <#workspace>::default());
                values
            }
            #into
        }
    }

    fn backward(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, values, gradients, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Values"),
            self.ty("Gradients"),
            self.ty("Workspace"),
        );
        let derivations = derivations(self.ctx.program);
        let objective = self.objective();
        let doc = format!(
            " Runs the graph forward, then backward: the values, and the gradient of `{objective}` with\n \
             respect to every variable, in one fused pass.\n\n # Derived gradients\n\n ```text\n{derivations} ```"
        );
        let into = self.function(
            code!(backward_into),
            " [`backward`] into caller-owned outputs, with `workspace` for the intermediates: no allocation.",
            code!(p: &#placeholders, v: &#variables, values: &mut #values, gradients: &mut #gradients, workspace: &mut #workspace),
            TokenStream::new(),
            body,
            false,
        );
        let generics = self.generics();
        code! {
            #[doc = #doc]
            #[must_use]
            #[allow(non_snake_case)]
            pub fn backward #generics (p: &#placeholders, v: &#variables) -> (#values, #gradients) {
                let mut values = <#values>::default();
                let mut gradients = <#gradients>::default();
                backward_into(p, v, &mut values, &mut gradients, &mut <#workspace>::default());
                (values, gradients)
            }
            #into
        }
    }

    fn adjoints(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, adjoints, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Adjoints"),
            self.ty("Workspace"),
        );
        let objective = self.objective();
        let doc = format!(
            " The adjoint d {objective} / d x of every placeholder, variable and `let`: for reading and teaching.\n \
             A value that cannot change `{objective}` has adjoint zero.\n\n ```text\n{} ```",
            derivations(self.ctx.program)
        );
        let uses_workspace = mentions(&body, "workspace");
        let declare = uses_workspace.then(|| code!(let workspace = &mut <#workspace>::default();));
        self.function(
            code!(adjoints),
            &doc,
            code!(p: &#placeholders, v: &#variables),
            code!(-> #adjoints),
            code!(let mut adjoints = <#adjoints>::default(); #declare #body adjoints),
            true,
        )
    }

    fn sgd_step(&self, body: TokenStream) -> TokenStream {
        let (placeholders, variables, values, workspace) = (
            self.ty("Placeholders"),
            self.ty("Variables"),
            self.ty("Values"),
            self.ty("Workspace"),
        );
        let float = &self.ctx.float;
        let objective = self.objective();
        let doc = format!(
            " One step of gradient descent on `{objective}`: every variable moves by `-learning_rate` times\n \
             its gradient (TensorFlow's `GradientDescentOptimizer(learning_rate).minimize({objective})`).\n \
             Returns the values computed before the update."
        );
        let into = self.function(
            code!(sgd_step_into),
            " [`sgd_step`] into caller-owned `values`, with `workspace` for the intermediates: no allocation.",
            code!(p: &#placeholders, v: &mut #variables, learning_rate: #float, values: &mut #values, workspace: &mut #workspace),
            TokenStream::new(),
            body,
            false,
        );
        let generics = self.generics();
        code! {
            #[doc = #doc]
            #[allow(non_snake_case)]
            pub fn sgd_step #generics (p: &#placeholders, v: &mut #variables, learning_rate: #float) -> #values {
                let mut values = <#values>::default();
                sgd_step_into(p, v, learning_rate, &mut values, &mut <#workspace>::default());
                values
            }
            #into
        }
    }

    /// `pub fn NAME<generics>(PARAMS) RETURNS { BODY }`, parameters the body never reads
    /// written `_name` so that no graph gives a warning.
    fn function(
        &self,
        name: TokenStream,
        doc: &str,
        params: TokenStream,
        returns: TokenStream,
        body: TokenStream,
        must_use: bool,
    ) -> TokenStream {
        let params = unused_as_underscore(params, &body);
        let must_use = must_use.then(|| code!(#[must_use]));
        let generics = self.generics();
        // The loops index several arrays by `i` and the arithmetic is whatever the graph says
        // (`x * -1` included), so clippy's style lints do not apply to this code: they are
        // allowed here rather than each worked around. Doc comments on loops are for `cargo expand`.
        code! {
            #[doc = #doc]
            #must_use
            #[allow(unused_doc_comments, unreachable_code, non_snake_case, clippy::all, clippy::pedantic)]
            pub fn #name #generics (#params) #returns {
                #body
            }
        }
    }
}

/// Renames each `name: type` parameter that `body` never mentions to `_name: type`.
fn unused_as_underscore(params: TokenStream, body: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    let mut at_start = true;
    // The commas between a type's generic arguments (`Placeholders<B, S>`) are not in a group.
    let mut angles = 0usize;
    for tree in params {
        match &tree {
            TokenTree::Ident(ident) if at_start && !mentions(body, &ident.to_string()) => {
                // The same span: a parameter stays in the generator's hygiene context.
                let unused = proc_macro2::Ident::new(&format!("_{ident}"), ident.span());
                out.extend([TokenTree::Ident(unused)]);
            }
            _ => out.extend([tree.clone()]),
        }
        match &tree {
            TokenTree::Punct(p) if p.as_char() == '<' => angles += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => angles = angles.saturating_sub(1),
            _ => {}
        }
        at_start = angles == 0 && matches!(&tree, TokenTree::Punct(p) if p.as_char() == ',');
    }
    out
}

/// Whether `tokens` contain the identifier `name`.
pub(crate) fn mentions(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => mentions(&group.stream(), name),
        _ => false,
    })
}

pub(crate) fn value_outputs(program: &Program, target: TokenStream) -> Vec<Output> {
    program
        .lets
        .iter()
        .map(|d| {
            let field = ident(&d.name);
            Output {
                node: d.node,
                place: code!(#target.#field),
            }
        })
        .collect()
}

/// The adjoints of `decls`, stored into `target.NAME`.
pub(crate) fn adjoints_of<'a>(
    program: &Program,
    decls: impl Iterator<Item = &'a crate::program::Decl>,
    target: TokenStream,
) -> Vec<Output> {
    decls
        .filter_map(|d| {
            let field = ident(&d.name);
            let node = *program.adjoints.get(&d.node)?;
            Some(Output {
                node,
                place: code!(#target.#field),
            })
        })
        .collect()
}

fn gradient_outputs(program: &Program) -> Vec<Output> {
    adjoints_of(program, program.variables.iter(), code!(gradients))
}

fn adjoint_outputs(program: &Program) -> Vec<Output> {
    adjoints_of(program, program.decls(), code!(adjoints))
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

/// One line per derived gradient, as derived.
pub fn derivations(program: &Program) -> String {
    program
        .derivations
        .iter()
        .map(|(_, line)| format!(" {line}\n"))
        .collect()
}
