//! The flow pattern's stage, run by the runtime: a flow sub's `init.rs`
//! names its [`Stage`] and hands it its [`Input`]; the stage passes each
//! event through the `process` of the plugin the item names in `"stage"`
//! (or the stage's default plugin), pushes the result onto its own queue for
//! the next stage, and only then acknowledges the event.
//!
//! A stage that fails an event tries it again after a back-off, up to
//! [`MAX_DELIVERIES`] times in all, then logs it and sets it aside: on the
//! bus into the stage's dead-letter stream (see [`crate::bus`]), in one
//! process in the log alone. Either way the stage goes on with the next.
//!
//! Delivery is at least once: an event can come again (after a crash, a
//! lost acknowledgement, a retry). Its [`Event::id`] is the same every time,
//! and a `process` that declares an `id: Option<String>` parameter receives
//! it, to recognise what it has done already.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::bus::{self, Bus, MAX_DELIVERIES};
use crate::hub::Hub;
use crate::queue::{self, Event, Queue, Subscription};
use crate::race::{Either, first};

/// A flow sub as a pipeline stage: its path on the hub, and the plugin file
/// whose `process` handles an item that names none in `"stage"`.
#[derive(Clone, Copy, Debug)]
pub struct Stage {
    sub: &'static str,
    default_plugin: &'static str,
}

/// Where a stage takes its events from: its upstream's queue (a subscription
/// in one process, a durable consumer on the bus), or a fixed list.
pub struct Input(Source);

enum Source {
    Local(Subscription),
    Items(VecDeque<Event>),
    #[cfg(feature = "bus")]
    Nats(bus::nats::Source),
}

impl Input {
    /// An input of these items, then the end: what a stage with no upstream
    /// processes (an example, a test).
    pub fn items(items: impl IntoIterator<Item = Value>) -> Input {
        Input(Source::Items(items.into_iter().map(fresh_event).collect()))
    }

    /// The next event, or `None` when the upstream is done (never on a bus).
    pub(crate) async fn next(&mut self) -> crate::Result<Option<Delivery>> {
        let event = match &mut self.0 {
            Source::Local(subscription) => subscription.next_event().await,
            Source::Items(items) => items.pop_front(),
            #[cfg(feature = "bus")]
            Source::Nats(source) => return source.next().await,
        };
        Ok(event.map(|event| Delivery::new(event, 1, None, Origin::Local)))
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Source::Local(_) => "in-process",
            Source::Items(_) => "items",
            #[cfg(feature = "bus")]
            Source::Nats(_) => "nats",
        };
        f.debug_tuple("Input").field(&kind).finish()
    }
}

/// One delivery of an event to a stage.
pub(crate) struct Delivery {
    event: Event,
    /// 1 for the first delivery.
    attempt: u32,
    /// Why the event cannot be handled at all (it is not JSON).
    refused: Option<String>,
    origin: Origin,
}

/// Where a delivery came from, to answer it there.
pub(crate) enum Origin {
    Local,
    #[cfg(feature = "bus")]
    Nats(Box<bus::nats::Received>),
}

impl Delivery {
    pub(crate) fn new(event: Event, attempt: u32, refused: Option<String>, origin: Origin) -> Self {
        Delivery {
            event,
            attempt,
            refused,
            origin,
        }
    }

    async fn ack(&self) {
        match &self.origin {
            Origin::Local => {}
            #[cfg(feature = "bus")]
            Origin::Nats(received) => received.ack().await,
        }
    }

    /// Hands the event back for another try after `delay`: true when this
    /// process tries again itself, false when the broker delivers it again.
    async fn retry(&mut self, delay: Duration) -> bool {
        match &self.origin {
            Origin::Local => {
                tokio::time::sleep(delay).await;
                self.attempt += 1;
                true
            }
            #[cfg(feature = "bus")]
            Origin::Nats(received) => {
                received.retry(delay).await;
                false
            }
        }
    }

    /// Tells the event's origin that the stage is still at work on it, for
    /// as long as it is awaited; never finishes.
    async fn keep_alive(&self) -> Infallible {
        match &self.origin {
            Origin::Local => std::future::pending().await,
            #[cfg(feature = "bus")]
            Origin::Nats(received) => received.keep_alive().await,
        }
    }

    async fn set_aside(&self, stage: &str, why: &str) {
        let Event { id, item } = &self.event;
        let shown = shorten(&item.to_string());
        match &self.origin {
            Origin::Local => {
                tracing::error!("{stage}: set aside the event {id} ({why}): {shown}");
            }
            #[cfg(feature = "bus")]
            Origin::Nats(received) => {
                let dead = received.set_aside(id, stage, why).await;
                tracing::error!(
                    "{stage}: set aside the event {id} in the stream `{dead}` ({why}): {shown}"
                );
            }
        }
    }
}

impl Stage {
    /// The stage of the flow sub at `sub`, whose plugin `default_plugin`
    /// handles items that name no plugin in `"stage"`.
    pub const fn new(sub: &'static str, default_plugin: &'static str) -> Stage {
        Stage {
            sub,
            default_plugin,
        }
    }

    /// The flow sub's path on the hub.
    pub fn sub(&self) -> &'static str {
        self.sub
    }

    /// Load hook work: sets up the stage's own queue, which the next stage
    /// takes from.
    pub fn init(&self, hub: &mut Hub) -> crate::Result<()> {
        hub.set_data(self.sub, Queue::default())
    }

    /// This stage's queue.
    pub fn queue<'h>(&self, hub: &'h Hub) -> crate::Result<&'h Queue> {
        queue::of(hub, self.sub)
    }

    /// Start hook work: this stage's input from the beacon or flow sub
    /// `upstream`, on the app's bus. In one process it subscribes now, so
    /// that it misses nothing pushed once the subs run; on NATS it names
    /// the durable consumer, which the run hook opens.
    pub fn subscribe(&self, hub: &Hub, upstream: &str) -> crate::Result<Input> {
        let queue = queue::of(hub, upstream)?;
        match Bus::of(hub)? {
            Bus::InProcess => Ok(Input(Source::Local(queue.subscribe()))),
            #[cfg(feature = "bus")]
            Bus::Nats(url) => {
                let app = hub.app().map_or("pop", |app| app.name);
                Ok(Input(Source::Nats(bus::nats::Source::new(
                    &url, app, upstream, self.sub,
                ))))
            }
            #[cfg(not(feature = "bus"))]
            Bus::Nats(url) => Err(bus::without_the_feature(&url)),
        }
    }

    /// Processes one item through the plugin it names in `"stage"`, or the
    /// default plugin (a new event id is made for it).
    pub async fn process(&self, hub: &Hub, item: Value) -> crate::Result<Value> {
        self.handle(hub, &fresh_event(item)).await
    }

    /// Processes one event: its item through the `process` of the plugin it
    /// names, with its id as `id` if that `process` takes one.
    pub async fn handle(&self, hub: &Hub, event: &Event) -> crate::Result<Value> {
        let plugin = event
            .item
            .get("stage")
            .and_then(Value::as_str)
            .unwrap_or(self.default_plugin);
        let reference = format!("{}.{plugin}.process", self.sub);
        let mut kwargs = json!({ "item": event.item });
        let takes_id = hub
            .function(&reference)
            .is_some_and(|function| function.params().iter().any(|param| param.name == "id"));
        if takes_id {
            kwargs["id"] = json!(event.id);
        }
        Ok(hub.call(&reference, kwargs).await?)
    }

    /// Run hook work: handles every event of `input` until it ends (or the
    /// app is asked to stop), pushing each result onto this stage's queue,
    /// bound to the app's bus, and acknowledging the event after that. The
    /// queue is closed at the end, so that a next stage in this process
    /// ends too.
    pub async fn run(&self, hub: Arc<Hub>, mut input: Input) -> crate::Result<()> {
        let output = self.queue(&hub)?;
        bus::bind_output(&hub, self.sub).await?;
        let outcome = async {
            loop {
                let next = match first(input.next(), hub.shutdown_requested()).await {
                    Either::Left(next) => next?,
                    Either::Right(()) => None,
                };
                let Some(delivery) = next else {
                    return Ok(());
                };
                self.deliver(&hub, output, delivery).await;
            }
        }
        .await;
        output.close();
        outcome
    }

    /// Handles one delivery to its end: passed on and acknowledged, handed
    /// back for another try, or set aside.
    async fn deliver(&self, hub: &Hub, output: &Queue, mut delivery: Delivery) {
        let stage = self.sub;
        if let Some(why) = delivery.refused.take() {
            return delivery.set_aside(stage, &why).await;
        }
        loop {
            let id = &delivery.event.id;
            if delivery.attempt > MAX_DELIVERIES {
                let why = format!(
                    "delivered {} times without an answer: did handling it stop the process?",
                    delivery.attempt - 1
                );
                return delivery.set_aside(stage, &why).await;
            }
            let handled =
                match first(self.handle(hub, &delivery.event), delivery.keep_alive()).await {
                    Either::Left(handled) => handled,
                    Either::Right(never) => match never {},
                };
            match handled {
                Ok(result) => {
                    tracing::debug!("{stage}: {id} -> {result}");
                    output
                        .push_event(delivery.event.next_stage(stage, result))
                        .await;
                    return delivery.ack().await;
                }
                Err(err) if delivery.attempt >= MAX_DELIVERIES => {
                    let why = format!("failed {MAX_DELIVERIES} times; the last time: {err:#}");
                    return delivery.set_aside(stage, &why).await;
                }
                Err(err) => {
                    let delay = retry_delay(delivery.attempt);
                    tracing::warn!(
                        "{stage}: the event {id} failed (try {} of {MAX_DELIVERIES}): {err:#}; \
                         trying again in {delay:?}",
                        delivery.attempt
                    );
                    if !delivery.retry(delay).await {
                        return;
                    }
                }
            }
        }
    }
}

/// 100 ms after the first failure, doubling, at most 5 s.
fn retry_delay(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(6));
    (Duration::from_millis(100) * factor).min(Duration::from_secs(5))
}

/// An event for an item that did not come from a queue.
fn fresh_event(item: Value) -> Event {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed) + 1;
    Event {
        id: format!("item.{n}"),
        item,
    }
}

/// At most a few hundred bytes of `text`, for a log line.
fn shorten(text: &str) -> String {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling() {
        assert_eq!(retry_delay(1), Duration::from_millis(100));
        assert_eq!(retry_delay(2), Duration::from_millis(200));
        assert_eq!(retry_delay(5), Duration::from_millis(1600));
        assert_eq!(retry_delay(40), Duration::from_secs(5));
    }

    #[test]
    fn long_items_are_shortened_in_the_log_on_a_character_boundary() {
        let long = "é".repeat(400);
        let shown = shorten(&long);
        assert!(shown.ends_with("(800 bytes)"), "{shown}");
        assert_eq!(shorten("short"), "short");
    }
}
