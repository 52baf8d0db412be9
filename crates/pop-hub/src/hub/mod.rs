//! The hub: subs, their functions, per-sub data and the configuration.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod instruments;
mod lookup;
mod sub;

use instruments::Instruments;
use sub::Module;
pub use sub::{Function, Sub};

use crate::conf::CrateInfo;
use crate::registry::{Available, Registry, RunHook};

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
            if self.declined_entry(&path.join(".")).is_some() {
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
            if self.declined_entry(&path.join(".")).is_some() {
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
        self.declined_entry(reference)
            .map(|(key, reason)| format!("`{key}` declined to load: {reason}"))
    }

    /// The declined sub or plugin file a reference points into, and why it
    /// declined.
    pub(crate) fn declined_entry(&self, reference: &str) -> Option<(&str, &str)> {
        self.declined
            .iter()
            .find(|(key, _)| is_within(reference, key))
            .map(|(key, reason)| (key.as_str(), reason.as_str()))
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

/// True when `reference` is `path` or inside it (`rpc.math.fib` is within
/// `rpc.math` and `rpc`, not within `rp`).
pub(crate) fn is_within(reference: &str, path: &str) -> bool {
    reference
        .strip_prefix(path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reference_is_within_its_own_path_and_its_parents_only() {
        for (reference, path, within) in [
            ("rpc.math.fib", "rpc.math", true),
            ("rpc.math.fib", "rpc", true),
            ("rpc", "rpc", true),
            ("rpc.math", "rp", false),
            ("rpcx.math", "rpc", false),
            ("rpc", "rpc.math", false),
        ] {
            assert_eq!(
                super::is_within(reference, path),
                within,
                "{reference} in {path}"
            );
        }
    }
}
