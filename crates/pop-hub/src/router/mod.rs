//! The router pattern: HTTP JSON requests become calls of one sub's plugins.
//!
//! `GET` or `POST /` with `{"ref": "math.fib", "kwargs": {"num": "11"}}`
//! calls `math.fib` of the router's sub and answers `{"ref": 89}`. A request
//! without a body gets a working `curl` example. Refs resolve only inside the
//! router's own sub (and its nested subs), and only to `#[plugin]` functions.
//!
//! | outcome | status | error kind |
//! | --- | --- | --- |
//! | the call returned | 200 | |
//! | body not JSON, or no string `ref` | 400 | `bad_request` |
//! | kwargs that do not fit | 400 | `bad_arguments` |
//! | no such plugin in this sub | 404 | `unknown_ref` |
//! | the plugin returned an error | 500 | `plugin_error` |
//! | the plugin panicked (the server keeps serving) | 500 | `panic` |
//! | body over 1 MiB | 413 | `payload_too_large` |
//! | a path other than `/` | 404 | `not_found` |
//! | a method other than GET or POST | 405 | `method_not_allowed` |
//!
//! Every error body is `{"error": {"kind": "…", "message": "…"}}`. Each
//! request is logged as one line; the server stops cleanly when the hub is
//! asked to shut down (Ctrl-C or SIGTERM under `Hub::run`), letting requests
//! in flight finish.
//!
//! It is built on hyper directly: one route needs no router framework, and
//! leaving axum and tower out takes a third off a new project's cold build.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::{Future, poll_fn};
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::{CallError, Hub};
use anyhow::Context as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};

/// The largest request body the router reads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long requests in flight may take to finish once shutdown is asked for.
const GRACE: Duration = Duration::from_secs(10);

struct Router {
    hub: Arc<Hub>,
    sub: String,
    example: String,
}

/// The address a router listens on: an IP address (an `Opt::ip` option), or
/// text to read as one (an `Opt::string` option of earlier projects).
#[derive(Clone, Debug)]
pub enum ListenAddr {
    /// An IP address.
    Ip(IpAddr),
    /// Text naming one; `localhost` is `127.0.0.1`.
    Text(String),
}

impl From<IpAddr> for ListenAddr {
    fn from(ip: IpAddr) -> Self {
        ListenAddr::Ip(ip)
    }
}

impl From<String> for ListenAddr {
    fn from(text: String) -> Self {
        ListenAddr::Text(text)
    }
}

impl From<&str> for ListenAddr {
    fn from(text: &str) -> Self {
        ListenAddr::Text(text.to_owned())
    }
}

/// The socket `bind` claimed, kept on the sub until `serve` takes it.
struct Bound(std::sync::Mutex<Option<std::net::TcpListener>>);

/// Binds `addr:port` for the router of `sub`: its start hook calls this, so
/// an address in use or an invalid one stops start-up before the app
/// announces itself. An address that is not one is a configuration error
/// naming the `addr` option and where its value came from.
pub fn bind(hub: &mut Hub, sub: &str, addr: impl Into<ListenAddr>, port: u16) -> crate::Result<()> {
    let ip = match addr.into() {
        ListenAddr::Ip(ip) => ip,
        ListenAddr::Text(text) => match text.as_str() {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            _ => text.parse().map_err(|_| {
                let app = hub.app().map_or("app", |app| app.name);
                crate::ConfigError::Invalid {
                    option: format!("{app}.addr"),
                    source: hub
                        .opt_source(app, "addr")
                        .cloned()
                        .unwrap_or(crate::conf::Source::Default),
                    message: format!("`{text}` is not an IP address to serve on"),
                }
            })?,
        },
    };
    let listener = std::net::TcpListener::bind(SocketAddr::new(ip, port))
        .with_context(|| format!("cannot listen on {}", SocketAddr::new(ip, port)))?;
    listener.set_nonblocking(true)?;
    hub.set_data(sub, Bound(std::sync::Mutex::new(Some(listener))))
}

/// Serves the plugins of `sub` over HTTP on the address `bind` claimed, until
/// the hub is asked to shut down. Prints the address it serves on (useful
/// with port 0).
pub async fn serve(hub: Arc<Hub>, sub: &str) -> crate::Result<()> {
    let listener = hub
        .data::<Bound>(sub)
        .and_then(|bound| bound.0.lock().ok()?.take())
        .with_context(|| {
            format!(
                "the router of `{sub}` has no address: its start hook calls `pop::router::bind`"
            )
        })?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let local = listener.local_addr()?;
    let target = hub
        .sub(sub)
        .with_context(|| format!("there is no sub `{sub}` to route to"))?;
    let example = example(target, local);
    println!("{sub}: serving on http://{local} (Ctrl-C to stop)");
    let router = Arc::new(Router {
        hub: hub.clone(),
        sub: sub.to_owned(),
        example,
    });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = pin!(hub.shutdown_requested());
    loop {
        // The next connection, unless shutdown comes first.
        let next = poll_fn(|cx| match shutdown.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => listener.poll_accept(cx).map(Some),
        });
        let (stream, _) = match next.await {
            None => break,
            Some(Ok(accepted)) => accepted,
            // A failed accept (out of file descriptors, a reset) is not fatal.
            Some(Err(err)) => {
                tracing::warn!("{sub}: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request| {
            let router = router.clone();
            async move { Ok::<_, Infallible>(handle(&router, request).await) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that hangs up mid-request is its own business.
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("{sub}: requests still running after {GRACE:?}; stopping anyway");
    }
    tracing::info!("{sub}: stopped");
    Ok(())
}

/// The text a bare request gets: a `curl` command that works against this server.
fn example(sub: &crate::Sub, local: SocketAddr) -> String {
    let host = match local.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let url = format!("http://{host}:{}", local.port());
    let mut functions = Vec::new();
    collect_functions(sub, sub.path(), &mut functions);
    // Prefer a function that needs no arguments, so the example runs as is,
    // and of those one with defaults, so the example shows kwargs.
    let runs_as_is = |f: &crate::Function| f.params().iter().all(|p| !p.is_required());
    let shows_kwargs = |f: &crate::Function| f.params().iter().any(|p| p.default.is_some());
    let chosen = functions
        .iter()
        .find(|(_, f)| runs_as_is(f) && shows_kwargs(f))
        .or_else(|| functions.iter().find(|(_, f)| runs_as_is(f)))
        .or(functions.first());
    let Some((reference, function)) = chosen else {
        return format!(
            "example: curl -X GET {url} -d '{{\"ref\": \"<file>.<function>\", \"kwargs\": {{}}}}'\n\
             the `{path}` sub has no plugin functions yet: add one with `pop-create add-plugin {path} NAME`\n",
            path = sub.path()
        );
    };
    let mut kwargs = serde_json::Map::new();
    for param in function.params() {
        let value = match param.default {
            // A default that is not a JSON literal (`"x".to_owned()`) is left to apply.
            Some(default) => match serde_json::from_str(default) {
                Ok(value) => value,
                Err(_) => continue,
            },
            None if param.optional => continue,
            None => json!(format!("<{}>", param.ty)),
        };
        kwargs.insert(param.name.to_owned(), value);
    }
    // Spelled as pop's tutorial spells it: `ref` first.
    let kwargs = Value::Object(kwargs);
    let mut text = format!(
        "example: curl -X GET {url} -d '{{\"ref\": {}, \"kwargs\": {kwargs}}}'\n",
        json!(reference)
    );
    let _ = writeln!(text, "functions of `{}`:", sub.path());
    for (reference, function) in &functions {
        let params: Vec<String> = function
            .params()
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        let doc = function.doc().lines().next().unwrap_or_default();
        let _ = writeln!(text, "  {reference}({})  {doc}", params.join(", "));
    }
    text
}

/// Every function of `sub` and its nested subs, with its reference relative to `root`.
fn collect_functions<'a>(
    sub: &'a crate::Sub,
    root: &str,
    into: &mut Vec<(String, &'a crate::Function)>,
) {
    for function in sub.functions() {
        let relative = function.reference()[root.len() + 1..].to_owned();
        into.push((relative, function));
    }
    for nested in sub.subs() {
        collect_functions(nested, root, into);
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(router: &Router, request: Request<Incoming>) -> Reply {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (reference, response) = route(router, request).await;
    tracing::info!(
        "{method} {path} ref={} status={} time={:?}",
        reference.as_deref().unwrap_or("-"),
        response.status().as_u16(),
        started.elapsed()
    );
    response
}

async fn route(router: &Router, request: Request<Incoming>) -> (Option<String>, Reply) {
    if request.uri().path() != "/" {
        let message = format!(
            "nothing is served at {}; send requests to /",
            request.uri().path()
        );
        return (None, error(StatusCode::NOT_FOUND, "not_found", &message));
    }
    if request.method() != Method::GET && request.method() != Method::POST {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "use GET or POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return (None, response);
    }
    let too_large = || {
        let message = format!("the request body is larger than {BODY_LIMIT} bytes");
        error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &message)
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return (None, too_large());
    }
    let body = match Limited::new(request.into_body(), BODY_LIMIT)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => return (None, too_large()),
        Err(err) => {
            let message = format!("cannot read the body: {err}");
            return (
                None,
                error(StatusCode::BAD_REQUEST, "bad_request", &message),
            );
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        let mut response = Response::new(Full::new(Bytes::from(router.example.clone())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return (None, response);
    }
    let (reference, kwargs) = match parse(&body) {
        Ok(request) => request,
        Err(message) => {
            return (
                None,
                error(StatusCode::BAD_REQUEST, "bad_request", &message),
            );
        }
    };
    let Some(sub) = router.hub.sub(&router.sub) else {
        let response = error(
            StatusCode::NOT_FOUND,
            "unknown_ref",
            "the router's sub is gone",
        );
        return (Some(reference), response);
    };
    let response = match sub.call(&router.hub, &reference, kwargs).await {
        Ok(value) => ok(&value),
        Err(err) => call_error(&err),
    };
    (Some(reference), response)
}

/// `{"ref": "...", "kwargs": {...}}` → (ref, kwargs).
fn parse(body: &Bytes) -> Result<(String, Value), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("the body is not JSON: {err}"))?;
    let Value::Object(mut request) = value else {
        return Err(
            r#"the body must be a JSON object like {"ref": "math.fib", "kwargs": {"num": 11}}"#
                .into(),
        );
    };
    let reference = match request.remove("ref") {
        Some(Value::String(reference)) => reference,
        Some(_) => return Err("`ref` must be a string like \"math.fib\"".into()),
        None => return Err("the body has no `ref`: which function should be called?".into()),
    };
    Ok((reference, request.remove("kwargs").unwrap_or(Value::Null)))
}

/// pop's answer, `{"ref": <value>}`, spelled as pop's router spells it.
fn ok(value: &Value) -> Reply {
    let mut body = Vec::with_capacity(32);
    body.extend_from_slice(b"{\"ref\": ");
    serde_json::to_writer(&mut body, value).expect("a JSON value always serializes");
    body.push(b'}');
    json_response(StatusCode::OK, body)
}

fn call_error(err: &CallError) -> Reply {
    let status = match err {
        CallError::UnknownRef { .. } => StatusCode::NOT_FOUND,
        CallError::BadArguments { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!("{err}");
    }
    let mut detail = json!({"kind": err.kind(), "message": err.to_string()});
    if let Some(parameter) = err.parameter() {
        detail["parameter"] = json!(parameter);
    }
    let body =
        serde_json::to_vec(&json!({ "error": detail })).expect("a JSON value always serializes");
    json_response(status, body)
}

fn error(status: StatusCode, kind: &str, message: &str) -> Reply {
    let body = json!({"error": {"kind": kind, "message": message}});
    json_response(
        status,
        serde_json::to_vec(&body).expect("a JSON value always serializes"),
    )
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
