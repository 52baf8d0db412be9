//! Queues on the hub, for the beacon and flow patterns: a sub puts what it
//! produces on its [`Queue`] (pop's `hub.<sub>.QUE`), and every sub that
//! takes from it holds a [`Subscription`] (or, for a flow stage, a
//! [`crate::flow::Input`]).
//!
//! In one process every subscriber sees every item, in order (a beacon's
//! events can feed several flows). A queue is bounded per subscriber:
//! [`Queue::push`] waits while a subscriber is that far behind, so a slow
//! stage slows its source instead of filling memory. Items pushed while
//! nobody subscribes go nowhere, so a pipeline's last stage needs no reader.
//!
//! When the app runs on a bus (its `bus` option, see [`crate::bus`]), the
//! runtime binds the queue to the sub's stream as the sub starts: the same
//! [`Queue::push`] then stores the item in the broker, and waits (retrying)
//! while the broker cannot take it. Plugin code does not change.
//!
//! Every item travels as an [`Event`] with an id: unique to the push, kept
//! across redeliveries, and derived by each flow stage from the id of the
//! event it came from, so that a stage can recognise an event it has seen.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::Value;
use tokio::sync::mpsc;

/// One item on a queue, with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Unique to the push; the same on every delivery of this event. A flow
    /// stage's result carries `<this id>/<stage>`.
    pub id: String,
    /// What was pushed.
    pub item: Value,
}

impl Event {
    /// The event a flow `stage` makes of this one's result: its id says
    /// where it came from, so a redelivered event gives the same id again.
    pub fn next_stage(&self, stage: &str, item: Value) -> Event {
        Event {
            id: format!("{}/{stage}", self.id),
            item,
        }
    }
}

/// Where a queue bound to a bus sends its events instead of its subscribers.
pub(crate) trait Outlet: Send + Sync + fmt::Debug {
    /// Stores `event`, retrying until the broker has it.
    fn publish(&self, event: Event) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// A sub's queue of JSON items.
pub struct Queue {
    /// One sender per subscriber; `None` once closed.
    subscribers: Mutex<Option<Vec<mpsc::Sender<Event>>>>,
    capacity: usize,
    /// Set when the app runs on a bus: pushes go there.
    outlet: OnceLock<Arc<dyn Outlet>>,
    /// This queue's part of its events' ids.
    name: String,
    pushed: AtomicU64,
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &self.capacity)
            .field("on_bus", &self.outlet.get().is_some())
            .finish_non_exhaustive()
    }
}

/// What a subscriber takes items from.
#[derive(Debug)]
pub struct Subscription {
    items: mpsc::Receiver<Event>,
}

impl Queue {
    /// A queue holding at most `capacity` items per subscriber (at least one).
    pub fn new(capacity: usize) -> Queue {
        static QUEUES: AtomicU64 = AtomicU64::new(0);
        let number = QUEUES.fetch_add(1, Ordering::Relaxed);
        Queue {
            subscribers: Mutex::new(Some(Vec::new())),
            capacity: capacity.max(1),
            outlet: OnceLock::new(),
            name: format!("{}.{number}", process_tag()),
            pushed: AtomicU64::new(0),
        }
    }

    /// Subscribes: the subscription gets every item pushed from now on in
    /// this process. A closed queue's subscription ends at once.
    pub fn subscribe(&self) -> Subscription {
        let (sender, items) = mpsc::channel(self.capacity);
        if let Some(subscribers) = self.lock().as_mut() {
            subscribers.push(sender);
        }
        Subscription { items }
    }

    /// Puts `item` on the queue as a new event, waiting while a subscriber
    /// is `capacity` items behind (or, on a bus, until the broker stored
    /// it). Returns how many subscribers got it (0 once closed); on a bus, 1.
    pub async fn push(&self, item: Value) -> usize {
        let event = Event {
            id: self.next_id(),
            item,
        };
        self.push_event(event).await
    }

    /// Puts an event with its id on the queue, as [`Queue::push`] does.
    pub async fn push_event(&self, event: Event) -> usize {
        if let Some(outlet) = self.outlet.get() {
            outlet.publish(event).await;
            return 1;
        }
        let senders: Vec<mpsc::Sender<Event>> = match self.lock().as_ref() {
            Some(subscribers) => subscribers.clone(),
            None => return 0,
        };
        let mut delivered = 0;
        for sender in senders {
            // A subscriber that went away just misses the item.
            if sender.send(event.clone()).await.is_ok() {
                delivered += 1;
            }
        }
        delivered
    }

    /// Closes the queue: subscribers get what is already queued, then the
    /// end. (On a bus the stream stays: it is the broker's.)
    pub fn close(&self) {
        self.lock().take();
    }

    /// True once the queue sends its events to a bus.
    pub fn is_on_bus(&self) -> bool {
        self.outlet.get().is_some()
    }

    /// Sends this queue's events to `outlet` from now on; a queue is bound once.
    #[cfg_attr(not(feature = "bus"), allow(dead_code))]
    pub(crate) fn bind(&self, outlet: Arc<dyn Outlet>) {
        let _ = self.outlet.set(outlet);
    }

    fn next_id(&self) -> String {
        let n = self.pushed.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}.{n}", self.name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<mpsc::Sender<Event>>>> {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for Queue {
    /// A queue of 1024 items per subscriber.
    fn default() -> Queue {
        Queue::new(1024)
    }
}

impl Subscription {
    /// The next item, or `None` once the queue is closed and drained.
    pub async fn next(&mut self) -> Option<Value> {
        self.next_event().await.map(|event| event.item)
    }

    /// The next event (item and id), or `None` once the queue is closed and drained.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.items.recv().await
    }
}

/// The queue of the beacon or flow sub at `sub`, set by its load hook.
pub fn of<'h>(hub: &'h crate::Hub, sub: &str) -> crate::Result<&'h Queue> {
    hub.data::<Queue>(sub).ok_or_else(|| {
        anyhow::anyhow!(
            "the sub `{sub}` has no queue on the hub: is it a beacon or flow sub, and added?"
        )
    })
}

/// A tag of this process, for event ids unique across processes: its id and
/// the time it made its first queue.
fn process_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        format!("{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_subscriber_sees_every_item_in_order_then_the_end() {
        crate::block_on(async {
            let queue = Queue::new(4);
            let nobody = queue.push(json!(0)).await;
            assert_eq!(nobody, 0, "an item with no subscriber goes nowhere");
            let mut first = queue.subscribe();
            let mut second = queue.subscribe();
            for n in 1..=3 {
                assert_eq!(queue.push(json!(n)).await, 2);
            }
            queue.close();
            assert_eq!(queue.push(json!(4)).await, 0, "closed");
            for subscription in [&mut first, &mut second] {
                let mut seen = Vec::new();
                while let Some(item) = subscription.next().await {
                    seen.push(item);
                }
                assert_eq!(seen, [json!(1), json!(2), json!(3)]);
            }
            assert!(queue.subscribe().next().await.is_none());
        });
    }

    #[test]
    fn events_have_ids_unique_to_the_push_and_stages_derive_theirs() {
        crate::block_on(async {
            let (one, two) = (Queue::new(4), Queue::new(4));
            let (mut from_one, mut from_two) = (one.subscribe(), two.subscribe());
            one.push(json!("a")).await;
            one.push(json!("a")).await;
            two.push(json!("a")).await;
            let a = from_one.next_event().await.unwrap();
            let b = from_one.next_event().await.unwrap();
            let c = from_two.next_event().await.unwrap();
            assert!(
                a.id != b.id && a.id != c.id && b.id != c.id,
                "{a:?} {b:?} {c:?}"
            );
            let next = a.next_stage("stamp", json!("A"));
            assert_eq!(next.id, format!("{}/stamp", a.id));
            assert_eq!(a.next_stage("stamp", json!("A")), next, "the same again");
        });
    }

    #[test]
    fn a_full_subscriber_makes_push_wait_until_it_reads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let queue = std::sync::Arc::new(Queue::new(1));
            let mut subscription = queue.subscribe();
            queue.push(json!(1)).await;
            let pusher = {
                let queue = queue.clone();
                tokio::spawn(async move { queue.push(json!(2)).await })
            };
            tokio::task::yield_now().await;
            assert!(!pusher.is_finished(), "waits for room");
            assert_eq!(subscription.next().await, Some(json!(1)));
            assert_eq!(pusher.await.unwrap(), 1);
            assert_eq!(subscription.next().await, Some(json!(2)));
        });
    }
}
