//! The beacon pattern's run, done by the runtime: a beacon sub's plugin
//! files are event sources whose `listen` pushes events onto the sub's
//! [`Queue`](crate::Queue); [`run`] binds that queue to the app's bus and
//! runs every source at once.

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::json;

use crate::hub::Hub;
use crate::race::{Either, first};
use crate::{bus, queue};

/// Runs the beacon sub at `sub`: binds its queue to the app's bus (on NATS,
/// its own stream), then calls every plugin file's `listen` at once, and
/// closes the queue when all are done (or the app is asked to stop), so
/// that the stages that take from it in this process end too. A source's
/// error is returned once all are done.
pub async fn run(hub: &Arc<Hub>, sub: &str) -> crate::Result<()> {
    let queue = queue::of(hub, sub)?;
    bus::bind_output(hub, sub).await?;
    let listening = hub.call_each(sub, "listen", json!({}));
    let results = match first(listening, hub.shutdown_requested()).await {
        Either::Left(results) => results?,
        Either::Right(()) => Vec::new(),
    };
    queue.close();
    for (reference, result) in results {
        result.with_context(|| format!("the event source `{reference}` failed"))?;
    }
    Ok(())
}
