//! NATS JetStream as the bus (the runtime's `bus` feature), with the
//! official `async-nats` client.
//!
//! One connection per broker and process, shared by every beacon and stage.
//! A beacon's or stage's queue publishes each event with its id as
//! `Nats-Msg-Id`, so the broker drops a second copy within its duplicate
//! window (a stage that handles a redelivered event publishes the same id
//! again). A stage pulls from its upstream's stream through a durable
//! consumer named after it: several processes pulling through one durable
//! consumer share its work, and what a killed process had not acknowledged
//! is delivered again after [`ACK_WAIT`].
//!
//! The client reconnects by itself when the broker goes away; meanwhile
//! publishing and pulling are retried here with back-off, and both the loss
//! and the recovery are logged.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::header::{HeaderMap, NATS_MESSAGE_ID};
use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures_core::Stream as _;

use super::MAX_DELIVERIES;
use crate::flow::{Delivery, Origin};
use crate::queue::{Event, Outlet};

/// How long the broker waits for a stage's answer about an event before it
/// delivers the event again; a stage still working on it says so every
/// third of this.
pub(crate) const ACK_WAIT: Duration = Duration::from_secs(10);

/// How many events a stage's process pulls at a time.
const BATCH: usize = 32;

/// How long a stream keeps its events: a consumer away longer misses them.
const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The connections of this process, by URL.
static CLIENTS: tokio::sync::Mutex<Vec<(String, async_nats::Client)>> =
    tokio::sync::Mutex::const_new(Vec::new());

/// The connection to the broker at `url`, made on first use. An unreachable
/// broker is one error naming the URL.
async fn client(url: &str) -> crate::Result<async_nats::Client> {
    let mut clients = CLIENTS.lock().await;
    if let Some((_, client)) = clients.iter().find(|(known, _)| known == url) {
        return Ok(client.clone());
    }
    let shown = url.to_owned();
    // The first `Connected` is the connection made here, logged below.
    let lost_once = Arc::new(AtomicBool::new(false));
    let client = async_nats::ConnectOptions::new()
        .name("pop")
        .connection_timeout(Duration::from_secs(5))
        .event_callback(move |event| {
            let url = shown.clone();
            let lost_once = lost_once.clone();
            async move { log_connection_event(&url, &event, &lost_once) }
        })
        .connect(url)
        .await
        .map_err(|err| anyhow::anyhow!("cannot reach the bus at {url}: {err}"))?;
    tracing::info!("bus: connected to {url}");
    clients.push((url.to_owned(), client.clone()));
    Ok(client)
}

fn log_connection_event(url: &str, event: &async_nats::Event, lost_once: &AtomicBool) {
    match event {
        async_nats::Event::Disconnected => {
            lost_once.store(true, Ordering::Relaxed);
            tracing::warn!("bus: lost the broker at {url}; reconnecting with back-off")
        }
        async_nats::Event::Connected if lost_once.load(Ordering::Relaxed) => {
            tracing::info!("bus: reconnected to {url}")
        }
        async_nats::Event::Connected => {}
        other => tracing::debug!("bus: {url}: {other}"),
    }
}

/// A part of a name on the broker: letters, digits and `_` stay, the rest
/// (a nested sub's `.`) becomes `_`.
fn token(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The stream of the sub at `sub`: `<app>-<sub>`.
pub(crate) fn stream_name(app: &str, sub: &str) -> String {
    format!("{}-{}", token(app), token(sub))
}

fn subject(app: &str, sub: &str) -> String {
    format!("pop.{}.{}", token(app), token(sub))
}

/// The stream where the stage `stage` sets events aside: `<app>-<stage>-dead`.
pub(crate) fn dead_stream_name(app: &str, stage: &str) -> String {
    format!("{}-dead", stream_name(app, stage))
}

fn dead_subject(app: &str, stage: &str) -> String {
    format!("pop-dead.{}.{}", token(app), token(stage))
}

/// The stream `name` on `subject`, created if missing.
async fn ensure_stream(
    js: &jetstream::Context,
    name: String,
    subject: String,
) -> crate::Result<stream::Stream> {
    let config = stream::Config {
        name: name.clone(),
        subjects: vec![subject],
        max_age: MAX_AGE,
        storage: stream::StorageType::File,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.with_context(|| {
        format!("cannot open the stream `{name}` (is JetStream on: nats-server -js?)")
    })
}

/// Back-off for retries against the broker: 100 ms doubling to 5 s, with a
/// warning at the first failure and at most every 30 s after it.
struct Backoff {
    what: String,
    delay: Duration,
    failing_since: Option<Instant>,
    warned: Option<Instant>,
}

impl Backoff {
    fn new(what: String) -> Backoff {
        Backoff {
            what,
            delay: Duration::from_millis(100),
            failing_since: None,
            warned: None,
        }
    }

    async fn failed(&mut self, error: String) {
        let now = Instant::now();
        self.failing_since.get_or_insert(now);
        if self
            .warned
            .is_none_or(|warned| now.duration_since(warned) >= Duration::from_secs(30))
        {
            tracing::warn!(
                "bus: {} failed: {error}; retrying with back-off (now {:?})",
                self.what,
                self.delay
            );
            self.warned = Some(now);
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Duration::from_secs(5));
    }

    fn succeeded(&mut self) {
        if let Some(since) = self.failing_since.take() {
            tracing::info!(
                "bus: {} works again, after {:.1?}",
                self.what,
                since.elapsed()
            );
        }
        self.delay = Duration::from_millis(100);
        self.warned = None;
    }
}

/// Where a queue bound to NATS publishes: its sub's stream.
#[derive(Debug)]
pub(crate) struct Publisher {
    js: jetstream::Context,
    stream: String,
    subject: String,
}

impl Publisher {
    /// Connects, and creates the stream of `app`'s sub `sub` if missing.
    pub(crate) async fn open(url: &str, app: &str, sub: &str) -> crate::Result<Publisher> {
        let js = jetstream::new(client(url).await?);
        let name = stream_name(app, sub);
        ensure_stream(&js, name.clone(), subject(app, sub)).await?;
        Ok(Publisher {
            js,
            stream: name,
            subject: subject(app, sub),
        })
    }

    async fn try_publish(&self, event: &Event, payload: Vec<u8>) -> crate::Result<()> {
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MESSAGE_ID, event.id.as_str());
        self.js
            .publish_with_headers(self.subject.clone(), headers, payload.into())
            .await?
            .await?;
        Ok(())
    }
}

impl Outlet for Publisher {
    fn publish(&self, event: Event) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let payload = event.item.to_string().into_bytes();
            let mut backoff = Backoff::new(format!("publishing to the stream `{}`", self.stream));
            loop {
                match self.try_publish(&event, payload.clone()).await {
                    Ok(()) => return backoff.succeeded(),
                    Err(err) => backoff.failed(format!("{err:#}")).await,
                }
            }
        })
    }
}

/// Where a stage sets aside what fails every time.
#[derive(Debug)]
pub(crate) struct DeadLetters {
    js: jetstream::Context,
    stream: String,
    subject: String,
}

impl DeadLetters {
    async fn open(js: jetstream::Context, app: &str, stage: &str) -> crate::Result<DeadLetters> {
        let name = dead_stream_name(app, stage);
        ensure_stream(&js, name.clone(), dead_subject(app, stage)).await?;
        Ok(DeadLetters {
            js,
            stream: name,
            subject: dead_subject(app, stage),
        })
    }
}

/// An event pulled from a stream, to be acknowledged once handled.
pub(crate) struct Received {
    message: jetstream::Message,
    dead: Arc<DeadLetters>,
}

impl Received {
    /// The stage handled it: the broker may forget it for this consumer. A
    /// lost acknowledgement only means the event comes again.
    pub(crate) async fn ack(&self) {
        if let Err(err) = self.message.ack().await {
            tracing::warn!("bus: an acknowledgement was lost ({err}); the event will come again");
        }
    }

    /// The stage failed it: deliver it again after `delay` (to any process).
    pub(crate) async fn retry(&self, delay: Duration) {
        let _ = self.message.ack_with(AckKind::Nak(Some(delay))).await;
    }

    /// Tells the broker, every third of [`ACK_WAIT`], that the stage is still
    /// at work on this event; never ends.
    pub(crate) async fn keep_alive(&self) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(ACK_WAIT / 3).await;
            let _ = self.message.ack_with(AckKind::Progress).await;
        }
    }

    /// Stores the event in the stage's dead-letter stream with why, then
    /// tells the broker never to deliver it again. Returns the stream's name.
    pub(crate) async fn set_aside(&self, id: &str, stage: &str, why: &str) -> String {
        let dead = &self.dead;
        let mut backoff = Backoff::new(format!("setting aside in the stream `{}`", dead.stream));
        loop {
            let mut headers = HeaderMap::new();
            headers.insert(NATS_MESSAGE_ID, id);
            headers.insert("Pop-Stage", stage);
            // Header values are one line.
            headers.insert("Pop-Error", why.replace(['\r', '\n'], " ").as_str());
            let published = async {
                dead.js
                    .publish_with_headers(
                        dead.subject.clone(),
                        headers,
                        self.message.payload.clone(),
                    )
                    .await?
                    .await
            }
            .await;
            match published {
                Ok(_) => break,
                Err(err) => backoff.failed(err.to_string()).await,
            }
        }
        let _ = self.message.ack_with(AckKind::Term).await;
        dead.stream.clone()
    }
}

/// A stage's input from its upstream's stream, opened on first use and
/// opened again (with back-off) whenever pulling fails.
pub(crate) struct Source {
    url: String,
    app: String,
    upstream: String,
    stage: String,
    opened: Option<Opened>,
    opened_once: bool,
}

struct Opened {
    messages: Pin<Box<consumer::pull::Stream>>,
    dead: Arc<DeadLetters>,
}

impl Source {
    /// The input of `app`'s stage `stage` from the stream of `upstream`.
    pub(crate) fn new(url: &str, app: &str, upstream: &str, stage: &str) -> Source {
        Source {
            url: url.to_owned(),
            app: app.to_owned(),
            upstream: upstream.to_owned(),
            stage: stage.to_owned(),
            opened: None,
            opened_once: false,
        }
    }

    /// The consumer's name: the stage's.
    fn durable(&self) -> String {
        token(&self.stage)
    }

    async fn open(&self) -> crate::Result<Opened> {
        let js = jetstream::new(client(&self.url).await?);
        let name = stream_name(&self.app, &self.upstream);
        let stream = ensure_stream(&js, name.clone(), subject(&self.app, &self.upstream)).await?;
        let dead = DeadLetters::open(js, &self.app, &self.stage).await?;
        let durable = self.durable();
        let config = consumer::pull::Config {
            durable_name: Some(durable.clone()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            // One more than the stage's own tries: a delivery past them is
            // one that stopped a process each time, and is set aside unread.
            max_deliver: i64::from(MAX_DELIVERIES) + 1,
            ..Default::default()
        };
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(&durable, config)
            .await
            .with_context(|| {
                format!("cannot open the consumer `{durable}` of the stream `{name}`")
            })?;
        let messages = consumer
            .stream()
            .max_messages_per_batch(BATCH)
            .heartbeat(Duration::from_secs(5))
            .messages()
            .await
            .with_context(|| format!("cannot pull from the stream `{name}`"))?;
        tracing::info!(
            "{}: taking events from the stream `{name}` as the consumer `{durable}`",
            self.stage
        );
        Ok(Opened {
            messages: Box::pin(messages),
            dead: Arc::new(dead),
        })
    }

    /// The next event. The first connection's failure is returned (the app
    /// stops, naming the URL); later ones are retried with back-off.
    pub(crate) async fn next(&mut self) -> crate::Result<Option<Delivery>> {
        let what = format!(
            "taking events from the stream `{}`",
            stream_name(&self.app, &self.upstream)
        );
        let mut backoff = Backoff::new(what);
        loop {
            if self.opened.is_none() {
                match self.open().await {
                    Ok(opened) => {
                        self.opened = Some(opened);
                        self.opened_once = true;
                    }
                    Err(err) if !self.opened_once => return Err(err),
                    Err(err) => {
                        backoff.failed(format!("{err:#}")).await;
                        continue;
                    }
                }
            }
            let Some(opened) = self.opened.as_mut() else {
                continue;
            };
            let next = poll_fn(|cx| opened.messages.as_mut().poll_next(cx)).await;
            match next {
                Some(Ok(message)) => {
                    backoff.succeeded();
                    let dead = opened.dead.clone();
                    return Ok(Some(delivery(message, dead)));
                }
                Some(Err(err)) => {
                    self.opened = None;
                    backoff.failed(err.to_string()).await;
                }
                None => self.opened = None,
            }
        }
    }
}

fn delivery(message: jetstream::Message, dead: Arc<DeadLetters>) -> Delivery {
    let info = message.info().ok();
    let attempt = info
        .as_ref()
        .map_or(1, |info| u32::try_from(info.delivered).unwrap_or(u32::MAX));
    let id = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(NATS_MESSAGE_ID))
        .map(|id| id.as_str().to_owned())
        .or_else(|| {
            info.as_ref()
                .map(|info| format!("{}:{}", info.stream, info.stream_sequence))
        })
        .unwrap_or_default();
    let (item, refused) = match super::parse_item(&message.payload) {
        Ok(item) => (item, None),
        Err(err) => (
            serde_json::Value::String(String::from_utf8_lossy(&message.payload).into_owned()),
            Some(format!("the event is not JSON: {err}")),
        ),
    };
    Delivery::new(
        Event { id, item },
        attempt,
        refused,
        Origin::Nats(Box::new(Received { message, dead })),
    )
}
