//! Requests from tools: `pop-create call`, `inspect` and `run --watch` ask
//! the built app itself, so that every answer comes from the app as it
//! loads, with its configuration layers, load conditions, aliases and
//! contracts.
//!
//! The tool starts the app with `POP_HUB_REQUEST` set to a JSON request and
//! `POP_HUB_REPLY` to the path of a file for the JSON reply. The app's `cli`
//! loads its configuration and adds its subs as always; when it starts the
//! hub ([`Hub::start`]) the request is answered instead, and the process
//! ends with exit code 0 (the reply says how the request went). No start
//! hook has claimed anything then, so a request works beside a running copy
//! of the app. The request never comes from the app's command line, which
//! stays the app's own, and an app whose `cli` never starts its hub answers
//! nothing: the tool sees that no reply was written.
//!
//! | request | reply |
//! | --- | --- |
//! | `{"kind": "call", "ref": R, "kwargs": {…}, "patterns": {SUB: PATTERN}}` | `{"ok": RESULT}` |
//! | `{"kind": "inspect", "ref": R or null, "patterns": {…}}` | `{"ok": DOCUMENT}` (see `crate::inspect`) |
//! | `{"kind": "plan"}` | `{"ok": {"listeners": [{"name": N, "address": A}], "config": PATH or null}}` |
//!
//! `patterns` names the pattern of each sub the tool knows one for (the
//! hub itself does not know patterns): a `call` or `inspect` reference may
//! be relative to a router sub, as that router takes it. `plan` runs the
//! start hooks with [`crate::listen`] noting what each server would listen
//! on, claiming nothing.
//!
//! Any failure is `{"error": {"kind": K, "message": M, …}}`: a call's own
//! kinds (`unknown_ref`, `bad_arguments`, `plugin_error`, `panic`,
//! `contract_refused`, with `contract` or `parameter` where they apply, and
//! for an unknown reference `known`, every reference that would have been
//! found), or `ambiguous_ref`, `bad_request` and `start_failed`.

use serde_json::{Map, Value, json};

use crate::error::CallError;
use crate::hub::Hub;

/// The variable that holds a tool's request.
pub(crate) const REQUEST_VAR: &str = "POP_HUB_REQUEST";

/// The variable that names the file the reply is written to.
pub(crate) const REPLY_VAR: &str = "POP_HUB_REPLY";

/// A tool's request, as given.
pub(crate) struct Request(String);

/// The request this process was started with, if any.
pub(crate) fn pending() -> Option<Request> {
    std::env::var(REQUEST_VAR).ok().map(Request)
}

/// Answers `request`, writes the reply, and ends the process.
pub(crate) fn answer(hub: &mut Hub, request: Request) -> ! {
    let reply = match reply_to(hub, &request.0) {
        Ok(value) => json!({ "ok": value }),
        Err(failure) => json!({ "error": failure }),
    };
    let text = reply.to_string();
    let written = match std::env::var_os(REPLY_VAR) {
        Some(path) => std::fs::write(&path, text).map_err(|err| {
            format!(
                "cannot write the reply to {}: {err}",
                std::path::Path::new(&path).display()
            )
        }),
        None => {
            println!("{text}");
            Ok(())
        }
    };
    crate::log::flush();
    match written {
        Ok(()) => std::process::exit(0),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1)
        }
    }
}

/// The answer to one request, or the error object of its reply.
fn reply_to(hub: &mut Hub, request: &str) -> Result<Value, Map<String, Value>> {
    let request: Value = serde_json::from_str(request)
        .map_err(|err| failure("bad_request", format!("{REQUEST_VAR} is not JSON: {err}")))?;
    let reference = request["ref"].as_str();
    let patterns = request["patterns"].as_object().cloned().unwrap_or_default();
    let routers: Vec<&str> = patterns
        .iter()
        .filter(|(_, pattern)| *pattern == "router")
        .map(|(sub, _)| sub.as_str())
        .collect();
    match request["kind"].as_str() {
        Some("call") => {
            let reference =
                reference.ok_or_else(|| failure("bad_request", "a call has no `ref`"))?;
            let full = resolve(hub, reference, &routers)?;
            call(hub, &full, request["kwargs"].clone())
        }
        Some("inspect") => {
            let document = crate::inspect::document(hub, &patterns);
            match reference {
                None => Ok(document),
                Some(reference) => crate::inspect::narrow(hub, document, reference, &routers),
            }
        }
        Some("plan") => plan(hub),
        other => Err(failure(
            "bad_request",
            format!("unknown request kind {other:?}: call, inspect or plan"),
        )),
    }
}

/// An error object of a reply.
pub(crate) fn failure(kind: &str, message: impl Into<String>) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("kind".into(), kind.into());
    object.insert("message".into(), message.into().into());
    object
}

/// The error object of a call's error, with what a tool needs to explain it.
fn call_failure(hub: &Hub, err: &CallError, routers: &[&str]) -> Map<String, Value> {
    let mut object = failure(err.kind(), err.to_string());
    object.insert("reference".into(), err.reference().into());
    if let Some(contract) = err.contract() {
        object.insert("contract".into(), contract.into());
    }
    if let Some(parameter) = err.parameter() {
        object.insert("parameter".into(), parameter.into());
    }
    if matches!(err.cause(), crate::Cause::UnknownRef { .. }) {
        object.insert("known".into(), known(hub, routers).into());
    }
    object
}

/// Every reference a call or `inspect` finds: each callable function's full
/// reference, and its reference relative to each router sub it is under.
pub(crate) fn known(hub: &Hub, routers: &[&str]) -> Vec<String> {
    let mut known = Vec::new();
    for function in hub.functions() {
        let reference = function.reference();
        if hub.resolve(reference).is_err() {
            continue;
        }
        known.push(reference.to_owned());
        for router in routers {
            if let Some(relative) = reference
                .strip_prefix(*router)
                .and_then(|rest| rest.strip_prefix('.'))
            {
                known.push(relative.to_owned());
            }
        }
    }
    known.sort();
    known.dedup();
    known
}

/// The full reference `reference` names: itself (or through a sub's
/// alias), else the one it names relative to a router sub.
pub(crate) fn resolve(
    hub: &Hub,
    reference: &str,
    routers: &[&str],
) -> Result<String, Map<String, Value>> {
    let full_err = match hub.resolve(reference) {
        Ok(function) => return Ok(function.reference().to_owned()),
        Err(err) => err,
    };
    let mut found = Vec::new();
    let mut router_err = None;
    for router in routers {
        let Some(sub) = hub.sub(router) else { continue };
        match sub.resolve(hub, reference) {
            Ok(function) => found.push(function.reference().to_owned()),
            Err(err) => {
                router_err.get_or_insert(err);
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            // A reference that starts with a sub's name is a full one; else
            // the router's reason (a declined plugin file, say) says more.
            let top = reference.split('.').next().unwrap_or_default();
            let err = match router_err {
                Some(err) if hub.sub(top).is_none() && routers.len() == 1 => err,
                _ => full_err,
            };
            Err(call_failure(hub, &err.with_reference(reference), routers))
        }
        _ => Err(failure(
            "ambiguous_ref",
            format!(
                "`{reference}` names a function in more than one router sub: {}",
                found.join(", ")
            ),
        )),
    }
}

/// Calls `reference` as `hub.call` does, on a runtime like the app's.
fn call(hub: &Hub, reference: &str, kwargs: Value) -> Result<Value, Map<String, Value>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| {
            failure(
                "start_failed",
                format!("cannot start the async runtime: {err}"),
            )
        })?;
    let result = runtime.block_on(hub.call(reference, kwargs));
    runtime.shutdown_background();
    result.map_err(|err| call_failure(hub, &err, &[]))
}

/// Runs the start hooks noting what each server would listen on.
fn plan(hub: &mut Hub) -> Result<Value, Map<String, Value>> {
    crate::listen::start_plan();
    hub.run_start_hooks()
        .map_err(|err| failure("start_failed", format!("{err:#}")))?;
    let listeners: Vec<Value> = crate::listen::planned()
        .into_iter()
        .map(|(name, address)| json!({ "name": name, "address": address.to_string() }))
        .collect();
    let config = hub
        .app()
        .and_then(|app| hub.opt()[app.name]["config"].as_str())
        .map(str::to_owned);
    Ok(json!({ "listeners": listeners, "config": config }))
}
