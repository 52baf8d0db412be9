//! Which bus an app's beacons and flows pass events through, and which of
//! its subs this process runs.
//!
//! The app's `bus` option chooses: empty (the default) is the in-process
//! [`Queue`]; `nats://HOST:PORT` is NATS JetStream (the runtime's `bus`
//! feature), where every beacon and flow sub publishes to a stream of its
//! own and every flow stage consumes its upstream's stream through a
//! durable consumer named after the stage. The app's `only` option names the
//! subs whose start and run hooks this process runs (empty: all of them), so
//! that one machine can produce and others consume.
//!
//! Names on the broker, for an app `poppy`: a sub `ticks` publishes on the
//! subject `pop.poppy.ticks` into the stream `poppy-ticks`; a stage `stamp`
//! reads it through the durable consumer `stamp`; what `stamp` sets aside
//! goes to the stream `poppy-stamp-dead` (subject `pop-dead.poppy.stamp`).

use serde_json::Value;

use crate::conf::{ConfigError, Source};
use crate::hub::Hub;
use crate::queue::{self, Queue};

#[cfg(feature = "bus")]
pub(crate) mod nats;

/// The option that chooses the bus.
pub const BUS_OPTION: &str = "bus";

/// The option that names the subs this process runs.
pub const ONLY_OPTION: &str = "only";

/// How many times an event is handed to a stage before it is set aside.
pub const MAX_DELIVERIES: u32 = 5;

/// The bus an app chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bus {
    /// The in-process queue.
    InProcess,
    /// NATS JetStream at this URL.
    Nats(String),
}

impl Bus {
    /// The bus the app's `bus` option names (in-process for a hub without
    /// configuration, as in a plugin's test). A value that is not a NATS URL
    /// is refused naming where it came from.
    pub(crate) fn of(hub: &Hub) -> crate::Result<Bus> {
        let Some((app, value)) = app_option(hub, BUS_OPTION) else {
            return Ok(Bus::InProcess);
        };
        let url = value.trim();
        if url.is_empty() {
            return Ok(Bus::InProcess);
        }
        let host = url
            .strip_prefix("nats://")
            .or_else(|| url.strip_prefix("tls://"));
        match host {
            Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
                Ok(Bus::Nats(url.to_owned()))
            }
            _ => Err(invalid(
                hub,
                app,
                BUS_OPTION,
                format!(
                    "`{url}` is not a NATS URL: give nats://HOST:PORT, or nothing for the in-process queue"
                ),
            )),
        }
    }
}

/// The app's name and its option `name` as text, if the app declares it.
fn app_option<'h>(hub: &'h Hub, name: &str) -> Option<(&'static str, &'h str)> {
    let app = hub.app()?.name;
    let value = hub.opt().get(app)?.get(name)?.as_str()?;
    Some((app, value))
}

fn invalid(hub: &Hub, app: &str, option: &str, message: String) -> anyhow::Error {
    ConfigError::Invalid {
        option: format!("{app}.{option}"),
        source: hub
            .opt_source(app, option)
            .cloned()
            .unwrap_or(Source::Default),
        message,
    }
    .into()
}

/// The top-level subs whose start and run hooks this process runs, from the
/// app's `only` option; `None` for all. A name that is no sub of the hub is
/// refused, naming the subs there are.
pub(crate) fn only(hub: &Hub) -> crate::Result<Option<Vec<String>>> {
    let Some((app, value)) = app_option(hub, ONLY_OPTION) else {
        return Ok(None);
    };
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    let known: Vec<&str> = hub
        .subs()
        .filter(|sub| !sub.path().contains('.'))
        .map(|sub| sub.path())
        .collect();
    if let Some(unknown) = names.iter().find(|name| !known.contains(&name.as_str())) {
        return Err(invalid(
            hub,
            app,
            ONLY_OPTION,
            format!(
                "there is no sub `{unknown}` (the subs: {})",
                known.join(", ")
            ),
        ));
    }
    Ok(Some(names))
}

/// Binds the queue of the sub at `sub` to the app's bus, if it has one:
/// from now on its pushes go to the sub's stream. Connects to the broker
/// (once per process) and creates the stream if it is missing.
pub(crate) async fn bind_output(hub: &Hub, sub: &str) -> crate::Result<()> {
    let queue: &Queue = queue::of(hub, sub)?;
    match Bus::of(hub)? {
        Bus::InProcess => Ok(()),
        Bus::Nats(url) => nats_bind(hub, &url, sub, queue).await,
    }
}

#[cfg(feature = "bus")]
async fn nats_bind(hub: &Hub, url: &str, sub: &str, queue: &Queue) -> crate::Result<()> {
    let app = hub.app().map_or("pop", |app| app.name);
    let outlet = nats::Publisher::open(url, app, sub).await?;
    queue.bind(std::sync::Arc::new(outlet));
    Ok(())
}

#[cfg(not(feature = "bus"))]
async fn nats_bind(_: &Hub, url: &str, _: &str, _: &Queue) -> crate::Result<()> {
    Err(without_the_feature(url))
}

/// The error of an app asked to use NATS but built without the client.
#[cfg_attr(feature = "bus", allow(dead_code))]
pub(crate) fn without_the_feature(url: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the bus {url} needs the runtime's `bus` feature, which this app was built without \
         (turn it on with `pop-create add-sub <a beacon or flow sub> --pattern <its pattern> --bus`)"
    )
}

/// The item of a message that is not JSON, for a stage to refuse.
#[cfg_attr(not(feature = "bus"), allow(dead_code))]
pub(crate) fn parse_item(payload: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(payload)
}
