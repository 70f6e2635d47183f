//! Lowering: a [`GraphDef`] becomes a graph-core [`Program`], resolving names and building
//! nodes. Every independent mistake is reported at once; an expression that failed yields no
//! node, and its users stay silent, so one mistake gives one error.

use crate::ast::{BinOp, Expr, GraphDef, Item, Number, TypeSpec};
use graph_core::diag::Diagnostics;
use graph_core::{Axes, DType, Decl, Diagnostic, Graph, Loc, NodeId, Op, Program, Shape};
use proc_macro2::Span;
use std::collections::{BTreeMap, BTreeSet};

/// The calls the language knows, with how many arguments each takes.
const FUNCTIONS: &[(&str, usize)] = &[
    ("add", 2),
    ("subtract", 2),
    ("multiply", 2),
    ("divide", 2),
    ("pow", 2),
    ("softmax", 1),
    ("exp", 1),
    ("log", 1),
    ("sum", 1),
    ("mean", 1),
];

/// Builds the program `def` describes, or every error found in it.
pub fn lower(def: &GraphDef) -> Result<Program, Vec<Diagnostic>> {
    let mut errors = Diagnostics::default();
    let dtype = float_type(def, &mut errors);
    let mut l = Lowering {
        graph: Graph::new(dtype),
        scope: BTreeMap::new(),
        poisoned: BTreeSet::new(),
        later: later_names(def),
        errors,
    };
    let (mut placeholders, mut variables, mut lets) = (Vec::new(), Vec::new(), Vec::new());
    let mut objective: Option<(Span, Decl)> = None;
    let mut minimize_seen = false;
    for (position, item) in def.items.iter().enumerate() {
        l.later.retain(|_, &mut p| p > position);
        match item {
            Item::Placeholder { name, ty } => placeholders.extend(l.leaf(Op::Placeholder, name, ty, None)),
            Item::Variable { name, ty, init } => variables.extend(l.leaf(Op::Variable, name, ty, *init)),
            Item::Let { name, expr } => {
                let node = l.expr(expr);
                lets.extend(l.bind(name, node, 0.0));
            }
            Item::Minimize { keyword, name } => {
                minimize_seen = true;
                l.minimize(*keyword, name, &mut objective);
            }
        }
    }
    let Some((_, objective)) = objective else {
        if minimize_seen {
            // The `minimize` statement was wrong, and said so.
            return Err(l.errors.finish(()).unwrap_err());
        }
        l.errors.push(Diagnostic::new(
            Loc::at(def.name.span()),
            format!(
                "graph `{}` has no objective: add `minimize NAME;` naming the scalar to minimize, e.g. `minimize cost;`",
                def.name
            ),
        ));
        return Err(l.errors.finish(()).unwrap_err());
    };
    let program = Program {
        graph: l.graph,
        placeholders,
        variables,
        lets,
        objective,
        adjoints: BTreeMap::new(),
    };
    l.errors.finish(program)
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

/// The graph's float type: that of its first declaration. Every other must agree.
fn float_type(def: &GraphDef, errors: &mut Diagnostics) -> DType {
    let mut first: Option<(DType, &proc_macro2::Ident)> = None;
    for item in &def.items {
        let (Item::Placeholder { name, ty } | Item::Variable { name, ty, .. }) = item else {
            continue;
        };
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

fn later_names(def: &GraphDef) -> BTreeMap<String, usize> {
    let mut later = BTreeMap::new();
    for (position, item) in def.items.iter().enumerate() {
        let name = match item {
            Item::Placeholder { name, .. } | Item::Variable { name, .. } | Item::Let { name, .. } => name,
            Item::Minimize { .. } => continue,
        };
        later.entry(name.to_string()).or_insert(position);
    }
    later
}

impl Lowering {
    fn leaf(&mut self, op: Op, name: &proc_macro2::Ident, ty: &TypeSpec, init: Option<Number>) -> Option<Decl> {
        let shape = Shape::new(ty.dims.clone());
        let fill = match init {
            Some(number) => self.number(number),
            None => Some(0.0),
        };
        let node = fill.and_then(|_| {
            self.errors
                .check(self.graph.leaf(op, shape, &name.to_string(), Loc::at(name.span())))
        });
        self.bind(name, node, fill.unwrap_or(0.0))
    }

    /// Declares `name` for `node` (`None` if its definition failed); an error if the name is taken.
    fn bind(&mut self, name: &proc_macro2::Ident, node: Option<NodeId>, fill: f64) -> Option<Decl> {
        let key = name.to_string();
        if self.scope.contains_key(&key) || self.poisoned.contains(&key) {
            let message = format!("`{key}` is defined twice: give the second one another name");
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
            fill,
        };
        self.scope.insert(key, decl.clone());
        Some(decl)
    }

    fn minimize(&mut self, keyword: Span, name: &proc_macro2::Ident, objective: &mut Option<(Span, Decl)>) {
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
                shape.describe(self.graph.dtype())
            );
            self.errors.push(Diagnostic::new(Loc::at(name.span()), message));
            return;
        }
        let decl = Decl {
            name: name.to_string(),
            node,
            loc,
            fill: 0.0,
        };
        *objective = Some((keyword, decl));
    }

    /// The node a name refers to, or an error saying why there is none.
    fn name(&mut self, name: &proc_macro2::Ident) -> Option<NodeId> {
        let key = name.to_string();
        if let Some(decl) = self.scope.get(&key) {
            return Some(decl.node);
        }
        if self.poisoned.contains(&key) {
            return None;
        }
        let message = if self.later.contains_key(&key) {
            format!("`{key}` is used before it is defined: move its definition above this line")
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
            let message = format!("`{:e}` is too large for {}", n.value, dtype.name());
            self.errors.push(Diagnostic::new(n.loc, message));
            None
        }
    }

    fn expr(&mut self, expr: &Expr) -> Option<NodeId> {
        match expr {
            Expr::Name(name) => self.name(name),
            Expr::Number(n) => {
                let value = self.number(*n)?;
                Some(self.graph.constant(value, n.loc))
            }
            Expr::Neg { expr: inner, .. } => {
                let a = self.expr(inner)?;
                let result = self.graph.push(Op::Neg, &[a], expr.loc());
                self.errors.check(result)
            }
            Expr::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (self.expr(lhs), self.expr(rhs));
                let op = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                };
                let result = self.graph.binary(op, a?, b?, expr.loc());
                self.errors.check(result)
            }
            Expr::Call { func, args, .. } => self.call(func, args, expr.loc()),
        }
    }

    fn call(&mut self, func: &proc_macro2::Ident, args: &[Expr], loc: Loc) -> Option<NodeId> {
        let name = func.to_string();
        let Some(&(_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
            let known: Vec<String> = FUNCTIONS.iter().map(|(f, _)| format!("`{f}`")).collect();
            let message = format!("unknown operation `{name}`; the known ones are {}", known.join(", "));
            self.errors.push(Diagnostic::new(Loc::at(func.span()), message));
            return None;
        };
        if args.len() != arity {
            let plural = if arity == 1 { "" } else { "s" };
            let message = format!("`{name}` takes {arity} argument{plural}, found {}", args.len());
            self.errors.push(Diagnostic::new(loc, message));
            return None;
        }
        if name == "pow" {
            return self.pow(&args[0], &args[1], loc);
        }
        let operands: Vec<Option<NodeId>> = args.iter().map(|a| self.expr(a)).collect();
        let operands: Vec<NodeId> = operands.into_iter().collect::<Option<_>>()?;
        let result = match name.as_str() {
            "add" => self.graph.binary(Op::Add, operands[0], operands[1], loc),
            "subtract" => self.graph.binary(Op::Sub, operands[0], operands[1], loc),
            "multiply" => self.graph.binary(Op::Mul, operands[0], operands[1], loc),
            "divide" => self.graph.binary(Op::Div, operands[0], operands[1], loc),
            "softmax" => self.graph.push(Op::Softmax, &operands, loc),
            "exp" => self.graph.push(Op::Exp, &operands, loc),
            "log" => self.graph.push(Op::Log, &operands, loc),
            "sum" => self.graph.push(Op::Sum(Axes::All), &operands, loc),
            "mean" => self.graph.push(Op::Mean(Axes::All), &operands, loc),
            _ => unreachable!("every name in FUNCTIONS is lowered above"),
        };
        self.errors.check(result)
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
