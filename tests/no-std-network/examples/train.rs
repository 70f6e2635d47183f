//! Runs the `#![no_std]` library's training and prints each step's cost, then the accuracy,
//! then each step's cost with `sgd_step`, then with `--features alloc` each step's cost of the
//! batched network: the lines `tests/no_std.rs` in static-graph reads.

fn main() {
    let (costs, accuracy) = no_std_network::train::<60>();
    for cost in costs {
        println!("{cost:e}");
    }
    println!("accuracy {accuracy}");
    for cost in no_std_network::train_sgd::<60>() {
        println!("{cost:e}");
    }
    // With `alloc`: the batched network, boxed tensors and all.
    #[cfg(feature = "alloc")]
    for cost in no_std_network::train_batched::<60>() {
        println!("{cost:e}");
    }
}
