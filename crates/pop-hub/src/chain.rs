//! The machinery of contracts: each function's chain as the build lists
//! it (`__POP_SITES`), and the paths a call takes through it, typed and by
//! reference. Generated code reaches it through `pop::__private`; what a
//! contract author sees is in [`crate::contract`].

use serde_json::Value;

use crate::contract::{Ctx, Next};
use crate::error::CallError;
use crate::hub::Hub;
use crate::plugin::{BoxFuture, Kwargs, Reply, Want};

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

impl Chain {
    /// Each contract's stage (`pre`, `call` or `post`) and full name, in
    /// the order they run.
    pub fn stages(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let pre = self.pre.iter().map(|pre| ("pre", pre.name));
        let call = self.call.iter().map(|call| ("call", call.name));
        let post = self.post.iter().map(|post| ("post", post.name));
        pre.chain(call).chain(post)
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stages().map(|(stage, name)| format!("{stage} {name}")))
            .finish()
    }
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
    /// Whether a value from a contract fits the return type, and why not.
    pub fits: fn(&Value) -> Result<(), String>,
}

/// A contract gave a result the function's return type cannot hold: an
/// error naming the contract, on every path alike.
fn misfit(contract: &'static str, why: String) -> CallError {
    CallError::failed(anyhow::anyhow!(
        "the contract `{contract}` gave a result that does not fit the function's return type: {why}"
    ))
}

/// Runs one contract function: its panic is reported as the contract's, for
/// the function may never have run.
fn guarded<T>(contract: &'static str, run: impl FnOnce() -> T) -> Result<T, CallError> {
    crate::call::catch(run).map_err(|err| err.in_contract(contract))
}

/// [`guarded`] for an async contract.
async fn guarded_async<T>(
    contract: &'static str,
    mut run: BoxFuture<'_, T>,
) -> Result<T, CallError> {
    std::future::poll_fn(|cx| match crate::call::catch(|| run.as_mut().poll(cx)) {
        Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
        Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
        Err(err) => std::task::Poll::Ready(Err(err.in_contract(contract))),
    })
    .await
}

fn refused(contract: &'static str, reference: &str, err: &anyhow::Error) -> CallError {
    CallError::refused(reference, contract, format!("{err:#}"))
}

/// A contract's error: a call's own error passes through `call` contracts.
fn failed(contract: &'static str, err: anyhow::Error) -> CallError {
    match err.downcast::<CallError>() {
        Ok(call) => call,
        Err(err) => CallError::failed(err.context(format!("the contract `{contract}` failed"))),
    }
}

fn stand_in_failed(err: anyhow::Error) -> CallError {
    CallError::failed(err.context("the stand-in failed"))
}

fn run_pre(hub: &Hub, ctx: &Ctx, site: &Site) -> Result<(), CallError> {
    for pre in site.chain.pre {
        let outcome = match pre.run {
            Stage::Sync(run) => guarded(pre.name, || run(hub, ctx))?,
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
            Stage::Sync(run) => guarded(pre.name, || run(hub, ctx))?,
            Stage::Async(run) => guarded_async(pre.name, run(hub, ctx)).await?,
        };
        outcome.map_err(|err| refused(pre.name, &ctx.reference, &err))?;
    }
    Ok(())
}

fn run_post(hub: &Hub, ctx: &mut Ctx, site: &Site) -> Result<(), CallError> {
    for post in site.chain.post {
        ctx.post = Some(post.name);
        let outcome = match post.run {
            Stage::Sync(run) => guarded(post.name, || run(hub, ctx))?,
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
        ctx.post = Some(post.name);
        let outcome = match post.run {
            Stage::Sync(run) => guarded(post.name, || run(hub, ctx))?,
            Stage::Async(run) => guarded_async(post.name, run(hub, ctx)).await?,
        };
        outcome.map_err(|err| failed(post.name, err))?;
    }
    Ok(())
}

/// The result after the `post` contracts, checked against the return type
/// when one of them replaced it.
fn checked_ret(ctx: &mut Ctx, fits: fn(&Value) -> Result<(), String>) -> Result<Value, CallError> {
    let value = ctx.ret.take().unwrap_or(Value::Null);
    match ctx.replaced_by {
        Some(contract) => fits(&value)
            .map(|()| value)
            .map_err(|why| misfit(contract, why)),
        None => Ok(value),
    }
}

impl<R> Conv<R> {
    /// What a `call` contract gave, as the function's result: `Err` holds
    /// the failed call, for which no `post` contract runs.
    fn called(
        &self,
        contract: &'static str,
        outcome: anyhow::Result<Value>,
        reference: &str,
    ) -> Result<R, R> {
        outcome
            .map_err(|err| failed(contract, err))
            .and_then(|value| {
                (self.fits)(&value)
                    .map(|()| value)
                    .map_err(|why| misfit(contract, why))
            })
            .map(self.from_json)
            .map_err(|err| (self.fail)(err.with_reference(reference)))
    }

    /// The result once the `post` contracts ran: theirs when one replaced
    /// it, checked against the return type.
    fn posted(
        &self,
        ctx: &mut Ctx,
        posted: Result<(), CallError>,
        result: R,
        reference: &str,
    ) -> R {
        if let Err(err) = posted {
            return (self.fail)(err.with_reference(reference));
        }
        if ctx.replaced_by.is_none() {
            return result;
        }
        match checked_ret(ctx, self.fits) {
            Ok(value) => (self.from_json)(value),
            Err(err) => (self.fail)(err.with_reference(reference)),
        }
    }
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
            Stage::Sync(run) => guarded(call.name, || run(hub, &ctx, next))
                .unwrap_or_else(|err| Err(anyhow::Error::new(err))),
            Stage::Async(_) => Err(anyhow::anyhow!(
                "an async `call` contract cannot wrap a plain `fn`"
            )),
        };
        match conv.called(call.name, outcome, site.reference) {
            Ok(result) => result,
            Err(failed) => return failed,
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
    let posted = run_post(hub, &mut ctx, site);
    conv.posted(&mut ctx, posted, result, site.reference)
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
            Stage::Sync(run) => guarded(call.name, || run(hub, &ctx, next)),
            Stage::Async(run) => guarded_async(call.name, run(hub, &ctx, next)).await,
        }
        .unwrap_or_else(|err| Err(anyhow::Error::new(err)));
        match conv.called(call.name, outcome, site.reference) {
            Ok(result) => result,
            Err(failed) => return failed,
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
    let posted = run_post_async(hub, &mut ctx, site).await;
    conv.posted(&mut ctx, posted, result, site.reference)
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
    fits: fn(&Value) -> Result<(), String>,
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
        let value = match call.run {
            Stage::Sync(run) => guarded(call.name, || run(hub, &ctx, next))?
                .map_err(|err| failed(call.name, err))?,
            Stage::Async(_) => {
                return Err(failed(
                    call.name,
                    anyhow::anyhow!("an async `call` contract cannot wrap a plain `fn`"),
                ));
            }
        };
        fits(&value).map_err(|why| misfit(call.name, why))?;
        value
    } else {
        body(ctx.kwargs.clone())?
    };
    ctx.ret = Some(value);
    run_post(hub, &mut ctx, site)?;
    Reply::of(&checked_ret(&mut ctx, fits)?, want)
}

/// A call by reference of an `async fn` with contracts or stand-ins; `body`
/// binds the kwargs and calls the function.
pub async fn dynamic_async<'a>(
    hub: &'a Hub,
    site: &'static Site,
    reference: &'a str,
    kwargs: Kwargs<'a>,
    want: Want,
    fits: fn(&Value) -> Result<(), String>,
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
        let value = match call.run {
            Stage::Sync(run) => guarded(call.name, || run(hub, &ctx, next))?,
            Stage::Async(run) => guarded_async(call.name, run(hub, &ctx, next)).await?,
        }
        .map_err(|err| failed(call.name, err))?;
        fits(&value).map_err(|why| misfit(call.name, why))?;
        value
    } else {
        body(ctx.kwargs.clone()).await?
    };
    ctx.ret = Some(value);
    run_post_async(hub, &mut ctx, site).await?;
    Reply::of(&checked_ret(&mut ctx, fits)?, want)
}
