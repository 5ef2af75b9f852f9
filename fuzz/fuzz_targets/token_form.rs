//! Arbitrary `/token` bodies, form-encoded or not.
#![no_main]

#[path = "common.rs"]
mod common;

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.split_first() {
        Some((0, rest)) => ("application/json", rest),
        Some((_, rest)) => ("application/x-www-form-urlencoded", rest),
        None => ("application/x-www-form-urlencoded", data),
    };
    let request = Request::post("/token")
        .header("content-type", content_type)
        .body(Body::from(body.to_vec()))
        .expect("request");
    common::expect_no_server_error(request);
});
