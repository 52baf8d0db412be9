//! The hub: subs, their functions, per-sub data and the configuration.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow, bail};
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::call::{Call, Invocation};
use crate::conf::CrateInfo;
use crate::error::CallError;
use crate::plugin::{Kwargs, Param, Plugin, PluginCall, Want};
use crate::registry::{Available, LoadHook, Registry, RunHook};

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

    /// The name it is called by, e.g. `fib` (an alias, for `#[plugin(name = …)]`).
    pub fn name(&self) -> &str {
        self.plugin.name
    }

    /// Its name in Rust (differs from [`Function::name`] for an alias).
    pub fn rust_name(&self) -> &str {
        self.plugin.rust_name
    }

    /// Its doc comment.
    pub fn doc(&self) -> &str {
        self.plugin.doc
    }

    /// The contracts that wrap it, in the order they run: each one's stage
    /// (`pre`, `call` or `post`) and full name.
    pub fn contracts(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.plugin.contracts.stages()
    }

    /// Its named parameters.
    pub fn params(&self) -> &[Param] {
        self.plugin.params
    }

    /// Its return type, as written.
    pub fn returns(&self) -> &str {
        self.plugin.returns
    }

    /// The crate that defines it.
    pub fn crate_name(&self) -> &str {
        self.krate
    }

    /// The file that defines it, relative to its crate's root.
    pub fn file(&self) -> &str {
        self.file
    }

    /// True for a plain `fn` plugin: it may block its thread, so a router runs
    /// it on the runtime's blocking pool rather than on an async worker.
    pub fn is_blocking(&self) -> bool {
        matches!(self.plugin.call, PluginCall::Sync(_))
    }

    /// Calls it with JSON kwargs. A panic inside the plugin is caught and
    /// returned as [`CallError::Panicked`].
    pub fn call<'a>(&'a self, hub: &'a Hub, kwargs: Value) -> Call<'a> {
        Call::new(self.invoke(hub, Kwargs::Value(kwargs), Want::Value))
    }

    /// Calls it with kwargs as the caller has them, answering in the form it wants.
    pub(crate) fn invoke<'a>(
        &'a self,
        hub: &'a Hub,
        kwargs: Kwargs<'a>,
        want: Want,
    ) -> Invocation<'a> {
        Invocation::new(self.plugin.call, hub, kwargs, want, &self.reference)
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

/// One plugin file of a sub, as registered.
struct Module {
    functions: Vec<Arc<Function>>,
    available: Vec<Available>,
}

/// A plugin subsystem: a named namespace on the hub, gathered from one or
/// more directories (of one or more crates), possibly with nested subs.
pub struct Sub {
    name: String,
    path: String,
    dirs: Vec<(&'static str, &'static str)>,
    modules: BTreeMap<&'static str, Module>,
    nested: BTreeMap<String, Sub>,
    /// Every callable function of this sub and its nested subs, by reference relative to this sub.
    functions: FxHashMap<Box<str>, Arc<Function>>,
    available: Vec<Available>,
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
            available: Vec::new(),
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

    /// Its own functions (not those of nested subs), sorted by reference; a
    /// declined plugin file's are not among them.
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.modules
            .values()
            .flat_map(|module| &module.functions)
            .map(|f| &**f)
    }

    /// A function by reference relative to this sub (`math.fib`, or
    /// `admin.users.list` for a nested sub), whether or not the sub was added.
    pub fn function(&self, relative: &str) -> Option<&Function> {
        self.functions.get(relative).map(|f| &**f)
    }

    /// Calls a function by reference relative to this sub, as a router does.
    /// Only plugin functions of this sub and its nested subs are reachable.
    pub fn call<'a>(&'a self, hub: &'a Hub, relative: &str, kwargs: Value) -> Call<'a> {
        match self.resolve(hub, relative) {
            Ok(function) => function.call(hub, kwargs),
            Err(err) => Call::failed(err),
        }
    }

    /// The function a call of `relative` reaches, or why none does.
    pub(crate) fn resolve(&self, hub: &Hub, relative: &str) -> Result<&Arc<Function>, CallError> {
        match self.functions.get(relative) {
            Some(function) if self.added => Ok(function),
            Some(_) => Err(CallError::UnknownRef {
                reference: relative.to_owned(),
                reason: format!("sub `{}` has not been added to the hub", self.path),
            }),
            None => Err(CallError::UnknownRef {
                reference: relative.to_owned(),
                reason: hub
                    .declined_reason(&format!("{}.{relative}", self.path))
                    .unwrap_or_else(|| {
                        format!(
                            "no plugin function with this reference in sub `{}`",
                            self.path
                        )
                    }),
            }),
        }
    }

    /// Every function callable through this sub, by reference relative to it
    /// (a router's table, taken once when it starts).
    #[cfg(feature = "router")]
    pub(crate) fn callable(&self) -> FxHashMap<Box<str>, Arc<Function>> {
        self.functions.clone()
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

    fn nested_mut(&mut self, path: &[&str]) -> Option<&mut Sub> {
        let mut sub = self;
        for name in path {
            sub = sub.nested.get_mut(*name)?;
        }
        Some(sub)
    }

    /// Paths of this sub and its nested subs, outermost first.
    fn paths(&self, prefix: &mut Vec<String>, into: &mut Vec<Vec<String>>) {
        into.push(prefix.clone());
        for (name, nested) in &self.nested {
            prefix.push(name.clone());
            nested.paths(prefix, into);
            prefix.pop();
        }
    }

    fn take_hooks(
        &mut self,
        which: fn(&mut Sub) -> &mut Vec<(&'static str, LoadHook)>,
        into: &mut Vec<(&'static str, LoadHook)>,
    ) {
        into.append(which(self));
        for nested in self.nested.values_mut() {
            nested.take_hooks(which, into);
        }
    }

    fn take_run_hooks(&mut self, into: &mut Vec<RunHook>) {
        into.append(&mut self.run_hooks);
        for nested in self.nested.values_mut() {
            nested.take_run_hooks(into);
        }
    }

    fn all_functions<'a>(&'a self, into: &mut Vec<&'a Arc<Function>>) {
        into.extend(self.modules.values().flat_map(|module| &module.functions));
        for nested in self.nested.values() {
            nested.all_functions(into);
        }
    }

    /// Takes a declined sub's or plugin file's functions off every sub on the
    /// way down to it (`relative` names them from this sub).
    fn withdraw(&mut self, gone: &[Arc<Function>]) {
        self.functions
            .retain(|_, function| !gone.iter().any(|g| Arc::ptr_eq(g, function)));
        for nested in self.nested.values_mut() {
            nested.withdraw(gone);
        }
    }
}

/// What a test hub adds: stand-ins for chosen functions, and a note of every call.
#[derive(Default)]
struct Instruments {
    stand_ins: HashMap<String, StandIn>,
    calls: Mutex<Vec<(String, Value)>>,
}

/// A function that stands in for a plugin function in tests.
pub(crate) type StandIn = Box<dyn Fn(&Hub, Value) -> anyhow::Result<Value> + Send + Sync>;

/// The root namespace every plugin function receives first.
///
/// Its life, in order: [`Hub::new`] registers every crate's subs, plugins
/// and options; [`Hub::load_config`] layers the configuration;
/// [`Hub::add_sub`] runs a sub's load condition and load hooks and makes its
/// functions callable; [`Hub::start`] runs the start hooks (a router binds
/// its port); [`Hub::run`] runs the run hooks until they finish or the app is
/// asked to stop. After `new` and the load hooks the hub is shared
/// (`Arc<Hub>`) and read-only; per-sub data carries its own interior
/// mutability.
pub struct Hub {
    crates: Vec<CrateInfo>,
    subs: BTreeMap<String, Sub>,
    /// Top-level subs in registration order: dependencies first, then DYNE order.
    order: Vec<String>,
    /// Other names of top-level subs.
    aliases: HashMap<&'static str, &'static str>,
    /// Functions of added subs, by full reference.
    callable: FxHashMap<Box<str>, Arc<Function>>,
    /// Subs and plugin files that declined to load, with why.
    declined: BTreeMap<String, String>,
    /// Subs in the order they were added; run hooks start in this order.
    added: Vec<String>,
    pub(crate) opt: Value,
    /// Whether [`Hub::load_config`] has run: typed reads need it.
    pub(crate) config_loaded: bool,
    pub(crate) opt_sources: HashMap<String, crate::conf::Source>,
    pub(crate) subcommand: Option<String>,
    instruments: Option<Box<Instruments>>,
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
            aliases: HashMap::new(),
            callable: FxHashMap::default(),
            declined: BTreeMap::new(),
            added: Vec::new(),
            opt: Value::Object(Default::default()),
            config_loaded: false,
            opt_sources: HashMap::new(),
            subcommand: None,
            instruments: None,
            started: false,
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl Hub {
    /// Builds the hub from a crate's generated `register` function.
    ///
    /// Fails when two crates define the same function reference, the same
    /// command-line flag or the same sub alias; the error names both.
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
            conditions,
            aliases,
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
            let mut functions = Vec::new();
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
                functions.push(Arc::new(Function {
                    reference: reference.into(),
                    krate,
                    file: decl.file,
                    plugin,
                }));
            }
            hub.place(&decl.path, decl.module, functions, decl.available);
        }
        let mut alias_owners: HashMap<&str, &str> = HashMap::new();
        for decl in aliases {
            let krate = hub.crates[decl.krate].name;
            let sub = decl.path[0];
            for alias in decl.hook {
                if hub.subs.contains_key(*alias) {
                    clashes.push(format!(
                        "crate `{krate}` names sub `{sub}` `{alias}`, which is a sub of its own"
                    ));
                } else if let Some(other) = alias_owners.insert(alias, krate) {
                    clashes.push(format!("the sub alias `{alias}` is declared by both crate `{other}` and crate `{krate}`"));
                }
                hub.aliases.insert(alias, sub);
            }
        }
        if !clashes.is_empty() {
            bail!("{}", clashes.join("\n"));
        }
        for decl in conditions {
            hub.sub_entry(&decl.path).available.push(decl.hook);
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
            for module in sub.modules.values_mut() {
                module
                    .functions
                    .sort_by(|a, b| a.reference.cmp(&b.reference));
            }
        }
        Ok(hub)
    }

    /// Places one plugin file's functions in the sub at `path`: each is
    /// reachable from every sub on the path, by its reference relative to it.
    fn place(
        &mut self,
        path: &[&'static str],
        module: &'static str,
        functions: Vec<Arc<Function>>,
        available: Option<Available>,
    ) {
        self.sub_entry(path);
        let mut sub = self.subs.get_mut(path[0]).expect("sub_entry created it");
        for depth in 0..path.len() {
            if depth > 0 {
                sub = sub
                    .nested
                    .get_mut(path[depth])
                    .expect("sub_entry created it");
            }
            let prefix = path[..=depth].iter().map(|p| p.len() + 1).sum::<usize>();
            for function in &functions {
                sub.functions
                    .insert(function.reference[prefix..].into(), function.clone());
            }
        }
        let entry = sub.modules.entry(module).or_insert_with(|| Module {
            functions: Vec::new(),
            available: Vec::new(),
        });
        entry.functions.extend(functions);
        entry.available.extend(available);
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

    /// Adds a sub (by name or alias), once: evaluates its load condition
    /// (`available` in its `init.rs`; a sub that declines is not loaded),
    /// runs its load hooks (those of every crate contributing to it,
    /// dependencies first, then those of its nested subs), evaluates each
    /// plugin file's load condition (a file that declines is absent), and
    /// makes the rest callable by reference. Why anything declined is kept:
    /// see [`Hub::declined`].
    pub fn add_sub(&mut self, name: &str) -> crate::Result<()> {
        let name = self.aliases.get(name).copied().unwrap_or(name).to_owned();
        let Some(sub) = self.subs.get(&name) else {
            let known: Vec<&str> = self.order.iter().map(String::as_str).collect();
            bail!(
                "there is no sub named `{name}` on the hub (subs: {})",
                known.join(", ")
            );
        };
        if sub.added {
            return Ok(());
        }
        let mut paths = Vec::new();
        sub.paths(&mut vec![name.clone()], &mut paths);
        self.subs.get_mut(&name).expect("found above").mark_added();
        self.added.push(name.clone());
        // A sub (or nested sub) that declines takes what is below it along.
        for path in &paths {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            if self.declined_reason(&path.join(".")).is_some() {
                continue;
            }
            let conditions = self
                .sub_at(&refs)
                .map(|s| s.available.clone())
                .unwrap_or_default();
            for available in conditions {
                if let Err(reason) = available(self) {
                    self.decline(&refs, None, &reason);
                    break;
                }
            }
        }
        let mut hooks = Vec::new();
        if let Some(sub) = self.subs.get_mut(&name) {
            sub.take_hooks(|sub| &mut sub.load_hooks, &mut hooks);
        }
        for (krate, hook) in hooks {
            hook(self).with_context(|| {
                format!("the load hook of sub `{name}` (crate `{krate}`) failed")
            })?;
        }
        for path in &paths {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            if self.declined_reason(&path.join(".")).is_some() {
                continue;
            }
            let modules: Vec<(&'static str, Vec<Available>)> = self
                .sub_at(&refs)
                .map(|sub| {
                    sub.modules
                        .iter()
                        .map(|(m, module)| (*m, module.available.clone()))
                        .collect()
                })
                .unwrap_or_default();
            for (module, conditions) in modules {
                for available in conditions {
                    if let Err(reason) = available(self) {
                        self.decline(&refs, Some(module), &reason);
                        break;
                    }
                }
            }
        }
        let mut functions = Vec::new();
        self.subs[&name].all_functions(&mut functions);
        let functions: Vec<Arc<Function>> = functions.into_iter().cloned().collect();
        for function in functions {
            self.callable.insert(function.reference.clone(), function);
        }
        Ok(())
    }

    fn sub_at(&self, path: &[&str]) -> Option<&Sub> {
        let mut sub = self.subs.get(path[0])?;
        for name in &path[1..] {
            sub = sub.nested.get(*name)?;
        }
        Some(sub)
    }

    /// Notes that a sub, or one of its plugin files, declined to load, and
    /// takes its functions off the hub.
    fn decline(&mut self, path: &[&str], module: Option<&'static str>, reason: &anyhow::Error) {
        let Some(top) = self.subs.get_mut(path[0]) else {
            return;
        };
        let Some(sub) = top.nested_mut(&path[1..]) else {
            return;
        };
        let gone: Vec<Arc<Function>> = match module {
            Some(module) => sub
                .modules
                .remove(module)
                .map(|m| m.functions)
                .unwrap_or_default(),
            None => {
                let mut all = Vec::new();
                sub.all_functions(&mut all);
                let all = all.into_iter().cloned().collect();
                sub.modules.clear();
                sub.nested.clear();
                sub.load_hooks.clear();
                sub.start_hooks.clear();
                sub.run_hooks.clear();
                all
            }
        };
        top.withdraw(&gone);
        let mut key = path.join(".");
        if let Some(module) = module {
            key = format!("{key}.{module}");
        }
        let what = if module.is_some() { "plugin" } else { "sub" };
        tracing::info!("{what} `{key}` declined to load: {reason:#}");
        self.declined.insert(key, format!("{reason:#}"));
    }

    /// Why the sub or plugin file a reference points into declined to load.
    fn declined_reason(&self, reference: &str) -> Option<String> {
        self.declined.iter().find_map(|(key, reason)| {
            let inside = reference == key || reference.starts_with(&format!("{key}."));
            inside.then(|| format!("`{key}` declined to load: {reason}"))
        })
    }

    /// Every sub and plugin file that declined to load (`rpc`, `rpc.gpu`),
    /// with the reason its load condition gave.
    pub fn declined(&self) -> impl Iterator<Item = (&str, &str)> {
        self.declined
            .iter()
            .map(|(key, reason)| (key.as_str(), reason.as_str()))
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
    ///
    /// A tool's request (`pop-create call`, `inspect`, `run --watch`; see
    /// `POP_HUB_REQUEST` in the guide) is answered here, where the
    /// configuration is loaded and the subs are added, and the process then
    /// ends: the app's own behaviour never runs for a request.
    pub fn start(&mut self) -> crate::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        if let Some(request) = crate::request::pending() {
            crate::request::answer(self, request);
        }
        self.run_start_hooks()
    }

    /// Runs the start hooks of the added subs, in the order they were added
    /// (of those the app's `only` option names, when it names any).
    pub(crate) fn run_start_hooks(&mut self) -> crate::Result<()> {
        // The app's `only` option: the subs this process starts and runs.
        let only = crate::bus::only(self)?;
        let mut hooks = Vec::new();
        for name in self.added.clone() {
            if only.as_ref().is_some_and(|only| !only.contains(&name)) {
                tracing::info!("{name}: not run by this process (the `only` option)");
                continue;
            }
            if let Some(sub) = self.subs.get_mut(&name) {
                sub.take_hooks(|sub| &mut sub.start_hooks, &mut hooks);
            }
        }
        for (krate, hook) in hooks {
            hook(self).with_context(|| format!("starting a sub of crate `{krate}` failed"))?;
        }
        Ok(())
    }

    /// Calls the function `name` of every plugin file of the sub at `path`
    /// that defines one, all at once, with the same kwargs: pop's walk over a
    /// sub's modules, as the collection pattern's `gather` and the beacon
    /// pattern's `listen` use it. Plain `fn`s run on the blocking pool.
    ///
    /// Returns each function's reference and result, sorted by reference;
    /// an error only when there is no such sub, or it is not added.
    pub async fn call_each(
        self: &Arc<Self>,
        path: &str,
        name: &str,
        kwargs: Value,
    ) -> crate::Result<Vec<(String, Result<Value, CallError>)>> {
        let sub = self
            .sub(path)
            .with_context(|| format!("there is no sub `{path}` on the hub"))?;
        if !sub.is_added() {
            bail!("the sub `{path}` is not added yet");
        }
        let mut tasks = tokio::task::JoinSet::new();
        for function in sub.functions().filter(|function| function.name() == name) {
            let hub = Arc::clone(self);
            let reference = function.reference().to_owned();
            let kwargs = kwargs.clone();
            if function.is_blocking() {
                let runtime = tokio::runtime::Handle::current();
                tasks.spawn_blocking(move || {
                    let result = runtime.block_on(hub.call(&reference, kwargs));
                    (reference, result)
                });
            } else {
                tasks.spawn(async move {
                    let result = hub.call(&reference, kwargs).await;
                    (reference, result)
                });
            }
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            // Calls catch their own panics, so a task never panics.
            results.push(joined.context("a call's task was cancelled")?);
        }
        results.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(results)
    }

    /// Calls a function by its full reference with JSON kwargs:
    /// `hub.call("rpc.math.fib", json!({"num": 11})).await`. A top-level
    /// sub's alias may stand for its name.
    pub fn call<'a>(&'a self, reference: &str, kwargs: Value) -> Call<'a> {
        match self.resolve(reference) {
            Ok(function) => function.call(self, kwargs),
            Err(err) => Call::failed(err),
        }
    }

    pub(crate) fn resolve(&self, reference: &str) -> Result<&Arc<Function>, CallError> {
        if let Some(function) = self.callable.get(reference) {
            return Ok(function);
        }
        let (top, rest) = reference.split_once('.').unwrap_or((reference, ""));
        if let Some(real) = self.aliases.get(top) {
            if let Some(function) = self.callable.get(format!("{real}.{rest}").as_str()) {
                return Ok(function);
            }
        }
        Err(self.unknown(reference))
    }

    fn unknown(&self, reference: &str) -> CallError {
        let (named, relative) = reference.split_once('.').unwrap_or((reference, ""));
        // Through an alias, the sub's own name: declined plugins are kept under it.
        let top = self.aliases.get(named).copied().unwrap_or(named);
        let canonical = format!("{top}.{relative}");
        let reason = match self.subs.get(top) {
            None => format!("there is no sub named `{top}`"),
            Some(_) if self.declined_reason(&canonical).is_some() => {
                self.declined_reason(&canonical).expect("checked")
            }
            Some(sub) if !sub.added && sub.function(relative).is_some() => {
                format!("sub `{top}` has not been added to the hub")
            }
            Some(_) => format!("sub `{top}` has no plugin function with this reference"),
        };
        CallError::UnknownRef {
            reference: reference.to_owned(),
            reason,
        }
    }

    /// The other names of the top-level sub `name` (its `ALIASES`), sorted.
    pub fn sub_aliases(&self, name: &str) -> Vec<&str> {
        let mut aliases: Vec<&str> = self
            .aliases
            .iter()
            .filter(|(_, sub)| **sub == name)
            .map(|(alias, _)| *alias)
            .collect();
        aliases.sort_unstable();
        aliases
    }

    /// A function by full reference, whether or not its sub was added.
    pub fn function(&self, reference: &str) -> Option<&Function> {
        let (top, relative) = reference.split_once('.')?;
        let top = self.aliases.get(top).copied().unwrap_or(top);
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

    /// A sub by dotted path (`rpc`, or `rpc.admin` for a nested sub); a
    /// top-level sub's alias may stand for its name.
    pub fn sub(&self, path: &str) -> Option<&Sub> {
        let mut parts = path.split('.');
        let top = parts.next()?;
        let mut sub = self
            .subs
            .get(self.aliases.get(top).copied().unwrap_or(top))?;
        for name in parts {
            sub = sub.nested.get(name)?;
        }
        Some(sub)
    }

    /// A sub by dotted path, to set its data while the hub is being built.
    pub fn sub_mut(&mut self, path: &str) -> Option<&mut Sub> {
        let mut parts = path.split('.');
        let top = parts.next()?;
        let top = self.aliases.get(top).copied().unwrap_or(top);
        let mut sub = self.subs.get_mut(top)?;
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

    /// Whether the configuration is loaded ([`Hub::load_config`]).
    pub fn is_config_loaded(&self) -> bool {
        self.config_loaded
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

    /// Where the value of an option came from (the flag, the variable, the
    /// file or the default), once the configuration is loaded.
    pub fn opt_source(&self, namespace: &str, option: &str) -> Option<&crate::conf::Source> {
        self.opt_sources.get(&format!("{namespace}.{option}"))
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
        // Checked by `start`, which runs first.
        let only = crate::bus::only(self).unwrap_or_default();
        let mut hooks = Vec::new();
        for name in &self.added {
            if only.as_ref().is_some_and(|only| !only.contains(name)) {
                continue;
            }
            if let Some(sub) = self.subs.get_mut(name) {
                sub.take_run_hooks(&mut hooks);
            }
        }
        hooks
    }

    /// True for a test hub (stand-ins, and a note of every call): calls then
    /// take the path that consults them.
    #[inline]
    pub(crate) fn instrumented(&self) -> bool {
        self.instruments.is_some()
    }

    pub(crate) fn instrument(&mut self) {
        self.instruments.get_or_insert_with(Default::default);
    }

    pub(crate) fn record_call(&self, reference: &str, kwargs: &Value) {
        if let Some(instruments) = &self.instruments {
            let mut calls = instruments.calls.lock().unwrap_or_else(|e| e.into_inner());
            calls.push((reference.to_owned(), kwargs.clone()));
        }
    }

    pub(crate) fn stand_in(&self, reference: &str) -> Option<&StandIn> {
        self.instruments.as_ref()?.stand_ins.get(reference)
    }

    pub(crate) fn set_stand_in(&mut self, reference: String, stand_in: StandIn) {
        self.instrument();
        if let Some(instruments) = &mut self.instruments {
            instruments.stand_ins.insert(reference, stand_in);
        }
    }

    pub(crate) fn recorded_calls(&self, reference: &str) -> Vec<Value> {
        let Some(instruments) = &self.instruments else {
            return Vec::new();
        };
        let calls = instruments.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls
            .iter()
            .filter(|(called, _)| called == reference)
            .map(|(_, kwargs)| kwargs.clone())
            .collect()
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
