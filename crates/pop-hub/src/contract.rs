//! Contracts (pop's `contracts/`): functions that wrap the calls of a sub's
//! plugins, on every path (a direct typed call, `hub.call`, a router).
//!
//! A sub's `contracts/` directory holds them: `contracts/math.rs` wraps the
//! functions of the plugin file `math.rs`, `contracts/init.rs` every
//! function of the sub. In each, a function named for its stage wraps every
//! function of its scope (`pre`, `call`, `post`), and one named for a stage
//! and a function wraps that function alone (`pre_fib`, `call_fib`,
//! `post_fib`):
//!
//! ```text
//! pub fn pre_fib(hub: &Hub, ctx: &Ctx) -> Result<()>            // refuse with an Err
//! pub async fn call(hub: &Hub, ctx: &Ctx, next: Next<'_>) -> Result<Value>
//! pub fn post(hub: &Hub, ctx: &mut Ctx) -> Result<()>           // ctx.set_ret(…) replaces
//! ```
//!
//! **Order.** The plugin file's own contracts come before the sub's
//! (`contracts/math.rs`, then `contracts/init.rs`), and in each the
//! function's before the file's (`pre_fib`, then `pre`). Every `pre` runs,
//! in that order, before the call; an `Err` stops the call, which fails with
//! an error ([`crate::Cause::Refused`]) naming the contract. Then the one `call` contract,
//! if any, runs in place of the function (it may call it through `next`);
//! two `call` contracts for one function are a build error. Then every
//! `post` runs, in the same order, and may replace the result.
//!
//! **Sync and async.** `pre` and `post` may be plain or `async` fns, `call`
//! contracts take the function's own kind; a contract of a plain `fn`
//! plugin must be plain (the build refuses an `async` one), so direct calls
//! of plain functions stay plain.
//!
//! **Cost.** The build knows which functions have contracts; a function
//! without any, on a hub without stand-ins, runs exactly as written.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::CallError;
use crate::plugin::BoxFuture;

/// What a contract sees of one call.
#[derive(Debug)]
pub struct Ctx {
    pub(crate) reference: std::borrow::Cow<'static, str>,
    pub(crate) kwargs: Value,
    pub(crate) ret: Option<Value>,
    /// The `post` contract running now, if one is.
    pub(crate) post: Option<&'static str>,
    /// The last `post` contract that replaced the result.
    pub(crate) replaced_by: Option<&'static str>,
    // Behind a lock so that `pre` and `call`, which see the context shared,
    // can write to it too; one call's contracts run one after the other, so
    // it is never contended.
    cache: std::sync::Mutex<Map<String, Value>>,
}

impl Ctx {
    pub(crate) fn new(reference: impl Into<std::borrow::Cow<'static, str>>, kwargs: Value) -> Ctx {
        Ctx {
            reference: reference.into(),
            kwargs,
            ret: None,
            post: None,
            replaced_by: None,
            cache: std::sync::Mutex::default(),
        }
    }

    /// The full reference of the function called, e.g. `rpc.math.fib`.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The id of the request this call serves (a call through a router, or
    /// one made inside such a call), as plugins read it with
    /// [`crate::request_id`].
    pub fn request_id(&self) -> Option<crate::RequestId> {
        crate::request_id()
    }

    /// The kwargs, as a JSON object (a direct typed call's arguments too).
    pub fn kwargs(&self) -> &Value {
        &self.kwargs
    }

    /// One kwarg, as the caller sent it; `None` when it was not sent.
    pub fn kwarg(&self, name: &str) -> Option<&Value> {
        self.kwargs.get(name).filter(|value| !value.is_null())
    }

    /// One kwarg read as `T`, numbers sent as strings included: `Ok(None)`
    /// when it was not sent, an error when it does not read as `T`.
    pub fn arg<T: DeserializeOwned>(&self, name: &str) -> crate::Result<Option<T>> {
        let Some(value) = self.kwargs.get(name) else {
            return Ok(None);
        };
        crate::bind::lenient(value)
            .map_err(|err| CallError::bad_argument(name, err.to_string()).into())
    }

    /// The result, for `post` contracts (after a `call`, none).
    pub fn ret(&self) -> Option<&Value> {
        self.ret.as_ref()
    }

    /// Replaces the result (`post` contracts).
    pub fn set_ret(&mut self, value: Value) {
        self.ret = Some(value);
        if self.post.is_some() {
            self.replaced_by = self.post;
        }
    }

    /// Keeps a value for the later contracts of this one call (pop's
    /// `ctx.cache`): a `pre` can hand a `post` what it saw.
    pub fn cache_set(&self, key: &str, value: Value) {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_owned(), value);
    }

    /// A value an earlier contract of this call kept.
    pub fn cache_get(&self, key: &str) -> Option<Value> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }
}

/// The rest of the call, for a `call` contract: run it, or not.
pub struct Next<'a> {
    run: NextRun<'a>,
    reference: &'a str,
}

// Both kinds are `Send`, so that an async `call` contract may hold `next`
// across an `.await`.
enum NextRun<'a> {
    Sync(Box<dyn FnOnce() -> Result<Value, CallError> + Send + 'a>),
    Async(Box<dyn FnOnce() -> BoxFuture<'a, Result<Value, CallError>> + Send + 'a>),
}

impl<'a> Next<'a> {
    pub(crate) fn sync(
        reference: &'a str,
        run: impl FnOnce() -> Result<Value, CallError> + Send + 'a,
    ) -> Self {
        Next {
            run: NextRun::Sync(Box::new(run)),
            reference,
        }
    }

    pub(crate) fn future(
        reference: &'a str,
        run: impl FnOnce() -> BoxFuture<'a, Result<Value, CallError>> + Send + 'a,
    ) -> Self {
        Next {
            run: NextRun::Async(Box::new(run)),
            reference,
        }
    }

    /// Calls the function, from a plain `call` contract of a plain `fn`.
    /// The function's own panic comes back as its error, so that the
    /// contract around it is not blamed for it.
    pub fn run(self) -> crate::Result<Value> {
        let reference = self.reference;
        match self.run {
            NextRun::Sync(run) => Ok(crate::call::catch(run)
                .and_then(|result| result)
                .map_err(|err| err.with_reference(reference))?),
            NextRun::Async(_) => anyhow::bail!("an async function's `call` contract must be async"),
        }
    }

    /// Calls the function, from an `async` `call` contract (its panic, too,
    /// comes back as its error).
    pub async fn call(self) -> crate::Result<Value> {
        let reference = self.reference;
        let outcome = match self.run {
            NextRun::Sync(run) => crate::call::catch(run).and_then(|result| result),
            NextRun::Async(run) => {
                let mut future = run();
                std::future::poll_fn(|cx| match crate::call::catch(|| future.as_mut().poll(cx)) {
                    Ok(poll) => poll,
                    Err(panicked) => std::task::Poll::Ready(Err(panicked)),
                })
                .await
            }
        };
        Ok(outcome.map_err(|err| err.with_reference(reference))?)
    }
}
