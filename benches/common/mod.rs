//! Timing shared by the benchmarks: two steps run alternately, so that machine noise hits
//! both alike.

use std::time::Instant;

/// The median seconds of `generated` and of `written` over `steps` alternating runs.
pub fn interleaved(steps: usize, mut generated: impl FnMut(), mut written: impl FnMut()) -> (f64, f64) {
    let (mut a, mut b) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
    for _ in 0..steps {
        let start = Instant::now();
        generated();
        a.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        written();
        b.push(start.elapsed().as_secs_f64());
    }
    (median(&mut a), median(&mut b))
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
