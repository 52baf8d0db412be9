//! Queues on the hub, for the beacon and flow patterns: a sub puts what it
//! produces on its [`Queue`] (pop's `hub.<sub>.QUE`), and every sub that
//! takes from it holds a [`Subscription`].
//!
//! Every subscriber sees every item, in order (a beacon's events can feed
//! several flows). A queue is bounded per subscriber: [`Queue::push`] waits
//! while a subscriber is that far behind, so a slow stage slows its source
//! instead of filling memory. Items pushed while nobody subscribes go
//! nowhere, so a pipeline's last stage needs no reader.

use std::sync::{Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::mpsc;

/// A sub's queue of JSON items.
#[derive(Debug)]
pub struct Queue {
    /// One sender per subscriber; `None` once closed.
    subscribers: Mutex<Option<Vec<mpsc::Sender<Value>>>>,
    capacity: usize,
}

/// What a subscriber takes items from.
#[derive(Debug)]
pub struct Subscription {
    items: mpsc::Receiver<Value>,
}

impl Queue {
    /// A queue holding at most `capacity` items per subscriber (at least one).
    pub fn new(capacity: usize) -> Queue {
        Queue {
            subscribers: Mutex::new(Some(Vec::new())),
            capacity: capacity.max(1),
        }
    }

    /// Subscribes: the subscription gets every item pushed from now on. A
    /// closed queue's subscription ends at once.
    pub fn subscribe(&self) -> Subscription {
        let (sender, items) = mpsc::channel(self.capacity);
        if let Some(subscribers) = self.lock().as_mut() {
            subscribers.push(sender);
        }
        Subscription { items }
    }

    /// Puts `item` on the queue for every subscriber, waiting while one of
    /// them is `capacity` items behind. Returns how many subscribers got it
    /// (0 once closed).
    pub async fn push(&self, item: Value) -> usize {
        let senders: Vec<mpsc::Sender<Value>> = match self.lock().as_ref() {
            Some(subscribers) => subscribers.clone(),
            None => return 0,
        };
        let mut delivered = 0;
        for sender in senders {
            // A subscriber that went away just misses the item.
            if sender.send(item.clone()).await.is_ok() {
                delivered += 1;
            }
        }
        delivered
    }

    /// Closes the queue: subscribers get what is already queued, then the end.
    pub fn close(&self) {
        self.lock().take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<mpsc::Sender<Value>>>> {
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
        self.items.recv().await
    }
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
