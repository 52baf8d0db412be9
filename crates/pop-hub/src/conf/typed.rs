//! Typed reads of one crate's options, for the `Config` pop-build generates.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Refuses to read typed options before the configuration is loaded: every
/// option would read as missing, and an `Option` one silently as `None`.
pub fn require_loaded(hub: &crate::Hub, namespace: &str) -> crate::Result<()> {
    anyhow::ensure!(
        hub.is_config_loaded(),
        "`{namespace}`'s options are read before the configuration is loaded: call `hub.load_config()` (in a test, `hub.load_config_from([\"app\"], |_| None)`) first"
    );
    Ok(())
}

/// Reads one option of a namespace for the generated typed `Config`.
pub fn typed_option<T: DeserializeOwned>(
    values: &Value,
    namespace: &str,
    name: &str,
) -> crate::Result<T> {
    let value = values.get(name).unwrap_or(&Value::Null);
    T::deserialize(value).map_err(|err| {
        anyhow::anyhow!("option `{namespace}.{name}` is not available as its declared type ({err})")
    })
}
