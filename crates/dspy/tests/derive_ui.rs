//! Compile tests for `#[derive(Signature)]` and `#[module]`: `ui/{signature,module}/pass/*.rs`
//! must build and run, `ui/{signature,module}/fail/*.rs` must fail with exactly the errors in
//! their `.stderr` files.
//!
//! Error text depends on the compiler version, so the test runs on the pinned stable
//! toolchain only (update the version and the `.stderr` files together, with
//! `TRYBUILD=overwrite`).

#[rustversion::attr(not(stable(1.95)), ignore = "UI error text is pinned to rustc 1.95")]
#[test]
fn signature_ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/signature/pass/*.rs");
    t.compile_fail("tests/ui/signature/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "UI error text is pinned to rustc 1.95")]
#[test]
fn module_ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/module/pass/*.rs");
    t.compile_fail("tests/ui/module/fail/*.rs");
}
