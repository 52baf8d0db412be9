//! The hub: subs, their functions, per-sub data and the configuration.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::call::{Call, CallError};
use crate::registry::{CrateInfo, LoadHook, Param, Plugin, PluginCall, Registry, RunHook};

/// A function on the hub: a `#[plugin]` function with its full reference.
pub struct Function {
    reference: Box<str>,
    krate: &'static str,
    file: &'static str,
    plugin: Plugin,
}

impl Function {
    /// The full reference, e.g. `rpc.math.fib`.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The function's own name, e.g. `fib`.
    pub fn name(&self) -> &str {
        self.plugin.name
    }

    /// Its doc comment.
    pub fn doc(&self) -> &str {
        self.plugin.doc
    }

    pub(crate) fn plugin_call(&self) -> PluginCall {
        self.plugin.call
    }

    /// True for a plain `fn` plugin: it may block its thread, so a router runs
    /// it on the runtime's blocking pool rather than on an async worker.
    pub fn is_blocking(&self) -> bool {
        matches!(self.plugin.call, PluginCall::Sync(_))
    }

    /// Its named parameters.
    pub fn params(&self) -> &[Param] {
        self.plugin.params
    }

    /// The crate that defines it.
    pub fn crate_name(&self) -> &str {
        self.krate
    }

    /// The file that defines it, relative to its crate's root.
    pub fn file(&self) -> &str {
        self.file
    }

    /// Calls it with JSON kwargs. A panic inside the plugin is caught and
    /// returned as [`CallError::Panicked`].
    pub fn call<'a>(&'a self, hub: &'a Hub, kwargs: Value) -> Call<'a> {
        Call::new(self, hub, kwargs)
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("reference", &self.reference)
            .field("crate", &self.krate)
            .field("params", &self.plugin.params)
            .finish()
    }
}

/// A plugin subsystem: a named namespace on the hub, gathered from one or
/// more directories (of one or more crates), possibly with nested subs.
pub struct Sub {
    name: String,
    path: String,
    dirs: Vec<(&'static str, &'static str)>,
    modules: BTreeMap<&'static str, Vec<Arc<Function>>>,
    nested: BTreeMap<String, Sub>,
    /// Every function of this sub and its nested subs, by reference relative to this sub.
    functions: FxHashMap<Box<str>, Arc<Function>>,
    load_hooks: Vec<(&'static str, LoadHook)>,
    start_hooks: Vec<(&'static str, LoadHook)>,
    run_hooks: Vec<RunHook>,
    data: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    added: bool,
}

impl Sub {
    fn new(name: &str, path: String) -> Self {
        Sub {
            name: name.to_owned(),
            path,
            dirs: Vec::new(),
            modules: BTreeMap::new(),
            nested: BTreeMap::new(),
            functions: FxHashMap::default(),
            load_hooks: Vec::new(),
            start_hooks: Vec::new(),
            run_hooks: Vec::new(),
            data: HashMap::new(),
            added: false,
        }
    }

    /// The sub's own name, e.g. `admin`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its full dotted path on the hub, e.g. `rpc.admin`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The directories it was gathered from, as (crate, directory) pairs.
    pub fn dirs(&self) -> &[(&'static str, &'static str)] {
        &self.dirs
    }

    /// True once [`Hub::add_sub`] has run its load hooks.
    pub fn is_added(&self) -> bool {
        self.added
    }

    /// Its nested subs, sorted by name.
    pub fn subs(&self) -> impl Iterator<Item = &Sub> {
        self.nested.values()
    }

    /// The names of its plugin modules, sorted.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().copied()
    }

    /// Its own functions (not those of nested subs), sorted by reference.
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.modules.values().flatten().map(|f| &**f)
    }

    /// A function by reference relative to this sub (`math.fib`, or
    /// `admin.users.list` for a nested sub), whether or not the sub was added.
    pub fn function(&self, relative: &str) -> Option<&Function> {
        self.functions.get(relative).map(|f| &**f)
    }

    /// Calls a function by reference relative to this sub, as a router does.
    /// Only plugin functions of this sub and its nested subs are reachable.
    pub fn call<'a>(&'a self, hub: &'a Hub, relative: &str, kwargs: Value) -> Call<'a> {
        match self.resolve(relative) {
            Ok(function) => function.call(hub, kwargs),
            Err(err) => Call::failed(err),
        }
    }

    /// Every function callable through this sub, by reference relative to it
    /// (a router's table, taken once when it starts).
    #[cfg(feature = "router")]
    pub(crate) fn callable(&self) -> FxHashMap<Box<str>, Arc<Function>> {
        self.functions.clone()
    }

    /// The function a call of `relative` reaches, or why none does.
    pub(crate) fn resolve(&self, relative: &str) -> Result<&Arc<Function>, CallError> {
        match self.functions.get(relative) {
            Some(function) if self.added => Ok(function),
            Some(_) => Err(CallError::UnknownRef {
                reference: relative.to_owned(),
                reason: format!("sub `{}` has not been added to the hub", self.path),
            }),
            None => Err(CallError::UnknownRef {
                reference: relative.to_owned(),
                reason: format!(
                    "no plugin function with this reference in sub `{}`",
                    self.path
                ),
            }),
        }
    }

    /// This sub's data of type `T` (pop's `hub.rpc.APP`), if set.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.data
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref())
    }

    /// Sets this sub's data of type `T`, returning the previous value. Data is
    /// set while the hub is being built (in load hooks); afterwards the hub is
    /// shared, so anything that changes later needs interior mutability
    /// (a `Mutex`, an atomic, a channel) inside `T`.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) -> Option<T> {
        self.data
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|old| *old))
    }

    fn mark_added(&mut self) {
        self.added = true;
        for nested in self.nested.values_mut() {
            nested.mark_added();
        }
    }

    /// Load hooks of this sub, then of its nested subs, each taken once.
    fn take_load_hooks(&mut self, into: &mut Vec<(&'static str, LoadHook)>) {
        into.append(&mut self.load_hooks);
        for nested in self.nested.values_mut() {
            nested.take_load_hooks(into);
        }
    }

    fn take_start_hooks(&mut self, into: &mut Vec<(&'static str, LoadHook)>) {
        into.append(&mut self.start_hooks);
        for nested in self.nested.values_mut() {
            nested.take_start_hooks(into);
        }
    }

    fn take_run_hooks(&mut self, into: &mut Vec<RunHook>) {
        into.append(&mut self.run_hooks);
        for nested in self.nested.values_mut() {
            nested.take_run_hooks(into);
        }
    }

    fn all_functions<'a>(&'a self, into: &mut Vec<&'a Arc<Function>>) {
        into.extend(self.modules.values().flatten());
        for nested in self.nested.values() {
            nested.all_functions(into);
        }
    }
}

/// The root namespace every plugin function receives first.
///
/// Build it with [`Hub::new`], add subs with [`Hub::add_sub`] (this runs their
/// load hooks), load the configuration, then share it (`Arc<Hub>`) and
/// [`Hub::run`] it. After that it is read-only; per-sub data set during
/// loading carries its own interior mutability.
pub struct Hub {
    crates: Vec<CrateInfo>,
    subs: BTreeMap<String, Sub>,
    /// Top-level subs in registration order: dependencies first, then DYNE order.
    order: Vec<String>,
    /// Functions of added subs, by full reference.
    callable: FxHashMap<Box<str>, Arc<Function>>,
    /// Subs in the order they were added; run hooks start in this order.
    added: Vec<String>,
    pub(crate) opt: Value,
    pub(crate) opt_sources: HashMap<String, crate::conf::Source>,
    pub(crate) subcommand: Option<String>,
    started: bool,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Default for Hub {
    /// An empty hub, for tests that call plugin functions directly.
    fn default() -> Self {
        Hub {
            crates: Vec::new(),
            subs: BTreeMap::new(),
            order: Vec::new(),
            callable: FxHashMap::default(),
            added: Vec::new(),
            opt: Value::Object(Default::default()),
            opt_sources: HashMap::new(),
            subcommand: None,
            started: false,
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl Hub {
    /// Builds the hub from a crate's generated `register` function.
    ///
    /// Fails when two crates define the same function reference or the same
    /// command-line flag; the error names both.
    pub fn new(register: impl FnOnce(&mut Registry)) -> crate::Result<Hub> {
        let mut registry = Registry::default();
        register(&mut registry);
        let Registry {
            crates,
            subs,
            modules,
            load_hooks,
            start_hooks,
            run_hooks,
        } = registry;
        crate::conf::check_flags(&crates)?;

        let mut hub = Hub {
            crates,
            ..Hub::default()
        };
        for decl in &subs {
            let krate = hub.crates[decl.krate].name;
            hub.sub_entry(&decl.path).dirs.push((krate, decl.dir));
        }
        let mut owners: HashMap<String, (&'static str, &'static str)> = HashMap::new();
        let mut clashes = Vec::new();
        for decl in modules {
            let krate = hub.crates[decl.krate].name;
            for plugin in decl.plugins {
                let reference = format!("{}.{}.{}", decl.path.join("."), decl.module, plugin.name);
                if let Some((other_crate, other_file)) = owners.get(&reference) {
                    clashes.push(format!(
                        "function `{reference}` is defined twice: in crate `{other_crate}` ({other_file}) and in crate `{krate}` ({})",
                        decl.file
                    ));
                    continue;
                }
                owners.insert(reference.clone(), (krate, decl.file));
                let function = Arc::new(Function {
                    reference: reference.into(),
                    krate,
                    file: decl.file,
                    plugin,
                });
                hub.sub_entry(&decl.path);
                // The function is reachable from every sub on its path, by the
                // reference relative to that sub.
                let mut sub = hub
                    .subs
                    .get_mut(decl.path[0])
                    .expect("sub_entry created it");
                for depth in 0..decl.path.len() {
                    if depth > 0 {
                        sub = sub
                            .nested
                            .get_mut(decl.path[depth])
                            .expect("sub_entry created it");
                    }
                    let prefix = decl.path[..=depth]
                        .iter()
                        .map(|p| p.len() + 1)
                        .sum::<usize>();
                    sub.functions
                        .insert(function.reference[prefix..].into(), function.clone());
                }
                sub.modules.entry(decl.module).or_default().push(function);
            }
        }
        if !clashes.is_empty() {
            bail!("{}", clashes.join("\n"));
        }
        for hook in load_hooks {
            let krate = hub.crates[hook.krate].name;
            hub.sub_entry(&hook.path)
                .load_hooks
                .push((krate, hook.hook));
        }
        for hook in start_hooks {
            let krate = hub.crates[hook.krate].name;
            hub.sub_entry(&hook.path)
                .start_hooks
                .push((krate, hook.hook));
        }
        for hook in run_hooks {
            hub.sub_entry(&hook.path).run_hooks.push(hook.hook);
        }
        for sub in hub.subs.values_mut() {
            for functions in sub.modules.values_mut() {
                functions.sort_by(|a, b| a.reference.cmp(&b.reference));
            }
        }
        Ok(hub)
    }

    /// The sub at `path`, created (with its parents) if new.
    fn sub_entry(&mut self, path: &[&str]) -> &mut Sub {
        let top = path[0];
        if !self.subs.contains_key(top) {
            self.order.push(top.to_owned());
        }
        let mut sub = self
            .subs
            .entry(top.to_owned())
            .or_insert_with(|| Sub::new(top, top.to_owned()));
        for name in &path[1..] {
            let child_path = format!("{}.{name}", sub.path);
            sub = sub
                .nested
                .entry((*name).to_owned())
                .or_insert_with(|| Sub::new(name, child_path));
        }
        sub
    }

    /// The app: the crate whose `register` built this hub (registered last).
    pub fn app(&self) -> Option<&CrateInfo> {
        self.crates.last()
    }

    /// Every registered crate, dependencies first.
    pub fn crates(&self) -> &[CrateInfo] {
        &self.crates
    }

    /// Adds a sub: runs its load hooks (those of every crate contributing to
    /// it, dependencies first, then those of its nested subs) and makes its
    /// functions callable by reference. Adding a sub twice does nothing.
    pub fn add_sub(&mut self, name: &str) -> crate::Result<()> {
        let Some(sub) = self.subs.get_mut(name) else {
            let known: Vec<&str> = self.order.iter().map(String::as_str).collect();
            bail!(
                "there is no sub named `{name}` on the hub (subs: {})",
                known.join(", ")
            );
        };
        if sub.added {
            return Ok(());
        }
        sub.mark_added();
        let mut hooks = Vec::new();
        sub.take_load_hooks(&mut hooks);
        let mut functions = Vec::new();
        sub.all_functions(&mut functions);
        let functions: Vec<Arc<Function>> = functions.into_iter().cloned().collect();
        for function in functions {
            self.callable.insert(function.reference.clone(), function);
        }
        self.added.push(name.to_owned());
        for (krate, hook) in hooks {
            hook(self).with_context(|| {
                format!("the load hook of sub `{name}` (crate `{krate}`) failed")
            })?;
        }
        Ok(())
    }

    /// Adds every sub not added yet, in registration order: the subs of
    /// dependencies first, then each crate's subs in its DYNE order.
    pub fn add_all_subs(&mut self) -> crate::Result<()> {
        for name in self.order.clone() {
            self.add_sub(&name)?;
        }
        Ok(())
    }

    /// Starts the added subs: runs their start hooks (a router binds its
    /// port here), in the order the subs were added, once. An app calls it
    /// after adding its subs and before it announces itself, so that a port
    /// in use stops start-up with an error naming it; [`Hub::run`] calls it
    /// if the app did not.
    pub fn start(&mut self) -> crate::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let mut hooks = Vec::new();
        for name in self.added.clone() {
            if let Some(sub) = self.subs.get_mut(&name) {
                sub.take_start_hooks(&mut hooks);
            }
        }
        for (krate, hook) in hooks {
            hook(self).with_context(|| format!("starting a sub of crate `{krate}` failed"))?;
        }
        Ok(())
    }

    /// Where the value of an option came from (the flag, the variable, the
    /// file or the default), once the configuration is loaded.
    pub fn opt_source(&self, namespace: &str, option: &str) -> Option<&crate::conf::Source> {
        self.opt_sources.get(&format!("{namespace}.{option}"))
    }

    /// Calls a function by its full reference with JSON kwargs:
    /// `hub.call("rpc.math.fib", json!({"num": 11})).await`.
    pub fn call<'a>(&'a self, reference: &str, kwargs: Value) -> Call<'a> {
        match self.callable.get(reference) {
            Some(function) => function.call(self, kwargs),
            None => Call::failed(self.unknown(reference)),
        }
    }

    fn unknown(&self, reference: &str) -> CallError {
        let top = reference.split('.').next().unwrap_or_default();
        let reason = match self.subs.get(top) {
            None => format!("there is no sub named `{top}`"),
            Some(sub)
                if !sub.added
                    && sub
                        .function(reference[top.len()..].trim_start_matches('.'))
                        .is_some() =>
            {
                format!("sub `{top}` has not been added to the hub")
            }
            Some(_) => format!("sub `{top}` has no plugin function with this reference"),
        };
        CallError::UnknownRef {
            reference: reference.to_owned(),
            reason,
        }
    }

    /// A function by full reference, whether or not its sub was added.
    pub fn function(&self, reference: &str) -> Option<&Function> {
        let (top, relative) = reference.split_once('.')?;
        self.subs.get(top)?.function(relative)
    }

    /// Every function on the hub, sorted by reference.
    pub fn functions(&self) -> Vec<&Function> {
        let mut all = Vec::new();
        for sub in self.subs.values() {
            sub.all_functions(&mut all);
        }
        let mut all: Vec<&Function> = all.into_iter().map(|f| &**f).collect();
        all.sort_by(|a, b| a.reference.cmp(&b.reference));
        all
    }

    /// The top-level subs, sorted by name (as pop iterates them).
    pub fn subs(&self) -> impl Iterator<Item = &Sub> {
        self.subs.values()
    }

    /// A sub by dotted path: `rpc`, or `rpc.admin` for a nested sub.
    pub fn sub(&self, path: &str) -> Option<&Sub> {
        let mut parts = path.split('.');
        let mut sub = self.subs.get(parts.next()?)?;
        for name in parts {
            sub = sub.nested.get(name)?;
        }
        Some(sub)
    }

    /// A sub by dotted path, to set its data while the hub is being built.
    pub fn sub_mut(&mut self, path: &str) -> Option<&mut Sub> {
        let mut parts = path.split('.');
        let mut sub = self.subs.get_mut(parts.next()?)?;
        for name in parts {
            sub = sub.nested.get_mut(name)?;
        }
        Some(sub)
    }

    /// Sets data of type `T` on the sub at `path` (pop's `hub.rpc.APP = …`).
    pub fn set_data<T: Any + Send + Sync>(&mut self, path: &str, value: T) -> crate::Result<()> {
        let sub = self
            .sub_mut(path)
            .ok_or_else(|| anyhow!("there is no sub named `{path}` on the hub"))?;
        sub.insert(value);
        Ok(())
    }

    /// The data of type `T` on the sub at `path`, if set.
    pub fn data<T: Any + Send + Sync>(&self, path: &str) -> Option<&T> {
        self.sub(path)?.get()
    }

    /// The configuration, namespaced per crate: `hub.opt()["poppy"]["port"]`
    /// (pop's `hub.OPT["poppy"]["port"]`). Empty until [`Hub::load_config`].
    pub fn opt(&self) -> &Value {
        &self.opt
    }

    /// One crate's configuration as a typed value. Each crate's generated
    /// `Config::from_hub` calls this with its own namespace.
    pub fn opt_as<T: DeserializeOwned>(&self, namespace: &str) -> crate::Result<T> {
        let values = self
            .opt
            .get(namespace)
            .ok_or_else(|| anyhow!("no configuration for `{namespace}`: was the config loaded?"))?;
        T::deserialize(values)
            .with_context(|| format!("the configuration of `{namespace}` does not fit its type"))
    }

    /// The sub-command chosen on the command line, if any (pop's `hub.SUBPARSER`).
    pub fn subcommand(&self) -> Option<&str> {
        self.subcommand.as_deref()
    }

    /// Asks every run hook to stop (as Ctrl-C or SIGTERM do).
    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes once shutdown has been requested; servers stop accepting then.
    pub async fn shutdown_requested(&self) {
        let mut receiver = self.shutdown.subscribe();
        // The sender lives as long as the hub, so waiting cannot fail.
        let _ = receiver.wait_for(|stop| *stop).await;
    }

    pub(crate) fn take_run_hooks(&mut self) -> Vec<RunHook> {
        let mut hooks = Vec::new();
        for name in &self.added {
            if let Some(sub) = self.subs.get_mut(name) {
                sub.take_run_hooks(&mut hooks);
            }
        }
        hooks
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field(
                "crates",
                &self.crates.iter().map(|c| c.name).collect::<Vec<_>>(),
            )
            .field("subs", &self.order)
            .field("added", &self.added)
            .finish()
    }
}
