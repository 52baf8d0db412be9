//! A sub and its functions: the namespace tree the hub holds.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::Hub;
use crate::call::{Call, Invocation};
use crate::error::CallError;
use crate::plugin::{Kwargs, Param, Plugin, PluginCall, Want};
use crate::registry::{Available, LoadHook, RunHook};

/// A function on the hub: a `#[plugin]` function with its full reference.
pub struct Function {
    pub(super) reference: Box<str>,
    pub(super) krate: &'static str,
    pub(super) file: &'static str,
    pub(super) plugin: Plugin,
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
pub(super) struct Module {
    pub(super) functions: Vec<Arc<Function>>,
    pub(super) available: Vec<Available>,
}

/// A plugin subsystem: a named namespace on the hub, gathered from one or
/// more directories (of one or more crates), possibly with nested subs.
pub struct Sub {
    pub(super) name: String,
    pub(super) path: String,
    pub(super) dirs: Vec<(&'static str, &'static str)>,
    pub(super) modules: BTreeMap<&'static str, Module>,
    pub(super) nested: BTreeMap<String, Sub>,
    /// Every callable function of this sub and its nested subs, by reference relative to this sub.
    pub(super) functions: FxHashMap<Box<str>, Arc<Function>>,
    pub(super) available: Vec<Available>,
    pub(super) load_hooks: Vec<(&'static str, LoadHook)>,
    pub(super) start_hooks: Vec<(&'static str, LoadHook)>,
    pub(super) run_hooks: Vec<RunHook>,
    pub(super) data: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    pub(super) added: bool,
}

impl Sub {
    pub(super) fn new(name: &str, path: String) -> Self {
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
            _ => Err(hub.unknown_in(self, relative, relative)),
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

    pub(super) fn mark_added(&mut self) {
        self.added = true;
        for nested in self.nested.values_mut() {
            nested.mark_added();
        }
    }

    pub(super) fn nested_mut(&mut self, path: &[&str]) -> Option<&mut Sub> {
        let mut sub = self;
        for name in path {
            sub = sub.nested.get_mut(*name)?;
        }
        Some(sub)
    }

    /// Paths of this sub and its nested subs, outermost first.
    pub(super) fn paths(&self, prefix: &mut Vec<String>, into: &mut Vec<Vec<String>>) {
        into.push(prefix.clone());
        for (name, nested) in &self.nested {
            prefix.push(name.clone());
            nested.paths(prefix, into);
            prefix.pop();
        }
    }

    pub(super) fn take_hooks(
        &mut self,
        which: fn(&mut Sub) -> &mut Vec<(&'static str, LoadHook)>,
        into: &mut Vec<(&'static str, LoadHook)>,
    ) {
        into.append(which(self));
        for nested in self.nested.values_mut() {
            nested.take_hooks(which, into);
        }
    }

    pub(super) fn take_run_hooks(&mut self, into: &mut Vec<RunHook>) {
        into.append(&mut self.run_hooks);
        for nested in self.nested.values_mut() {
            nested.take_run_hooks(into);
        }
    }

    pub(super) fn all_functions<'a>(&'a self, into: &mut Vec<&'a Arc<Function>>) {
        into.extend(self.modules.values().flat_map(|module| &module.functions));
        for nested in self.nested.values() {
            nested.all_functions(into);
        }
    }

    /// Takes a declined sub's or plugin file's functions off every sub on the
    /// way down to it (`relative` names them from this sub).
    pub(super) fn withdraw(&mut self, gone: &[Arc<Function>]) {
        self.functions
            .retain(|_, function| !gone.iter().any(|g| Arc::ptr_eq(g, function)));
        for nested in self.nested.values_mut() {
            nested.withdraw(gone);
        }
    }
}
