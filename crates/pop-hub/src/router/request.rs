//! One request: route it, read its body within the limits, call the plugin,
//! and answer. Every answer other than a call's result is a [`Rejection`],
//! the router's one table of statuses.

use std::fmt::Write as _;
use std::future::Future as _;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use anyhow::Context as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use rustc_hash::FxHashMap;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::id::{self, Ids};
use super::metrics::{Metrics, Outcome, Shard, Target};
use super::{BODY_IDLE_TIMEOUT, BODY_LIMIT, BODY_TIMEOUT};
use crate::hub::Function;
use crate::log::capped;
use crate::plugin::{Kwargs, Reply, Want};
use crate::{CallError, Cause, Hub};

/// Bodies up to this size need no share of the budget: the connection cap
/// bounds what they can hold.
const SMALL_BODY: usize = 8 * 1024;

/// The memory every larger body being read shares, in KiB.
const BODY_BUDGET_KIB: usize = 16 * 1024;

/// The longest error message an answer carries; the rest is replaced by
/// its length (a plugin's error may repeat what the client sent).
const MESSAGE_CAP: usize = 1024;

type Answer = Response<Full<Bytes>>;

/// Where a request goes, by its path alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `/`: a call, or the listing.
    Call,
    Health,
    Metrics,
    OpenApi,
    /// Any other path.
    Other,
}

impl Route {
    /// Every route, in the order of their discriminants.
    const ALL: [Route; 5] = [
        Route::Call,
        Route::Health,
        Route::Metrics,
        Route::OpenApi,
        Route::Other,
    ];

    fn of(path: &str) -> Route {
        match path {
            "/" => Route::Call,
            "/healthz" => Route::Health,
            "/metrics" => Route::Metrics,
            "/openapi.json" => Route::OpenApi,
            _ => Route::Other,
        }
    }

    /// Its label in the metrics.
    fn label(self) -> &'static str {
        match self {
            Route::Call => "/",
            Route::Health => "/healthz",
            Route::Metrics => "/metrics",
            Route::OpenApi => "/openapi.json",
            Route::Other => "other",
        }
    }

    /// The methods it answers, as the `Allow` header lists them. `HEAD`
    /// goes wherever `GET` does.
    fn allow(self) -> &'static str {
        match self {
            Route::Call => "GET, HEAD, POST",
            _ => "GET, HEAD",
        }
    }

    fn allows(self, method: &Method) -> bool {
        *method == Method::GET
            || *method == Method::HEAD
            || (self == Route::Call && *method == Method::POST)
    }
}

/// What a request turned out to call, for its log line and its metrics.
#[derive(Default)]
struct Called {
    /// The reference it named, if it named one (the log caps it).
    reference: Option<String>,
    /// Where it is counted, if it reached a function.
    target: Option<Target>,
}

/// Why a request gets no result: each with its status, kind and message.
#[derive(Debug)]
pub(super) enum Rejection {
    /// A path the router does not serve.
    NotFound(String),
    /// A method the path does not answer; the ones it does.
    MethodNotAllowed(&'static str),
    /// A body over [`BODY_LIMIT`].
    PayloadTooLarge,
    /// A body that stalled, or took too long altogether.
    Timeout,
    /// A large body while other large bodies take the memory set aside for them.
    Busy,
    /// A body that is not a call: not JSON, no string `ref`, an unknown key.
    BadRequest(String),
    /// The call itself failed.
    Call(CallError),
}

impl Rejection {
    fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound(_) => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Timeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::BadRequest(_) => StatusCode::BAD_REQUEST,
            Rejection::Call(err) => match err.cause() {
                Cause::UnknownRef { .. } => StatusCode::NOT_FOUND,
                Cause::BadArguments { .. } => StatusCode::BAD_REQUEST,
                // The server understood the call and one of its sub's rules refuses it.
                Cause::Refused { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The error's kind, as the answer's `kind` and the metrics' label.
    fn outcome(&self) -> Outcome {
        match self {
            Rejection::NotFound(_) => Outcome::NotFound,
            Rejection::MethodNotAllowed(_) => Outcome::MethodNotAllowed,
            Rejection::PayloadTooLarge => Outcome::PayloadTooLarge,
            Rejection::Timeout => Outcome::RequestTimeout,
            Rejection::Busy => Outcome::Busy,
            Rejection::BadRequest(_) => Outcome::BadRequest,
            Rejection::Call(err) => match err.cause() {
                Cause::UnknownRef { .. } => Outcome::UnknownRef,
                Cause::BadArguments { .. } => Outcome::BadArguments,
                Cause::Failed { .. } => Outcome::PluginError,
                Cause::Panicked { .. } => Outcome::Panic,
                Cause::Refused { .. } => Outcome::ContractRefused,
            },
        }
    }

    /// The message, with what the client sent capped.
    fn message(&self) -> String {
        let message = match self {
            Rejection::NotFound(path) => {
                format!("nothing is served at {}; send requests to /", capped(path))
            }
            Rejection::MethodNotAllowed(allow) => format!("this path answers {allow}"),
            Rejection::PayloadTooLarge => {
                format!("the request body is larger than {BODY_LIMIT} bytes")
            }
            Rejection::Timeout => format!(
                "the request body stalled for more than {BODY_IDLE_TIMEOUT:?}, or took more than {BODY_TIMEOUT:?}"
            ),
            Rejection::Busy => {
                "other large requests hold the memory set aside for bodies; try again".to_owned()
            }
            Rejection::BadRequest(message) => message.clone(),
            Rejection::Call(err) => err.to_string(),
        };
        crate::log::capped_to(&message, MESSAGE_CAP).into_owned()
    }

    /// True when the body was not read to its end: the connection cannot
    /// carry another request, and must not be held open for the rest.
    fn ends_connection(&self) -> bool {
        matches!(
            self,
            Rejection::PayloadTooLarge | Rejection::Timeout | Rejection::Busy
        )
    }

    fn into_reply(self) -> Answer {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{}", self.message());
        }
        let mut detail = json!({"kind": self.outcome().name(), "message": self.message()});
        if let Rejection::Call(err) = &self {
            if let Some(parameter) = err.parameter() {
                detail["parameter"] = json!(parameter);
            }
            if let Some(contract) = err.contract() {
                detail["contract"] = json!(contract);
            }
        }
        let body = serde_json::to_vec(&json!({ "error": detail }))
            .expect("a JSON value always serializes");
        let mut reply = json_reply(status, body);
        match self {
            Rejection::MethodNotAllowed(allow) => {
                reply
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            rejection if rejection.ends_connection() => {
                reply
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        reply
    }
}

/// A router, resolved once when it starts serving.
pub(super) struct Router {
    hub: Arc<Hub>,
    sub: String,
    /// The functions callable through it, by reference relative to its
    /// sub, with where their calls are counted.
    functions: FxHashMap<Box<str>, (Arc<Function>, Target)>,
    /// What it has done, for `/metrics`.
    metrics: Metrics,
    /// Where fresh request ids come from.
    ids: Ids,
    /// Serving without metrics and request ids, to measure their cost
    /// (`POP_ROUTER_BARE=1`; a benchmark's switch, not an operator's).
    bare: bool,
    /// What a bare request gets.
    example: String,
    /// `GET /openapi.json`.
    openapi: Bytes,
    /// Where requests that reach no function are counted, by [`Route`].
    route_targets: [Target; Route::ALL.len()],
    /// The memory larger bodies share.
    budget: Arc<Semaphore>,
    /// The app's runtime, whose blocking pool runs plain `fn` plugins.
    blocking: tokio::runtime::Handle,
}

impl Router {
    pub(super) fn new(
        hub: Arc<Hub>,
        sub: &str,
        local: SocketAddr,
        threads: usize,
    ) -> crate::Result<Router> {
        let target = hub
            .sub(sub)
            .with_context(|| format!("there is no sub `{sub}` to route to"))?;
        anyhow::ensure!(
            target.is_added(),
            "the sub `{sub}` was not added to the hub, so it has nothing to serve"
        );
        let example = example(target, local);
        let functions = target.callable();
        let mut listed: Vec<&Function> = functions.values().map(|f| &**f).collect();
        listed.sort_by(|a, b| a.reference().cmp(b.reference()));
        let app = hub
            .app()
            .map_or((sub, "0.0.0"), |app| (app.name, app.version));
        let openapi = super::openapi::document(app, sub, local, &listed);
        let openapi =
            Bytes::from(serde_json::to_vec_pretty(&openapi).expect("a JSON value serializes"));
        let metrics = Metrics::new(functions.keys().map(|reference| &**reference), threads);
        let functions = functions
            .into_iter()
            .filter_map(|(reference, function)| {
                let target = metrics.function(&reference)?;
                Some((reference, (function, target)))
            })
            .collect();
        // Looked up once here rather than by label on every request.
        let route_targets = Route::ALL.map(|route| metrics.route(route.label()));
        Ok(Router {
            route_targets,
            sub: sub.to_owned(),
            example,
            openapi,
            functions,
            metrics,
            ids: Ids::new(threads),
            bare: std::env::var_os("POP_ROUTER_BARE").is_some_and(|bare| bare == "1"),
            budget: Arc::new(Semaphore::new(BODY_BUDGET_KIB)),
            blocking: tokio::runtime::Handle::current(),
            hub,
        })
    }

    pub(super) fn sub(&self) -> &str {
        &self.sub
    }

    /// The metrics shard of server thread `index`.
    pub(super) fn shard(&self, index: usize) -> Arc<Shard> {
        self.metrics.shard(index)
    }

    /// Answers one request, logs it and counts it. `close` is set when the
    /// connection must end after this answer (its body was not read to the
    /// end); `shard` is the calling server thread's.
    pub(super) async fn handle(
        &self,
        request: Request<Incoming>,
        close: &std::sync::atomic::AtomicBool,
        shard: &Arc<Shard>,
    ) -> Answer {
        let started = Instant::now();
        if self.bare {
            return self.handle_bare(request, close, started).await;
        }
        let _in_flight = shard.in_flight();
        let (id, header) = self.ids.of(id::sent(request.headers()), shard);
        let method = request.method().clone();
        let uri = request.uri().clone();
        let route = Route::of(uri.path());
        let mut called = Called::default();
        // Everything logged while the request is served carries its id. The
        // answer is pinned where it is: the scope holds a pointer to it, not
        // a moved copy.
        let (mut reply, outcome) = {
            let answer = std::pin::pin!(self.answer(route, request, &mut called, close));
            id.clone().scope(answer).await
        };
        // A reply of ours never has the header yet: appending skips the search.
        reply.headers_mut().append(id::HEADER.clone(), header);
        let took = started.elapsed();
        let target = called.target.unwrap_or(self.route_targets[route as usize]);
        shard.record(target, outcome, took);
        crate::log::request(&crate::log::Request {
            id: id.as_str(),
            method: method.as_str(),
            path: uri.path(),
            reference: called.reference.as_deref(),
            status: reply.status().as_u16(),
            duration: took,
        });
        reply
    }

    /// [`Router::handle`] without metrics and request ids (`POP_ROUTER_BARE`),
    /// to measure what they cost.
    async fn handle_bare(
        &self,
        request: Request<Incoming>,
        close: &std::sync::atomic::AtomicBool,
        started: Instant,
    ) -> Answer {
        let method = request.method().clone();
        let uri = request.uri().clone();
        let mut called = Called::default();
        let route = Route::of(uri.path());
        let (reply, _) = self.answer(route, request, &mut called, close).await;
        crate::log::request(&crate::log::Request {
            id: "-",
            method: method.as_str(),
            path: uri.path(),
            reference: called.reference.as_deref(),
            status: reply.status().as_u16(),
            duration: started.elapsed(),
        });
        reply
    }

    /// The answer to a request and how it ended; `close` is set when the
    /// connection cannot carry another request.
    async fn answer(
        &self,
        route: Route,
        request: Request<Incoming>,
        called: &mut Called,
        close: &std::sync::atomic::AtomicBool,
    ) -> (Answer, Outcome) {
        match self.route(route, request, called).await {
            Ok(reply) => (reply, Outcome::Ok),
            Err(rejection) => {
                if rejection.ends_connection() {
                    close.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                let outcome = rejection.outcome();
                (rejection.into_reply(), outcome)
            }
        }
    }

    async fn route(
        &self,
        route: Route,
        request: Request<Incoming>,
        called: &mut Called,
    ) -> Result<Answer, Rejection> {
        if route == Route::Other {
            return Err(Rejection::NotFound(request.uri().path().to_owned()));
        }
        if !route.allows(request.method()) {
            return Err(Rejection::MethodNotAllowed(route.allow()));
        }
        match route {
            Route::Health => return Ok(json_reply(StatusCode::OK, HEALTHY)),
            Route::OpenApi => return Ok(json_reply(StatusCode::OK, self.openapi.clone())),
            Route::Metrics => {
                let text = self.metrics.render(crate::log::dropped_lines());
                let mut reply = Response::new(Full::new(Bytes::from(text)));
                reply.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                return Ok(reply);
            }
            Route::Call | Route::Other => {}
        }
        let (body, _share) = self.read_body(request.into_body()).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            let mut reply = Response::new(Full::new(Bytes::from(self.example.clone())));
            reply.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            return Ok(reply);
        }
        let (reference, kwargs) = parse(&body)?;
        let result = self.call(&reference, body.clone(), kwargs, called).await;
        called.reference = Some(reference);
        Ok(ok(&result.map_err(Rejection::Call)?))
    }

    /// The body, within the size limit, the time limits and the budget; with
    /// the share of the budget it holds until the request is answered.
    async fn read_body(
        &self,
        body: Incoming,
    ) -> Result<(Bytes, Option<OwnedSemaphorePermit>), Rejection> {
        let declared = body.size_hint().exact();
        if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
            return Err(Rejection::PayloadTooLarge);
        }
        // A body of known length takes its whole share before it is read, so
        // that bodies never hold half a share each while waiting for more.
        let mut share = match declared {
            Some(length) => self.share(length as usize, None).await?,
            None => None,
        };
        // Set when the body first makes the request wait: a body that came
        // with its headers (most do) needs no timer at all.
        let mut deadline = None;
        let mut body = body;
        // A body of known length is read into one buffer of that size: a
        // buffer grown by doubling leaves the allocator holes of every size,
        // which repeated large bodies never fill. One that arrives in a
        // single frame (most do) is not copied at all.
        let mut first: Option<Bytes> = None;
        let mut collected: Vec<u8> = Vec::new();
        let mut total = 0;
        loop {
            let mut next = std::pin::pin!(body.frame());
            let ready = std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
            let frame = match ready {
                Poll::Ready(frame) => frame,
                Poll::Pending => {
                    let now = tokio::time::Instant::now();
                    let deadline = *deadline.get_or_insert(now + BODY_TIMEOUT);
                    let stall = now + BODY_IDLE_TIMEOUT;
                    tokio::time::timeout_at(stall.min(deadline), next)
                        .await
                        .map_err(|_| Rejection::Timeout)?
                }
            };
            let Some(frame) = frame else { break };
            let frame = frame
                .map_err(|err| Rejection::BadRequest(format!("cannot read the body: {err}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total += data.len();
            if total > BODY_LIMIT {
                return Err(Rejection::PayloadTooLarge);
            }
            if declared.is_none() {
                share = self.share(total, share).await?;
            }
            if collected.is_empty() && first.is_none() {
                first = Some(data);
                continue;
            }
            if let Some(first) = first.take() {
                let expected = declared.map_or(total, |length| length as usize);
                collected.reserve_exact(expected.max(total));
                collected.extend_from_slice(&first);
            }
            collected.extend_from_slice(&data);
        }
        let body = match first {
            Some(only) => only,
            None => Bytes::from(collected),
        };
        Ok((body, share))
    }

    /// The share of the body budget a body of `size` bytes needs: none for a
    /// small one, one permit per KiB beyond. Refused when the budget stays
    /// taken (by other large bodies) for as long as a body may stall.
    async fn share(
        &self,
        size: usize,
        held: Option<OwnedSemaphorePermit>,
    ) -> Result<Option<OwnedSemaphorePermit>, Rejection> {
        let needed = size.saturating_sub(SMALL_BODY).div_ceil(1024) as u32;
        let have = held.as_ref().map_or(0, |share| share.num_permits() as u32);
        if needed <= have {
            return Ok(held);
        }
        let more = tokio::time::timeout(
            BODY_IDLE_TIMEOUT,
            self.budget.clone().acquire_many_owned(needed - have),
        )
        .await
        .map_err(|_| Rejection::Busy)?
        .expect("the budget is never closed");
        Ok(Some(match held {
            Some(mut share) => {
                share.merge(more);
                share
            }
            None => more,
        }))
    }

    /// Calls a function of the sub with the kwargs at `kwargs` in `body`
    /// (bound straight from the request's text): a plain `fn` on the
    /// blocking pool, so it cannot stall the async workers; an `async fn` in
    /// place. Answers JSON text, written as it is.
    async fn call(
        &self,
        reference: &str,
        body: Bytes,
        kwargs: Option<Range<usize>>,
        called: &mut Called,
    ) -> Result<Vec<u8>, CallError> {
        let Some((function, target)) = self.functions.get(reference) else {
            // The hub says why, as for any call; what the client sent is capped.
            return Err(match self.hub.sub(&self.sub) {
                Some(sub) => self.hub.unknown_in(sub, &capped(reference), reference),
                None => CallError::unknown_ref(
                    capped(reference),
                    format!("the router's sub `{}` is gone", self.sub),
                ),
            });
        };
        called.target = Some(*target);
        let json = |reply| match reply {
            Reply::Json(bytes) => Ok(bytes),
            Reply::Value(value) => serde_json::to_vec(&value)
                .map_err(|err| CallError::failed(err).with_reference(reference)),
        };
        if !function.is_blocking() {
            let kwargs = kwargs_of(&body, kwargs);
            return json(function.invoke(&self.hub, kwargs, Want::Json).await?);
        }
        let (hub, function) = (self.hub.clone(), function.clone());
        let id = crate::request_id();
        let blocking = self.blocking.spawn_blocking(move || {
            let run = || {
                function
                    .invoke(&hub, kwargs_of(&body, kwargs), Want::Json)
                    .finish_now()
            };
            match id {
                Some(id) => id.run(run),
                None => run(),
            }
        });
        let reply = blocking.await.unwrap_or_else(|err| {
            Err(
                CallError::panicked(format!("the blocking call did not finish: {err}"))
                    .with_reference(reference),
            )
        })?;
        json(reply)
    }
}

/// The kwargs at `range` of the body: its JSON text, or none.
fn kwargs_of(body: &[u8], range: Option<Range<usize>>) -> Kwargs<'_> {
    match range.and_then(|range| std::str::from_utf8(&body[range]).ok()) {
        Some(text) => Kwargs::Json(text),
        None => Kwargs::Value(Value::Null),
    }
}

/// `{"ref": "...", "kwargs": {...}}` → the ref, and where the kwargs' JSON
/// text is in the body (`None` for none, or `null`); any other key is refused.
///
/// One pass over the body, keeping only the ref: the kwargs are bound later
/// straight from their text.
pub(super) fn parse(body: &[u8]) -> Result<(String, Option<Range<usize>>), Rejection> {
    let bad = |message: String| Rejection::BadRequest(message);
    let mut problem = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = serde::Deserializer::deserialize_map(
        &mut deserializer,
        CallVisitor {
            problem: &mut problem,
        },
    )
    .and_then(|call| deserializer.end().map(|()| call));
    let (reference, kwargs) = match parsed {
        Ok(call) => call,
        Err(err) => {
            return Err(problem.unwrap_or_else(|| match err.classify() {
                serde_json::error::Category::Data => bad(
                    r#"the body must be a JSON object like {"ref": "math.fib", "kwargs": {"num": 11}}"#
                        .into(),
                ),
                _ => bad(format!("the body is not JSON: {err}")),
            }));
        }
    };
    let Some(reference) = reference else {
        return Err(bad(
            "the body has no `ref`: which function should be called?".into(),
        ));
    };
    let reference = serde_json::from_str::<String>(reference.get())
        .map_err(|_| bad("`ref` must be a string like \"math.fib\"".into()))?;
    let kwargs = kwargs.filter(|raw| raw.get() != "null").map(|raw| {
        // The raw value borrows from `body`: its place there, to read it again later.
        let start = raw.get().as_ptr() as usize - body.as_ptr() as usize;
        start..start + raw.get().len()
    });
    Ok((reference, kwargs))
}

/// [`parse`] as the fuzz target sees it (through [`crate::fuzzing`]): the
/// call, or the status and message its refusal is answered with.
pub(crate) fn parse_for_fuzzing(
    body: &[u8],
) -> Result<crate::fuzzing::Call, crate::fuzzing::Refusal> {
    parse(body).map_err(|rejection| (rejection.status().as_u16(), rejection.message()))
}

/// The two keys of a call, read in one pass; the reason a body is refused
/// goes to `problem`.
struct CallVisitor<'p> {
    problem: &'p mut Option<Rejection>,
}

impl<'de> serde::de::Visitor<'de> for CallVisitor<'_> {
    type Value = (Option<&'de RawValue>, Option<&'de RawValue>);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object with `ref` and `kwargs`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut reference, mut kwargs) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                // Checked once every key is read: an unknown key is the first thing to say.
                "ref" => reference = Some(map.next_value::<&'de RawValue>()?),
                "kwargs" => kwargs = Some(map.next_value::<&'de RawValue>()?),
                other => {
                    *self.problem = Some(Rejection::BadRequest(format!(
                        "unknown key `{}`: a request has only `ref` and `kwargs`",
                        capped(other)
                    )));
                    return Err(serde::de::Error::custom("unknown key"));
                }
            }
        }
        Ok((reference, kwargs))
    }
}

/// pop's answer, `{"ref": <value>}`, spelled as pop's router spells it.
fn ok(value: &[u8]) -> Answer {
    let mut body = Vec::with_capacity(value.len() + 10);
    body.extend_from_slice(b"{\"ref\": ");
    body.extend_from_slice(value);
    body.push(b'}');
    json_reply(StatusCode::OK, body)
}

/// What `/healthz` answers.
const HEALTHY: &[u8] = br#"{"status": "ok"}"#;

fn json_reply(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    let mut reply = Response::new(Full::new(body.into()));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
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
    let runs_as_is = |f: &Function| f.params().iter().all(|p| !p.is_required());
    let shows_kwargs = |f: &Function| f.params().iter().any(|p| p.default.is_some());
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
    // Sample values for required parameters; a type without one shows its name.
    let kwargs = super::openapi::example_kwargs(function.params()).unwrap_or_else(|| {
        let mut kwargs = serde_json::Map::new();
        for param in function.params().iter().filter(|p| p.is_required()) {
            kwargs.insert(param.name.to_owned(), json!(format!("<{}>", param.ty)));
        }
        Value::Object(kwargs)
    });
    // Spelled as pop's tutorial spells it: `ref` first.
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
fn collect_functions<'a>(sub: &'a crate::Sub, root: &str, into: &mut Vec<(String, &'a Function)>) {
    for function in sub.functions() {
        let relative = function.reference()[root.len() + 1..].to_owned();
        into.push((relative, function));
    }
    for nested in sub.subs() {
        collect_functions(nested, root, into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_call_is_answered_and_counted_under_its_own_kind() {
        for err in [
            CallError::unknown_ref("a.b", "no such sub"),
            CallError::bad_arguments("no"),
            CallError::failed(anyhow::anyhow!("no")),
            CallError::panicked("no"),
            CallError::refused("a.b", "pre", "no".into()),
        ] {
            let kind = err.kind();
            assert_eq!(Rejection::Call(err).outcome().name(), kind);
        }
    }

    #[test]
    fn every_route_is_at_its_own_index() {
        for (index, route) in Route::ALL.into_iter().enumerate() {
            assert_eq!(route as usize, index, "{}", route.label());
        }
    }
}
