//! What `#[plugin]` hands the hub for each function: its name, doc and
//! parameters, and the shim that calls it with JSON kwargs. A leaf of the
//! crate: the hub, the router and generated code all build on it.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::Value;

use crate::error::CallError;
use crate::hub::Hub;

/// A boxed, sendable future, as async shims and contracts return them.
pub type BoxFuture<'a, T = Result<Reply, CallError>> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One `#[plugin]` function, as the macro describes it.
#[derive(Clone, Copy, Debug)]
pub struct Plugin {
    /// The name it is called by: the last part of its reference. Its Rust
    /// name, unless `#[plugin(name = "…")]` exposes it under another.
    pub name: &'static str,
    /// Its name in Rust.
    pub rust_name: &'static str,
    /// Its doc comment.
    pub doc: &'static str,
    /// Its named parameters, in order (the hub is not one of them).
    pub params: &'static [Param],
    /// Its return type, as written.
    pub returns: &'static str,
    /// The shim that binds kwargs and calls it.
    pub call: PluginCall,
    /// The contracts that wrap it, in the order they run.
    pub contracts: &'static crate::chain::Chain,
}

/// One named parameter of a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name: the kwarg that fills it.
    pub name: &'static str,
    /// Its Rust type, as written.
    pub ty: &'static str,
    /// The `#[default(..)]` expression, as written.
    pub default: Option<&'static str>,
    /// True for `Option<T>`: it may be left out.
    pub optional: bool,
}

impl Param {
    /// True when a call must pass this parameter.
    pub fn is_required(&self) -> bool {
        self.default.is_none() && !self.optional
    }
}

/// How a plugin's shim is called.
#[derive(Clone, Copy)]
pub enum PluginCall {
    /// A plain `fn`; it gets the hub, the reference it was called by, the
    /// kwargs, and the form the caller wants the result in.
    Sync(fn(&Hub, &str, Kwargs<'_>, Want) -> Result<Reply, CallError>),
    /// An `async fn`.
    Async(for<'a> fn(&'a Hub, &'a str, Kwargs<'a>, Want) -> BoxFuture<'a>),
}

impl std::fmt::Debug for PluginCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginCall::Sync(_) => "Sync",
            PluginCall::Async(_) => "Async",
        })
    }
}

/// The kwargs of a call, as the caller has them.
#[derive(Debug)]
pub enum Kwargs<'a> {
    /// A JSON value (`hub.call`): an object, or `null` for none.
    Value(Value),
    /// JSON text of an object (a router's request body), bound without
    /// building a value first.
    Json(&'a str),
}

impl Kwargs<'_> {
    /// As a JSON value: an object (`null` becomes an empty one).
    pub fn into_value(self) -> Result<Value, CallError> {
        let value = match self {
            Kwargs::Value(value) => value,
            Kwargs::Json(text) => {
                serde_json::from_str(text).map_err(|err| CallError::BadArguments {
                    reference: String::new(),
                    parameter: None,
                    message: format!("the kwargs are not JSON: {err}"),
                })?
            }
        };
        match value {
            Value::Null => Ok(Value::Object(Default::default())),
            Value::Object(_) => Ok(value),
            other => Err(CallError::BadArguments {
                reference: String::new(),
                parameter: None,
                message: format!("kwargs must be a JSON object, not {}", json_type(&other)),
            }),
        }
    }
}

/// What a caller wants back from a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// A JSON value (`hub.call`).
    Value,
    /// JSON text (a router writes it as it is).
    Json,
}

/// A call's result, in the form the caller wanted.
#[derive(Debug)]
pub enum Reply {
    /// A JSON value.
    Value(Value),
    /// JSON text.
    Json(Vec<u8>),
}

impl Reply {
    /// Serializes `value` in the form `want` asks for.
    pub fn of<T: Serialize + ?Sized>(value: &T, want: Want) -> Result<Reply, CallError> {
        let failed = |err: serde_json::Error| CallError::Failed {
            reference: String::new(),
            error: anyhow::Error::new(err).context("the return value cannot be turned into JSON"),
        };
        match want {
            Want::Value => serde_json::to_value(value)
                .map(Reply::Value)
                .map_err(failed),
            Want::Json => serde_json::to_vec(value).map(Reply::Json).map_err(failed),
        }
    }

    /// The value, parsing JSON text if need be.
    pub fn into_value(self) -> Result<Value, CallError> {
        match self {
            Reply::Value(value) => Ok(value),
            Reply::Json(bytes) => serde_json::from_slice(&bytes).map_err(|err| CallError::Failed {
                reference: String::new(),
                error: anyhow::Error::new(err),
            }),
        }
    }
}

/// `a number`, `an array`, …: a JSON value's type, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
