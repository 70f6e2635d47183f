//! Nothing to use: this crate holds tests whose graphs a program writes (`build.rs`), so
//! that the generator runs only when the project's own tests are built. See
//! `tests/random_graphs.rs` and `tests/machine_written.rs`.
