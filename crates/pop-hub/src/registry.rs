//! What crates hand to the hub: subs, plugins, hooks, load conditions,
//! aliases and option tables.
//!
//! Every pop crate's generated `register` function fills a [`Registry`]:
//! first by calling the `register` of each pop crate it depends on, then with
//! its own subs. The registry is explicit code, so no plugin can be lost by the
//! linker, and its order is deterministic: dependencies before dependants,
//! files sorted.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use crate::conf::CrateInfo;
use crate::hub::Hub;
use crate::plugin::Plugin;

/// A load hook, pop's `__init__`: runs once when its sub is added.
pub(crate) type LoadHook = Box<dyn Fn(&mut Hub) -> anyhow::Result<()> + Send + Sync>;

/// A run hook: started by [`Hub::run`], runs until its work is done or shutdown.
pub(crate) type RunHook = Box<dyn Fn(Arc<Hub>) -> RunHookFuture + Send + Sync>;

/// The future of a run hook.
pub type RunHookFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// A load condition (pop's `__virtual__`): a plugin file's or a sub's
/// `available`, evaluated when the sub is added; an `Err` declines, with
/// the error as the reason.
pub type Available = fn(&Hub) -> anyhow::Result<()>;

/// What a load hook may return: nothing, or a `Result`.
pub trait LoadHookOutput {
    /// As a `Result`.
    fn into_result(self) -> anyhow::Result<()>;
}

impl LoadHookOutput for () {
    fn into_result(self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl<E: Into<anyhow::Error>> LoadHookOutput for Result<(), E> {
    fn into_result(self) -> anyhow::Result<()> {
        self.map_err(Into::into)
    }
}

pub(crate) struct SubDecl {
    pub(crate) krate: usize,
    pub(crate) path: Vec<&'static str>,
    pub(crate) dir: &'static str,
}

pub(crate) struct ModuleDecl {
    pub(crate) krate: usize,
    pub(crate) path: Vec<&'static str>,
    pub(crate) module: &'static str,
    pub(crate) file: &'static str,
    pub(crate) plugins: Vec<Plugin>,
    pub(crate) available: Option<Available>,
}

pub(crate) struct HookDecl<H> {
    pub(crate) krate: usize,
    pub(crate) path: Vec<&'static str>,
    pub(crate) hook: H,
}

/// Collects what every crate registers, for [`Hub::new`].
#[derive(Default)]
pub struct Registry {
    pub(crate) crates: Vec<CrateInfo>,
    pub(crate) subs: Vec<SubDecl>,
    pub(crate) modules: Vec<ModuleDecl>,
    pub(crate) load_hooks: Vec<HookDecl<LoadHook>>,
    pub(crate) start_hooks: Vec<HookDecl<LoadHook>>,
    pub(crate) run_hooks: Vec<HookDecl<RunHook>>,
    pub(crate) conditions: Vec<HookDecl<Available>>,
    pub(crate) aliases: Vec<HookDecl<&'static [&'static str]>>,
}

impl Registry {
    /// Starts registering a crate. Returns `None` when the crate is already
    /// registered: a crate reached through several dependants registers once.
    pub fn krate(&mut self, info: CrateInfo) -> Option<CrateRegistrar<'_>> {
        if self.crates.iter().any(|known| known.name == info.name) {
            return None;
        }
        self.crates.push(info);
        let index = self.crates.len() - 1;
        Some(CrateRegistrar {
            registry: self,
            index,
        })
    }
}

/// Registers one crate's subs, plugin modules and hooks.
pub struct CrateRegistrar<'a> {
    registry: &'a mut Registry,
    index: usize,
}

impl CrateRegistrar<'_> {
    /// Declares that `dir` (relative to the crate root) holds the sub at `path`
    /// (`["rpc"]`, or `["rpc", "admin"]` for a nested sub).
    pub fn sub(&mut self, path: &[&'static str], dir: &'static str) {
        self.registry.subs.push(SubDecl {
            krate: self.index,
            path: path.to_vec(),
            dir,
        });
    }

    /// Registers the plugins of one module file of the sub at `path`, and the
    /// file's load condition (its `available`), if it has one.
    pub fn module(
        &mut self,
        path: &[&'static str],
        module: &'static str,
        file: &'static str,
        plugins: &[Plugin],
        available: Option<Available>,
    ) {
        self.registry.modules.push(ModuleDecl {
            krate: self.index,
            path: path.to_vec(),
            module,
            file,
            plugins: plugins.to_vec(),
            available,
        });
    }

    /// Registers the load condition of the sub at `path` (`available` in its `init.rs`).
    pub fn available(&mut self, path: &[&'static str], available: Available) {
        self.registry.conditions.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: available,
        });
    }

    /// Registers other names of the top-level sub at `path` (`ALIASES` in its
    /// `init.rs`, pop's `__sub_alias__`): calls by reference may use them.
    pub fn aliases(&mut self, path: &[&'static str], aliases: &'static [&'static str]) {
        self.registry.aliases.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: aliases,
        });
    }

    /// Registers the load hook of the sub at `path` (`fn init(hub: &mut Hub)` in its `init.rs`).
    pub fn load_hook<R: LoadHookOutput + 'static>(
        &mut self,
        path: &[&'static str],
        hook: fn(&mut Hub) -> R,
    ) {
        self.registry.load_hooks.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: Box::new(move |hub| hook(hub).into_result()),
        });
    }

    /// Registers the start hook of the sub at `path` (`fn start(hub: &mut Hub)`
    /// in its `init.rs`): it runs in [`Hub::start`], before the app announces
    /// itself, to claim what the sub needs (a router binds its port).
    pub fn start_hook<R: LoadHookOutput + 'static>(
        &mut self,
        path: &[&'static str],
        hook: fn(&mut Hub) -> R,
    ) {
        self.registry.start_hooks.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: Box::new(move |hub| hook(hub).into_result()),
        });
    }

    /// Registers the start and run hooks of the sub at `path` when its run
    /// hook takes what its start hook returns (`fn start(hub: &mut Hub) ->
    /// Result<T>` and `async fn run(hub: Arc<Hub>, state: T)` in its
    /// `init.rs`): the runtime hands the value over, so that a sub claims
    /// what it needs as it starts (a port, a subscription) and uses it as it
    /// runs, with no shared slot in user code.
    pub fn start_and_run_hooks<S, E, F, R>(
        &mut self,
        path: &[&'static str],
        start: fn(&mut Hub) -> Result<S, E>,
        run: fn(Arc<Hub>, S) -> F,
    ) where
        S: Send + 'static,
        E: Into<anyhow::Error> + 'static,
        F: Future<Output = R> + Send + 'static,
        R: LoadHookOutput + 'static,
    {
        let handed: Arc<Mutex<Option<S>>> = Arc::new(Mutex::new(None));
        let slot = handed.clone();
        self.registry.start_hooks.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: Box::new(move |hub| {
                let state = start(hub).map_err(Into::into)?;
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(state);
                Ok(())
            }),
        });
        let sub = path.join(".");
        self.registry.run_hooks.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: Box::new(move |hub| {
                let state = handed.lock().unwrap_or_else(PoisonError::into_inner).take();
                let sub = sub.clone();
                Box::pin(async move {
                    match state {
                        Some(state) => run(hub, state).await.into_result(),
                        None => Err(anyhow::anyhow!(
                            "the run hook of the sub `{sub}` needs what its start hook returns, \
                             and the start hook has not run"
                        )),
                    }
                })
            }),
        });
    }

    /// Registers the run hook of the sub at `path` (`async fn run(hub: Arc<Hub>)` in its `init.rs`).
    pub fn run_hook<F, R>(&mut self, path: &[&'static str], hook: fn(Arc<Hub>) -> F)
    where
        F: Future<Output = R> + Send + 'static,
        R: LoadHookOutput + 'static,
    {
        self.registry.run_hooks.push(HookDecl {
            krate: self.index,
            path: path.to_vec(),
            hook: Box::new(move |hub| Box::pin(async move { hook(hub).await.into_result() })),
        });
    }
}
