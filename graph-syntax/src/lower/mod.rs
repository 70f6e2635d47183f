//! Lowering: a [`GraphDef`] becomes a graph-core [`Program`], resolving names and building
//! nodes. Every independent mistake is reported at once; a definition that failed yields no
//! node and "poisons" its name, so its users stay silent: one mistake gives one error.
//!
//! This file holds the declarations, names and expressions; `calls.rs` the calls of the op
//! table (arguments, keywords, axes); `shapes.rs` the shape forms (constants, `transpose`,
//! `concat`, `reshape`, indexing).

use crate::ast::{BinOp, DimSpec, Expr, Generated, GraphDef, InitSpec, Item, Number, TypeSpec};
use graph_core::diag::Diagnostics;
use graph_core::{DType, Decl, Diagnostic, Dim, Graph, Init, Loc, NodeId, Op, Program, Shape, MAX_NAMED};
use proc_macro2::{Ident, Span};
use std::collections::{BTreeMap, BTreeSet};

mod calls;
mod optimizers;
mod shapes;

/// The variable initialisers: name and number of arguments.
const INITIALISERS: &[(&str, usize)] = &[("zeros", 0), ("uniform", 2), ("normal", 2), ("glorot_uniform", 0)];

/// Builds the program `def` describes, or every error found in it.
pub fn lower(def: &GraphDef) -> Result<Program, Vec<Diagnostic>> {
    lower_with_outline(def).map_err(|(errors, _)| errors)
}

/// The program `def` describes with every float in f64, whatever its declared type: the f64
/// copy of an f32 graph's forward pass that `check_gradients` runs its finite differences on.
/// Without its optimizers and its own check.
pub(crate) fn lower_in_f64(def: &GraphDef) -> Result<Program, Vec<Diagnostic>> {
    let mut program = lower_typed(def, Some(DType::F64)).map_err(|(errors, _)| errors)?;
    program.optimizers.clear();
    program.check_gradients = false;
    program.tangents = graph_core::Tangents::default();
    Ok(program)
}

/// [`lower`], and on failure also the outline of what `def` declares, for the stub module
/// that keeps a user's other code free of follow-on errors.
pub fn lower_with_outline(def: &GraphDef) -> Result<Program, (Vec<Diagnostic>, Box<Program>)> {
    lower_typed(def, None)
}

/// [`lower_with_outline`], with every float of type `dtype` if given.
fn lower_typed(def: &GraphDef, dtype: Option<DType>) -> Result<Program, (Vec<Diagnostic>, Box<Program>)> {
    let mut errors = Diagnostics::default();
    let declared = float_type(def, &mut errors);
    let dtype = dtype.unwrap_or(declared);
    let mut graph = Graph::new(dtype);
    named_dimensions(def, &mut graph, &mut errors);
    let mut l = Lowering {
        graph,
        scope: BTreeMap::new(),
        poisoned: BTreeSet::new(),
        later: later_names(def),
        errors,
    };
    let (mut placeholders, mut variables, mut lets) = (Vec::new(), Vec::new(), Vec::new());
    let mut optimizers = Vec::new();
    let mut check_gradients = false;
    let mut tangents = graph_core::Tangents::default();
    let mut objective: Option<Decl> = None;
    let mut minimize_seen = false;
    for (position, item) in def.items.iter().enumerate() {
        l.later.retain(|_, &mut p| p > position);
        match item {
            Item::Placeholder { name, ty } => placeholders.extend(l.leaf(Op::Placeholder, name, ty, None)),
            Item::Variable { name, ty, init } => variables.extend(l.leaf(Op::Variable, name, ty, init.as_ref())),
            Item::Let { name, expr } => {
                let node = l.expr(expr);
                lets.extend(l.bind(name, node, Init::Fill(0.0)));
            }
            Item::Const { name, ty, value } => {
                let node = l.constant(name, ty, value);
                l.bind(name, node, Init::Fill(0.0));
            }
            Item::Minimize { keyword, name } => {
                minimize_seen = true;
                l.minimize(*keyword, name, &mut objective);
            }
            Item::Generate { function, .. } => match function {
                Generated::CheckGradients => check_gradients = true,
                Generated::Jvp => tangents.jvp = true,
                Generated::Hvp => tangents.hvp = true,
            },
            Item::Optimizer { keyword, call } => {
                if let Some(declared) = l.optimizer(*keyword, call, minimize_seen, &optimizers) {
                    optimizers.push(declared);
                }
            }
        }
    }
    let Some(objective) = objective.filter(|_| l.errors.is_empty()) else {
        if !minimize_seen {
            let message = format!(
                "graph `{}` has no objective: add `minimize NAME;` naming the scalar to minimize, e.g. `minimize cost;`",
                def.name
            );
            l.errors.push(Diagnostic::new(Loc::at(def.name.span()), message));
        }
        // Otherwise the `minimize` statement was wrong, or something else was, and said so.
        let errors = l.errors.finish(()).err().unwrap_or_default();
        let mut outline = outline(def, l.graph, placeholders, variables, lets);
        outline.optimizers = optimizers;
        outline.check_gradients = check_gradients;
        outline.tangents = tangents;
        return Err((errors, Box::new(outline)));
    };
    // No errors (checked above): the program is whole.
    let mut program = Program::new(l.graph, placeholders, variables, lets, objective);
    program.optimizers = optimizers;
    program.check_gradients = check_gradients;
    program.tangents = tangents;
    Ok(program)
}

/// What a graph with errors still declares: its placeholders and variables as typed, and
/// every `let`, with its shape where it was computed and as a scalar where its definition
/// failed (an objective usually is one). The stub module built from it has the right items
/// and fields, so a user's code that calls the graph adds no errors to the real one.
fn outline(
    def: &GraphDef,
    mut graph: Graph,
    placeholders: Vec<Decl>,
    variables: Vec<Decl>,
    lowered: Vec<Decl>,
) -> Program {
    let mut lets = Vec::new();
    for item in &def.items {
        let Item::Let { name, .. } = item else { continue };
        let key = text(name);
        if lets.iter().any(|d: &Decl| d.name == key) {
            continue;
        }
        let node = match lowered.iter().find(|d| d.name == key) {
            Some(decl) => decl.node,
            None => match graph.leaf(Op::Placeholder, Shape::scalar(), &key, Loc::at(name.span())) {
                Ok(node) => node,
                Err(_) => continue,
            },
        };
        lets.push(Decl {
            name: key,
            node,
            loc: Loc::at(name.span()),
            init: Init::Fill(0.0),
        });
    }
    let loc = Loc::at(def.name.span());
    let objective = Decl {
        name: String::from("objective"),
        node: graph.constant(0.0, loc),
        loc,
        init: Init::Fill(0.0),
    };
    Program::new(graph, placeholders, variables, lets, objective)
}

struct Lowering {
    graph: Graph,
    /// Every name declared so far.
    scope: BTreeMap<String, Decl>,
    /// Names declared so far whose definition had an error: their uses stay silent.
    poisoned: BTreeSet<String>,
    /// Names declared further down, by the position of their declaration.
    later: BTreeMap<String, usize>,
    errors: Diagnostics,
}

/// The placeholder and variable declarations, with their types.
fn declarations(def: &GraphDef) -> impl Iterator<Item = (&Ident, &TypeSpec)> {
    def.items.iter().filter_map(|item| match item {
        Item::Placeholder { name, ty } | Item::Variable { name, ty, .. } | Item::Const { name, ty, .. } => {
            Some((name, ty))
        }
        _ => None,
    })
}

/// The graph's float type: that of its first declaration. Every other must agree.
fn float_type(def: &GraphDef, errors: &mut Diagnostics) -> DType {
    let mut first: Option<(DType, &Ident)> = None;
    for (name, ty) in declarations(def) {
        // Integer ids have no float type.
        let Some(own) = ty.dtype else { continue };
        match first {
            None => first = Some((own, name)),
            Some((dtype, first_name)) if dtype != own => errors.push(Diagnostic::new(
                Loc::at(ty.dtype_span),
                format!(
                    "mixed float types: `{name}` is {} but `{first_name}` is {}; one graph uses one float type",
                    own.name(),
                    dtype.name()
                ),
            )),
            Some(_) => {}
        }
    }
    first.map_or(DType::F32, |(dtype, _)| dtype)
}

/// The graph's named dimensions, in order of first appearance (at most [`MAX_NAMED`]).
fn named_dimensions(def: &GraphDef, graph: &mut Graph, errors: &mut Diagnostics) {
    for (_, ty) in declarations(def) {
        for dim in &ty.dims {
            let DimSpec::Named(name) = dim else { continue };
            if graph.add_named(&text(name)).is_none() {
                let known: Vec<String> = graph.named().iter().map(|n| format!("`{n}`")).collect();
                let message = format!(
                    "a graph has at most {MAX_NAMED} named dimensions ({}), and `{name}` would be one more: \
                     use a number here",
                    known.join(", ")
                );
                errors.push(Diagnostic::new(Loc::at(name.span()), message));
            }
        }
    }
}

/// A name as the graph knows it: without `r#`, so that `r#y` and `y` are the same name (as
/// in Rust), and derived names (`d_y`) are plain identifiers.
fn text(name: &Ident) -> String {
    let text = name.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

fn later_names(def: &GraphDef) -> BTreeMap<String, usize> {
    let mut later = BTreeMap::new();
    for (position, item) in def.items.iter().enumerate() {
        let name = match item {
            Item::Placeholder { name, .. }
            | Item::Variable { name, .. }
            | Item::Let { name, .. }
            | Item::Const { name, .. } => name,
            Item::Minimize { .. } | Item::Optimizer { .. } | Item::Generate { .. } => continue,
        };
        later.entry(text(name)).or_insert(position);
    }
    later
}

impl Lowering {
    /// Whether `operands` (each with where it was written) are of the element types `op`
    /// takes: floats, or integer ids where it takes ids. If not, an error at the one that is
    /// not, before any node is built (the graph would report it at the whole expression).
    fn elements_fit(&mut self, op: &Op, operands: &[(NodeId, Loc)]) -> Option<()> {
        let ids: Vec<NodeId> = operands.iter().map(|&(id, _)| id).collect();
        let elems = self.graph.elements(&ids);
        let describe = |k: usize| self.graph.describe_node(ids[k]);
        match graph_core::check::shapes::element(op, &elems, &describe) {
            Ok(_) => Some(()),
            Err((k, message)) => {
                self.errors.push(Diagnostic::new(operands[k].1, message));
                None
            }
        }
    }

    fn leaf(&mut self, op: Op, name: &Ident, ty: &TypeSpec, init: Option<&InitSpec>) -> Option<Decl> {
        let dims = ty.dims.iter().map(|d| match d {
            DimSpec::Fixed(n) => Dim::Fixed(*n),
            // Unknown only past the most named dimensions, which was reported.
            DimSpec::Named(name) => self.graph.named_dim(&text(name)).unwrap_or(Dim::Fixed(1)),
        });
        let shape = Shape::of(dims.collect());
        let init = match init {
            Some(spec) => self.init(spec),
            None => Some(Init::Fill(0.0)),
        };
        if ty.elem.is_integer() && op == Op::Variable {
            let message = format!(
                "a variable is trained, so its elements are floats: `{}` cannot be a variable; integer ids \
                 (`i32`, `i64`, `usize`) are fed as placeholders",
                text(name)
            );
            self.errors.push(Diagnostic::new(Loc::at(ty.dtype_span), message));
            return self.bind(name, None, Init::Fill(0.0));
        }
        let node = init.and_then(|_| {
            let loc = Loc::at(name.span());
            self.errors.check(match op {
                Op::Placeholder => self.graph.placeholder(ty.elem, shape, &text(name), loc),
                _ => self.graph.leaf(op, shape, &text(name), loc),
            })
        });
        self.bind(name, node, init.unwrap_or(Init::Fill(0.0)))
    }

    fn init(&mut self, spec: &InitSpec) -> Option<Init> {
        let (name, args, loc) = match spec {
            InitSpec::Number(n) => return self.number(*n).map(Init::Fill),
            InitSpec::Named { name, args, loc } => (name, args, *loc),
        };
        let key = name.to_string();
        let Some(&(_, arity)) = INITIALISERS.iter().find(|(n, _)| *n == key) else {
            let known: Vec<String> = INITIALISERS
                .iter()
                .map(|(n, a)| {
                    if *a == 0 {
                        format!("`{n}`")
                    } else {
                        format!("`{n}(a, b)`")
                    }
                })
                .collect();
            let message = format!(
                "unknown initialiser `{key}`; the known ones are a number, {}",
                known.join(", ")
            );
            self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
            return None;
        };
        if args.len() != arity {
            let message = match key.as_str() {
                "uniform" => "`uniform` takes the bounds of its range: `uniform(-0.1, 0.1)`".to_owned(),
                "normal" => "`normal` takes a mean and a standard deviation: `normal(0, 0.01)`".to_owned(),
                _ => format!("`{key}` takes no arguments"),
            };
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        // Every argument is a number of the graph's type, each checked (and reported) alone.
        let values: Vec<Option<f64>> = args.iter().map(|a| self.number(*a)).collect();
        let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
        if key == "uniform" && values[0] > values[1] {
            let message = format!(
                "`uniform(low, high)` needs low <= high, found {} > {}",
                values[0], values[1]
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        if key == "normal" && values[1] < 0.0 {
            let message = format!("`normal(mean, std)` needs std >= 0, found {}", values[1]);
            self.errors.push(Diagnostic::new(args[1].loc, message));
            return None;
        }
        Some(match key.as_str() {
            "zeros" => Init::Fill(0.0),
            "uniform" => Init::Uniform(values[0], values[1]),
            "normal" => Init::Normal(values[0], values[1]),
            _ => Init::GlorotUniform,
        })
    }

    /// Declares `name` for `node` (`None` if its definition failed); an error if the name is taken.
    fn bind(&mut self, name: &Ident, node: Option<NodeId>, init: Init) -> Option<Decl> {
        let key = text(name);
        if self.scope.contains_key(&key) || self.poisoned.contains(&key) {
            let message = format!("`{key}` is defined twice: give the second one another name");
            self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
            return None;
        }
        if self.graph.named_dim(&key).is_some() {
            let message = format!("`{key}` names one of the graph's named dimensions: give this tensor another name");
            self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
            return None;
        }
        let Some(node) = node else {
            self.poisoned.insert(key);
            return None;
        };
        let node_ref = self.graph.node_mut(node);
        if node_ref.name.is_none() && !node_ref.op.is_leaf() {
            node_ref.name = Some(key.clone());
        }
        let decl = Decl {
            name: key.clone(),
            node,
            loc: Loc::at(name.span()),
            init,
        };
        self.scope.insert(key, decl.clone());
        Some(decl)
    }

    fn minimize(&mut self, keyword: Span, name: &Ident, objective: &mut Option<Decl>) {
        let loc = Loc::at(keyword).to(Loc::at(name.span()));
        if objective.is_some() {
            let message = "`minimize` appears more than once: a graph has exactly one objective";
            self.errors.push(Diagnostic::new(loc, message));
            return;
        }
        let Some(node) = self.name(name) else { return };
        let shape = self.graph.shape(node);
        if !shape.is_scalar() {
            let message = format!(
                "`minimize` needs a scalar, but `{name}` is {}\nhelp: reduce it to one number first, e.g. `let cost = mean({name});`",
                self.graph.describe(shape)
            );
            self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
            return;
        }
        *objective = Some(Decl {
            name: text(name),
            node,
            loc,
            init: Init::Fill(0.0),
        });
    }

    /// The node a name refers to, or an error saying why there is none.
    fn name(&mut self, name: &Ident) -> Option<NodeId> {
        let key = text(name);
        if let Some(decl) = self.scope.get(&key) {
            return Some(decl.node);
        }
        if self.poisoned.contains(&key) {
            return None;
        }
        let message = if self.later.contains_key(&key) {
            format!("`{key}` is used before it is defined: move its definition above this line")
        } else if self.graph.named_dim(&key).is_some() {
            format!("`{key}` is a dimension, not a tensor: it can only appear in types")
        } else {
            format!("cannot find `{key}` in this graph: declare it with `placeholder`, `variable` or `let`")
        };
        self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
        None
    }

    fn number(&mut self, n: Number) -> Option<f64> {
        let dtype = self.graph.dtype();
        let fits = match dtype {
            DType::F32 => (n.value as f32).is_finite(),
            DType::F64 => n.value.is_finite(),
        };
        if fits {
            Some(n.value)
        } else {
            let message = if n.value.is_finite() {
                format!("`{:e}` is too large for {}", n.value, dtype.name())
            } else {
                format!(
                    "this number is too large for {} (it overflows to infinity)",
                    dtype.name()
                )
            };
            self.errors.push(Diagnostic::new(n.loc, message));
            None
        }
    }

    fn expr(&mut self, expr: &Expr) -> Option<NodeId> {
        match expr {
            Expr::Name(name) => self.name(name),
            Expr::Bool(b) => {
                let message =
                    "`true` and `false` are only for keyword arguments such as `keepdims = true`: a tensor is a number";
                self.errors.push(Diagnostic::new(Loc::at(b.span), message));
                None
            }
            Expr::Number(n) => {
                let value = self.number(*n)?;
                Some(self.graph.constant(value, n.loc))
            }
            Expr::Neg { expr: inner, .. } => {
                let a = self.expr(inner)?;
                self.elements_fit(&Op::Neg, &[(a, inner.loc())])?;
                let result = self.graph.push(Op::Neg, &[a], expr.loc());
                self.errors.check(result)
            }
            Expr::Chain { first, rest } => {
                // Left to right, each step a node located from the first operand to its own.
                let mut acc = self.expr(first);
                for (op, _, term) in rest {
                    let b = self.expr(term);
                    let op = match op {
                        BinOp::Add => Op::Add,
                        BinOp::Sub => Op::Sub,
                        BinOp::Mul => Op::Mul,
                        BinOp::Div => Op::Div,
                    };
                    acc = match (acc, b) {
                        (Some(a), Some(b))
                            if self.elements_fit(&op, &[(a, first.loc()), (b, term.loc())]).is_some() =>
                        {
                            let loc = first.loc().to(term.loc());
                            let result = self.graph.binary(op, a, b, loc);
                            self.errors.check(result)
                        }
                        _ => None,
                    };
                }
                acc
            }
            Expr::Call {
                func, args, keywords, ..
            } => self.call(func, args, keywords, expr.loc()),
            Expr::Index { base, indices, .. } => self.index(base, indices, expr.loc()),
            Expr::Compare { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs), self.expr(rhs));
                let (a, b) = (a?, b?);
                self.elements_fit(&Op::Compare(*op), &[(a, lhs.loc()), (b, rhs.loc())])?;
                let result = self.graph.binary(Op::Compare(*op), a, b, expr.loc());
                self.errors.check(result)
            }
            Expr::Tuple { loc, .. } => {
                let message = "a list in parentheses is only for keyword arguments, like `axis = (0, 2)`";
                self.errors.push(Diagnostic::new(*loc, message));
                None
            }
            Expr::List { loc, .. } => {
                let message = "a list in brackets is a shape, as in `reshape(x, [2, 3])`, or the elements of a \
                               `const`: declare a constant tensor with `const NAME: [f32; 2] = [1.0, 2.0];`";
                self.errors.push(Diagnostic::new(*loc, message));
                None
            }
        }
    }
}
