//! Testing helpers for plugin authors (pop's mock hub): a hub whose chosen
//! functions are replaced by stand-ins, which notes every call made, with
//! no server and no network.
//!
//! ```
//! # extern crate pop_hub as pop;
//! # pop::no_sites!();
//! use pop::prelude::*;
//! use pop::testing::TestHub;
//!
//! mod rpc {
//!     pub mod math {
//!         use pop::prelude::*;
//!
//!         /// Squares a number.
//!         #[plugin]
//!         pub fn square(_hub: &Hub, num: u64) -> u64 {
//!             num * num
//!         }
//!
//!         /// Asks the hub for a square, by reference.
//!         #[plugin]
//!         pub async fn area(hub: &Hub, side: u64) -> Result<u64> {
//!             let value = hub.call("rpc.math.square", json!({ "num": side })).await?;
//!             Ok(value.as_u64().unwrap_or_default())
//!         }
//!     }
//! }
//!
//! fn register(registry: &mut pop::__private::Registry) {
//!     # let mut krate = registry.krate(pop::__private::CrateInfo { name: "app", version: "0.1.0", env_prefix: "APP",
//!     #     config: &[], cli_config: &[], subcommands: &[], dyne: &[("rpc", &["rpc"])] }).unwrap();
//!     # krate.module(&["rpc"], "math", "src/rpc/math.rs",
//!     #     &[rpc::math::__pop_plugin_square(), rpc::math::__pop_plugin_area()], None);
//!     // pop-build writes this for a crate's subs
//! }
//!
//! # fn main() -> pop::Result<()> {
//! let mut hub = TestHub::new(register)?;
//! hub.add_sub("rpc")?;
//! hub.stand_in("rpc.math.square", |_hub, _kwargs| Ok(json!(49)))?;
//! let area = pop::block_on(hub.call("rpc.math.area", json!({"side": 3})))?;
//! assert_eq!(area, json!(49));
//! assert_eq!(hub.calls("rpc.math.square"), [json!({"num": 3})]);
//! # Ok(())
//! # }
//! ```
//!
//! A stand-in takes the function's place on every path: `hub.call`, a
//! router, and direct typed calls (whose arguments it sees as kwargs, and
//! whose return type it must produce as JSON). Contracts still wrap it, as
//! pop's `ContractHub` does.

use std::ops::{Deref, DerefMut};

use anyhow::bail;
use serde_json::Value;

use crate::hub::Hub;
use crate::registry::Registry;

/// A hub for tests: stand-ins for chosen functions, and a note of every call.
#[derive(Debug)]
pub struct TestHub {
    hub: Hub,
}

impl TestHub {
    /// Builds the hub from a crate's `register` (usually `crate::register`).
    pub fn new(register: impl FnOnce(&mut Registry)) -> crate::Result<TestHub> {
        let mut hub = Hub::new(register)?;
        hub.instrument();
        Ok(TestHub { hub })
    }

    /// Replaces the function at `reference` (a full reference, such as
    /// `rpc.math.fib`) with `stand_in`, which gets the kwargs of each call
    /// and returns its result as JSON (or an error, as the function would).
    pub fn stand_in(
        &mut self,
        reference: &str,
        stand_in: impl Fn(&Hub, Value) -> crate::Result<Value> + Send + Sync + 'static,
    ) -> crate::Result<&mut Self> {
        let Some(function) = self.hub.function(reference) else {
            bail!("there is no function `{reference}` on the hub to stand in for");
        };
        let reference = function.reference().to_owned();
        self.hub.set_stand_in(reference, Box::new(stand_in));
        Ok(self)
    }

    /// The kwargs of every call of `reference` so far, in order (direct
    /// typed calls included, as kwargs), whether or not it has a stand-in.
    pub fn calls(&self, reference: &str) -> Vec<Value> {
        self.hub.recorded_calls(reference)
    }

    /// The hub itself.
    pub fn into_hub(self) -> Hub {
        self.hub
    }
}

impl Deref for TestHub {
    type Target = Hub;

    fn deref(&self) -> &Hub {
        &self.hub
    }
}

impl DerefMut for TestHub {
    fn deref_mut(&mut self) -> &mut Hub {
        &mut self.hub
    }
}
