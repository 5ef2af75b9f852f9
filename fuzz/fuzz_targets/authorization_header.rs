//! Arbitrary `Authorization` header bytes against a guarded route.
#![no_main]

#[path = "common.rs"]
mod common;

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut request = Request::get("/admin/users").body(Body::empty()).expect("request");
    request.headers_mut().insert("authorization", value);
    let status = common::expect_no_server_error(request);
    assert!((400..500).contains(&status), "fuzzed credentials were accepted: {status}");
});
