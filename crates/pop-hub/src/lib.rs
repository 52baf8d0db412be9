//! Plugin Oriented Programming for Rust: the hub.
//!
//! An application is built out of plugins hung on one shared namespace, the
//! [`Hub`]. Plugins are `.rs` files in a sub's directory; their `#[plugin]`
//! functions are callable three ways:
//!
//! * directly, as ordinary Rust functions (`crate::rpc::math::fib(&hub, 11)`);
//! * by reference from Rust: `hub.call("rpc.math.fib", json!({"num": 11}))`;
//! * by reference from outside, through a router sub (the `router` feature).
//!
//! A project's `build.rs` (see `pop-build`) finds the subs and plugins named by
//! the DYNE map in `src/conf.rs`, keeps their `mod` items in `src/subs.rs`, and
//! writes the registration code that [`include_generated!`] pulls in; nothing
//! is kept by hand.
//!
//! The life of a hub, in order:
//!
//! 1. [`Hub::new`] registers every crate's subs, plugins and options,
//!    dependencies first, and refuses duplicates;
//! 2. [`Hub::add_sub`] runs a sub's load hooks (`init` in its `init.rs`, pop's
//!    `__init__`) and makes its functions callable by reference;
//! 3. [`Hub::load_config`] layers command line > environment > config file >
//!    defaults into [`Hub::opt`];
//! 4. [`Hub::run`] starts every added sub's `run` hook (a router serves here)
//!    and stops them on Ctrl-C or SIGTERM.

// The macros expand to `::pop::...` paths; this lets the crate use them on itself.
extern crate self as pop;

pub mod beacon;
mod bind;
pub mod bus;
mod call;
mod chain;
pub mod conf;
mod context;
pub mod contract;
mod error;
pub mod flow;
mod hub;
mod inspect;
pub mod listen;
mod log;
mod plugin;
mod probe;
pub mod queue;
mod race;
mod registry;
mod report;
mod request;
#[cfg(feature = "router")]
pub mod router;
mod run;
pub mod testing;

pub use call::Call;
pub use conf::{ConfigError, Dyne, Flag, Kind, Opt, Subcommand};
pub use context::{RequestId, Scoped, request_id};
pub use contract::{Ctx, Next};
pub use error::{CallError, Cause};
pub use flow::{Input, Stage};
pub use hub::{Function, Hub, Sub};
pub use plugin::Param;
pub use pop_macros::plugin;
pub use queue::{Event, Queue, Subscription};
pub use report::report;
pub use run::block_on;

/// Logging for plugins: `pop::tracing::info!("…")` lands in the hub's log.
pub use tracing;

/// The async runtime the hub runs on, for plugins that sleep, time out or
/// spawn: `pop::tokio::time::sleep(…)`.
pub use tokio;

/// The error type of plugins, hooks and start-up: any error, with context.
pub use anyhow::Error;

/// `Result` with [`Error`] as the default error type, as plugins return it.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a plugin file usually needs: `use pop::prelude::*;`.
pub mod prelude {
    pub use crate::{CallError, Ctx, Hub, Next, Result, plugin};
    pub use anyhow::{Context as _, anyhow, bail};
    pub use serde_json::{Value, json};
    pub use std::sync::Arc;
}

/// Includes the code `pop-build` generated for this crate (`src/subs.rs`
/// calls it): the typed `Config` of the crate's options, `register`, which
/// hands its subs, plugins, hooks and options to [`Hub::new`], and the list
/// of its plugin functions with their contracts, which `#[plugin]` reads.
#[macro_export]
macro_rules! include_generated {
    () => {
        include!(concat!(env!("OUT_DIR"), "/pop_generated.rs"));
    };
}

/// For a crate whose `#[plugin]` functions are not gathered by pop-build
/// (a test, a benchmark, an example): declares that none has contracts.
/// Call it once, at the crate root.
#[macro_export]
macro_rules! no_sites {
    () => {
        #[doc(hidden)]
        #[allow(dead_code)]
        pub const __POP_SITES: &[$crate::__private::Site] = &[];
    };
}

/// What the fuzz targets in pop-create's repository drive. Not an API:
/// it may change or go in any release.
#[cfg(feature = "router")]
#[doc(hidden)]
pub mod fuzzing {
    /// A body the router takes as a call: its `ref`, and where the kwargs'
    /// JSON text is in the body (`None` when absent or `null`).
    pub type Call = (String, Option<std::ops::Range<usize>>);

    /// A body the router refuses: the status and message of its answer.
    pub type Refusal = (u16, String);

    /// Reads a request body as the router does.
    pub fn router_request(body: &[u8]) -> Result<Call, Refusal> {
        crate::router::parse_for_fuzzing(body)
    }
}

/// Support for generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bind::{
        Params, bind, flatten, lenient, or_else, reply_result, reply_value, required,
    };
    pub use crate::chain::{
        CallContract, Chain, Contract, Conv, Post, Pre, Site, Stage, dynamic_async, dynamic_sync,
        plain, site, typed_async, typed_sync,
    };
    pub use crate::conf::CrateInfo;
    pub use crate::conf::typed::{require_loaded, typed_option};
    pub use crate::plugin::{BoxFuture, Kwargs, Plugin, PluginCall, Reply, Want};
    pub use crate::probe::*;
    pub use crate::registry::{Available, CrateRegistrar, Registry};
    pub use crate::registry::{LoadHookOutput, RunHookFuture};
    pub use serde;
    pub use serde_json::Value;
}
