//! `GET /` with `{"ref": "math.fib", "kwargs": {"num": "11"}}` -> `{"ref": 89}`,
//! written straight against axum: no hub, no lookup by reference, no logging.
//! It still does the work any server must do for this protocol: read the
//! body, parse it as JSON, take `ref` and `num` (a number or a numeric
//! string), compute, and write the JSON answer.
//!
//! Usage: axum-baseline [PORT]   (serves on 127.0.0.1, default port 8889)

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;

fn fib(num: u64) -> u64 {
    let (mut prev, mut curr) = (0u64, 1u64);
    if num < 2 {
        return num;
    }
    for _ in 1..num {
        (prev, curr) = (curr, prev + curr);
    }
    curr
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a valid response")
}

async fn handle(body: Bytes) -> Response {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return reply(StatusCode::BAD_REQUEST, br#"{"error": "bad request"}"#.to_vec());
    };
    if request.get("ref").and_then(Value::as_str) != Some("math.fib") {
        return reply(StatusCode::NOT_FOUND, br#"{"error": "unknown ref"}"#.to_vec());
    }
    let num = match request.get("kwargs").and_then(|kwargs| kwargs.get("num")) {
        None => Some(10),
        Some(Value::String(text)) => text.trim().parse().ok(),
        Some(value) => value.as_u64(),
    };
    let Some(num) = num else {
        return reply(StatusCode::BAD_REQUEST, br#"{"error": "bad num"}"#.to_vec());
    };
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(b"{\"ref\": ");
    serde_json::to_writer(&mut out, &fib(num)).expect("a number serializes");
    out.push(b'}');
    reply(StatusCode::OK, out)
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|port| port.parse().expect("PORT is a number"))
        .unwrap_or(8889);
    // Like pop's Hub::run: a multi-threaded runtime with default worker count.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the port is free");
        println!("axum-baseline: serving on http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/", axum::routing::any(handle));
        axum::serve(listener, app).await.expect("the server runs");
    });
}
