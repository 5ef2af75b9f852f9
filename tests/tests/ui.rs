//! Compile-fail cases (one misuse per file, with reviewed `.stderr`) and
//! compile-pass cases for every supported handler shape, grouped by the
//! macro they exercise: `ui/<group>/fail/*.rs` and `ui/<group>/pass/*.rs`.

/// One directory per macro; `attributes` holds the cases that combine them.
const GROUPS: [&str; 11] = [
    "attributes",
    "authenticated",
    "claim_mapping",
    "policy",
    "public",
    "requires",
    "requires_permission",
    "requires_role",
    "requires_scope",
    "routing",
    "scoped",
];

/// `UI_GROUP=routing cargo test -p tests --test ui` runs one group, while
/// iterating on it; CI runs them all.
#[test]
fn ui() {
    let only = std::env::var("UI_GROUP").ok();
    let cases = trybuild::TestCases::new();
    for group in
        GROUPS.into_iter().filter(|group| only.as_deref().is_none_or(|only| only == *group))
    {
        cases.compile_fail(format!("ui/{group}/fail/*.rs"));
        cases.pass(format!("ui/{group}/pass/*.rs"));
    }
}

/// A case left outside the groups above (`ui/fail/`, `ui/pass/`, a new
/// group) would silently never run.
#[test]
fn every_case_is_in_a_group() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut stray = Vec::new();
    for entry in std::fs::read_dir(&root).expect("ui/") {
        let path = entry.expect("entry").path();
        let grouped = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| GROUPS.contains(&name) && path.is_dir());
        if !grouped {
            stray.push(path);
        }
    }
    for group in GROUPS {
        for entry in std::fs::read_dir(root.join(group)).expect("group") {
            let path = entry.expect("entry").path();
            let kind = path.file_name().and_then(|name| name.to_str());
            if !matches!(kind, Some("fail" | "pass")) {
                stray.push(path);
            }
        }
    }
    assert!(stray.is_empty(), "move these under ui/<group>/{{fail,pass}}/: {stray:?}");
}
