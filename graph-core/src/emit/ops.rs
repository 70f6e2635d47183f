//! Per-op code templates: the Rust expression for one element of each op, how each
//! reduction starts, accumulates and finishes, and the whole-tensor kernels.

use super::Ctx;
use crate::ir::{Cmp, DType, Elem, Graph, IndexMap, NodeId, Op, Shape, Size};
use proc_macro2::{Literal, TokenStream};

/// A Rust expression, and whether it can stand anywhere without parentheses.
#[derive(Clone, Debug)]
pub struct Expr {
    /// The tokens.
    pub tokens: TokenStream,
    /// A name, an indexing, a call or a literal: needs no parentheses as an operand.
    pub atomic: bool,
}

impl Expr {
    /// An expression that needs no parentheses.
    pub fn atom(tokens: TokenStream) -> Expr {
        Expr { tokens, atomic: true }
    }

    fn compound(tokens: TokenStream) -> Expr {
        Expr { tokens, atomic: false }
    }

    /// The tokens, parenthesised unless atomic: for use as an operand.
    pub fn operand(&self) -> TokenStream {
        let tokens = &self.tokens;
        if self.atomic {
            tokens.clone()
        } else {
            code!((#tokens))
        }
    }
}

/// A float literal of the graph's type, printed as briefly as the type allows.
pub fn literal(value: f64, dtype: DType) -> Expr {
    if !value.is_finite() {
        // A folded overflow (`1e30 * 1e30` in f32) or NaN: the type's own constant.
        let float = float_type(dtype);
        let tokens = if value.is_nan() {
            code!(#float::NAN)
        } else if value > 0.0 {
            code!(#float::INFINITY)
        } else {
            code!(#float::NEG_INFINITY)
        };
        return Expr::atom(tokens);
    }
    let tokens = match dtype {
        DType::F32 => Literal::f32_unsuffixed(value as f32),
        DType::F64 => Literal::f64_unsuffixed(value),
    };
    let tokens = code!(#tokens);
    if value < 0.0 || (value == 0.0 && value.is_sign_negative()) {
        Expr::compound(tokens)
    } else {
        Expr::atom(tokens)
    }
}

/// A size as a `usize` expression: `5`, `BATCH`, `64 * BATCH * SEQ`.
pub fn size(ctx: &Ctx, size: Size) -> TokenStream {
    let mut factors: Vec<TokenStream> = Vec::new();
    if size.factor != 1 || size.known().is_some() {
        let factor = Literal::usize_unsuffixed(size.factor);
        factors.push(code!(#factor));
    }
    for (dim, &power) in ctx.dims.iter().zip(&size.powers) {
        factors.extend((0..power).map(|_| code!(#dim)));
    }
    let mut tokens = TokenStream::new();
    for (k, factor) in factors.into_iter().enumerate() {
        if k > 0 {
            tokens.extend(code!(*));
        }
        tokens.extend(factor);
    }
    tokens
}

/// `map` applied to the index expression `index`: `(index / (div)) % (modulo) * (mul) + ...`,
/// leaving out divisions and products by 1.
pub fn mapped(ctx: &Ctx, map: &IndexMap, index: &TokenStream) -> TokenStream {
    if map.runs.is_empty() && map.offset.is_empty() {
        return code!(0);
    }
    // A composed map's index is a sum: it must stay whole under `/` and `%`.
    let index = &if index.clone().into_iter().count() > 1 {
        code!((#index))
    } else {
        index.clone()
    };
    let terms = map.runs.iter().map(|run| {
        let mut term = index.clone();
        if !run.div.is_one() {
            let div = size(ctx, run.div);
            term = code!((#term / (#div)));
        }
        if let Some(m) = run.modulo {
            let m = size(ctx, m);
            term = code!((#term % (#m)));
        }
        if !run.mul.is_one() {
            let mul = size(ctx, run.mul);
            term = code!(#term * (#mul));
        }
        term
    });
    let terms: Vec<TokenStream> = terms.chain(map.offset.iter().map(|&o| size(ctx, o))).collect();
    code!(#(#terms)+*)
}

/// The value of one element of elementwise `node`, from its operands' elements. `vector`
/// says whether the element is computed in a loop the compiler vectorises (see [`exp`]).
pub fn elementwise(ctx: &Ctx, node: NodeId, args: &[Expr], vector: bool) -> Expr {
    let graph = ctx.graph;
    let float = &ctx.float;
    let binary = |op: TokenStream| {
        let (a, b) = (args[0].operand(), args[1].operand());
        Expr::compound(code!(#a #op #b))
    };
    let math = &ctx.math;
    // `f32::exp(a)` rather than `a.exp()`: a bare literal has no type to call a method on.
    let call = |f: TokenStream| {
        let a = &args[0].tokens;
        Expr::atom(code!(#math::#f(#a)))
    };
    let zero = literal(0.0, graph.dtype()).tokens;
    let unit = literal(1.0, graph.dtype()).tokens;
    match *graph.op(node) {
        Op::Add => binary(code!(+)),
        Op::Sub => binary(code!(-)),
        Op::Mul => binary(code!(*)),
        Op::Div => binary(code!(/)),
        Op::Neg => {
            let a = args[0].operand();
            Expr::compound(code!(-#a))
        }
        Op::Pow(e) => {
            let a = &args[0].tokens;
            if e.fract() == 0.0 && e.abs() <= f64::from(i32::MAX) {
                // The runtime's, not `powi`: see `powi_f64` for why.
                let e = Literal::i32_unsuffixed(e as i32);
                let runtime = &ctx.runtime;
                let powi = match graph.dtype() {
                    DType::F32 => code!(#runtime::powi_f32),
                    DType::F64 => code!(#runtime::powi_f64),
                };
                Expr::atom(code!(#powi(#a, #e)))
            } else {
                let e = literal(e, graph.dtype()).tokens;
                Expr::atom(code!(#math::powf(#a, #e)))
            }
        }
        Op::Exp => exp(ctx, &args[0].tokens, vector),
        Op::Log => call(code!(ln)),
        Op::Sqrt => call(code!(sqrt)),
        // f32 `tanh` (and `exp`, below) come from the runtime: libm's are opaque calls that stop
        // a loop from vectorising; the runtime's are polynomials within 3 ulp (see its tests).
        Op::Tanh if graph.dtype() == DType::F32 => {
            let a = &args[0].tokens;
            let runtime = &ctx.runtime;
            Expr::atom(code!(#runtime::tanh_f32(#a)))
        }
        Op::Tanh => call(code!(tanh)),
        Op::Sigmoid => {
            let a = args[0].operand();
            let e = exp(ctx, &code!(-#a), vector).tokens;
            Expr::compound(code!(#unit / (#unit + #e)))
        }
        // A NaN stays a NaN, as IEEE arithmetic would have it (`max(NaN, 0)` would hide it).
        Op::Relu => {
            let a = &args[0].tokens;
            Expr::atom(code!({ let value = #a; if value > #zero || value.is_nan() { value } else { #zero } }))
        }
        Op::Step => {
            let a = &args[0].tokens;
            Expr::atom(code!(if #a > #zero { #unit } else { #zero }))
        }
        Op::Abs => call(code!(abs)),
        Op::Square => {
            let a = &args[0].tokens;
            Expr::atom(code!({ let value = #a; value * value }))
        }
        // 0 (and -0) and NaN are their own sign.
        Op::Sign => {
            let a = &args[0].tokens;
            Expr::atom(
                code!({ let value = #a; if value > #zero { #unit } else if value < #zero { -#unit } else { value } }),
            )
        }
        // `max(a, 0) + log1p(exp(-|a|))`: no overflow for large `a`; `exp` keeps a NaN.
        Op::Softplus => {
            let a = &args[0].tokens;
            let e = exp(ctx, &code!(-#float::abs(value)), vector).tokens;
            Expr::atom(code!({ let value = #a; #float::max(value, #zero) + #math::ln_1p(#e) }))
        }
        Op::LeakyRelu(alpha) => {
            let (a, alpha) = (&args[0].tokens, literal(alpha, graph.dtype()).operand());
            Expr::atom(code!({ let value = #a; if value > #zero { value } else { #alpha * value } }))
        }
        Op::Elu => {
            let a = &args[0].tokens;
            Expr::atom(code!({ let value = #a; if value > #zero { value } else { #math::exp_m1(value) } }))
        }
        Op::Gelu => {
            let a = &args[0].tokens;
            let (half, root) = (
                literal(0.5, graph.dtype()).tokens,
                literal(std::f64::consts::FRAC_1_SQRT_2, graph.dtype()).tokens,
            );
            let erf = erf(ctx, &code!(value * #root)).tokens;
            Expr::atom(code!({ let value = #a; #half * value * (#unit + #erf) }))
        }
        Op::Silu => {
            let a = &args[0].tokens;
            let e = exp(ctx, &code!(-value), vector).tokens;
            Expr::atom(code!({ let value = #a; value / (#unit + #e) }))
        }
        Op::Log1p => call(code!(ln_1p)),
        Op::Expm1 => call(code!(exp_m1)),
        Op::Sin => call(code!(sin)),
        Op::Cos => call(code!(cos)),
        Op::Rsqrt => {
            let a = &args[0].tokens;
            Expr::compound(code!(#unit / #math::sqrt(#a)))
        }
        Op::Erf => erf(ctx, &args[0].tokens),
        // A NaN wins, as in `max` and `min`; at a tie, the first operand.
        Op::Maximum | Op::Minimum => {
            let (a, b) = (&args[0].tokens, &args[1].tokens);
            let wins = if matches!(graph.op(node), Op::Maximum) {
                code!(value >= other)
            } else {
                code!(value <= other)
            };
            Expr::atom(code!({
                let (value, other) = (#a, #b);
                if value.is_nan() || #wins { value } else { other }
            }))
        }
        // A NaN compares false both ways and stays.
        Op::Clip(lo, hi) => {
            let (a, lo, hi) = (
                &args[0].tokens,
                literal(lo, graph.dtype()).tokens,
                literal(hi, graph.dtype()).tokens,
            );
            Expr::atom(code!({ let value = #a; if value < #lo { #lo } else if value > #hi { #hi } else { value } }))
        }
        Op::Compare(cmp) => {
            let (a, b) = compared(ctx, node, args);
            let test = match cmp {
                Cmp::Less => code!(#a < #b),
                Cmp::LessEq => code!(#a <= #b),
                Cmp::Greater => code!(#a > #b),
                Cmp::GreaterEq => code!(#a >= #b),
                Cmp::Equal => code!(#a == #b),
                Cmp::NotEqual => code!(#a != #b),
            };
            Expr::atom(code!(if #test { #unit } else { #zero }))
        }
        Op::Select => {
            let (mask, a, b) = (args[0].operand(), &args[1].tokens, &args[2].tokens);
            Expr::atom(code!(if #mask != #zero { #a } else { #b }))
        }
        Op::StopGradient => args[0].clone(),
        Op::Count(n) => {
            let n = size(ctx, n);
            Expr::atom(code!((#n) as #float))
        }
        // A reduction of a scalar is the scalar itself; views read their operand.
        Op::Sum(_) | Op::Mean(_) | Op::Max(_) | Op::Min(_) | Op::SumTo | Op::Broadcast | Op::Expand(_) => {
            args[0].clone()
        }
        Op::Transpose(_) | Op::Reshape | Op::Slice(_) | Op::Pad(_) | Op::Concat(_) => args[0].clone(),
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Literal(_) => {
            unreachable!("leaves are read, not computed")
        }
        Op::Softmax | Op::LogSoftmax | Op::SoftmaxCrossEntropy | Op::LogSumExp(_) => {
            unreachable!("legalised before emission")
        }
        // The mask of a single element: it is its own extreme, unless it is NaN (0 / 0).
        Op::ExtremeMask { .. } => {
            let (a, unit, nan) = (
                &args[0].tokens,
                literal(1.0, graph.dtype()).tokens,
                literal(f64::NAN, graph.dtype()).tokens,
            );
            Expr::atom(code!(if #a.is_nan() { #nan } else { #unit }))
        }
        Op::MatMul { .. } => unreachable!("products of scalars do not type-check"),
        Op::Gather | Op::ScatterAdd | Op::OneHot(_) | Op::SparseSoftmaxCrossEntropy | Op::ArgMax(_) => {
            unreachable!("kernels have a tensor operand")
        }
        Op::Im2col(_)
        | Op::Col2im(_)
        | Op::MaxPool(_)
        | Op::AvgPool(_)
        | Op::MaxPoolGrad(_)
        | Op::AvgPoolGrad(_)
        | Op::MaxPoolPick(_) => {
            unreachable!("kernels have a tensor operand")
        }
        Op::Conv2d(_) => unreachable!("legalised before emission"),
    }
}

/// The loop over every window of `conv` over images `images` (`[batch, H, W, C]`): `pre` at
/// each window (`outer_i`, its place among the windows), `cell` at each of its cells inside the
/// image (`row_i`, `col_i` within the window; `at_i`, where the cell's `C` channels start in
/// the image), `post` after the window's cells; all three once per channel (`inner_i`) if
/// `per_channel`.
fn windows(
    ctx: &Ctx,
    conv: crate::ir::Conv,
    images: &Shape,
    per_channel: bool,
    pre: TokenStream,
    cell: TokenStream,
    post: TokenStream,
) -> TokenStream {
    let count = size(ctx, images.dim(0).times(Size::fixed(conv.out[0] * conv.out[1])));
    let lit = |n: usize| Literal::usize_unsuffixed(n);
    let (oh, ow, kh, kw) = (lit(conv.out[0]), lit(conv.out[1]), lit(conv.size[0]), lit(conv.size[1]));
    let (sh, sw, pt, pl) = (
        lit(conv.stride[0]),
        lit(conv.stride[1]),
        lit(conv.pad[0]),
        lit(conv.pad[1]),
    );
    let (h, w, c) = (
        lit(conv_input(images, 1)),
        lit(conv_input(images, 2)),
        lit(conv_input(images, 3)),
    );
    // A cell's row (column) in the padded image, `y_i`, is outside the image before the padding
    // or past it; with no padding before, only past it.
    let (y, x) = (code!(y_i), code!(x_i));
    let outside = |at: &TokenStream, pad: usize, pad_text: &Literal, length: &Literal| match pad {
        0 => code!(#at >= #length),
        _ => code!(#at < #pad_text || #at - #pad_text >= #length),
    };
    let inside = |at: &TokenStream, pad: usize, pad_text: &Literal| match pad {
        0 => at.clone(),
        _ => code!((#at - #pad_text)),
    };
    let (y_out, x_out) = (outside(&y, conv.pad[0], &pt, &h), outside(&x, conv.pad[1], &pl, &w));
    let (y_in, x_in) = (inside(&y, conv.pad[0], &pt), inside(&x, conv.pad[1], &pl));
    let cells = code! {
            #pre
            for row_i in 0..#kh {
                let y_i = oh_i * #sh + row_i;
                if #y_out {
                    continue;
                }
                for col_i in 0..#kw {
                    let x_i = ow_i * #sw + col_i;
                    if #x_out {
                        continue;
                    }
                    let at_i = ((image_i * #h + #y_in) * #w + #x_in) * #c;
                    #cell
                }
            }
            #post
    };
    // One channel at a time (`inner_i`), for a kernel that keeps a scalar per channel.
    let cells = match per_channel {
        true => code!(for inner_i in 0..#c { #cells }),
        false => cells,
    };
    code! {
        for outer_i in 0..#count {
            let (image_i, oh_i, ow_i) = (outer_i / (#oh * #ow), outer_i / #ow % #oh, outer_i % #ow);
            #cells
        }
    }
}

/// Axis `k` (height, width or channels) of images `[batch, H, W, C]`: a number (the shape
/// rule holds to it).
fn conv_input(images: &Shape, k: usize) -> usize {
    match images.dims()[k] {
        crate::ir::Dim::Fixed(n) => n,
        crate::ir::Dim::Named(_) => unreachable!("an image's height, width and channels are numbers"),
    }
}

/// The statements of a windowed kernel (`im2col`, `col2im`, the pools and their gradients),
/// writing `out` from `args`.
fn windowed(ctx: &Ctx, node: NodeId, out: &TokenStream, args: &[TokenStream]) -> TokenStream {
    let graph = ctx.graph;
    let op = *graph.op(node);
    let images = match op {
        Op::Col2im(_) | Op::AvgPoolGrad(_) | Op::MaxPoolGrad(_) => graph.shape(node).clone(),
        _ => graph.shape(graph.operands(node)[0]).clone(),
    };
    let channels = conv_input(&images, 3);
    let c = Literal::usize_unsuffixed(channels);
    let (zero, unit, float) = (
        literal(0.0, graph.dtype()).tokens,
        literal(1.0, graph.dtype()).tokens,
        &ctx.float,
    );
    let a = &args[0];
    let nothing = TokenStream::new;
    match op {
        Op::Im2col(conv) | Op::Col2im(conv) => {
            // Row `outer_i` of the windows holds cell (`row_i`, `col_i`)'s channels at
            // `(row_i * KW + col_i) * C`.
            let depth = Literal::usize_unsuffixed(conv.size[0] * conv.size[1] * channels);
            let kw = Literal::usize_unsuffixed(conv.size[1]);
            let place = code!(outer_i * #depth + (row_i * #kw + col_i) * #c);
            let cell = if matches!(op, Op::Im2col(_)) {
                code!(#out[#place..][..#c].copy_from_slice(&#a[at_i..][..#c]);)
            } else {
                code! {
                    for (sum, &value) in #out[at_i..][..#c].iter_mut().zip(&#a[#place..][..#c]) {
                        *sum += value;
                    }
                }
            };
            let body = windows(ctx, conv, &images, false, nothing(), cell, nothing());
            code!(#out.fill(#zero); #body)
        }
        Op::MaxPool(conv) => {
            // A NaN wins and stays, as in `max`. Up to 64 channels, the maxima wait in an
            // array on the stack (more, in the output itself), chosen by selects of conditions
            // without short-circuits (`&`, `|`), so that the compiler vectorises across the
            // channels: written straight into the output, or with `&&` and `||`, it compared
            // one channel at a time, with branches.
            let (pre, post) = if channels <= 64 {
                (
                    code!(let mut extreme = [#float::NEG_INFINITY; #c];),
                    code!(#out[outer_i * #c..][..#c].copy_from_slice(&extreme);),
                )
            } else {
                (
                    code!(let extreme = &mut #out[outer_i * #c..][..#c]; extreme.fill(#float::NEG_INFINITY);),
                    nothing(),
                )
            };
            let cell = code! {
                for inner_i in 0..#c {
                    let (best, value) = (extreme[inner_i], #a[at_i + inner_i]);
                    let wins = !best.is_nan() & ((value > best) | value.is_nan());
                    extreme[inner_i] = if wins { value } else { best };
                }
            };
            windows(ctx, conv, &images, false, pre, cell, post)
        }
        Op::AvgPool(conv) => {
            // The mean over the cells inside the image: padding is not counted.
            let pre = code!(let total = &mut #out[outer_i * #c..][..#c]; total.fill(#zero); let mut count = #zero;);
            let cell = code! {
                count += #unit;
                for (sum, &value) in total.iter_mut().zip(&#a[at_i..][..#c]) {
                    *sum += value;
                }
            };
            let post = code!(for sum in total.iter_mut() {
                *sum /= count;
            });
            windows(ctx, conv, &images, false, pre, cell, post)
        }
        Op::MaxPoolGrad(conv) | Op::MaxPoolPick(conv) => {
            // Each window's gradient to its first maximum in row-major order (or, picking, the
            // direction at that maximum to the window), channel by channel: for up to 64
            // channels, all at once with the maxima in a block on the stack (one pass over each
            // cell's channels); for more, one channel at a time.
            let g = &args[1];
            let pick = matches!(op, Op::MaxPoolPick(_));
            let route = |best: TokenStream, window: TokenStream| {
                if pick {
                    code!(#out[#window] = if #best != usize::MAX { #g[#best] } else { #zero };)
                } else {
                    code!(if #best != usize::MAX { #out[#best] += #g[#window]; })
                }
            };
            let (route_block, route_one) = (
                route(code!(best[inner_i]), code!(outer_i * #c + inner_i)),
                route(code!(best), code!(outer_i * #c + inner_i)),
            );
            let (pre, cell, post) = if channels <= 64 {
                (
                    code! {
                        let mut extreme = [#float::NEG_INFINITY; #c];
                        let mut best = [usize::MAX; #c];
                    },
                    // Selects of conditions without short-circuits, as in `MaxPool`.
                    code! {
                        for inner_i in 0..#c {
                            let value = #a[at_i + inner_i];
                            let wins = (best[inner_i] == usize::MAX)
                                | !extreme[inner_i].is_nan() & ((value > extreme[inner_i]) | value.is_nan());
                            extreme[inner_i] = if wins { value } else { extreme[inner_i] };
                            best[inner_i] = if wins { at_i + inner_i } else { best[inner_i] };
                        }
                    },
                    code! {
                        for inner_i in 0..#c {
                            #route_block
                        }
                    },
                )
            } else {
                (
                    code! {
                        let mut extreme = #float::NEG_INFINITY;
                        let mut best = usize::MAX;
                    },
                    code! {
                        let value = #a[at_i + inner_i];
                        if best == usize::MAX || !extreme.is_nan() && (value > extreme || value.is_nan()) {
                            extreme = value;
                            best = at_i + inner_i;
                        }
                    },
                    route_one,
                )
            };
            let body = windows(ctx, conv, &images, channels > 64, pre, cell, post);
            if pick {
                body
            } else {
                code!(#out.fill(#zero); #body)
            }
        }
        Op::AvgPoolGrad(conv) => {
            // Each window's gradient over its count of cells inside the image (the rows inside
            // times the columns inside), to each of those cells.
            let lit = |n: usize| Literal::usize_unsuffixed(n);
            let (kh, kw, sh, sw) = (
                lit(conv.size[0]),
                lit(conv.size[1]),
                lit(conv.stride[0]),
                lit(conv.stride[1]),
            );
            let (pt, pl) = (lit(conv.pad[0]), lit(conv.pad[1]));
            let (h, w) = (lit(conv_input(&images, 1)), lit(conv_input(&images, 2)));
            let pre = code! {
                let rows = (0..#kh).filter(|&row_i| (#pt..#pt + #h).contains(&(oh_i * #sh + row_i))).count();
                let cols = (0..#kw).filter(|&col_i| (#pl..#pl + #w).contains(&(ow_i * #sw + col_i))).count();
                let count = (rows * cols) as #float;
            };
            let cell = code! {
                for (sum, &value) in #out[at_i..][..#c].iter_mut().zip(&#a[outer_i * #c..][..#c]) {
                    *sum += value / count;
                }
            };
            let body = windows(ctx, conv, &images, false, pre, cell, nothing());
            code!(#out.fill(#zero); #body)
        }
        _ => unreachable!("{} is not windowed", graph.op(node)),
    }
}

/// The operands of comparison `node`, of one type: floats as they are; ids of one integer type
/// as they are, of two as `i64`; ids against a number both as `f64` (exact for ids below 2^53).
fn compared(ctx: &Ctx, node: NodeId, args: &[Expr]) -> (TokenStream, TokenStream) {
    let graph = ctx.graph;
    let elems: Vec<Elem> = graph.operands(node).iter().map(|&o| graph.elem(o)).collect();
    let (a, b) = (args[0].operand(), args[1].operand());
    match (elems[0], elems[1]) {
        (x, y) if x == y => (a, b),
        (Elem::Float, _) | (_, Elem::Float) => {
            let f64 = code!(::core::primitive::f64);
            let side = |tokens: TokenStream, elem: Elem| match elem {
                Elem::Float => code!(#f64::from(#tokens)),
                _ => code!((#tokens as #f64)),
            };
            (side(a, elems[0]), side(b, elems[1]))
        }
        _ => {
            let i64 = code!(::core::primitive::i64);
            (code!((#a as #i64)), code!((#b as #i64)))
        }
    }
}

/// `e^a`: in an f32 loop that vectorises, the runtime's polynomial (within 2 ulp) with fused
/// multiply-adds, which the compiler vectorises where libm's `expf` is an opaque call (such
/// loops always run inside `simd`, compiled for FMA where the CPU has it); elsewhere libm's,
/// which is the faster of the two one element at a time.
fn exp(ctx: &Ctx, a: &TokenStream, vector: bool) -> Expr {
    let dtype = ctx.graph.dtype();
    if dtype == DType::F32 && vector {
        let runtime = &ctx.runtime;
        return Expr::atom(code!(#runtime::exp_f32_fused(#a)));
    }
    let math = &ctx.math;
    Expr::atom(code!(#math::exp(#a)))
}

/// The error function of `a`, from the runtime (libm's, as the interpreter's).
fn erf(ctx: &Ctx, a: &TokenStream) -> Expr {
    let runtime = &ctx.runtime;
    let erf = match ctx.graph.dtype() {
        DType::F32 => code!(#runtime::erf_f32),
        DType::F64 => code!(#runtime::erf_f64),
    };
    Expr::atom(code!(#erf(#a)))
}

/// How a reduction folds elements into its accumulator.
pub struct Fold {
    /// The accumulator's starting value.
    pub start: Expr,
    /// The statement that folds `value` into `acc` (a place expression).
    pub step: fn(acc: TokenStream, value: TokenStream, float: &TokenStream) -> TokenStream,
    /// What the finished accumulator is divided by (`mean`), if anything.
    pub divide_by: Option<Size>,
}

/// The fold of reduction `node`.
pub fn fold(graph: &Graph, node: NodeId) -> Fold {
    let dtype = graph.dtype();
    let operand = graph.shape(graph.operands(node)[0]);
    let sum = |acc: TokenStream, value: TokenStream, _: &TokenStream| code!(#acc += #value;);
    match *graph.op(node) {
        Op::Sum(_) | Op::SumTo => Fold {
            start: literal(0.0, dtype),
            step: sum,
            divide_by: None,
        },
        Op::Mean(axes) => Fold {
            start: literal(0.0, dtype),
            step: sum,
            divide_by: Some(axes.count(operand)),
        },
        // A NaN wins and stays, as in the interpreter.
        Op::Max(_) => Fold {
            start: Expr::atom({
                let float = float_type(dtype);
                code!(#float::NEG_INFINITY)
            }),
            step: |acc, value, _| code!({ let value = #value; #acc = if value > #acc || value.is_nan() { value } else { #acc }; }),
            divide_by: None,
        },
        Op::Min(_) => Fold {
            start: Expr::atom({
                let float = float_type(dtype);
                code!(#float::INFINITY)
            }),
            step: |acc, value, _| code!({ let value = #value; #acc = if value < #acc || value.is_nan() { value } else { #acc }; }),
            divide_by: None,
        },
        _ => unreachable!("{} is not a reduction", graph.op(node)),
    }
}

/// `n`, `k` and `m` of matmul `node`: it multiplies `[n, k]` by `[k, m]` (each matrix of a
/// batch, for a batched product; for a summed batch, the batch's rows are the inner dimension).
fn matmul_sizes(ctx: &Ctx, node: NodeId, ta: bool, tb: bool) -> [Size; 3] {
    let graph = ctx.graph;
    let matrix = |k: usize| {
        let s = graph.shape(graph.operands(node)[k]);
        match s.rank() {
            1 => (Size::ONE, s.dim(0)),
            r => (s.dim(r - 2), s.dim(r - 1)),
        }
    };
    let ((mut ar, ac), (br, bc)) = (matrix(0), matrix(1));
    if let Op::MatMul { fold: true, .. } = graph.op(node) {
        let a = graph.shape(graph.operands(node)[0]);
        ar = crate::check::shapes::split_batch(a).0.size().times(ar);
    }
    [
        if ta { ac } else { ar },
        if ta { ar } else { ac },
        if tb { br } else { bc },
    ]
}

/// The statement that subtracts `learning_rate` times matmul `node` from `variable` (a flat
/// mutable slice), in the GEMM itself.
pub fn matmul_update(ctx: &Ctx, node: NodeId, variable: &TokenStream, args: &[TokenStream]) -> TokenStream {
    let Op::MatMul { ta, tb, .. } = *ctx.graph.op(node) else {
        unreachable!("{node} is not a matmul")
    };
    let [n, k, m] = matmul_sizes(ctx, node, ta, tb).map(|s| size(ctx, s));
    let (a, b) = (&args[0], &args[1]);
    let runtime = &ctx.runtime;
    code!(#runtime::matmul_update(#n, #k, #m, #a, #ta, #b, #tb, #variable, learning_rate);)
}

/// The statements of kernel `node`, writing `out` (a flat mutable slice) from `args` (flat slices).
pub fn kernel(ctx: &Ctx, node: NodeId, out: &TokenStream, args: &[TokenStream]) -> TokenStream {
    let graph = ctx.graph;
    let operand = |k: usize| graph.shape(graph.operands(node)[k]);
    // Operand `k` as a slice that can be indexed and iterated: a scalar (one id) as a slice of one.
    let slice = |k: usize| {
        let arg = &args[k];
        if operand(k).is_scalar() {
            code!((&[#arg]))
        } else {
            code!((#arg))
        }
    };
    match *graph.op(node) {
        Op::MatMul { ta, tb, fold } => {
            let [n, k, m] = matmul_sizes(ctx, node, ta, tb);
            let (a, b) = (&args[0], &args[1]);
            let runtime = &ctx.runtime;
            let shape = graph.shape(node);
            let batched = shape.rank() > 2 || operand(0).rank() > 2 || operand(1).rank() > 2;
            // A summed batch is one product over the batch's rows (`matmul_sizes`).
            if !batched || fold {
                let [n, k, m] = [n, k, m].map(|s| size(ctx, s));
                return code!(#runtime::matmul(#n, #k, #m, #a, #ta, #b, #tb, #out););
            }
            let (batch, _, _) = crate::check::shapes::split_batch(shape);
            if operand(1).rank() == 2 && !ta {
                // A matrix shared by the whole batch: the batch's rows are one matrix, one call.
                let rows = size(ctx, batch.size().times(n));
                let [k, m] = [k, m].map(|s| size(ctx, s));
                return code!(#runtime::matmul(#rows, #k, #m, #a, false, #b, #tb, #out););
            }
            // A batch whose operands each have the whole batch or none of it: the runtime's
            // batch of products (over the pool when large).
            let (a_batch, _, _) = crate::check::shapes::split_batch(operand(0));
            let (b_batch, _, _) = crate::check::shapes::split_batch(operand(1));
            let whole_or_none = |own: &Shape| own.rank() == 0 || own == &batch;
            if whole_or_none(&a_batch) && whole_or_none(&b_batch) {
                let step = |own: &Shape, len: Size| match own.rank() {
                    0 => code!(0),
                    _ => size(ctx, len),
                };
                let (a_step, b_step) = (step(&a_batch, n.times(k)), step(&b_batch, k.times(m)));
                let count = size(ctx, batch.size());
                let [n, k, m] = [n, k, m].map(|s| size(ctx, s));
                return code!(#runtime::matmul_batch(#count, #n, #k, #m, #a, #a_step, #ta, #b, #b_step, #tb, #out););
            }
            // Otherwise one call per matrix of the batch, each operand's matrix found through the
            // broadcast of its batch axes.
            let start = |k: usize, len: Size| {
                let (own, _, _) = crate::check::shapes::split_batch(operand(k));
                let map = IndexMap::broadcast(&own, &batch);
                let at = mapped(ctx, &map, &code!(batch_i));
                let len = size(ctx, len);
                code!((#at) * (#len))
            };
            let (a_start, b_start) = (start(0, n.times(k)), start(1, k.times(m)));
            let (count, out_len) = (size(ctx, batch.size()), size(ctx, n.times(m)));
            let (a_len, b_len) = (size(ctx, n.times(k)), size(ctx, k.times(m)));
            let [n, k, m] = [n, k, m].map(|s| size(ctx, s));
            code! {
                for batch_i in 0..#count {
                    #runtime::matmul(
                        #n, #k, #m,
                        &#a[#a_start..][..#a_len], #ta,
                        &#b[#b_start..][..#b_len], #tb,
                        &mut #out[batch_i * (#out_len)..][..#out_len],
                    );
                }
            }
        }
        Op::Pad(window) => {
            // Zeros, then the operand's elements at the window.
            let (zero, a) = (literal(0.0, graph.dtype()).tokens, &args[0]);
            let at = mapped(ctx, &IndexMap::window(graph.shape(node), operand(0), window), &code!(i));
            if operand(0).is_scalar() {
                return code! {
                    #out.fill(#zero);
                    #out[#at] = #a;
                };
            }
            let len = size(ctx, operand(0).size());
            code! {
                #out.fill(#zero);
                for i in 0..#len {
                    #out[#at] = #a[i];
                }
            }
        }
        Op::Concat(axis) => {
            // Each operand is a run of `outer` chunks; the result alternates them.
            let shape = graph.shape(node);
            let outer = size(
                ctx,
                shape.size_of(&(0..shape.rank()).map(|k| k < axis).collect::<Vec<_>>()),
            );
            let (la, lb) = (
                size(ctx, operand(0).dim(axis).times(operand(0).stride(axis))),
                size(ctx, operand(1).dim(axis).times(operand(1).stride(axis))),
            );
            let (a, b) = (&args[0], &args[1]);
            code! {
                for outer_i in 0..#outer {
                    let (a_i, b_i) = (outer_i * (#la), outer_i * (#lb));
                    let out_i = a_i + b_i;
                    #out[out_i..out_i + (#la)].copy_from_slice(&#a[a_i..a_i + (#la)]);
                    #out[out_i + (#la)..out_i + (#la) + (#lb)].copy_from_slice(&#b[b_i..b_i + (#lb)]);
                }
            }
        }
        Op::ExtremeMask { axes, min } => {
            let shape = operand(0);
            let kept = axes.kept(shape.rank());
            let folded: Vec<bool> = kept.iter().map(|&k| !k).collect();
            // Slice `outer_i` starts at `starts(outer_i)`; its elements are `along(along_i)` past it.
            let slices = size(ctx, shape.size_of(&kept));
            let length = size(ctx, axes.count(shape));
            let first = mapped(ctx, &IndexMap::embedding(shape, &kept), &code!(outer_i));
            let along = mapped(ctx, &IndexMap::embedding(shape, &folded), &code!(along_i));
            let (a, zero, unit) = (
                &args[0],
                literal(0.0, graph.dtype()).tokens,
                literal(1.0, graph.dtype()).tokens,
            );
            let beats = if min {
                code!(value < extreme)
            } else {
                code!(value > extreme)
            };
            // Each slice: its extreme (a NaN wins), the number of entries equal to it, then each
            // entry's share, `(x == extreme) / ties` (0 / 0, NaN, where the extreme is NaN).
            let slice = code! {
                    let mut extreme = #a[first_i];
                    for along_i in 1..#length {
                        let value = #a[first_i + #along];
                        if #beats || value.is_nan() {
                            extreme = value;
                        }
                    }
                    let mut ties = #zero;
                    for along_i in 0..#length {
                        if #a[first_i + #along] == extreme {
                            ties += #unit;
                        }
                    }
                    for along_i in 0..#length {
                        let at_i = first_i + #along;
                        #out[at_i] = (if #a[at_i] == extreme { #unit } else { #zero }) / ties;
                    }
            };
            if kept.contains(&true) {
                code!(for outer_i in 0..#slices { let first_i = #first; #slice })
            } else {
                code!({ let first_i = 0; #slice })
            }
        }
        Op::Gather | Op::ScatterAdd => {
            // Row `row_i` of the result (of the rows, for the scatter) is row `ids[row_i]` of the
            // table. The ids were checked against the table's length before anything was written.
            let table = if matches!(graph.op(node), Op::Gather) {
                operand(0)
            } else {
                graph.shape(node)
            };
            let row = size(
                ctx,
                table.size_of(&(0..table.rank()).map(|k| k > 0).collect::<Vec<_>>()),
            );
            let (rows, ids) = (&slice(0), &slice(1));
            if matches!(graph.op(node), Op::Gather) {
                return code! {
                    for (row_i, &id) in #ids.iter().enumerate() {
                        let id = id as usize;
                        #out[row_i * (#row)..][..#row].copy_from_slice(&#rows[id * (#row)..][..#row]);
                    }
                };
            }
            let zero = literal(0.0, graph.dtype()).tokens;
            code! {
                #out.fill(#zero);
                for (row_i, &id) in #ids.iter().enumerate() {
                    let id = id as usize;
                    let target = &mut #out[id * (#row)..][..#row];
                    for (sum, &value) in target.iter_mut().zip(&#rows[row_i * (#row)..][..#row]) {
                        *sum += value;
                    }
                }
            }
        }
        Op::OneHot(depth) => {
            let (zero, unit, ids) = (
                literal(0.0, graph.dtype()).tokens,
                literal(1.0, graph.dtype()).tokens,
                &slice(0),
            );
            let depth = Literal::usize_unsuffixed(depth);
            code! {
                #out.fill(#zero);
                for (row_i, &id) in #ids.iter().enumerate() {
                    #out[row_i * #depth + id as usize] = #unit;
                }
            }
        }
        Op::SparseSoftmaxCrossEntropy => {
            // Each row: `log(sum(exp(x - shift))) - (x[label] - shift)`, shifted by the row's
            // maximum where it is finite (as `logsumexp`), so that nothing overflows.
            let classes = size(ctx, operand(0).dim(operand(0).rank() - 1));
            let (logits, labels, float, math) = (&slice(0), &slice(1), &ctx.float, &ctx.math);
            let zero = literal(0.0, graph.dtype()).tokens;
            code! {
                for (row_i, &label) in #labels.iter().enumerate() {
                    let row = &#logits[row_i * (#classes)..][..#classes];
                    let mut extreme = #float::NEG_INFINITY;
                    for &value in row {
                        if value > extreme || value.is_nan() {
                            extreme = value;
                        }
                    }
                    let shift = if extreme.is_finite() { extreme } else { #zero };
                    let mut total = #zero;
                    for &value in row {
                        total += #math::exp(value - shift);
                    }
                    // The label's logit less the shift first: for logits of 1000 in f32 that
                    // difference is exact, and adding the log to 1000 would round it away.
                    #out[row_i] = #math::ln(total) - (row[label as usize] - shift);
                }
            }
        }
        Op::ArgMax(axis) => {
            // Slice (`outer_i`, `inner_i`) runs along `axis`, `inner` apart: the first index of
            // its maximum, or of its first NaN.
            let a = operand(0);
            let before = size(ctx, a.size_of(&(0..a.rank()).map(|k| k < axis).collect::<Vec<_>>()));
            let inner = size(ctx, a.size_of(&(0..a.rank()).map(|k| k > axis).collect::<Vec<_>>()));
            let length = size(ctx, a.dim(axis));
            let x = &slice(0);
            code! {
                for outer_i in 0..#before {
                    for inner_i in 0..#inner {
                        let first_i = outer_i * (#length) * (#inner) + inner_i;
                        let mut best = 0;
                        let mut extreme = #x[first_i];
                        for along_i in 1..#length {
                            if extreme.is_nan() {
                                break;
                            }
                            let value = #x[first_i + along_i * (#inner)];
                            if value > extreme || value.is_nan() {
                                best = along_i;
                                extreme = value;
                            }
                        }
                        #out[outer_i * (#inner) + inner_i] = best;
                    }
                }
            }
        }
        Op::Im2col(_)
        | Op::Col2im(_)
        | Op::MaxPool(_)
        | Op::AvgPool(_)
        | Op::MaxPoolGrad(_)
        | Op::AvgPoolGrad(_)
        | Op::MaxPoolPick(_) => windowed(ctx, node, out, args),
        _ => unreachable!("{} is not a kernel", graph.op(node)),
    }
}

/// `::core::primitive::f32` or `::core::primitive::f64`.
/// The path of the float functions `core` lacks: `std`'s methods of the float type, or
/// without `std` the runtime's `math::f32` / `math::f64` (the `libm` crate's, same names).
pub fn math_functions(platform: crate::Platform, dtype: DType, runtime: &TokenStream) -> TokenStream {
    match (platform, dtype) {
        (crate::Platform::Std, _) => float_type(dtype),
        (_, DType::F32) => code!(#runtime::math::f32),
        (_, DType::F64) => code!(#runtime::math::f64),
    }
}

pub fn float_type(dtype: DType) -> TokenStream {
    match dtype {
        DType::F32 => code!(::core::primitive::f32),
        DType::F64 => code!(::core::primitive::f64),
    }
}
