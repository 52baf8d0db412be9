//! The hub as it loaded, as one JSON document for tools (`pop-create
//! inspect --json` prints it). Its shape is stable: fields are added, never
//! renamed or removed, and `format` changes if that ever has to break.
//!
//! ```text
//! {
//!   "format": 1,
//!   "app": {"name": "poppy", "version": "0.1.0"},
//!   "crates": [{"name": "poppy", "version": "0.1.0"}],          dependencies first
//!   "subs": [{                                                  each sub, nested ones after their parent
//!     "path": "rpc", "pattern": "router" | null, "aliases": [], "added": true,
//!     "dirs": [{"crate": "poppy", "dir": "src/rpc"}],
//!     "functions": [{
//!       "ref": "rpc.math.fib", "name": "fib", "rust_name": "fib",
//!       "crate": "poppy", "file": "src/rpc/math.rs", "async": true,
//!       "doc": "Return the num'th Fibonacci number.",           its first paragraph
//!       "params": [{"name": "num", "type": "u64", "default": "10", "required": false}],
//!       "returns": "Result<u64>",
//!       "aliases": [],                                          other references that reach it
//!       "contracts": [{"stage": "pre", "name": "rpc.contracts.math.pre_fib"}]   in the order they run
//!     }]
//!   }],
//!   "declined": [{"path": "rpc.gpu", "what": "plugin" | "sub", "reason": "…"}],
//!   "options": [{
//!     "namespace": "poppy", "name": "port", "type": "u16", "value": 8888, "default": 8888,
//!     "source": {"kind": "default" | "file" | "env" | "flag", "name": "…", "text": "the default"} | null,
//!     "help": "The port to bind to"
//!   }]
//! }
//! ```
//!
//! Narrowed to one reference (`inspect REF`), the document keeps the one
//! sub (with its nested subs) or the one function it names, the declined
//! entries under it, and no options.

use serde_json::{Map, Value, json};

use crate::conf::Source;
use crate::hub::{Function, Hub, Sub};

/// The whole document; `patterns` gives the pattern of the subs a tool knows.
pub(crate) fn document(hub: &Hub, patterns: &Map<String, Value>) -> Value {
    let mut subs = Vec::new();
    for sub in hub.subs() {
        describe_sub(hub, sub, patterns, &mut subs);
    }
    let declined: Vec<Value> = hub
        .declined()
        .map(|(path, reason)| {
            let what = if hub.sub(path).is_some() {
                "sub"
            } else {
                "plugin"
            };
            json!({ "path": path, "what": what, "reason": reason })
        })
        .collect();
    json!({
        "format": 1,
        "app": hub.app().map(|app| json!({ "name": app.name, "version": app.version })),
        "crates": hub
            .crates()
            .iter()
            .map(|krate| json!({ "name": krate.name, "version": krate.version }))
            .collect::<Vec<_>>(),
        "subs": subs,
        "declined": declined,
        "options": options(hub),
    })
}

fn describe_sub(hub: &Hub, sub: &Sub, patterns: &Map<String, Value>, into: &mut Vec<Value>) {
    let aliases = if sub.path().contains('.') {
        Vec::new()
    } else {
        hub.sub_aliases(sub.path())
    };
    let functions: Vec<Value> = sub
        .functions()
        .map(|function| describe_function(function, &aliases))
        .collect();
    into.push(json!({
        "path": sub.path(),
        "pattern": patterns.get(sub.path()).cloned().unwrap_or(Value::Null),
        "aliases": aliases,
        "added": sub.is_added(),
        "dirs": sub
            .dirs()
            .iter()
            .map(|(krate, dir)| json!({ "crate": krate, "dir": dir }))
            .collect::<Vec<_>>(),
        "functions": functions,
    }));
    for nested in sub.subs() {
        describe_sub(hub, nested, patterns, into);
    }
}

/// One function; `sub_aliases` are the other names of its top-level sub.
fn describe_function(function: &Function, sub_aliases: &[&str]) -> Value {
    let reference = function.reference();
    let rest = reference.split_once('.').map_or("", |(_, rest)| rest);
    let aliases: Vec<String> = sub_aliases
        .iter()
        .map(|alias| format!("{alias}.{rest}"))
        .collect();
    let params: Vec<Value> = function
        .params()
        .iter()
        .map(|param| {
            json!({
                "name": param.name,
                "type": param.ty,
                "default": param.default,
                "required": param.is_required(),
            })
        })
        .collect();
    let contracts: Vec<Value> = function
        .contracts()
        .map(|(stage, name)| json!({ "stage": stage, "name": name }))
        .collect();
    json!({
        "ref": reference,
        "name": function.name(),
        "rust_name": function.rust_name(),
        "crate": function.crate_name(),
        "file": function.file(),
        "async": !function.is_blocking(),
        "doc": summary(function.doc()),
        "params": params,
        "returns": function.returns(),
        "aliases": aliases,
        "contracts": contracts,
    })
}

/// A doc comment's first paragraph, on one line (rustdoc's summary).
fn summary(doc: &str) -> String {
    doc.lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every option of every crate, with its value and where the value came from.
fn options(hub: &Hub) -> Vec<Value> {
    let mut all = Vec::new();
    for (namespace, options) in crate::conf::options(hub.crates()) {
        for option in options {
            let source = hub.opt_source(namespace, option.name()).map(|source| {
                let (kind, name) = match source {
                    Source::Default => ("default", None),
                    Source::File(path) => ("file", Some(path.display().to_string())),
                    Source::Env(variable) => ("env", Some(variable.clone())),
                    Source::Flag(flag) => ("flag", Some(flag.clone())),
                };
                json!({ "kind": kind, "name": name, "text": source.to_string() })
            });
            all.push(json!({
                "namespace": namespace,
                "name": option.name(),
                "type": option.kind().name(),
                "value": hub.opt()[namespace].get(option.name()).cloned().unwrap_or(Value::Null),
                "default": option.default_value(),
                "source": source,
                "help": option.help_text(),
            }));
        }
    }
    all
}

/// The document narrowed to the sub or function `reference` names (a full
/// reference, through an alias, or relative to a router sub), or to the
/// declined sub or plugin file it points into.
pub(crate) fn narrow(
    hub: &Hub,
    mut document: Value,
    reference: &str,
    routers: &[&str],
) -> Result<Value, Map<String, Value>> {
    let under = crate::hub::is_within;
    let keep_subs = |document: &mut Value, keep: &dyn Fn(&Value) -> bool| {
        if let Some(subs) = document["subs"].as_array_mut() {
            subs.retain(|sub| keep(sub));
        }
    };
    document["options"] = json!([]);
    if let Some(sub) = hub.sub(reference) {
        let path = sub.path().to_owned();
        keep_subs(&mut document, &|sub| {
            under(sub["path"].as_str().unwrap_or_default(), &path)
        });
        retain_declined(&mut document, &|declined| under(declined, &path));
        return Ok(document);
    }
    let full = match crate::request::resolve(hub, reference, routers) {
        Ok(full) => full,
        // A function of a sub not added, which nothing can call yet.
        Err(failure) => match hub.function(reference) {
            Some(function) => function.reference().to_owned(),
            None => return declined_only(hub, document, reference, routers).ok_or(failure),
        },
    };
    keep_subs(&mut document, &|sub| {
        sub["functions"]
            .as_array()
            .is_some_and(|functions| functions.iter().any(|f| f["ref"] == full.as_str()))
    });
    if let Some(sub) = document["subs"].get_mut(0) {
        if let Some(functions) = sub["functions"].as_array_mut() {
            functions.retain(|function| function["ref"] == full.as_str());
        }
    }
    retain_declined(&mut document, &|_| false);
    Ok(document)
}

/// The document narrowed to the declined sub or plugin file `reference`
/// points into, if it does.
fn declined_only(
    hub: &Hub,
    mut document: Value,
    reference: &str,
    routers: &[&str],
) -> Option<Value> {
    let candidates: Vec<String> = std::iter::once(reference.to_owned())
        .chain(routers.iter().map(|router| format!("{router}.{reference}")))
        .collect();
    let (key, _) = candidates
        .iter()
        .find_map(|candidate| hub.declined_entry(candidate))?;
    let key = key.to_owned();
    retain_declined(&mut document, &|declined| declined == key);
    document["subs"] = json!([]);
    Some(document)
}

fn retain_declined(document: &mut Value, keep: &dyn Fn(&str) -> bool) {
    if let Some(declined) = document["declined"].as_array_mut() {
        declined.retain(|entry| keep(entry["path"].as_str().unwrap_or_default()));
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_summary_is_the_first_paragraph_on_one_line() {
        let doc = "Every item the shop has, sorted; only those whose name\nstarts with `prefix`.\n\nMore detail.";
        assert_eq!(
            summary(doc),
            "Every item the shop has, sorted; only those whose name starts with `prefix`."
        );
        assert_eq!(summary(""), "");
    }
}
