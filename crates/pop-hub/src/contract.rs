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
//! [`CallError::Refused`] naming the contract. Then the one `call` contract,
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
use crate::hub::Hub;
use crate::plugin::{BoxFuture, Kwargs, Reply, Want};

/// What a contract sees of one call.
#[derive(Debug)]
pub struct Ctx {
    reference: std::borrow::Cow<'static, str>,
    kwargs: Value,
    ret: Option<Value>,
    replaced: bool,
    // Behind a lock so that `pre` and `call`, which see the context shared,
    // can write to it too; one call's contracts run one after the other, so
    // it is never contended.
    cache: std::sync::Mutex<Map<String, Value>>,
}

impl Ctx {
    fn new(reference: impl Into<std::borrow::Cow<'static, str>>, kwargs: Value) -> Ctx {
        Ctx {
            reference: reference.into(),
            kwargs,
            ret: None,
            replaced: false,
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
        self.replaced = true;
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
    fn sync(
        reference: &'a str,
        run: impl FnOnce() -> Result<Value, CallError> + Send + 'a,
    ) -> Self {
        Next {
            run: NextRun::Sync(Box::new(run)),
            reference,
        }
    }

    fn future(
        reference: &'a str,
        run: impl FnOnce() -> BoxFuture<'a, Result<Value, CallError>> + Send + 'a,
    ) -> Self {
        Next {
            run: NextRun::Async(Box::new(run)),
            reference,
        }
    }

    /// Calls the function, from a plain `call` contract of a plain `fn`.
    pub fn run(self) -> crate::Result<Value> {
        let reference = self.reference;
        match self.run {
            NextRun::Sync(run) => Ok(run().map_err(|err| err.with_reference(reference))?),
            NextRun::Async(_) => anyhow::bail!("an async function's `call` contract must be async"),
        }
    }

    /// Calls the function, from an `async` `call` contract.
    pub async fn call(self) -> crate::Result<Value> {
        let reference = self.reference;
        let outcome = match self.run {
            NextRun::Sync(run) => run(),
            NextRun::Async(run) => run().await,
        };
        Ok(outcome.map_err(|err| err.with_reference(reference))?)
    }
}

/// A contract stage, as a plain or an async fn.
#[derive(Clone, Copy)]
pub enum Stage<S, A> {
    /// A plain `fn`.
    Sync(S),
    /// An `async fn`, boxed by generated code.
    Async(A),
}

/// A `pre` contract: sees the reference and kwargs; an `Err` refuses.
pub type Pre = Contract<
    fn(&Hub, &Ctx) -> crate::Result<()>,
    for<'a> fn(&'a Hub, &'a Ctx) -> BoxFuture<'a, crate::Result<()>>,
>;

/// A `call` contract: runs in place of the function, which `next` calls.
pub type CallContract = Contract<
    for<'a> fn(&'a Hub, &'a Ctx, Next<'a>) -> crate::Result<Value>,
    for<'a> fn(&'a Hub, &'a Ctx, Next<'a>) -> BoxFuture<'a, crate::Result<Value>>,
>;

/// A `post` contract: sees the result and may replace it.
pub type Post = Contract<
    fn(&Hub, &mut Ctx) -> crate::Result<()>,
    for<'a> fn(&'a Hub, &'a mut Ctx) -> BoxFuture<'a, crate::Result<()>>,
>;

/// One contract function and its name (`rpc.contracts.math.pre_fib`).
#[derive(Clone, Copy)]
pub struct Contract<S, A> {
    /// Its full name, for messages.
    pub name: &'static str,
    /// The function.
    pub run: Stage<S, A>,
}

/// The contracts of one function, in the order they run.
#[derive(Clone, Copy)]
pub struct Chain {
    /// Every `pre`, in order.
    pub pre: &'static [Pre],
    /// The `call` contract, if any.
    pub call: Option<CallContract>,
    /// Every `post`, in order.
    pub post: &'static [Post],
}

/// A plugin function as the build knows it: where it is, its reference, its
/// contracts. pop-build lists every plugin function of a crate in its
/// `__POP_SITES`; `#[plugin]` finds its own entry there while compiling.
#[derive(Clone, Copy)]
pub struct Site {
    /// The module path of its file within its crate (`module_path!()`
    /// without the crate's name), e.g. `subs::rpc::math`.
    pub module: &'static str,
    /// Its name in Rust.
    pub function: &'static str,
    /// Its full reference, e.g. `rpc.math.fib`.
    pub reference: &'static str,
    /// Its contracts.
    pub chain: Chain,
}

impl Site {
    /// True when any contract wraps it.
    pub const fn contracted(&self) -> bool {
        !self.chain.pre.is_empty() || self.chain.call.is_some() || !self.chain.post.is_empty()
    }
}

/// The site of a function the build did not list (code outside a pop
/// crate's subs, such as a test's own plugins): no contracts.
const UNLISTED: Site = Site {
    module: "",
    function: "",
    reference: "",
    chain: Chain {
        pre: &[],
        call: None,
        post: &[],
    },
};

/// The site of `function` in `module` (a `module_path!()`), found while compiling.
pub const fn site(sites: &'static [Site], module: &str, function: &str) -> &'static Site {
    let module = module.as_bytes();
    // Past the crate's name: a binary and a library of one package share sites.
    let mut start = 0;
    while start + 1 < module.len() && !(module[start] == b':' && module[start + 1] == b':') {
        start += 1;
    }
    let within = if start + 1 < module.len() {
        start + 2
    } else {
        module.len()
    };
    let mut index = 0;
    while index < sites.len() {
        let site = &sites[index];
        if same(site.module.as_bytes(), module, within)
            && same(site.function.as_bytes(), function.as_bytes(), 0)
        {
            return site;
        }
        index += 1;
    }
    &UNLISTED
}

/// True when `a` equals `b` from `offset` on.
const fn same(a: &[u8], b: &[u8], offset: usize) -> bool {
    if a.len() + offset != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[offset + index] {
            return false;
        }
        index += 1;
    }
    true
}

/// True when a call can skip the machinery: no contract wraps the function
/// and the hub has no stand-ins. Every generated function asks this first.
#[inline]
pub fn plain(hub: &Hub, site: &Site) -> bool {
    !site.contracted() && !hub.instrumented()
}

/// How the typed path of one function turns its return type to and from
/// JSON. `#[plugin]` writes these for each function's concrete type.
pub struct Conv<R> {
    /// The value `post` contracts see; `None` for an `Err`, which they do not.
    pub peek: fn(&R) -> Option<Value>,
    /// The result as a value, or the call's error.
    pub into_json: fn(R) -> Result<Value, CallError>,
    /// A value from a stand-in or a contract, as the return type.
    pub from_json: fn(Value) -> R,
    /// A failed call as the return type: an `Err`, or a panic for a function
    /// that cannot return one.
    pub fail: fn(CallError) -> R,
}

fn refused(contract: &'static str, reference: &str, err: &anyhow::Error) -> CallError {
    CallError::Refused {
        reference: reference.to_owned(),
        contract,
        message: format!("{err:#}"),
    }
}

/// A contract's error: a call's own error passes through `call` contracts.
fn failed(contract: &'static str, err: anyhow::Error) -> CallError {
    match err.downcast::<CallError>() {
        Ok(call) => call,
        Err(err) => CallError::Failed {
            reference: String::new(),
            error: err.context(format!("the contract `{contract}` failed")),
        },
    }
}

fn stand_in_failed(err: anyhow::Error) -> CallError {
    CallError::Failed {
        reference: String::new(),
        error: err.context("the stand-in failed"),
    }
}

fn run_pre(hub: &Hub, ctx: &Ctx, site: &Site) -> Result<(), CallError> {
    for pre in site.chain.pre {
        let outcome = match pre.run {
            Stage::Sync(run) => run(hub, ctx),
            Stage::Async(_) => Err(anyhow::anyhow!(
                "an async `pre` contract cannot wrap a plain `fn`"
            )),
        };
        outcome.map_err(|err| refused(pre.name, &ctx.reference, &err))?;
    }
    Ok(())
}

async fn run_pre_async(hub: &Hub, ctx: &Ctx, site: &Site) -> Result<(), CallError> {
    for pre in site.chain.pre {
        let outcome = match pre.run {
            Stage::Sync(run) => run(hub, ctx),
            Stage::Async(run) => run(hub, ctx).await,
        };
        outcome.map_err(|err| refused(pre.name, &ctx.reference, &err))?;
    }
    Ok(())
}

fn run_post(hub: &Hub, ctx: &mut Ctx, site: &Site) -> Result<(), CallError> {
    for post in site.chain.post {
        let outcome = match post.run {
            Stage::Sync(run) => run(hub, ctx),
            Stage::Async(_) => Err(anyhow::anyhow!(
                "an async `post` contract cannot wrap a plain `fn`"
            )),
        };
        outcome.map_err(|err| failed(post.name, err))?;
    }
    Ok(())
}

async fn run_post_async(hub: &Hub, ctx: &mut Ctx, site: &Site) -> Result<(), CallError> {
    for post in site.chain.post {
        let outcome = match post.run {
            Stage::Sync(run) => run(hub, ctx),
            Stage::Async(run) => run(hub, ctx).await,
        };
        outcome.map_err(|err| failed(post.name, err))?;
    }
    Ok(())
}

/// A direct typed call of a plain `fn` with contracts or stand-ins.
pub fn typed_sync<R>(
    hub: &Hub,
    site: &'static Site,
    kwargs: Value,
    body: impl FnOnce() -> R + Send,
    conv: Conv<R>,
) -> R {
    let mut ctx = Ctx::new(site.reference, kwargs);
    hub.record_call(site.reference, &ctx.kwargs);
    if let Err(err) = run_pre(hub, &ctx, site) {
        return (conv.fail)(err.with_reference(site.reference));
    }
    let result = if let Some(stand_in) = hub.stand_in(site.reference) {
        match stand_in(hub, ctx.kwargs.clone()) {
            Ok(value) => (conv.from_json)(value),
            Err(err) => return (conv.fail)(stand_in_failed(err).with_reference(site.reference)),
        }
    } else if let Some(call) = site.chain.call {
        let next = Next::sync(&ctx.reference, || (conv.into_json)(body()));
        let outcome = match call.run {
            Stage::Sync(run) => run(hub, &ctx, next),
            Stage::Async(_) => Err(anyhow::anyhow!(
                "an async `call` contract cannot wrap a plain `fn`"
            )),
        };
        match outcome {
            Ok(value) => (conv.from_json)(value),
            Err(err) => return (conv.fail)(failed(call.name, err).with_reference(site.reference)),
        }
    } else {
        body()
    };
    if site.chain.post.is_empty() {
        return result;
    }
    let Some(ret) = (conv.peek)(&result) else {
        return result;
    };
    ctx.ret = Some(ret);
    if let Err(err) = run_post(hub, &mut ctx, site) {
        return (conv.fail)(err.with_reference(site.reference));
    }
    match (ctx.replaced, ctx.ret) {
        (true, Some(value)) => (conv.from_json)(value),
        _ => result,
    }
}

/// A direct typed call of an `async fn` with contracts or stand-ins.
pub async fn typed_async<'a, R, F>(
    hub: &'a Hub,
    site: &'static Site,
    kwargs: Value,
    body: impl FnOnce() -> F + Send + 'a,
    conv: Conv<R>,
) -> R
where
    F: std::future::Future<Output = R> + Send + 'a,
    R: Send + 'a,
{
    let mut ctx = Ctx::new(site.reference, kwargs);
    hub.record_call(site.reference, &ctx.kwargs);
    if let Err(err) = run_pre_async(hub, &ctx, site).await {
        return (conv.fail)(err.with_reference(site.reference));
    }
    let result = if let Some(stand_in) = hub.stand_in(site.reference) {
        match stand_in(hub, ctx.kwargs.clone()) {
            Ok(value) => (conv.from_json)(value),
            Err(err) => return (conv.fail)(stand_in_failed(err).with_reference(site.reference)),
        }
    } else if let Some(call) = site.chain.call {
        let into_json = conv.into_json;
        let next = Next::future(&ctx.reference, move || {
            Box::pin(async move { into_json(body().await) })
        });
        let outcome = match call.run {
            Stage::Sync(run) => run(hub, &ctx, next),
            Stage::Async(run) => run(hub, &ctx, next).await,
        };
        match outcome {
            Ok(value) => (conv.from_json)(value),
            Err(err) => return (conv.fail)(failed(call.name, err).with_reference(site.reference)),
        }
    } else {
        body().await
    };
    if site.chain.post.is_empty() {
        return result;
    }
    let Some(ret) = (conv.peek)(&result) else {
        return result;
    };
    ctx.ret = Some(ret);
    if let Err(err) = run_post_async(hub, &mut ctx, site).await {
        return (conv.fail)(err.with_reference(site.reference));
    }
    match (ctx.replaced, ctx.ret) {
        (true, Some(value)) => (conv.from_json)(value),
        _ => result,
    }
}

/// The reference a call by reference reports: the build's, or for a
/// function the build did not list (a test's own), the hub's.
fn site_reference(site: &'static Site, reference: &str) -> std::borrow::Cow<'static, str> {
    if site.reference.is_empty() {
        std::borrow::Cow::Owned(reference.to_owned())
    } else {
        std::borrow::Cow::Borrowed(site.reference)
    }
}

/// A call by reference of a plain `fn` with contracts or stand-ins; `body`
/// binds the kwargs and calls the function.
pub fn dynamic_sync(
    hub: &Hub,
    site: &'static Site,
    reference: &str,
    kwargs: Kwargs<'_>,
    want: Want,
    body: impl FnOnce(Value) -> Result<Value, CallError> + Send,
) -> Result<Reply, CallError> {
    let mut ctx = Ctx::new(site_reference(site, reference), kwargs.into_value()?);
    hub.record_call(&ctx.reference, &ctx.kwargs);
    run_pre(hub, &ctx, site)?;
    let value = if let Some(stand_in) = hub.stand_in(&ctx.reference) {
        stand_in(hub, ctx.kwargs.clone()).map_err(stand_in_failed)?
    } else if let Some(call) = site.chain.call {
        let kwargs = ctx.kwargs.clone();
        let next = Next::sync(&ctx.reference, move || body(kwargs));
        match call.run {
            Stage::Sync(run) => run(hub, &ctx, next).map_err(|err| failed(call.name, err))?,
            Stage::Async(_) => {
                return Err(failed(
                    call.name,
                    anyhow::anyhow!("an async `call` contract cannot wrap a plain `fn`"),
                ));
            }
        }
    } else {
        body(ctx.kwargs.clone())?
    };
    ctx.ret = Some(value);
    run_post(hub, &mut ctx, site)?;
    Reply::of(ctx.ret.as_ref().unwrap_or(&Value::Null), want)
}

/// A call by reference of an `async fn` with contracts or stand-ins; `body`
/// binds the kwargs and calls the function.
pub async fn dynamic_async<'a>(
    hub: &'a Hub,
    site: &'static Site,
    reference: &'a str,
    kwargs: Kwargs<'a>,
    want: Want,
    body: impl FnOnce(Value) -> BoxFuture<'a, Result<Value, CallError>> + Send + 'a,
) -> Result<Reply, CallError> {
    let mut ctx = Ctx::new(site_reference(site, reference), kwargs.into_value()?);
    hub.record_call(&ctx.reference, &ctx.kwargs);
    run_pre_async(hub, &ctx, site).await?;
    let value = if let Some(stand_in) = hub.stand_in(&ctx.reference) {
        stand_in(hub, ctx.kwargs.clone()).map_err(stand_in_failed)?
    } else if let Some(call) = site.chain.call {
        let kwargs = ctx.kwargs.clone();
        let next = Next::future(&ctx.reference, move || body(kwargs));
        match call.run {
            Stage::Sync(run) => run(hub, &ctx, next),
            Stage::Async(run) => run(hub, &ctx, next).await,
        }
        .map_err(|err| failed(call.name, err))?
    } else {
        body(ctx.kwargs.clone()).await?
    };
    ctx.ret = Some(value);
    run_post_async(hub, &mut ctx, site).await?;
    Reply::of(ctx.ret.as_ref().unwrap_or(&Value::Null), want)
}
