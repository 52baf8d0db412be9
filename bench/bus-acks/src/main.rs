//! What batching acknowledgements buys a JetStream pull consumer: N events
//! are published to a fresh stream, then pulled and acknowledged three
//! ways, each timed until the broker holds no acknowledgement pending:
//!
//! * `each`: one `ack` per event, not awaited by the broker (what pop's
//!   stages do);
//! * `each-confirmed`: one `double_ack` per event, each confirmed;
//! * `batch-100`: `AckPolicy::All`, one `ack` per 100 events (and the last),
//!   which acknowledges every event before it.
//!
//!   cargo run --release -- nats://127.0.0.1:4222 20000

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt as _;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let events: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let js = jetstream::new(async_nats::connect(&url).await?);
    for mode in ["each", "each-confirmed", "batch-100"] {
        let name = format!("acks-{mode}");
        let stream = js
            .create_stream(stream::Config {
                name: name.clone(),
                subjects: vec![name.clone()],
                ..Default::default()
            })
            .await?;
        let mut pending = Vec::new();
        for n in 0..events {
            pending.push(js.publish(name.clone(), format!("{{\"n\":{n}}}").into()).await?);
            if pending.len() == 1000 {
                for ack in pending.drain(..) {
                    ack.await?;
                }
            }
        }
        for ack in pending {
            ack.await?;
        }
        let policy = match mode {
            "batch-100" => consumer::AckPolicy::All,
            _ => consumer::AckPolicy::Explicit,
        };
        let mut consumer: consumer::PullConsumer = stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some("stage".into()),
                ack_policy: policy,
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.stream().max_messages_per_batch(32).messages().await?;
        let start = Instant::now();
        for n in 0..events {
            let message = messages.next().await.ok_or("the stream ended")??;
            match mode {
                "each" => message.ack().await?,
                "each-confirmed" => message.double_ack().await?,
                _ if (n + 1) % 100 == 0 || n + 1 == events => message.ack().await?,
                _ => {}
            }
        }
        while consumer.info().await?.num_ack_pending > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{mode:>15}: {events} events in {seconds:.3} s, {:.0} events/s",
            events as f64 / seconds
        );
        js.delete_stream(&name).await?;
    }
    Ok(())
}
