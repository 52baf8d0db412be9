//! Finding what a reference names: calls by reference, functions and subs
//! by path, aliases, and the one message that says why a reference is
//! unknown.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::{Function, Hub, Sub};
use crate::call::Call;
use crate::error::CallError;

impl Hub {
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
        match self.subs.get(top) {
            None => CallError::UnknownRef {
                reference: reference.to_owned(),
                reason: format!("there is no sub named `{top}`"),
            },
            Some(sub) => self.unknown_in(sub, reference, relative),
        }
    }

    /// Why `relative` names no callable function of `sub` (`reference` is
    /// how the caller wrote it): the one place that says why, for calls by
    /// full reference and through a sub (a router's) alike.
    pub(crate) fn unknown_in(&self, sub: &Sub, reference: &str, relative: &str) -> CallError {
        let path = sub.path();
        let reason = match self.declined_reason(&format!("{path}.{relative}")) {
            Some(declined) => declined,
            None if !sub.is_added() && sub.function(relative).is_some() => {
                format!("sub `{path}` has not been added to the hub")
            }
            None => format!("sub `{path}` has no plugin function with this reference"),
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
}
