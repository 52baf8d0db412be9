use pop::prelude::*;

/// Always fails: the router answers 500 with kind `plugin_error`.
#[plugin]
pub async fn oops(_hub: &Hub) -> Result<u64> {
    bail!("soak: this plugin always fails")
}

/// Always panics inside an async plugin: the router answers 500 with kind
/// `panic` and keeps serving.
#[plugin]
pub async fn boom(_hub: &Hub) -> Result<u64> {
    panic!("soak: this async plugin always panics")
}

/// Always panics inside a plain `fn` plugin, which runs on the blocking
/// pool: 500 with kind `panic` too.
#[plugin]
pub fn boom_blocking(_hub: &Hub) -> u64 {
    panic!("soak: this blocking plugin always panics")
}
