//! Calling plugins by reference: binding JSON kwargs and the errors a call can end in.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::de::Visitor;
use serde_json::{Map, Value};

/// The future a plugin's async shim returns.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, CallError>> + Send + 'a>>;

/// Why a call by reference did not produce a value.
///
/// Each kind maps onto one answer a router gives: an unknown reference is
/// "not found", bad arguments are the caller's fault, and a plugin's own error
/// or panic is the server's.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError {
    /// No callable function has this reference (or its sub was not added).
    UnknownRef {
        /// The reference as the caller gave it.
        reference: String,
        /// Why it is unknown, for the message.
        reason: String,
    },
    /// The kwargs did not fit the function's parameters.
    BadArguments {
        /// The function's reference.
        reference: String,
        /// The parameter at fault, when there is one.
        parameter: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// The plugin ran and returned an error.
    Failed {
        /// The function's reference.
        reference: String,
        /// The plugin's error.
        error: anyhow::Error,
    },
    /// The plugin panicked; the panic was caught and the hub stays usable.
    Panicked {
        /// The function's reference.
        reference: String,
        /// The panic message.
        message: String,
    },
}

impl CallError {
    /// The error's kind in snake_case, as routers report it: `unknown_ref`,
    /// `bad_arguments`, `plugin_error` or `panic`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::UnknownRef { .. } => "unknown_ref",
            CallError::BadArguments { .. } => "bad_arguments",
            CallError::Failed { .. } => "plugin_error",
            CallError::Panicked { .. } => "panic",
        }
    }

    /// The reference of the call that failed.
    pub fn reference(&self) -> &str {
        match self {
            CallError::UnknownRef { reference, .. }
            | CallError::BadArguments { reference, .. }
            | CallError::Failed { reference, .. }
            | CallError::Panicked { reference, .. } => reference,
        }
    }

    /// The parameter a `BadArguments` error is about.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            CallError::BadArguments { parameter, .. } => parameter.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn bad_argument(parameter: &str, message: impl Into<String>) -> Self {
        CallError::BadArguments {
            reference: String::new(),
            parameter: Some(parameter.to_owned()),
            message: message.into(),
        }
    }

    /// Shims do not know their own reference; the hub fills it in.
    pub(crate) fn with_reference(mut self, full: &str) -> Self {
        match &mut self {
            CallError::UnknownRef { reference, .. }
            | CallError::BadArguments { reference, .. }
            | CallError::Failed { reference, .. }
            | CallError::Panicked { reference, .. } => {
                if reference.is_empty() {
                    full.clone_into(reference);
                }
            }
        }
        self
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownRef { reference, reason } => {
                write!(f, "unknown reference `{reference}`: {reason}")
            }
            CallError::BadArguments {
                reference,
                parameter: Some(parameter),
                message,
            } => {
                write!(f, "bad argument `{parameter}` for `{reference}`: {message}")
            }
            CallError::BadArguments {
                reference,
                parameter: None,
                message,
            } => {
                write!(f, "bad arguments for `{reference}`: {message}")
            }
            CallError::Failed { reference, error } => write!(f, "`{reference}` failed: {error:#}"),
            CallError::Panicked { reference, message } => {
                write!(f, "`{reference}` panicked: {message}")
            }
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Failed { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}

/// The kwargs of one call, taken parameter by parameter by a plugin's shim.
pub struct Args {
    /// `None` for no kwargs (`null`), which costs nothing to take from.
    map: Option<Map<String, Value>>,
}

impl Args {
    /// Accepts a JSON object, or `null` for "no kwargs".
    pub fn new(kwargs: Value) -> Result<Self, CallError> {
        match kwargs {
            Value::Object(map) => Ok(Args { map: Some(map) }),
            Value::Null => Ok(Args { map: None }),
            other => Err(CallError::BadArguments {
                reference: String::new(),
                parameter: None,
                message: format!("kwargs must be a JSON object, not {}", json_type(&other)),
            }),
        }
    }

    /// Takes one argument by name; `None` when the caller did not pass it.
    ///
    /// An explicit `null` counts as not passed: a parameter with a default
    /// gets its default, an `Option` gets `None`, and a required one is
    /// missing. A number sent as a string (`{"num": "11"}`, as pop's tutorial
    /// does) is accepted wherever a number is expected.
    pub fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, CallError> {
        let value = match self.map.as_mut().and_then(|map| map.remove(name)) {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value,
        };
        match T::deserialize(Lenient(&value)) {
            Ok(parsed) => Ok(Some(parsed)),
            Err(err) => Err(CallError::bad_argument(name, err.to_string())),
        }
    }

    /// Takes an argument the caller must pass.
    pub fn require<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, CallError> {
        self.take(name)?
            .ok_or_else(|| CallError::bad_argument(name, "missing required argument"))
    }

    /// Refuses any kwarg no parameter took: a misspelt name is an error, not ignored.
    pub fn finish(self) -> Result<(), CallError> {
        match self.map.as_ref().and_then(|map| map.keys().next()) {
            None => Ok(()),
            Some(name) => Err(CallError::bad_argument(name, "unknown argument")),
        }
    }
}

/// Deserializes a kwarg as JSON does, except that where a number is wanted
/// a string holding one (`"11"`) is read as that number. One pass, no retry:
/// a failed attempt would cost an error allocation on every such call.
struct Lenient<'a>(&'a Value);

impl<'a> Lenient<'a> {
    /// The number a numeric string holds, or the value as it is.
    fn numeric(&self) -> std::borrow::Cow<'a, Value> {
        match self.0 {
            Value::String(text) => match text.trim().parse::<serde_json::Number>() {
                Ok(number) => std::borrow::Cow::Owned(Value::Number(number)),
                Err(_) => std::borrow::Cow::Borrowed(self.0),
            },
            other => std::borrow::Cow::Borrowed(other),
        }
    }
}

macro_rules! lenient_numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.numeric() {
                std::borrow::Cow::Borrowed(value) => value.$method(visitor),
                std::borrow::Cow::Owned(value) => serde::de::IntoDeserializer::into_deserializer(value).$method(visitor),
            }
        }
    )*};
}

impl<'a> serde::Deserializer<'a> for Lenient<'a> {
    type Error = serde_json::Error;

    lenient_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool char str string bytes byte_buf unit seq map identifier ignored_any
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `#[default(..)]`: the value given, or the default.
pub fn or_else<T>(value: Option<T>, default: impl FnOnce() -> T) -> T {
    match value {
        Some(value) => value,
        None => default(),
    }
}

/// An `Option<T>` parameter: absent and `null` are both `None`.
pub fn flatten<T>(value: Option<Option<T>>) -> Option<T> {
    value.flatten()
}

/// A plugin's plain return value, as JSON.
pub fn from_value<T: Serialize>(value: T) -> Result<Value, CallError> {
    serde_json::to_value(value).map_err(|err| CallError::Failed {
        reference: String::new(),
        error: anyhow::Error::new(err).context("the return value cannot be turned into JSON"),
    })
}

/// A plugin's `Result`, as JSON or as [`CallError::Failed`].
pub fn from_result<T: Serialize, E: Into<anyhow::Error>>(
    result: Result<T, E>,
) -> Result<Value, CallError> {
    match result {
        Ok(value) => from_value(value),
        Err(error) => Err(CallError::Failed {
            reference: String::new(),
            error: error.into(),
        }),
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// The future of a call by reference (`hub.call(…)`).
///
/// A plain `fn` plugin runs on the first poll, with nothing allocated; an
/// `async fn` plugin's future is boxed by its shim. A panic in either is
/// caught and returned as [`CallError::Panicked`].
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a> {
    state: State<'a>,
    reference: &'a str,
}

enum State<'a> {
    Sync {
        shim: fn(&crate::Hub, Value) -> Result<Value, CallError>,
        hub: &'a crate::Hub,
        kwargs: Value,
    },
    Async(BoxFuture<'a>),
    Failed(CallError),
    Done,
}

impl<'a> Call<'a> {
    pub(crate) fn new(function: &'a crate::Function, hub: &'a crate::Hub, kwargs: Value) -> Self {
        let state = match function.plugin_call() {
            crate::PluginCall::Sync(shim) => State::Sync { shim, hub, kwargs },
            crate::PluginCall::Async(shim) => State::Async(shim(hub, kwargs)),
        };
        Call {
            state,
            reference: function.reference(),
        }
    }

    /// The outcome of a call that finishes without waiting (a plain `fn`
    /// plugin, or a call that failed before it started), on this thread.
    #[cfg(feature = "router")]
    pub(crate) fn finish_now(self) -> Result<Value, CallError> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(self).poll(&mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(CallError::Failed {
                reference: String::new(),
                error: anyhow::anyhow!("an async plugin was called as a blocking one"),
            }),
        }
    }

    pub(crate) fn failed(error: CallError) -> Self {
        Call {
            state: State::Failed(error),
            reference: "",
        }
    }
}

impl Future for Call<'_> {
    type Output = Result<Value, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let result = match std::mem::replace(&mut this.state, State::Done) {
            State::Sync { shim, hub, kwargs } => {
                catch(|| shim(hub, kwargs)).and_then(|result| result)
            }
            State::Async(mut future) => match catch(|| future.as_mut().poll(cx)) {
                Ok(Poll::Pending) => {
                    this.state = State::Async(future);
                    return Poll::Pending;
                }
                Ok(Poll::Ready(result)) => result,
                Err(panicked) => Err(panicked),
            },
            State::Failed(error) => Err(error),
            State::Done => panic!("a pop::Call polled after it completed"),
        };
        Poll::Ready(result.map_err(|err| err.with_reference(this.reference)))
    }
}

/// Runs `f`, turning a panic into [`CallError::Panicked`].
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, CallError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| CallError::Panicked {
        reference: String::new(),
        message: panic_message(&*payload),
    })
}
