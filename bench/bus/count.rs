//! The benchmark's stage step: notes each event's latency from its push, and
//! once `BENCH_EVENTS` events are handled prints the rate and the latency
//! percentiles, and stops the app.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pop::prelude::*;

/// When the first event came, and every latency so far (ns).
static SEEN: Mutex<Option<(Instant, Vec<u64>)>> = Mutex::new(None);

/// Notes the event; passes on a small result.
#[plugin]
pub fn process(hub: &Hub, item: Value) -> Result<Value> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let latency = now.saturating_sub(item["sent"].as_u64().unwrap_or(now));
    let total: usize = std::env::var("BENCH_EVENTS")?.parse()?;
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let (first, latencies) = seen.get_or_insert_with(|| (Instant::now(), Vec::new()));
    latencies.push(latency);
    if latencies.len() == total {
        let seconds = first.elapsed().as_secs_f64();
        let mut sorted = latencies.clone();
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize] as f64 / 1e6;
        println!(
            "handled {total} events in {seconds:.3} s: {:.0} events/s; latency p50 {:.3} ms, p99 {:.3} ms",
            (total - 1) as f64 / seconds,
            at(0.5),
            at(0.99)
        );
        hub.request_shutdown();
    }
    Ok(json!({ "n": item["n"] }))
}
