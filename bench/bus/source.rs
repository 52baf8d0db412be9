//! The benchmark's event source: `BENCH_EVENTS` events, each stamped with
//! the time it was pushed, `BENCH_PACE_US` microseconds apart (0: at once).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pop::prelude::*;

/// Pushes the events.
#[plugin]
pub async fn listen(hub: &Hub) -> Result<()> {
    let queue = super::init::queue(hub)?;
    let count: u64 = std::env::var("BENCH_EVENTS").map_or(Ok(0), |n| n.parse())?;
    let pace: u64 = std::env::var("BENCH_PACE_US").map_or(Ok(0), |n| n.parse())?;
    let start = std::time::Instant::now();
    for n in 0..count {
        if pace > 0 {
            let due = start + Duration::from_micros(pace * n);
            pop::tokio::time::sleep_until(due.into()).await;
        }
        let sent = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
        queue.push(json!({ "stage": "count", "n": n, "sent": sent })).await;
    }
    if count > 0 {
        let seconds = start.elapsed().as_secs_f64();
        println!("pushed {count} events in {seconds:.3} s: {:.0} events/s", count as f64 / seconds);
    }
    Ok(())
}
