//! Formulas a person can read: each derived gradient written in terms of the named values
//! (`d_logits = y * (d_y - sum(d_y * y))`). Autodiff records them as it derives (the
//! generated docs state them), and the emitter prints workspace fields with them; they read
//! the graph only, so they belong to neither.

use crate::ir::{Axes, Graph, NodeId, Op, Provenance};

/// `name = formula   (rule of op)` for backward node `id`.
pub fn derivation(graph: &Graph, id: NodeId) -> String {
    let node = graph.node(id);
    let name = node.name.clone().unwrap_or_else(|| id.to_string());
    let rule = match (node.rule, node.rule_of.and_then(|f| graph.node(f).name.as_ref())) {
        (Some(Provenance::SumOfUses), Some(of)) => format!("   (adjoints of the uses of `{of}` added up)"),
        (Some(Provenance::SumOfUses), None) => "   (adjoints of several uses added up)".to_owned(),
        (Some(Provenance::Rule(rule)), Some(through)) => format!("   ({rule} rule, through `{through}`)"),
        (Some(Provenance::Rule(rule)), None) => format!("   ({rule} rule)"),
        (None, _) => String::new(),
    };
    format!("{name} = {}{rule}", expression(graph, id))
}

/// The derivation of every named backward node, operands first.
pub fn derivations(graph: &Graph) -> Vec<(NodeId, String)> {
    graph
        .topological_order()
        .into_iter()
        .filter(|&id| graph.node(id).role == crate::ir::Role::Backward && graph.node(id).name.is_some())
        .map(|id| (id, derivation(graph, id)))
        .collect()
}

/// The defining expression of `id`, naming the named nodes it reads and inlining the rest.
pub fn expression(graph: &Graph, id: NodeId) -> String {
    write(graph, id, true, 0).0
}

/// Binding strength: atoms and calls 3, unary minus 2.5 (as 3 here), `* /` 2, `+ -` 1.
fn write(graph: &Graph, id: NodeId, top: bool, depth: usize) -> (String, u8) {
    let node = graph.node(id);
    if let Op::Constant(c) = node.op {
        // A constant prints as itself, whatever name a merge left on it.
        return (number(c, graph.dtype()), if c < 0.0 { 1 } else { 3 });
    }
    if let (false, Some(name)) = (top, &node.name) {
        return (name.clone(), 3);
    }
    if depth > 12 {
        return ("…".to_owned(), 3);
    }
    let args: Vec<(String, u8)> = graph
        .operands(id)
        .iter()
        .map(|&o| write(graph, o, false, depth + 1))
        .collect();
    let paren = |(s, p): &(String, u8), min: u8| {
        if *p < min {
            format!("({s})")
        } else {
            s.clone()
        }
    };
    let call = |f: &str| (format!("{f}({})", args[0].0), 3);
    match node.op {
        Op::Placeholder | Op::Variable | Op::Literal(_) => (node.name.clone().unwrap_or_else(|| id.to_string()), 3),
        Op::Constant(c) => (number(c, graph.dtype()), if c < 0.0 { 1 } else { 3 }),
        Op::Add => (format!("{} + {}", paren(&args[0], 1), paren(&args[1], 2)), 1),
        Op::Sub => (format!("{} - {}", paren(&args[0], 1), paren(&args[1], 2)), 1),
        Op::Mul => (format!("{} * {}", paren(&args[0], 2), paren(&args[1], 3)), 2),
        Op::Div => (format!("{} / {}", paren(&args[0], 2), paren(&args[1], 3)), 2),
        Op::Neg => (format!("-{}", paren(&args[0], 3)), 2),
        Op::Pow(e) => (format!("pow({}, {})", args[0].0, number(e, crate::ir::DType::F64)), 3),
        Op::Count(n) => {
            let text = n.describe(graph.named());
            let precedence = if text.contains('*') { 2 } else { 3 };
            (text, precedence)
        }
        Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => call(node.op.name()),
        Op::Softmax | Op::LogSoftmax => call(node.op.name()),
        Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::Elu | Op::Gelu | Op::Silu => call(node.op.name()),
        Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::StopGradient => call(node.op.name()),
        Op::LeakyRelu(alpha) => (
            format!("leaky_relu({}, alpha = {})", args[0].0, number(alpha, graph.dtype())),
            3,
        ),
        Op::Clip(lo, hi) => (
            format!(
                "clip({}, {}, {})",
                args[0].0,
                number(lo, graph.dtype()),
                number(hi, graph.dtype())
            ),
            3,
        ),
        Op::Maximum | Op::Minimum => (format!("{}({}, {})", node.op.name(), args[0].0, args[1].0), 3),
        Op::Compare(cmp) => (format!("({} {} {})", args[0].0, cmp.symbol(), args[1].0), 3),
        Op::Select => (format!("select({}, {}, {})", args[0].0, args[1].0, args[2].0), 3),
        Op::Transpose(perm) if perm.rank() == 2 => call(node.op.name()),
        Op::Transpose(perm) => (format!("transpose({}, axes = {})", args[0].0, perm.describe()), 3),
        Op::Reshape => (format!("reshape({}, {})", args[0].0, node.shape), 3),
        Op::Concat(k) => (format!("concat({}, {}, axis = {k})", args[0].0, args[1].0), 3),
        Op::Slice(_) => (format!("slice({}, {})", args[0].0, node.shape), 3),
        Op::Pad(_) => (format!("pad({}, {})", args[0].0, node.shape), 3),
        Op::SoftmaxCrossEntropy => (format!("softmax_cross_entropy({}, {})", args[0].0, args[1].0), 3),
        Op::SparseSoftmaxCrossEntropy | Op::Gather | Op::ScatterAdd => {
            (format!("{}({}, {})", node.op.name(), args[0].0, args[1].0), 3)
        }
        Op::OneHot(depth) => (format!("one_hot({}, depth = {depth})", args[0].0), 3),
        Op::ArgMax(axis) => (format!("argmax({}, axis = {axis})", args[0].0), 3),
        Op::Conv2d(c) => (format!("conv2d({}, {}, {})", args[0].0, args[1].0, windows(&c)), 3),
        Op::MaxPoolGrad(c) | Op::MaxPoolPick(c) => (
            format!("{}({}, {}, {})", node.op.name(), args[0].0, args[1].0, windows(&c)),
            3,
        ),
        Op::Im2col(c) | Op::Col2im(c) | Op::MaxPool(c) | Op::AvgPool(c) | Op::AvgPoolGrad(c) => {
            (format!("{}({}, {})", node.op.name(), args[0].0, windows(&c)), 3)
        }
        Op::ExtremeMask { .. } => call(node.op.name()),
        Op::MatMul { ta, tb, fold: true } => {
            let t = |(s, _): &(String, u8), flag: bool| if flag { format!("transpose({s})") } else { s.clone() };
            (
                format!("sum over the batch of matmul({}, {})", t(&args[0], ta), t(&args[1], tb)),
                3,
            )
        }
        Op::MatMul { ta, tb, fold: false } => {
            let t = |(s, _): &(String, u8), flag: bool| if flag { format!("transpose({s})") } else { s.clone() };
            (format!("matmul({}, {})", t(&args[0], ta), t(&args[1], tb)), 3)
        }
        Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) | Op::Min(axes) | Op::LogSumExp(axes) => {
            let operand_rank = graph.shape(graph.operands(id)[0]).rank();
            match axes {
                Axes::Set(_) if (0..operand_rank).any(|k| !axes.folds(k)) => {
                    (format!("{}({}, {})", node.op.name(), args[0].0, axes.describe()), 3)
                }
                _ => call(node.op.name()),
            }
        }
        Op::SumTo => (format!("sum_to({}, {})", args[0].0, node.shape), 3),
        // Broadcasts and expansions only repeat values: the formula reads the same without them.
        Op::Broadcast | Op::Expand(_) => args[0].clone(),
    }
}

/// A window's keywords as the language writes them: `size = (3, 3), stride = (2, 2), pad = (0, 1)`.
fn windows(c: &crate::ir::Conv) -> String {
    format!(
        "size = ({}, {}), stride = ({}, {}), pad = ({}, {})",
        c.size[0], c.size[1], c.stride[0], c.stride[1], c.pad[0], c.pad[1]
    )
}

/// `2`, `0.5`, `-1`: numbers as a person writes them, as briefly as `dtype` allows.
fn number(c: f64, dtype: crate::ir::DType) -> String {
    if c.fract() == 0.0 && c.abs() < 1e15 {
        format!("{}", c as i64)
    } else {
        dtype.format(c)
    }
}
