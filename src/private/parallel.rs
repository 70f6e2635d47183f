//! Long loops on every core, with the same bits on any number of them.
//!
//! A loop of `len` elements is cut into chunks whose size depends on `len` alone
//! ([`chunk_len`]), and the chunks form a binary tree that also depends on `len` alone: each
//! leaf is one chunk's loop, returning its partial sums, and each inner node merges its left
//! half's partials with its right half's, in that order. The tree's halves run through
//! `rayon::join` on rayon's global pool (`RAYON_NUM_THREADS` sizes it), so idle cores steal
//! them; with one thread, without `std`, or for a loop too short to pay for a thread, the same
//! tree runs on the calling thread. Which thread runs a chunk never changes what it computes,
//! and the merges happen in the tree's order, so every thread count gives the same bits.

/// The fewest elements in a chunk: 8192 floats are 32 KiB an array, long enough that a
/// chunk's loop costs far more than handing it to another thread (about a microsecond).
pub const CHUNK_MIN: usize = 1 << 13;

/// The most chunks a loop is cut into: enough for 16 cores to balance their load (the
/// shortest loop that reaches it, 2^19 elements, has 64 chunks of 8192).
pub const CHUNKS_MAX: usize = 64;

/// The number of elements in each chunk of a loop of `len` elements (the last may be
/// shorter): a multiple of [`CHUNK_MIN`], so of every block size the generated loops use.
pub const fn chunk_len(len: usize) -> usize {
    let even = len.div_ceil(CHUNKS_MAX).next_multiple_of(CHUNK_MIN);
    if even > CHUNK_MIN {
        even
    } else {
        CHUNK_MIN
    }
}

/// The buffers a chunked loop writes, as a list `(&mut a, (&mut b, ()))`: each chunk gets
/// its own part of every buffer, so chunks on different threads never write the same
/// element.
pub trait Parts: Send + Sized {
    /// The parts before element `at` and from it on, of every buffer.
    fn split_at(self, at: usize) -> (Self, Self);
}

impl Parts for () {
    fn split_at(self, _: usize) -> (Self, Self) {
        ((), ())
    }
}

impl<F: Send, Rest: Parts> Parts for (&mut [F], Rest) {
    fn split_at(self, at: usize) -> (Self, Self) {
        let (head, tail) = self.0.split_at_mut(at);
        let (rest_head, rest_tail) = self.1.split_at(at);
        ((head, rest_head), (tail, rest_tail))
    }
}

/// Runs `body(offset, count, parts)` on each chunk of a loop of `len` elements (see the
/// module docs), where `parts` holds elements `offset..offset + count` of each buffer, and
/// merges the chunks' results with `merge(left, right)` in the tree's order. `len` is at
/// least 1.
pub fn chunked<P, R, B, M>(len: usize, parts: P, body: B, merge: M) -> R
where
    P: Parts,
    R: Send,
    B: Fn(usize, usize, P) -> R + Sync,
    M: Fn(R, R) -> R + Sync,
{
    let chunk = chunk_len(len);
    let tree = Tree {
        len,
        chunk,
        body: &body,
        merge: &merge,
        parallel: len >= parallel_min(threads()),
    };
    tree.run(0, len.div_ceil(chunk), parts)
}

/// The shortest loop worth handing to a pool of `threads` threads: 2^17 elements from 4
/// threads on, 2^18 on 2 or 3 (the seed step at 131,072 elements took 264–276 µs on this
/// project's 2-core machine against 237–251 on one, but 207 against 297 on 2 of 16 cores), and
/// none on 1. Whether a loop runs on the pool never changes its chunks, only where they run.
pub const fn parallel_min(threads: usize) -> usize {
    match threads {
        0 | 1 => usize::MAX,
        2 | 3 => 1 << 18,
        _ => 1 << 17,
    }
}

/// How many threads rayon's pool has; 1 without `std`. The first call starts the pool and
/// waits until each of its threads has run, so that what starting a thread allocates is
/// allocated then, not during a later call.
pub fn threads() -> usize {
    #[cfg(feature = "std")]
    {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| drop(rayon::broadcast(|_| ())));
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "std"))]
    1
}

/// Runs `a` and `b` on two threads of rayon's pool (without `std`, `a`, then `b`, here), and
/// returns both results. Callers decide first whether the work is worth the pool, by the
/// size and [`threads`].
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    #[cfg(feature = "std")]
    return rayon::join(a, b);
    #[cfg(not(feature = "std"))]
    (a(), b())
}

/// One loop's chunks and what to do with them.
struct Tree<'a, B, M> {
    len: usize,
    chunk: usize,
    body: &'a B,
    merge: &'a M,
    parallel: bool,
}

impl<B, M> Tree<'_, B, M> {
    /// Chunks `first..first + count`, whose elements start `parts`.
    fn run<P, R>(&self, first: usize, count: usize, parts: P) -> R
    where
        P: Parts,
        R: Send,
        B: Fn(usize, usize, P) -> R + Sync,
        M: Fn(R, R) -> R + Sync,
    {
        let offset = first * self.chunk;
        if count == 1 {
            return (self.body)(offset, self.chunk.min(self.len - offset), parts);
        }
        let half = count / 2;
        let (left, right) = parts.split_at(half * self.chunk);
        let (left, right) = if self.parallel {
            join(
                || self.run(first, half, left),
                || self.run(first + half, count - half, right),
            )
        } else {
            (self.run(first, half, left), self.run(first + half, count - half, right))
        };
        (self.merge)(left, right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_depend_on_the_length_alone_and_are_whole_blocks() {
        assert_eq!(chunk_len(1), CHUNK_MIN);
        assert_eq!(chunk_len(1 << 19), CHUNK_MIN);
        assert_eq!(chunk_len(1 << 20), 1 << 14);
        assert_eq!(chunk_len((1 << 20) + 1), (1 << 14) + CHUNK_MIN);
        for len in [1, 1000, 1 << 15, 300_000, 1 << 22, 12_345_678] {
            let chunk = chunk_len(len);
            assert_eq!(chunk % 64, 0);
            assert!(len.div_ceil(chunk) <= CHUNKS_MAX, "{len}");
        }
    }

    #[test]
    fn every_element_is_visited_once_and_partials_merge_left_to_right() {
        let len = 200_000;
        let mut out = vec![0_u32; len];
        let order = chunked(
            len,
            (&mut out[..], ()),
            |offset, count, (out, ()): (&mut [u32], ())| {
                assert_eq!(out.len(), count);
                for (i, x) in out.iter_mut().enumerate() {
                    *x += u32::try_from(offset + i).unwrap();
                }
                vec![offset]
            },
            |mut left, right| {
                left.extend(right);
                left
            },
        );
        assert!(out.iter().enumerate().all(|(i, &x)| x as usize == i));
        let chunk = chunk_len(len);
        assert_eq!(order, (0..len.div_ceil(chunk)).map(|c| c * chunk).collect::<Vec<_>>());
    }
}
