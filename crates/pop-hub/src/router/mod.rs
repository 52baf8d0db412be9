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
//! | body not JSON, not an object, no string `ref`, or a key other than `ref` and `kwargs` | 400 | `bad_request` |
//! | kwargs that do not fit (missing, unknown, ill-typed) | 400 | `bad_arguments` |
//! | no such plugin in this sub | 404 | `unknown_ref` |
//! | the plugin returned an error | 500 | `plugin_error` |
//! | the plugin panicked (the server keeps serving) | 500 | `panic` |
//! | body over 1 MiB | 413 | `payload_too_large` |
//! | a body that stalls (5 s) or takes too long (15 s) | 408 | `request_timeout` |
//! | a large body while others hold the memory set aside for bodies | 503 | `busy` |
//! | a `pre` contract refused the call (the error names it under `contract`) | 403 | `contract_refused` |
//! | `GET /healthz` (no plugin is called) | 200 | |
//! | `GET /metrics`: Prometheus text format 0.0.4 (see `metrics.rs`) | 200 | |
//! | `GET /openapi.json`: an OpenAPI 3.1 document of the sub's functions | 200 | |
//! | any other path | 404 | `not_found` |
//! | a method the path does not serve (`Allow` names those it does) | 405 | `method_not_allowed` |
//!
//! `HEAD` is answered wherever `GET` is, without the body. Every error body
//! is `{"error": {"kind": "…", "message": "…"}}`. An explicit `null` kwarg
//! counts as not given. Every request has an id (the client's
//! `X-Request-Id` when sane, else a fresh one), echoed in the answer and
//! readable by the plugins it calls ([`crate::request_id`]). Each request is
//! logged as one line with its id (what the client sent is escaped and
//! capped), and counted for `/metrics`.
//!
//! The router keeps no state between requests, so any number of copies can
//! serve behind a load balancer. It holds under hostile clients: headers
//! must arrive within [`HEADER_TIMEOUT`], a body may not stall for longer
//! than [`BODY_IDLE_TIMEOUT`] nor take longer than [`BODY_TIMEOUT`]; at most
//! [`MAX_CONNECTIONS`] connections are served at once (more wait in the
//! kernel's queue); and request bodies beyond a small size share a fixed
//! memory budget. A connection whose body was given up on is closed. Plain `fn` plugins run
//! on the runtime's blocking pool, so a slow one never stalls the others.
//! On Ctrl-C or SIGTERM it stops accepting, serves the requests already
//! sent, and stops within its grace period whatever the plugins are doing.
//!
//! It is built on hyper directly: one route needs no router framework, and
//! leaving axum and tower out takes a third off a new project's cold build.

mod id;
mod metrics;
mod openapi;
#[cfg(test)]
mod properties;
mod request;
mod server;

pub(crate) use request::parse_for_fuzzing;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::Hub;

/// The largest request body the router reads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request body may stall between two reads.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request body may take altogether.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(15);

/// The most connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long requests in flight may take to finish once shutdown is asked for.
pub const GRACE: Duration = Duration::from_secs(10);

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

/// How many threads serve: one per core (`TOKIO_WORKER_THREADS` overrides,
/// as it does for the app's runtime).
fn server_threads() -> usize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|&threads| threads > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
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
    let address = SocketAddr::new(ip, port);
    let listener =
        crate::listen::tcp(sub, address).with_context(|| format!("cannot listen on {address}"))?;
    listener.set_nonblocking(true)?;
    hub.set_data(sub, Bound(std::sync::Mutex::new(Some(listener))))
}

/// Serves the plugins of `sub` over HTTP on the address `bind` claimed,
/// until the hub is asked to shut down. Prints the address it serves on
/// (useful with port 0).
pub async fn serve(hub: Arc<Hub>, sub: &str) -> crate::Result<()> {
    let listener = hub
        .data::<Bound>(sub)
        .and_then(|bound| bound.0.lock().ok()?.take())
        .with_context(|| {
            format!(
                "the router of `{sub}` has no address: its start hook calls `pop::router::bind`"
            )
        })?;
    let local = listener.local_addr()?;
    let threads = server_threads();
    let router = Arc::new(request::Router::new(hub.clone(), sub, local, threads)?);
    println!("{sub}: serving on http://{local} (Ctrl-C to stop)");
    // One single-threaded runtime per core, each accepting from the same
    // socket and serving its connections start to end: no task moves
    // between threads, and no worker wakes another. Plain `fn` plugins still
    // run on the app runtime's blocking pool (the router keeps its handle).
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut workers = Vec::new();
    for index in 0..threads {
        let listener = listener.try_clone()?;
        let (router, slots, hub) = (router.clone(), slots.clone(), hub.clone());
        let (done, finished) = tokio::sync::oneshot::channel::<crate::Result<()>>();
        std::thread::Builder::new()
            .name(format!("{sub}-server-{index}"))
            .spawn(move || {
                let served = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(anyhow::Error::from)
                    .and_then(|runtime| {
                        runtime.block_on(async {
                            let listener = tokio::net::TcpListener::from_std(listener)?;
                            server::run(listener, router, index, slots, hub.shutdown_requested())
                                .await;
                            Ok(())
                        })
                    });
                let _ = done.send(served);
            })
            .context("cannot start a server thread")?;
        workers.push(finished);
    }
    for finished in workers {
        finished
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a server thread ended without a word")))?;
    }
    tracing::info!("{sub}: stopped");
    Ok(())
}
