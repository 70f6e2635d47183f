//! Lowering: a [`GraphDef`] becomes a graph-core [`Program`], resolving names and building
//! nodes. Every independent mistake is reported at once; a definition that failed yields no
//! node and "poisons" its name, so its users stay silent: one mistake gives one error.

use crate::ast::{BinOp, DimSpec, Expr, GraphDef, IndexSpec, InitSpec, Item, Number, TypeSpec};
use graph_core::diag::Diagnostics;
use graph_core::{
    Axes, AxisSet, Call, DType, Decl, Diagnostic, Dim, Graph, Init, Loc, NodeId, Op, Perm, Program, Shape, Size,
    Window, MAX_NAMED,
};
use proc_macro2::{Ident, Span};
use std::collections::{BTreeMap, BTreeSet};

/// The error for a call the op table names but lowering does not handle: a bug, reported
/// as one rather than a panic.
fn internal(name: &str, loc: Loc) -> Diagnostic {
    let message = format!("internal error: `{name}` is in the op table but is not lowered (a bug in static-graph)");
    Diagnostic::new(loc, message)
}

/// The variable initialisers: name and number of arguments.
const INITIALISERS: &[(&str, usize)] = &[("zeros", 0), ("uniform", 2), ("normal", 2), ("glorot_uniform", 0)];

/// Builds the program `def` describes, or every error found in it.
pub fn lower(def: &GraphDef) -> Result<Program, Vec<Diagnostic>> {
    lower_with_outline(def).map_err(|(errors, _)| errors)
}

/// [`lower`], and on failure also the outline of what `def` declares, for the stub module
/// that keeps a user's other code free of follow-on errors.
pub fn lower_with_outline(def: &GraphDef) -> Result<Program, (Vec<Diagnostic>, Box<Program>)> {
    let mut errors = Diagnostics::default();
    let dtype = float_type(def, &mut errors);
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
        let outline = outline(def, l.graph, placeholders, variables, lets);
        return Err((errors, Box::new(outline)));
    };
    // No errors (checked above): the program is whole.
    let program = Program::new(l.graph, placeholders, variables, lets, objective);
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

/// The keyword arguments of one call.
#[derive(Default)]
struct Keywords<'e> {
    /// `axis = 1`, `axis = (0, 2)`.
    axis: Option<&'e Expr>,
    /// `axes = (0, 2, 1)`.
    axes: Option<&'e Expr>,
    /// `keepdims = true`.
    keepdims: bool,
    /// `alpha = 0.2`.
    alpha: Option<&'e Expr>,
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
        match first {
            None => first = Some((ty.dtype, name)),
            Some((dtype, first_name)) if dtype != ty.dtype => errors.push(Diagnostic::new(
                Loc::at(ty.dtype_span),
                format!(
                    "mixed float types: `{name}` is {} but `{first_name}` is {}; one graph uses one float type",
                    ty.dtype.name(),
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

/// The number of single-character insertions, deletions and substitutions that turn `a` into
/// `b` (Levenshtein's distance), for suggesting a known name.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
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
            Item::Minimize { .. } => continue,
        };
        later.entry(text(name)).or_insert(position);
    }
    later
}

impl Lowering {
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
        let node = init.and_then(|_| {
            self.errors
                .check(self.graph.leaf(op, shape, &text(name), Loc::at(name.span())))
        });
        self.bind(name, node, init.unwrap_or(Init::Fill(0.0)))
    }

    /// `const NAME: TYPE = VALUE;`: a scalar constant, or a constant tensor whose nested
    /// lists match the declared dimensions.
    fn constant(&mut self, name: &Ident, ty: &TypeSpec, value: &Expr) -> Option<NodeId> {
        let mut dims = Vec::new();
        for dim in &ty.dims {
            match dim {
                DimSpec::Fixed(n) => dims.push(*n),
                DimSpec::Named(dim) => {
                    let message = format!(
                        "a constant's shape is fixed when the graph compiles, but `{dim}` is known only when the \
                         code runs: give the number"
                    );
                    self.errors.push(Diagnostic::new(Loc::at(dim.span()), message));
                    return None;
                }
            }
        }
        let shape = Shape::new(dims.clone());
        let describe = self.graph.describe(&shape);
        let mut elements = Vec::new();
        // Each list at depth `d` holds `dims[d]` entries; the innermost hold numbers.
        let mut pending: Vec<(&Expr, usize)> = vec![(value, 0)];
        while let Some((expr, depth)) = pending.pop() {
            if depth == dims.len() {
                let Some(v) = expr.constant() else {
                    let what = if matches!(expr, Expr::List { .. }) {
                        "a list"
                    } else {
                        "an expression"
                    };
                    let message = if dims.is_empty() {
                        format!(
                            "`{name}` is declared {describe}: its value is a number written in the graph, found {what}"
                        )
                    } else {
                        format!("`{name}` is declared {describe}: each element is a number written in the graph, found {what}")
                    };
                    self.errors.push(Diagnostic::new(expr.loc(), message));
                    return None;
                };
                elements.push(self.number(Number {
                    value: v,
                    loc: expr.loc(),
                })?);
                continue;
            }
            let Expr::List { items, loc } = expr else {
                let message = format!(
                    "`{name}` is declared {describe}: here a list of {} entries is expected (axis {depth})",
                    dims[depth]
                );
                self.errors.push(Diagnostic::new(expr.loc(), message));
                return None;
            };
            if items.len() != dims[depth] {
                let message = format!(
                    "`{name}` is declared {describe}, so this list needs {} entries (axis {depth}), but it has {}",
                    dims[depth],
                    items.len()
                );
                self.errors.push(Diagnostic::new(*loc, message));
                return None;
            }
            // Reversed onto the stack, so elements come off in row-major order.
            pending.extend(items.iter().rev().map(|item| (item, depth + 1)));
        }
        let loc = Loc::at(name.span());
        if dims.is_empty() {
            return Some(self.graph.constant(elements[0], loc));
        }
        let result = self.graph.literal(elements, shape, &text(name), loc);
        self.errors.check(result)
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
                        (Some(a), Some(b)) => {
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
                let result = self.graph.binary(Op::Compare(*op), a?, b?, expr.loc());
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

    fn call(&mut self, func: &Ident, args: &[Expr], keywords: &[(Ident, Expr)], loc: Loc) -> Option<NodeId> {
        let name = func.to_string();
        // The calls come from the op table (`Op::call`): a new op is callable once it has a name there.
        let Some((op, call)) = Op::calls().find(|(_, call)| call.name == name) else {
            let known: Vec<String> = Op::calls().map(|(_, call)| format!("`{}`", call.name)).collect();
            let closest = Op::calls()
                .map(|(_, call)| (edit_distance(&name, call.name), call.name))
                .min()
                .filter(|&(distance, _)| distance <= 2);
            let message = match closest {
                Some((_, near)) => format!(
                    "unknown operation `{name}`: did you mean `{near}`? The known ones are {}",
                    known.join(", ")
                ),
                None => format!("unknown operation `{name}`; the known ones are {}", known.join(", ")),
            };
            self.errors.push(Diagnostic::new(Loc::at(func.span()), message));
            return None;
        };
        let arity = call.arity;
        if args.len() != arity && !(call.variadic && args.len() > arity) {
            let plural = if arity == 1 { "" } else { "s" };
            let least = if call.variadic { "at least " } else { "" };
            let message = format!("`{name}` takes {least}{arity} argument{plural}, found {}", args.len());
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let keywords = self.keywords(&name, call, keywords)?;
        let op = match op {
            Op::Pow(_) => return self.pow(&args[0], &args[1], loc),
            Op::Reshape => return self.reshape(&args[0], &args[1], loc),
            Op::Clip(..) => return self.clip(args, loc),
            // `alpha` defaults to TensorFlow's 0.2; a constant of the graph's type either way.
            Op::LeakyRelu(alpha) => {
                let alpha = match keywords.alpha {
                    None => alpha,
                    Some(value) => self.constant_argument("`alpha`", value, "`alpha = 0.2`")?,
                };
                Op::LeakyRelu(self.graph.dtype().round(alpha))
            }
            op => op,
        };
        let operands: Vec<Option<NodeId>> = args.iter().map(|a| self.expr(a)).collect();
        let x: Vec<NodeId> = operands.into_iter().collect::<Option<_>>()?;
        match op {
            Op::Concat(_) => return self.concat(&x, keywords.axis, loc),
            Op::Transpose(_) => return self.transpose(x[0], keywords.axes, loc),
            _ => {}
        }
        let axes = match keywords.axis {
            None => Axes::All,
            Some(axis) => Axes::Set(AxisSet::of(self.axis_list(x[0], axis)?)),
        };
        let result = self.lower_call(op, &name, &x, axes, loc);
        let result = match keywords.keepdims {
            // `keepdims`: the reduced axes come back with length 1, in increasing order, each
            // at its own place (a view: nothing is copied).
            true => {
                let rank = self.graph.shape(x[0]).rank();
                result.and_then(|r| {
                    (0..rank)
                        .filter(|&k| axes.folds(k))
                        .try_fold(r, |r, k| self.graph.expand(r, k, Dim::Fixed(1), loc))
                })
            }
            false => result,
        };
        self.errors.check(result)
    }

    /// The node of call `name` (op `op`) of `x`, reducing `axes` if it reduces.
    fn lower_call(&mut self, op: Op, name: &str, x: &[NodeId], axes: Axes, loc: Loc) -> Result<NodeId, Diagnostic> {
        let g = &mut self.graph;
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div => g.binary(op, x[0], x[1], loc),
            Op::MatMul { .. } => self.matmul(x, loc),
            Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::LogSumExp(_) => g.push(op.with_axes(axes), x, loc),
            Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu => g.push(op, x, loc),
            Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy => g.push(op, x, loc),
            Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => {
                g.push(op, x, loc)
            }
            Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::StopGradient => g.push(op, x, loc),
            Op::Maximum | Op::Minimum => g.binary(op, x[0], x[1], loc),
            Op::Select => g.select(x[0], x[1], x[2], loc),
            Op::Clip(..) | Op::Compare(_) => Err(internal(name, loc)),
            // Lowered above, or not callable (`Op::call` gives them no name).
            Op::Pow(_) | Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) | Op::Neg => {
                Err(internal(name, loc))
            }
            Op::Step | Op::ExtremeMask { .. } | Op::Broadcast | Op::SumTo | Op::Expand(_) => Err(internal(name, loc)),
            Op::Transpose(_) | Op::Reshape | Op::Concat(_) | Op::Slice(_) | Op::Pad(_) => Err(internal(name, loc)),
        }
    }

    /// The user's `matmul`: `[N, K] x [K, M] -> [N, M]`, `[K] x [K, M] -> [M]`, and
    /// `[N, K] x [K] -> [N]`, which is the product of the row `[K]` and the transposed matrix
    /// (`MatMul { tb }` with the operands swapped), so that its gradients are the forms the
    /// others already use. The other transposed and outer-product forms exist for gradients only.
    fn matmul(&mut self, x: &[NodeId], loc: Loc) -> Result<NodeId, Diagnostic> {
        let (a, b) = (self.graph.shape(x[0]), self.graph.shape(x[1]));
        match (a.rank(), b.rank()) {
            // Batches of matrices (NumPy's rule), and a batch times one shared matrix.
            (_, 2) | (3.., _) | (_, 3..) => self.graph.push(
                Op::MatMul {
                    ta: false,
                    tb: false,
                    fold: false,
                },
                x,
                loc,
            ),
            (2, 1) if a.dims()[1] == b.dims()[0] => self.graph.push(
                Op::MatMul {
                    ta: false,
                    tb: true,
                    fold: false,
                },
                &[x[1], x[0]],
                loc,
            ),
            (2, 1) => {
                let message = format!(
                    "cannot multiply {} by {}: the inner dimensions differ (`matmul` takes [N, K] x [K])",
                    self.graph.describe(a),
                    self.graph.describe(b)
                );
                Err(Diagnostic::new(loc, message))
            }
            _ => {
                let message = format!(
                    "`matmul` takes a matrix or a vector times a matrix, a matrix times a vector, or batches \
                     of matrices ([N, K] x [K, M], [K] x [K, M], [N, K] x [K] or [..., N, K] x [..., K, M]), \
                     found {} x {}",
                    self.graph.describe(a),
                    self.graph.describe(b)
                );
                Err(Diagnostic::new(loc, message))
            }
        }
    }

    /// The keyword arguments of a call of `name`, each checked against what `call` takes.
    fn keywords<'e>(&mut self, name: &str, call: Call, keywords: &'e [(Ident, Expr)]) -> Option<Keywords<'e>> {
        let mut found = Keywords::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in keywords {
            let loc = Loc::at(key.span()).to(value.loc());
            let key = key.to_string();
            let message = if !call.keywords.contains(&key.as_str()) {
                let takers: Vec<String> = Op::calls()
                    .filter(|(_, c)| c.keywords.contains(&key.as_str()))
                    .map(|(_, c)| format!("`{}`", c.name))
                    .collect();
                if takers.is_empty() {
                    format!("`{name}` has no argument `{key}`")
                } else {
                    format!("`{name}` takes no `{key}`: only {} do", takers.join(", "))
                }
            } else if seen.contains(&key) {
                format!("`{key}` is given twice")
            } else {
                seen.push(key.clone());
                match (key.as_str(), value) {
                    ("keepdims", Expr::Bool(b)) => {
                        found.keepdims = b.value;
                        continue;
                    }
                    ("keepdims", _) => "`keepdims` is `true` or `false`, like `keepdims = true`".to_owned(),
                    ("axes", _) => {
                        found.axes = Some(value);
                        continue;
                    }
                    ("alpha", _) => {
                        found.alpha = Some(value);
                        continue;
                    }
                    _ => {
                        found.axis = Some(value);
                        continue;
                    }
                }
            };
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        Some(found)
    }

    /// The axes of `node` that `axis = K` or `axis = (J, K)` names, each counted from the end
    /// when negative.
    fn axis_list(&mut self, node: NodeId, value: &Expr) -> Option<Vec<usize>> {
        let items: Vec<&Expr> = match value {
            Expr::Tuple { items, .. } => items.iter().collect(),
            _ => vec![value],
        };
        let mut axes: Vec<usize> = Vec::new();
        for item in items {
            let Some(k) = item.constant() else {
                let message =
                    "`axis` must be a number written in the graph, like `axis = 1`, `axis = -1` or `axis = (0, 2)`";
                self.errors.push(Diagnostic::new(item.loc(), message));
                return None;
            };
            let axis = self.axis_index(node, k, item.loc())?;
            if axes.contains(&axis) {
                let message = format!("axis {axis} is listed twice (a negative axis counts from the end)");
                self.errors.push(Diagnostic::new(item.loc(), message));
                return None;
            }
            axes.push(axis);
        }
        Some(axes)
    }

    /// A number written in the graph, for the argument `what` (`example` shows one).
    fn constant_argument(&mut self, what: &str, value: &Expr, example: &str) -> Option<f64> {
        let Some(v) = value.constant() else {
            let message = format!("{what} must be a number written in the graph, like {example}");
            self.errors.push(Diagnostic::new(value.loc(), message));
            return None;
        };
        self.number(Number {
            value: v,
            loc: value.loc(),
        })
    }

    /// `clip(x, lo, hi)`: bounds written in the graph, `lo <= hi`.
    fn clip(&mut self, args: &[Expr], loc: Loc) -> Option<NodeId> {
        let x = self.expr(&args[0]);
        let lo = self.constant_argument("the lower bound of `clip`", &args[1], "`clip(x, -1, 1)`");
        let hi = self.constant_argument("the upper bound of `clip`", &args[2], "`clip(x, -1, 1)`");
        let (x, lo, hi) = (x?, lo?, hi?);
        if lo > hi {
            let message = format!("`clip(x, lo, hi)` needs lo <= hi, found {lo} > {hi}");
            self.errors
                .push(Diagnostic::new(args[1].loc().to(args[2].loc()), message));
            return None;
        }
        let dtype = self.graph.dtype();
        let result = self.graph.push(Op::Clip(dtype.round(lo), dtype.round(hi)), &[x], loc);
        self.errors.check(result)
    }

    /// `transpose(x)`, the swap of a matrix's axes, or `transpose(x, axes = (0, 2, 1))`.
    fn transpose(&mut self, x: NodeId, axes: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let rank = self.graph.shape(x).rank();
        let perm = match axes {
            None if rank == 2 => Perm::swap_last(2),
            None if rank < 2 => {
                let message = format!(
                    "`transpose(x)` swaps the two axes of a matrix, but this is {}, with {}",
                    self.graph.describe(self.graph.shape(x)),
                    if rank == 0 { "no axes" } else { "one axis" }
                );
                self.errors.push(Diagnostic::new(loc, message));
                return None;
            }
            None => {
                let message = format!(
                    "`transpose(x)` swaps the two axes of a matrix, but this is {}: give the order of its axes, \
                     like `transpose(x, axes = ({}))`",
                    self.graph.describe(self.graph.shape(x)),
                    (0..rank).rev().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
                );
                self.errors.push(Diagnostic::new(loc, message));
                return None;
            }
            Some(value) => {
                let Expr::Tuple { items, .. } = value else {
                    let message = "`axes` is the new order of the axes, like `axes = (0, 2, 1)`";
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                };
                let mut order = Vec::new();
                for item in items {
                    let Some(k) = item.constant() else {
                        let message = "`axes` must list numbers written in the graph, like `axes = (0, 2, 1)`";
                        self.errors.push(Diagnostic::new(item.loc(), message));
                        return None;
                    };
                    order.push(self.axis_index(x, k, item.loc())?);
                }
                if order.len() != rank {
                    let message = format!(
                        "`axes` must list each of the {rank} axes of {} once, found {}",
                        self.graph.describe(self.graph.shape(x)),
                        order.len()
                    );
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                }
                let perm = Perm::of(&order);
                if !perm.is_valid() {
                    let message = format!(
                        "`axes = {}` is not an order of the axes of {}: it must list each of 0 to {} once",
                        perm.describe(),
                        self.graph.describe(self.graph.shape(x)),
                        rank - 1
                    );
                    self.errors.push(Diagnostic::new(value.loc(), message));
                    return None;
                }
                perm
            }
        };
        let result = self.graph.push(Op::Transpose(perm), &[x], loc);
        self.errors.check(result)
    }

    /// `concat(a, b, c, axis = k)`: joined pairwise, left to right.
    fn concat(&mut self, x: &[NodeId], axis: Option<&Expr>, loc: Loc) -> Option<NodeId> {
        let axis = match axis {
            None => 0,
            Some(value @ Expr::Tuple { .. }) => {
                let message = "`concat` joins along one axis: `axis = k`";
                self.errors.push(Diagnostic::new(value.loc(), message));
                return None;
            }
            Some(value) => self.axis_list(x[0], value)?[0],
        };
        let mut joined = x[0];
        for &next in &x[1..] {
            let result = self.graph.push(Op::Concat(axis), &[joined, next], loc);
            joined = self.errors.check(result)?;
        }
        Some(joined)
    }

    /// `reshape(x, [2, -1])`: the dimensions as in a declaration, at most one `-1`.
    fn reshape(&mut self, x: &Expr, dims: &Expr, loc: Loc) -> Option<NodeId> {
        let x = self.expr(x);
        let Expr::List { items, .. } = dims else {
            let message = "the shape of `reshape` is a list of dimensions, like `reshape(x, [2, 6])` or `[batch, -1]`";
            self.errors.push(Diagnostic::new(dims.loc(), message));
            return None;
        };
        let mut shape: Vec<Option<Dim>> = Vec::new();
        let mut inferred: Option<Loc> = None;
        for item in items {
            let dim = match item {
                Expr::Name(name) if self.graph.named_dim(&text(name)).is_some() => self.graph.named_dim(&text(name)),
                _ => match item.constant() {
                    Some(-1.0) => {
                        if inferred.is_some() {
                            let message = "`reshape` can infer one dimension, but this is the second `-1`";
                            self.errors.push(Diagnostic::new(item.loc(), message));
                            return None;
                        }
                        inferred = Some(item.loc());
                        None
                    }
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= Shape::MAX_BYTES as f64 => {
                        Some(Dim::Fixed(n as usize))
                    }
                    _ => {
                        let message = format!(
                            "a dimension of `reshape` is a positive whole number, `-1` (inferred){}",
                            if self.graph.has_named() {
                                let names: Vec<String> = self.graph.named().iter().map(|n| format!("`{n}`")).collect();
                                format!(" or a named dimension ({})", names.join(", "))
                            } else {
                                String::new()
                            }
                        );
                        self.errors.push(Diagnostic::new(item.loc(), message));
                        return None;
                    }
                },
            };
            shape.push(dim);
        }
        let x = x?;
        if shape.is_empty() || shape.len() > Shape::MAX_RANK {
            let message = format!("a shape has 1 to {} dimensions, found {}", Shape::MAX_RANK, shape.len());
            self.errors.push(Diagnostic::new(dims.loc(), message));
            return None;
        }
        let from = self.graph.shape(x).clone();
        let known = shape.iter().flatten().fold(Size::ONE, |n, &d| n.times(Size::of(d)));
        let total = from.size();
        let describe = |graph: &Graph, dims: &[Option<Dim>]| {
            let dims: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Some(dim) => graph_core::ir::dim_text(*dim, graph.named()),
                    None => "-1".to_owned(),
                })
                .collect();
            format!("[{}; {}]", graph.dtype().name(), dims.join(", "))
        };
        // The inferred dimension, if the count left over is one dimension.
        let fill = match inferred {
            None => None,
            Some(_) => total.over(known).and_then(Size::as_dim),
        };
        let fits = inferred.is_none() && known == total || fill.is_some();
        if !fits {
            let count = |s: Size| format!("{} elements", s.describe(self.graph.named()));
            let message = format!(
                "cannot reshape {} ({}) to {} ({}): the element counts must agree",
                self.graph.describe(&from),
                count(total),
                describe(&self.graph, &shape),
                if inferred.is_some() {
                    format!("a multiple of {}", count(known))
                } else {
                    count(known)
                }
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let dims: Vec<Dim> = shape
            .iter()
            .map(|d| d.or(fill).expect("the one `-1` is inferred"))
            .collect();
        let result = self.graph.push_with_shape(Op::Reshape, Shape::of(dims), &[x], loc);
        self.errors.check(result)
    }

    /// `x[2]`, `x[-1]`, `x[.., 1..3]`: a slice, each index and range checked against its axis.
    fn index(&mut self, base: &Expr, indices: &[IndexSpec], loc: Loc) -> Option<NodeId> {
        let x = self.expr(base)?;
        let shape = self.graph.shape(x).clone();
        if indices.len() > shape.rank() {
            let message = format!(
                "{} has {} axes, but this indexes {}",
                self.graph.describe(&shape),
                shape.rank(),
                indices.len()
            );
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        let mut window = Window {
            start: [0; Shape::MAX_RANK],
            dropped: AxisSet::default(),
        };
        let mut dims = Vec::new();
        let mut dropped = Vec::new();
        for (k, &dim) in shape.dims().iter().enumerate() {
            let (spec_loc, start, end, drop) = match indices.get(k) {
                None => {
                    dims.push(dim);
                    continue;
                }
                Some(IndexSpec::Range {
                    start: None, end: None, ..
                }) => {
                    dims.push(dim);
                    continue;
                }
                Some(IndexSpec::At(at)) => (at.loc(), Some(at), None, true),
                Some(IndexSpec::Range {
                    start,
                    end,
                    inclusive,
                    loc,
                }) => (*loc, start.as_ref(), end.as_ref().map(|e| (e, *inclusive)), false),
            };
            let Dim::Fixed(length) = dim else {
                let message = format!(
                    "axis {k} of {} has the run-time length `{}`: it can only be taken whole, with `..`",
                    self.graph.describe(&shape),
                    graph_core::ir::dim_text(dim, self.graph.named())
                );
                self.errors.push(Diagnostic::new(spec_loc, message));
                return None;
            };
            let axis = |this: &mut Self, e: &Expr| -> Option<i64> {
                match e.constant() {
                    Some(v) if v.fract() == 0.0 && v.abs() <= Shape::MAX_BYTES as f64 => Some(v as i64),
                    _ => {
                        let message = "an index is a whole number written in the graph, like `x[2]` or `x[-1]`: \
                                       indexing with a tensor (a gather) is not supported";
                        this.errors.push(Diagnostic::new(e.loc(), message));
                        None
                    }
                }
            };
            let from_end = |v: i64| if v < 0 { v + length as i64 } else { v };
            let written_start = match start {
                Some(e) => Some(axis(self, e)?),
                None => None,
            };
            let written_end = match end {
                Some((e, inclusive)) => Some((axis(self, e)?, inclusive)),
                None => None,
            };
            let first = written_start.map_or(0, from_end);
            let last = match (drop, written_end) {
                (true, _) => first + 1,
                (false, Some((e, inclusive))) => from_end(e) + i64::from(inclusive),
                (false, None) => length as i64,
            };
            let out_of_bounds = first < 0 || last > length as i64 || first >= last;
            if out_of_bounds {
                let what = if drop { "index" } else { "range" };
                // As the user wrote it.
                let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                let written = match written_end {
                    _ if drop => show(written_start),
                    Some((e, true)) => format!("{}..={e}", show(written_start)),
                    Some((e, false)) => format!("{}..{e}", show(written_start)),
                    None => format!("{}..", show(written_start)),
                };
                let why = if first >= last && first >= 0 && last <= length as i64 {
                    "it is empty, and a tensor has no zero-length axes".to_owned()
                } else {
                    format!("axis {k} has length {length}")
                };
                let message = format!(
                    "{what} {written} is out of bounds for axis {k} of {}: {why}",
                    self.graph.describe(&shape)
                );
                self.errors.push(Diagnostic::new(spec_loc, message));
                return None;
            }
            window.start[k] = first as usize;
            if drop {
                dropped.push(k);
            } else {
                dims.push(Dim::Fixed((last - first) as usize));
            }
        }
        window.dropped = AxisSet::of(dropped);
        if window.dropped == AxisSet::default() && window.start == [0; Shape::MAX_RANK] && dims == shape.dims() {
            return Some(x);
        }
        let result = self
            .graph
            .push_with_shape(Op::Slice(window), Shape::of(dims), &[x], loc);
        self.errors.check(result)
    }

    /// Axis `k` of `node`, counting from the end when negative (`-1` is the last axis).
    fn axis_index(&mut self, node: NodeId, k: f64, loc: Loc) -> Option<usize> {
        let rank = self.graph.shape(node).rank() as f64;
        let index = if k < 0.0 { rank + k } else { k };
        if k.fract() == 0.0 && index >= 0.0 && index < rank {
            return Some(index as usize);
        }
        let shape = self.graph.describe(self.graph.shape(node));
        let message = if k.fract() != 0.0 {
            format!("`axis` must be a whole number, found `{k}`")
        } else {
            format!(
                "{shape} has no axis {k}: its axes are 0 to {} (or -1 for the last)",
                rank as isize - 1
            )
        };
        self.errors.push(Diagnostic::new(loc, message));
        None
    }

    fn pow(&mut self, base: &Expr, exponent: &Expr, loc: Loc) -> Option<NodeId> {
        let base = self.expr(base);
        let Some(e) = exponent.constant() else {
            let message =
                "the exponent of `pow` must be a number written in the graph, like `pow(x, 2)` or `pow(x, 0.5)`";
            self.errors.push(Diagnostic::new(exponent.loc(), message));
            return None;
        };
        let e = self.number(Number {
            value: e,
            loc: exponent.loc(),
        })?;
        let result = self.graph.push(Op::Pow(e), &[base?], loc);
        self.errors.check(result)
    }
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("tanhh", "tanh"), 1);
        assert_eq!(edit_distance("sigmoidal", "sigmoid"), 2);
        assert_eq!(edit_distance("relu", "elu"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("softmax", "softmax"), 0);
    }
}
