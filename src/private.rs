//! The runtime the generated code calls: not part of the public API (it is `#[doc(hidden)]`
//! and may change in any release). Everything here is small, and it is the only code of the
//! project allowed `unsafe`: the one call into the GEMM kernel, behind checked lengths, and
//! the calls into code compiled for AVX2 or AVX-512, behind a check that the CPU has them.

pub use graph_macros::graph;

pub use crate::__with_safetensors as with_safetensors;
pub use crate::__with_serde as with_serde;
#[cfg(feature = "safetensors")]
pub use crate::LoadError;
#[cfg(feature = "alloc")]
pub use alloc::boxed::Box;
#[cfg(feature = "alloc")]
use alloc::vec;
#[cfg(feature = "alloc")]
pub use alloc::vec::Vec;
#[cfg(feature = "serde")]
pub use serde;

#[path = "private/parallel.rs"]
mod parallel;
pub use parallel::{chunk_len, chunked, join, threads, Parts, CHUNKS_MAX, CHUNK_MIN};

/// The two float types a graph can use.
pub trait Float:
    Copy
    + Send
    + Sync
    + 'static
    + core::ops::Neg<Output = Self>
    + core::ops::Add<Output = Self>
    + core::ops::Sub<Output = Self>
    + core::ops::Mul<Output = Self>
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// `x` rounded to this type.
    fn from_f64(x: f64) -> Self;
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x
    }
}

/// A tensor of `N` rows, each `row`, built on the heap directly: `vec!` clones the row into
/// its heap buffer, so no `[row; N]` array ever sits on the stack.
#[cfg(feature = "alloc")]
pub fn boxed<T: Clone, const N: usize>(row: T) -> Box<[T; N]> {
    match vec![row; N].into_boxed_slice().try_into() {
        Ok(array) => array,
        Err(_) => unreachable!("a vector of N rows has length N"),
    }
}

/// The matrix product `C[n, m] = op(A)[n, k] · op(B)[k, m]`, row-major, where `op(A)` is `A`
/// stored `[n, k]` or, if `ta`, `A` stored `[k, n]` and transposed (likewise `B`).
///
/// # Panics
///
/// If a slice is shorter than its matrix (the generated code always passes exact lengths).
#[allow(clippy::too_many_arguments)]
pub fn matmul<F: Float>(n: usize, k: usize, m: usize, a: &[F], ta: bool, b: &[F], tb: bool, c: &mut [F]) {
    assert!(
        a.len() >= n * k && b.len() >= k * m && c.len() >= n * m,
        "matmul: a slice is too short"
    );
    product(n, k, m, a, ta, b, tb, c, None);
}

/// `C[n, m] -= rate · op(A)[n, k] · op(B)[k, m]`, as [`matmul`] lays matrices out: a
/// gradient-descent step whose gradient is a product, taken inside the GEMM, so the gradient
/// is never stored.
///
/// # Panics
///
/// If a slice is shorter than its matrix (the generated code always passes exact lengths).
#[allow(clippy::too_many_arguments)]
pub fn matmul_update<F: Float>(
    n: usize,
    k: usize,
    m: usize,
    a: &[F],
    ta: bool,
    b: &[F],
    tb: bool,
    c: &mut [F],
    rate: F,
) {
    assert!(
        a.len() >= n * k && b.len() >= k * m && c.len() >= n * m,
        "matmul_update: a slice is too short"
    );
    product(n, k, m, a, ta, b, tb, c, Some(rate));
}

/// A batch of `count` products `C_t = op(A_t) op(B_t)`, each as [`matmul`] lays it out: `A_t`
/// starts at `t * a_step` in `a` (a step of 0: one matrix shared by the batch), `B_t` at
/// `t * b_step`, and `C_t` at `t * n * m`. A batch large enough for the pool
/// ([`on_the_pool`], counting all its multiply-adds) spreads its products over it, halving the
/// batch; each product is one single-threaded GEMM call, the same on any thread.
///
/// # Panics
///
/// If a slice is shorter than its matrices (the generated code always passes exact lengths).
#[allow(clippy::too_many_arguments)]
pub fn matmul_batch<F: Float>(
    count: usize,
    n: usize,
    k: usize,
    m: usize,
    a: &[F],
    a_step: usize,
    ta: bool,
    b: &[F],
    b_step: usize,
    tb: bool,
    c: &mut [F],
) {
    let last = count.saturating_sub(1);
    assert!(
        a.len() >= last * a_step + n * k && b.len() >= last * b_step + k * m && c.len() >= count * n * m,
        "matmul_batch: a slice is too short"
    );
    let each = n.saturating_mul(k).saturating_mul(m).max(1);
    let parallel = on_the_pool(count.saturating_mul(each));
    // Products a thread takes at a time: at least `BATCH_GROUP` multiply-adds (32 products of
    // 64^3 go in pairs). Which thread computes a product never changes its bits: each is one
    // GEMM call of its own.
    let leaf = if parallel { BATCH_GROUP.div_ceil(each) } else { count };
    let one = |t: usize, c: &mut [F]| {
        rows(
            n,
            k,
            m,
            &a[t * a_step..],
            ta,
            &b[t * b_step..],
            tb,
            c,
            None,
            gemm_threads(false),
        );
    };
    products(0, count, n * m, &mut c[..count * n * m], leaf, &one);
}

/// Products `first..first + count` of a batch, each `size` elements of `c`: up to `leaf` of
/// them in turn, or more in two halves on two threads of the pool.
fn products<F: Float>(
    first: usize,
    count: usize,
    size: usize,
    c: &mut [F],
    leaf: usize,
    one: &(dyn Fn(usize, &mut [F]) + Sync),
) {
    if count <= leaf {
        for (t, c) in c.chunks_exact_mut(size.max(1)).take(count).enumerate() {
            one(first + t, c);
        }
        return;
    }
    let half = count / 2;
    let (c_first, c_second) = c.split_at_mut(half * size);
    let second = first + half;
    join(
        || products(first, half, size, c_first, leaf, one),
        || products(second, count - half, size, c_second, leaf, one),
    );
}

/// Strides of a row-major `[rows, cols]` matrix used as is or transposed.
fn strides(cols_stored: usize, transposed: bool) -> (isize, isize) {
    let cols = cols_stored as isize;
    if transposed {
        (1, cols)
    } else {
        (cols, 1)
    }
}

/// `C = op(A) op(B)`, or with `rate`, `C -= rate op(A) op(B)` (see [`matmul`]). A product
/// large enough for the pool ([`on_the_pool`]) runs on every thread of it, the GEMM sharing
/// out tiles of C: each element of C is still summed by one thread in one order, the same on
/// any thread count.
#[allow(clippy::too_many_arguments)]
fn product<F: Float>(n: usize, k: usize, m: usize, a: &[F], ta: bool, b: &[F], tb: bool, c: &mut [F], rate: Option<F>) {
    let large = on_the_pool(n.saturating_mul(k).saturating_mul(m));
    rows(n, k, m, a, ta, b, tb, c, rate, gemm_threads(large));
}

/// The multiply-adds of a batch's products that one thread of the pool takes at a time (about
/// 10 µs on one core): handing them over costs little beside them.
const BATCH_GROUP: usize = 1 << 19;

/// Whether `macs` multiply-adds of products are worth the pool: 2^23 (about 150 µs on one
/// core) on 4 threads or more, 2^24 on 2 or 3. On 16 cores, the 2^23 products of the network
/// and attention steps ran 2x and 1.3x faster on 4 threads than on one (279 against 556 µs,
/// 2,472 against 3,096) but no faster on two (546, 3,152), and made the attention step 10–30%
/// slower on this project's 2-core machine; the CNN's 4.7 M products ran slower on 4 to 16
/// threads than on one (997–1,311 µs against 1,032, its hand-written step 781–970 against
/// 805); the 2^25 product of the one-hot embedding step took 569–632 µs on two threads here
/// against 828–917 on one.
fn on_the_pool(macs: usize) -> bool {
    match threads() {
        0 | 1 => false,
        2 | 3 => macs >= 1 << 24,
        _ => macs >= 1 << 23,
    }
}

/// How a GEMM call runs: on the calling thread, or sharing its tiles out over the pool.
#[cfg(feature = "std")]
type Threads = gemm::Parallelism;
/// Without `std`, every product runs on the calling thread.
#[cfg(not(feature = "std"))]
#[derive(Clone, Copy)]
struct Threads;

/// Whether a GEMM call shares its tiles out over rayon's pool: for a product large enough
/// ([`on_the_pool`]).
#[cfg(feature = "std")]
fn gemm_threads(large: bool) -> Threads {
    if large {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    }
}

/// Without `std` every product runs on the calling thread.
#[cfg(not(feature = "std"))]
fn gemm_threads(_large: bool) -> Threads {
    Threads
}

/// `C = op(A) op(B)` (or `C -= rate op(A) op(B)`), as [`matmul`] lays the matrices out: one
/// GEMM call, on the calling thread or shared over the pool (`threads`).
#[allow(clippy::too_many_arguments)]
fn rows<F: Float>(
    n: usize,
    k: usize,
    m: usize,
    a: &[F],
    ta: bool,
    b: &[F],
    tb: bool,
    c: &mut [F],
    rate: Option<F>,
    threads: Threads,
) {
    // Stored shapes: A is [n, k] (or [k, n] if transposed), B is [k, m] (or [m, k]).
    let (rsa, csa) = strides(if ta { n } else { k }, ta);
    let (rsb, csb) = strides(if tb { k } else { m }, tb);
    assert!(
        a.len() >= n * k && b.len() >= k * m && c.len() >= n * m,
        "rows: a slice is too short"
    );
    // SAFETY: the assertion above found that every slice holds its whole matrix, and the
    // strides address exactly its row-major elements; `c` is exclusive. `gemm` computes
    // `dst = alpha dst + beta lhs rhs`; with `read_dst` false it only writes `dst`. With
    // `Parallelism::Rayon` it writes each tile of `dst` from one thread.
    #[cfg(not(feature = "std"))]
    let Threads = threads;
    #[cfg(not(feature = "std"))]
    blocked::gemm(n, k, m, a, (rsa, csa), b, (rsb, csb), c, rate);
    #[cfg(feature = "std")]
    let (read_dst, beta) = match rate {
        Some(rate) => (true, -rate),
        None => (false, F::ONE),
    };
    #[cfg(feature = "std")]
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            n,
            m,
            k,
            c.as_mut_ptr(),
            1,
            m as isize,
            read_dst,
            a.as_ptr(),
            csa,
            rsa,
            b.as_ptr(),
            csb,
            rsb,
            F::ONE,
            beta,
            false,
            false,
            false,
            threads,
        );
    }
}

/// The GEMM without `std` (the `gemm` crate needs it): blocked over `k` and `m` so that a
/// block of B stays in cache while rows of A stream past, written for clarity and for small
/// microcontroller-sized products rather than peak speed.
#[cfg(not(feature = "std"))]
mod blocked {
    use super::Float;

    /// `C[count, m] = op(A) op(B)` (or `C -= rate op(A) op(B)`), `op(A)[i][p]` at
    /// `a[i * rsa + p * csa]` and likewise `B`: the strides of `rows`.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm<F: Float>(
        count: usize,
        k: usize,
        m: usize,
        a: &[F],
        (rsa, csa): (isize, isize),
        b: &[F],
        (rsb, csb): (isize, isize),
        c: &mut [F],
        rate: Option<F>,
    ) {
        const BLOCK: usize = 64;
        let at = |i: usize, p: usize| a[i * rsa as usize + p * csa as usize];
        let bt = |p: usize, j: usize| b[p * rsb as usize + j * csb as usize];
        let mut sum = [F::ZERO; BLOCK];
        for i in 0..count {
            for j0 in (0..m).step_by(BLOCK) {
                let width = BLOCK.min(m - j0);
                let sum = &mut sum[..width];
                sum.fill(F::ZERO);
                for p in 0..k {
                    let x = at(i, p);
                    for (jj, s) in sum.iter_mut().enumerate() {
                        *s = *s + x * bt(p, j0 + jj);
                    }
                }
                let row = &mut c[i * m + j0..][..width];
                match rate {
                    None => row.copy_from_slice(sum),
                    Some(rate) => {
                        for (out, &s) in row.iter_mut().zip(sum.iter()) {
                            *out = *out - rate * s;
                        }
                    }
                }
            }
        }
    }
}

/// Elements `at..at + N` of `buffer`, as an array: one block of a long loop. The generated
/// code hands each block's buffers to the block's element loop as parameters of a closure,
/// since Rust tells the compiler that reference parameters never alias one another; for
/// slices re-borrowed in the loop it could not know that, and kept a scalar copy of the loop
/// for when they might, and with it the sums' lanes in memory.
///
/// # Panics
/// If `buffer` has fewer than `at + N` elements (the generated code never asks for that).
#[inline(always)]
#[must_use]
pub fn block<T, const N: usize>(buffer: &[T], at: usize) -> &[T; N] {
    buffer[at..].first_chunk().expect("a block lies inside its buffer")
}

/// [`block`], writable.
///
/// # Panics
/// If `buffer` has fewer than `at + N` elements (the generated code never asks for that).
#[inline(always)]
#[must_use]
pub fn block_mut<T, const N: usize>(buffer: &mut [T], at: usize) -> &mut [T; N] {
    buffer[at..].first_chunk_mut().expect("a block lies inside its buffer")
}

/// `row` repeated to `N` elements (`row.len()` divides `N`): a row broadcast down a long loop,
/// as a block of the loop reads it.
///
/// # Panics
/// If `row` is empty (the generated code never passes one).
#[inline(always)]
#[must_use]
pub fn tile<T: Copy, const N: usize>(row: &[T]) -> [T; N] {
    core::array::from_fn(|k| row[k % row.len()])
}

/// Runs `body` compiled for the widest vector instructions this CPU has: AVX-512, or AVX2
/// with FMA, or the target's baseline (SSE2 on x86-64, where builds without
/// `-C target-cpu=native` otherwise stop). The generated functions pass their whole body here
/// as an `#[inline(always)]` closure, which the compiler then builds three times, once inside
/// each of the functions below; the CPU is asked once per call (std caches the answer).
///
/// Without the `simd` feature (on by default) `body` just runs, compiled once for the
/// target: release builds of large graphs take about a quarter less time.
///
/// No arithmetic changes with the instruction set: Rust never fuses a multiply and an add
/// unless told to, so every variant computes the same bits.
#[inline(always)]
pub fn simd<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(all(target_arch = "x86_64", feature = "simd"))]
    match x86::level() {
        // SAFETY: `level` found every feature that `avx512` is compiled for on this CPU.
        #[allow(unsafe_code)]
        x86::AVX512 => return unsafe { x86::avx512(body) },
        // SAFETY: `level` found AVX2 and FMA, all that `avx2` is compiled for.
        #[allow(unsafe_code)]
        x86::AVX2 => return unsafe { x86::avx2(body) },
        _ => {}
    }
    body()
}

/// The instruction-set variants of [`simd`]: each runs its closure, inlined into a function
/// compiled for more than the baseline. Calling one on a CPU without its features is
/// undefined behaviour, hence `unsafe`.
#[cfg(all(target_arch = "x86_64", feature = "simd"))]
#[allow(unsafe_code)]
mod x86 {
    use std::sync::atomic::{AtomicU8, Ordering};

    pub const BASELINE: u8 = 1;
    pub const AVX2: u8 = 2;
    pub const AVX512: u8 = 3;

    /// The widest instruction set this CPU has, asked once: one load per call after that
    /// (small graphs run in well under a microsecond, where six feature checks show).
    #[inline(always)]
    pub fn level() -> u8 {
        static LEVEL: AtomicU8 = AtomicU8::new(0);
        match LEVEL.load(Ordering::Relaxed) {
            0 => {
                let level = detect();
                LEVEL.store(level, Ordering::Relaxed);
                level
            }
            level => level,
        }
    }

    /// The CPU's widest set, capped by `STATIC_GRAPH_SIMD=baseline` or `=avx2` if set (read
    /// once): to run as on an older CPU, and to test that every set computes the same bits.
    #[cold]
    fn detect() -> u8 {
        use std::is_x86_feature_detected as has;
        let avx2 = has!("avx2") && has!("fma");
        let widest = if avx2 && has!("avx512f") && has!("avx512vl") && has!("avx512dq") && has!("avx512bw") {
            AVX512
        } else if avx2 {
            AVX2
        } else {
            BASELINE
        };
        let cap = match std::env::var("STATIC_GRAPH_SIMD").as_deref() {
            Ok("baseline") => BASELINE,
            Ok("avx2") => AVX2,
            _ => AVX512,
        };
        widest.min(cap)
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
    pub unsafe fn avx512<R>(body: impl FnOnce() -> R) -> R {
        body()
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2<R>(body: impl FnOnce() -> R) -> R {
        body()
    }
}

macro_rules! powi {
    ($name:ident, $float:ty, $doc:literal) => {
        #[doc = $doc]
        #[inline(always)]
        #[must_use]
        pub fn $name(x: $float, n: i32) -> $float {
            let (mut base, mut power, mut result) = (x, n.unsigned_abs(), 1.0);
            while power > 0 {
                if power & 1 == 1 {
                    result *= base;
                }
                power >>= 1;
                if power > 0 {
                    base *= base;
                }
            }
            if n < 0 {
                1.0 / result
            } else {
                result
            }
        }
    };
}

powi!(
    powi_f64,
    f64,
    "`x^n` by repeated squaring, in plain multiplications: the same bits wherever it runs and \
     however it is optimised (LLVM's `powi` intrinsic, behind `f64::powi`, is folded with the \
     host's `pow` when its argument is known at compile time, and multiplied out otherwise, so \
     one value could get two results)."
);
powi!(powi_f32, f32, "[`powi_f64`] for `f32`.");

/// The float functions `core` lacks, by the names of `std`'s methods (`math::f32::exp`): the
/// generated code of a `#![no_std]` build calls these, and the initialisers do everywhere.
/// With `std` they are `std`'s; without, the `libm` crate's (a port of musl's: within 1 ulp
/// for `exp`, `ln`, `sin`, `cos`, `tanh` and the rest, `sqrt` correctly rounded), so a
/// `#![no_std]` build agrees with a `std` one to float rounding.
pub mod math {
    macro_rules! functions {
        ($float:ident, $($name:ident => $libm:ident ($($arg:ident),+);)*) => {
            /// The functions, for this float type.
            pub mod $float {
                $(
                    #[doc = concat!("`", stringify!($name), "`.")]
                    #[inline(always)]
                    #[must_use]
                    pub fn $name($($arg: $float),+) -> $float {
                        #[cfg(feature = "std")]
                        return $float::$name($($arg),+);
                        #[cfg(not(feature = "std"))]
                        libm::$libm($($arg),+)
                    }
                )*
            }
        };
    }
    functions! { f32,
        exp => expf(x); ln => logf(x); sqrt => sqrtf(x); tanh => tanhf(x); sin => sinf(x);
        cos => cosf(x); powf => powf(x, e); ln_1p => log1pf(x); exp_m1 => expm1f(x); abs => fabsf(x);
    }
    functions! { f64,
        exp => exp(x); ln => log(x); sqrt => sqrt(x); tanh => tanh(x); sin => sin(x);
        cos => cos(x); powf => pow(x, e); ln_1p => log1p(x); exp_m1 => expm1(x); abs => fabs(x);
    }
}

/// Weights in the safetensors format, for the generated `to_safetensors` and
/// `from_safetensors`: little-endian floats, row-major, named as declared.
#[cfg(feature = "safetensors")]
pub mod weights {
    use super::Float;
    use crate::LoadError;
    use safetensors::tensor::{Dtype, SafeTensors, TensorView};

    /// A float type as safetensors stores it.
    pub trait Stored: Float {
        /// Its safetensors type.
        const DTYPE: Dtype;
        /// Appends its little-endian bytes.
        fn put(self, out: &mut Vec<u8>);
        /// Reads it from its little-endian bytes.
        fn get(bytes: &[u8]) -> Self;
    }

    impl Stored for f32 {
        const DTYPE: Dtype = Dtype::F32;
        fn put(self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn get(bytes: &[u8]) -> Self {
            f32::from_le_bytes(bytes.try_into().expect("four bytes"))
        }
    }

    impl Stored for f64 {
        const DTYPE: Dtype = Dtype::F64;
        fn put(self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn get(bytes: &[u8]) -> Self {
            f64::from_le_bytes(bytes.try_into().expect("eight bytes"))
        }
    }

    /// The file holding `tensors` (names and flat elements, from `tensors()`), of `shapes`,
    /// and a count of steps (an optimizer's), if any, as the scalar `I64` tensor `step`.
    ///
    /// # Panics
    ///
    /// If a shape does not hold its tensor's elements (the generated code passes the declared
    /// shapes).
    #[must_use]
    pub fn write<F: Stored>(tensors: &[(&str, &[F])], shapes: &[&[usize]], step: Option<u64>) -> Vec<u8> {
        let mut bytes: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, elements)| {
                let mut out = Vec::with_capacity(size_of_val(*elements));
                for &x in *elements {
                    x.put(&mut out);
                }
                out
            })
            .collect();
        let step_bytes = step.map(|s| (s as i64).to_le_bytes().to_vec());
        let mut views: Vec<(&str, TensorView<'_>)> = tensors
            .iter()
            .zip(shapes)
            .zip(&mut bytes)
            .map(|(((name, _), shape), data)| {
                let view = TensorView::new(F::DTYPE, shape.to_vec(), data).expect("a declared shape holds its tensor");
                (*name, view)
            })
            .collect();
        if let Some(data) = &step_bytes {
            views.push(("step", TensorView::new(Dtype::I64, vec![], data).expect("one i64")));
        }
        safetensors::serialize(views, None).expect("declared tensors serialize")
    }

    /// Reads `bytes` into `tensors` (names and flat elements, from `tensors_mut()`), of
    /// `shapes`, and the scalar `I64` tensor `step` into `step` if asked: every tensor checked
    /// (present, of its shape and type, and no other in the file) before any is written.
    ///
    /// # Errors
    ///
    /// The first tensor that is missing, unexpected, of another shape or of another type, or
    /// the reader's error if the bytes are not a safetensors file.
    pub fn read<F: Stored>(
        bytes: &[u8],
        tensors: &mut [(&str, &mut [F])],
        shapes: &[&[usize]],
        step: Option<&mut u64>,
    ) -> Result<(), LoadError> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| LoadError::Format(e.to_string()))?;
        let check = |name: &str, dtype: Dtype, shape: &[usize]| {
            let view = file.tensor(name).map_err(|_| LoadError::Missing(name.to_owned()))?;
            if view.dtype() != dtype {
                return Err(LoadError::Dtype {
                    name: name.to_owned(),
                    expected: format!("{dtype:?}"),
                    found: format!("{:?}", view.dtype()),
                });
            }
            if view.shape() != shape {
                return Err(LoadError::Shape {
                    name: name.to_owned(),
                    expected: shape.to_vec(),
                    found: view.shape().to_vec(),
                });
            }
            Ok(view)
        };
        let mut views = Vec::with_capacity(tensors.len());
        for ((name, _), &shape) in tensors.iter().zip(shapes) {
            views.push(check(name, F::DTYPE, shape)?);
        }
        let counted = match &step {
            Some(_) => {
                let view = check("step", Dtype::I64, &[])?;
                let count = i64::from_le_bytes(
                    view.data()
                        .try_into()
                        .map_err(|_| LoadError::Format("`step` is not one i64".into()))?,
                );
                Some(u64::try_from(count).map_err(|_| LoadError::Format(format!("`step` is {count}")))?)
            }
            None => None,
        };
        let mut names = file.names();
        names.sort_unstable();
        let known = |n: &str| tensors.iter().any(|(name, _)| *name == n) || (n == "step" && counted.is_some());
        if let Some(extra) = names.into_iter().find(|n| !known(n)) {
            return Err(LoadError::Unexpected(extra.to_owned()));
        }
        for ((_, elements), view) in tensors.iter_mut().zip(views) {
            for (x, chunk) in elements.iter_mut().zip(view.data().chunks_exact(size_of::<F>())) {
                *x = F::get(chunk);
            }
        }
        if let (Some(step), Some(count)) = (step, counted) {
            *step = count;
        }
        Ok(())
    }
}

/// `Serialize` and `Deserialize` for the generated structs: a struct of named fields, each a
/// flat row-major sequence, read back in place (no copy of a tensor is made) with every field
/// required, none unknown, and each of its declared length.
#[cfg(feature = "serde")]
pub mod tensors_serde {
    use core::fmt;
    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::ser::{SerializeStruct, Serializer};
    use serde::{Deserialize, Deserializer, Serialize};

    /// A field of integer ids, read.
    pub enum Ids<'a> {
        /// `i32` ids.
        I32(&'a [i32]),
        /// `i64` ids.
        I64(&'a [i64]),
        /// `usize` ids.
        Usize(&'a [usize]),
    }

    /// A field of integer ids, written.
    pub enum IdsMut<'a> {
        /// `i32` ids.
        I32(&'a mut [i32]),
        /// `i64` ids.
        I64(&'a mut [i64]),
        /// `usize` ids.
        Usize(&'a mut [usize]),
    }

    macro_rules! ids {
        ($($t:ty => $variant:ident),*) => {$(
            impl<'a> From<&'a [$t]> for Ids<'a> {
                fn from(ids: &'a [$t]) -> Self {
                    Ids::$variant(ids)
                }
            }
            impl<'a> From<&'a mut [$t]> for IdsMut<'a> {
                fn from(ids: &'a mut [$t]) -> Self {
                    IdsMut::$variant(ids)
                }
            }
        )*};
    }
    ids!(i32 => I32, i64 => I64, usize => Usize);

    /// Serializes the struct `name` of `floats` and `ids`.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer, F: Serialize>(
        serializer: S,
        name: &'static str,
        floats: &[(&'static str, &[F])],
        ids: &[(&'static str, Ids<'_>)],
    ) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct(name, floats.len() + ids.len())?;
        for (field, values) in floats {
            out.serialize_field(field, values)?;
        }
        for (field, values) in ids {
            match values {
                Ids::I32(v) => out.serialize_field(field, v)?,
                Ids::I64(v) => out.serialize_field(field, v)?,
                Ids::Usize(v) => out.serialize_field(field, v)?,
            }
        }
        out.end()
    }

    /// Deserializes the struct `name`, whose fields are `names`, into `floats` and `ids`.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a missing, unknown or repeated field, or one of another length.
    pub fn deserialize<'de, 'b, D: Deserializer<'de>, F: Deserialize<'de>>(
        deserializer: D,
        name: &'static str,
        names: &'static [&'static str],
        floats: &mut [(&'static str, &'b mut [F])],
        ids: &mut [(&'static str, IdsMut<'b>)],
    ) -> Result<(), D::Error> {
        deserialize_fields(deserializer, name, names, &mut Slots { names, floats, ids })
    }

    /// The float and id fields of a generated struct, each read in place by its name.
    struct Slots<'a, 'b, F> {
        names: &'static [&'static str],
        floats: &'a mut [(&'static str, &'b mut [F])],
        ids: &'a mut [(&'static str, IdsMut<'b>)],
    }

    impl<'de, F: Deserialize<'de>> FieldByField<'de> for Slots<'_, '_, F> {
        fn read<A: MapAccess<'de>>(&mut self, k: usize, map: &mut A) -> Result<(), A::Error> {
            let field = self.names[k];
            if let Some((_, slot)) = self.floats.iter_mut().find(|(n, _)| *n == field) {
                map.next_value_seed(InPlace(slot))
            } else if let Some((_, slot)) = self.ids.iter_mut().find(|(n, _)| *n == field) {
                match slot {
                    IdsMut::I32(v) => map.next_value_seed(InPlace(v)),
                    IdsMut::I64(v) => map.next_value_seed(InPlace(v)),
                    IdsMut::Usize(v) => map.next_value_seed(InPlace(v)),
                }
            } else {
                // Every name is a float or an id field; a value is consumed all the same.
                map.next_value::<IgnoredAny>().map(drop)
            }
        }
    }

    /// A field name, as its index among the names.
    struct Key(&'static [&'static str]);

    impl<'de> DeserializeSeed<'de> for Key {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
            deserializer.deserialize_identifier(self)
        }
    }

    impl Visitor<'_> for Key {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "one of the fields {:?}", self.0)
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
            self.0
                .iter()
                .position(|n| *n == name)
                .ok_or_else(|| de::Error::unknown_field(name, self.0))
        }
    }

    /// A struct whose fields are read one by one, each by its own type (an optimizer's state:
    /// hyperparameters, slots of the `Variables` type, a step count).
    pub trait FieldByField<'de> {
        /// Reads field `k` (of the names [`deserialize_fields`] was given) from `map`.
        ///
        /// # Errors
        ///
        /// The field's own.
        fn read<A: MapAccess<'de>>(&mut self, k: usize, map: &mut A) -> Result<(), A::Error>;
    }

    /// Deserializes the struct `name`, whose fields are `names`, into `out` field by field:
    /// every field required, none unknown or repeated.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a missing, unknown or repeated field, or a field's own.
    pub fn deserialize_fields<'de, D: Deserializer<'de>, T: FieldByField<'de>>(
        deserializer: D,
        name: &'static str,
        names: &'static [&'static str],
        out: &mut T,
    ) -> Result<(), D::Error> {
        deserializer.deserialize_struct(name, names, Each { names, out })
    }

    struct Each<'a, T> {
        names: &'static [&'static str],
        out: &'a mut T,
    }

    impl<'de, T: FieldByField<'de>> Visitor<'de> for Each<'_, T> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a struct with the fields {:?}", self.names)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = alloc::vec![false; self.names.len()];
            while let Some(k) = map.next_key_seed(Key(self.names))? {
                if core::mem::replace(&mut seen[k], true) {
                    return Err(de::Error::duplicate_field(self.names[k]));
                }
                self.out.read(k, &mut map)?;
            }
            match seen.iter().position(|&s| !s) {
                Some(k) => Err(de::Error::missing_field(self.names[k])),
                None => Ok(()),
            }
        }
    }

    /// A sequence read into a slice of its exact length.
    struct InPlace<'a, T>(&'a mut [T]);

    impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for InPlace<'_, T> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for InPlace<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sequence of {} elements", self.0.len())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let length = self.0.len();
            for k in 0..length {
                self.0[k] = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(k, &self))?;
            }
            if seq.next_element::<IgnoredAny>()?.is_some() {
                return Err(de::Error::invalid_length(length + 1, &self));
            }
            Ok(())
        }
    }
}

/// The error function, for `erf` and `gelu` (libm's, which the interpreter uses too).
#[inline]
pub fn erf_f32(x: f32) -> f32 {
    libm::erff(x)
}

/// The error function, for `erf` and `gelu` in f64.
#[inline]
pub fn erf_f64(x: f64) -> f64 {
    libm::erf(x)
}

/// `e^x` for `f32`, written so that a loop of it vectorises (libm's `expf` is an opaque call):
/// range reduction `x = k ln 2 + r`, Cephes' degree-6 polynomial for `e^r`, and `2^k` built in
/// the exponent bits. Within 2 ulp of the exact value on normal results; IEEE at the edges
/// (`exp(NaN)` is NaN, `exp(inf)` is inf, `exp(-inf)` is 0); results below `f32::MIN_POSITIVE`
/// flush to 0.
#[inline(always)]
#[must_use]
pub fn exp_f32(x: f32) -> f32 {
    exp_with(x, |a, b, c| a * b + c)
}

/// [`exp_f32`] with fused multiply-adds, for the blocks of long loops, which always run inside
/// [`simd`]: one instruction each with AVX2 and AVX-512 where a multiply and an add are two
/// (the seed step at n = 4096: 4.4 -> 4.05 µs), and the same correctly rounded result on every
/// instruction set, since the baseline calls the C library's `fmaf` (slower, equal to the
/// bit). Without the `simd` feature, where loops are compiled for the target alone and `fmaf`
/// may be a software routine, it is [`exp_f32`].
#[inline(always)]
#[must_use]
pub fn exp_f32_fused(x: f32) -> f32 {
    #[cfg(feature = "simd")]
    return exp_with(x, f32::mul_add);
    #[cfg(not(feature = "simd"))]
    exp_f32(x)
}

/// The body of [`exp_f32`], with `fma(a, b, c)` for each `a * b + c`.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, as published
fn exp_with(x: f32, fma: impl Fn(f32, f32, f32) -> f32) -> f32 {
    const LOG2_E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round to nearest by adding 1.5 * 2^23: the sum's low mantissa bits then hold k as an
    // integer, read without a float-to-int conversion (which, like `f32::round` on plain
    // x86-64, would keep the loop from vectorising).
    const ROUND: f32 = 12_582_912.0;
    let shifted = fma(x, LOG2_E, ROUND);
    let k = shifted - ROUND;
    // x - k ln2, in two steps (ln 2 as a high and a low part); the negations are exact.
    let r = fma(-k, LN2_LO, fma(-k, LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    p = fma(p, r, 1.398_199_9e-3);
    p = fma(p, r, 8.333_452e-3);
    p = fma(p, r, 4.166_579_6e-2);
    p = fma(p, r, 1.666_666_5e-1);
    p = fma(p, r, 5.000_000_1e-1);
    let er = fma(p * r, r, r) + 1.0;
    // e^r * 2^k, by adding k to the exponent of e^r (in [0.70, 1.42]): exact, as the product
    // is, wherever the result is normal, which the range below guarantees (at -87.33 it is
    // above f32::MIN_POSITIVE; at 88.72, below f32::MAX). `k << 23` is `shifted`'s bits shifted
    // left by 23, since ROUND's own bits shift out entirely. Two integer operations, where
    // building 2^k as two factors and multiplying by both took nine.
    let y = f32::from_bits(er.to_bits().wrapping_add(shifted.to_bits() << 23));
    // Outside the range `k` is meaningless, and these two selects replace the result. Above it
    // (and for a NaN, whose `shifted` may carry any bits into the exponent), `x + inf` is inf,
    // or the NaN.
    if x < -87.33 {
        0.0
    } else if x <= 88.72 {
        y
    } else {
        x + f32::INFINITY
    }
}

/// `tanh(x)` for `f32`, vectorisable like [`exp_f32`]: Cephes' odd polynomial for
/// `|x| < 0.625`, `1 - 2 / (e^(2|x|) + 1)` with the sign of `x` beyond. Within 3 ulp.
#[inline(always)]
#[must_use]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, as published
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3_f32;
    p = p * z + 2.063_908_9e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 1.333_144_2e-1;
    p = p * z - 3.333_328_2e-1;
    let small = x + x * z * p;
    let large = (1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

/// A small deterministic generator (SplitMix64) for variable initialisers: the same seed
/// gives the same weights on every machine. Statistical quality is ample for initialisation.
pub struct Rng(u64);

impl Rng {
    /// The stream for variable number `stream` of a model initialised from `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(feature = "std")]
pub use crate::{GradientCheck, VariableCheck};

/// An integer id type of the graph language (`i32`, `i64`, `usize`).
pub trait Id: Copy + core::fmt::Display {
    /// The id as an index, if it is not negative (and fits one).
    fn index(self) -> Option<usize>;
}

impl Id for i32 {
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
}

impl Id for i64 {
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
}

impl Id for usize {
    fn index(self) -> Option<usize> {
        Some(self)
    }
}

/// Panics, naming the placeholder, the position and the value, at the first of `ids` outside
/// `0..bound` (`dims` is the placeholder's shape, for the position; `op` what reads the ids).
/// The generated code calls it first, before it writes any output.
#[track_caller]
pub fn check_ids<T: Id>(ids: &[T], bound: usize, name: &str, dims: &[usize], op: &str) {
    for (at, &id) in ids.iter().enumerate() {
        if id.index().is_some_and(|i| i < bound) {
            continue;
        }
        let place = Place { name, dims, at };
        panic!("id out of range: `{place}` is {id}, but `{op}` takes ids in 0..{bound}");
    }
}

/// `ids[1, 2]`: element `at` of a placeholder of shape `dims`, written without allocating
/// (a `#![no_std]` build may have no heap).
struct Place<'a> {
    name: &'a str,
    dims: &'a [usize],
    at: usize,
}

impl core::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)?;
        if self.dims.is_empty() {
            return Ok(());
        }
        f.write_str("[")?;
        for (k, _) in self.dims.iter().enumerate() {
            // The index along axis `k`: the elements past it in row-major order divide it out.
            let inner: usize = self.dims[k + 1..].iter().map(|&d| d.max(1)).product();
            let index = self.at / inner % self.dims[k].max(1);
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{index}")?;
        }
        f.write_str("]")
    }
}

/// Fills `out` uniformly in `[lo, hi)`.
pub fn uniform<F: Float>(out: &mut [F], seed: u64, stream: u64, lo: f64, hi: f64) {
    let mut rng = Rng::new(seed, stream);
    for x in out {
        *x = F::from_f64(lo + (hi - lo) * rng.unit());
    }
}

/// Fills `out` with normal samples of this mean and standard deviation (Box–Muller).
pub fn normal<F: Float>(out: &mut [F], seed: u64, stream: u64, mean: f64, std: f64) {
    let mut rng = Rng::new(seed, stream);
    for x in out {
        let (u, v) = (1.0 - rng.unit(), rng.unit());
        *x = F::from_f64(
            mean + std * math::f64::sqrt(-2.0 * math::f64::ln(u)) * math::f64::cos(core::f64::consts::TAU * v),
        );
    }
}

/// Fills `out` with Glorot-uniform samples for these fans.
pub fn glorot_uniform<F: Float>(out: &mut [F], seed: u64, stream: u64, fan_in: usize, fan_out: usize) {
    let limit = math::f64::sqrt(6.0 / (fan_in + fan_out) as f64);
    uniform(out, seed, stream, -limit, limit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_matches_a_triple_loop_in_every_transpose() {
        let (n, k, m) = (3, 4, 2);
        let a: Vec<f64> = (0..n * k).map(|x| x as f64 * 0.5 - 1.0).collect();
        let b: Vec<f64> = (0..k * m).map(|x| (x as f64).sin()).collect();
        let want: Vec<f64> = (0..n * m)
            .map(|ij| (0..k).map(|t| a[ij / m * k + t] * b[t * m + ij % m]).sum())
            .collect();
        let transpose = |x: &[f64], r: usize, c: usize| (0..r * c).map(|i| x[(i % r) * c + i / r]).collect::<Vec<_>>();
        let (at, bt) = (transpose(&a, n, k), transpose(&b, k, m));
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut c = vec![0.0; n * m];
            matmul(
                n,
                k,
                m,
                if ta { &at } else { &a },
                ta,
                if tb { &bt } else { &b },
                tb,
                &mut c,
            );
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-12, "ta {ta} tb {tb}: {c:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn a_batch_of_products_is_each_product_whether_split_or_not() {
        // 4 x 64^3 multiply-adds: over the pool; 3 x 4 x 5 x 6: one thread.
        for (count, n, k, m) in [(4, 64, 64, 64), (3, 4, 5, 6)] {
            let a: Vec<f32> = (0..count * n * k).map(|x| ((x * 7) % 13) as f32 * 0.25 - 1.5).collect();
            let b: Vec<f32> = (0..k * m).map(|x| ((x * 5) % 11) as f32 * 0.5 - 2.0).collect();
            for tb in [false, true] {
                let mut batch = vec![0.0; count * n * m];
                // B shared by the batch (step 0), A one matrix per product.
                matmul_batch(count, n, k, m, &a, n * k, false, &b, 0, tb, &mut batch);
                for t in 0..count {
                    let mut one = vec![0.0; n * m];
                    matmul(n, k, m, &a[t * n * k..], false, &b, tb, &mut one);
                    assert_eq!(&batch[t * n * m..(t + 1) * n * m], &one[..], "product {t} of {count}");
                }
            }
        }
    }

    #[test]
    fn matmul_update_subtracts_the_scaled_product_in_every_transpose() {
        let (n, k, m) = (5, 3, 4);
        let a: Vec<f64> = (0..n * k).map(|x| x as f64 * 0.25 - 1.0).collect();
        let b: Vec<f64> = (0..k * m).map(|x| (x as f64).cos()).collect();
        let start: Vec<f64> = (0..n * m).map(|x| (x as f64).sin()).collect();
        let product: Vec<f64> = (0..n * m)
            .map(|ij| (0..k).map(|t| a[ij / m * k + t] * b[t * m + ij % m]).sum())
            .collect();
        let transpose = |x: &[f64], r: usize, c: usize| (0..r * c).map(|i| x[(i % r) * c + i / r]).collect::<Vec<_>>();
        let (at, bt) = (transpose(&a, n, k), transpose(&b, k, m));
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut c = start.clone();
            let (a, b) = (if ta { &at } else { &a }, if tb { &bt } else { &b });
            matmul_update(n, k, m, a, ta, b, tb, &mut c, 0.5);
            for ((x, s), p) in c.iter().zip(&start).zip(&product) {
                assert!((x - (s - 0.5 * p)).abs() < 1e-12, "ta {ta} tb {tb}");
            }
        }
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros_and_leaves_an_update_alone() {
        // A batch of 0 makes the inner dimension of `Xᵀ · G` empty: the product is zero.
        let mut c = [7.0f32; 6];
        matmul(2, 0, 3, &[], true, &[], false, &mut c);
        assert_eq!(c, [0.0; 6]);
        matmul_update(2, 0, 3, &[], true, &[], false, &mut c, 0.5);
        assert_eq!(c, [0.0; 6]);
        let mut c = [7.0f64; 6];
        matmul_update(2, 0, 3, &[], false, &[], false, &mut c, 0.5);
        assert_eq!(c, [7.0; 6]);
    }

    /// Largest distance in units in the last place between `f` and the f64 reference `exact`.
    fn worst_ulp(f: fn(f32) -> f32, exact: fn(f64) -> f64, lo: f32, hi: f32) -> f64 {
        let mut worst = 0.0f64;
        for k in 0..200_000 {
            let x = lo + (hi - lo) * (k as f32 / 200_000.0);
            let want = exact(f64::from(x));
            if want.abs() < f64::from(f32::MIN_POSITIVE) {
                continue;
            }
            let ulp = f64::from(f32::EPSILON) * want.abs();
            worst = worst.max((f64::from(f(x)) - want).abs() / ulp);
        }
        worst
    }

    #[test]
    fn fast_exp_and_tanh_are_accurate() {
        let exp_ulp = worst_ulp(exp_f32, f64::exp, -87.33, 88.72);
        assert!(exp_ulp <= 2.0, "exp_f32: {exp_ulp} ulp");
        let fused_ulp = worst_ulp(exp_f32_fused, f64::exp, -87.33, 88.72);
        assert!(fused_ulp <= 2.0, "exp_f32_fused: {fused_ulp} ulp");
        for x in [f32::INFINITY, f32::MAX, 100.0, f32::MIN, -100.0, f32::NEG_INFINITY, 0.0] {
            assert_eq!(exp_f32_fused(x), exp_f32(x), "at {x}");
        }
        assert!(exp_f32_fused(f32::NAN).is_nan());
        let tanh_ulp = worst_ulp(tanh_f32, f64::tanh, -10.0, 10.0);
        assert!(tanh_ulp <= 3.0, "tanh_f32: {tanh_ulp} ulp");
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!((exp_f32(f32::MAX), exp_f32(100.0)), (f32::INFINITY, f32::INFINITY));
        assert_eq!((exp_f32(f32::MIN), exp_f32(-100.0)), (0.0, 0.0));
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan() && tanh_f32(f32::NAN).is_nan());
        // A NaN's payload never leaks into the result's exponent.
        for bits in [0x7fc0_0001, 0x7fc0_01ff, 0xffc0_1234, 0x7f80_0001, 0xffff_ffff] {
            let nan = f32::from_bits(bits);
            assert!(exp_f32(nan).is_nan() && exp_f32_fused(nan).is_nan(), "exp of {bits:#x}");
        }
        assert_eq!((tanh_f32(f32::INFINITY), tanh_f32(f32::NEG_INFINITY)), (1.0, -1.0));
        assert_eq!(tanh_f32(1e-30), 1e-30);
    }

    #[test]
    fn boxed_rows() {
        let b: Box<[[f32; 3]; 1000]> = boxed([1.5; 3]);
        assert!(b.iter().flatten().all(|&x| x == 1.5));
    }

    #[test]
    fn initialisers_are_deterministic_and_in_range() {
        let (mut a, mut b) = ([0.0f32; 100], [0.0f32; 100]);
        uniform(&mut a, 7, 1, -0.5, 0.5);
        uniform(&mut b, 7, 1, -0.5, 0.5);
        assert_eq!(a, b);
        assert!(a.iter().all(|x| (-0.5..0.5).contains(x)));
        uniform(&mut b, 7, 2, -0.5, 0.5);
        assert_ne!(a, b, "streams differ");
        let mut n = vec![0.0f64; 20000];
        normal(&mut n, 1, 0, 2.0, 3.0);
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!(
            (mean - 2.0).abs() < 0.1 && (var.sqrt() - 3.0).abs() < 0.1,
            "{mean} {var}"
        );
    }
}
