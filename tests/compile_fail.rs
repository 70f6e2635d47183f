//! Compile-fail tests: each file under `tests/ui/` holds one mistake, and its `.stderr` the
//! error a user sees. Regenerate with `TRYBUILD=overwrite cargo test --test compile_fail`,
//! then read the diff. `tests/pass/` holds programs that must compile warning-free.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
