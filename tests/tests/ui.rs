//! Compile-fail cases (one misuse per file, with reviewed `.stderr`) and
//! compile-pass cases for every supported handler shape.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
