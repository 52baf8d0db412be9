//! Conversions `#[plugin]` needs for a function's own types, chosen while
//! compiling by what each type can do (autoref specialization): a type that
//! serializes is shown to contracts as JSON, one that does not as `null`; a
//! type that deserializes can come back from a stand-in, one that does not
//! cannot; an error type built from `anyhow::Error` can report a refused
//! call, another makes the refusal a panic. Only the slow path (contracts
//! or stand-ins) uses them.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

use crate::error::CallError;

/// Stands for the type `T` in the conversions below.
pub struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    /// The probe.
    pub const NEW: Probe<T> = Probe(PhantomData);

    /// The probe of a value's type, where the type has no name to write.
    pub fn of(_value: &T) -> Probe<T> {
        Probe(PhantomData)
    }
}

/// The two types of a `Result` return type, however the user spelled it
/// (`pop::Result<u64>`, `Result<u64, MyError>`, an alias).
pub trait ResultParts {
    /// The `Ok` type.
    type Ok;
    /// The `Err` type.
    type Err;
}

impl<T, E> ResultParts for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// The kwargs a direct typed call shows contracts and stand-ins.
pub fn kwargs(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    )
}

/// A plugin's own error, as a failed call.
pub fn failed<E: Into<anyhow::Error>>(error: E) -> CallError {
    CallError::failed(error)
}

/// A message as an error.
pub fn message(text: String) -> anyhow::Error {
    anyhow::Error::msg(text)
}

/// `T` as JSON, for a `Serialize` type.
pub trait ToJsonBySerialize<T> {
    /// The value as JSON.
    fn pop_to_json(&self, value: &T) -> Value;
}

impl<T: Serialize> ToJsonBySerialize<T> for &Probe<T> {
    fn pop_to_json(&self, value: &T) -> Value {
        serde_json::to_value(value).unwrap_or(Value::Null)
    }
}

/// `T` as JSON, for any other type: `null`.
pub trait ToJsonOtherwise<T> {
    /// `null`.
    fn pop_to_json(&self, _value: &T) -> Value {
        Value::Null
    }
}

impl<T> ToJsonOtherwise<T> for Probe<T> {}

/// `T` from JSON, for a type that deserializes. The bound is
/// `Deserialize<'static>`, not `DeserializeOwned`: the choice between the two
/// traits cannot depend on lifetimes, and a return type such as
/// `Vec<&'static str>` must still compile (its strings just never come back).
pub trait FromJsonByDeserialize<T> {
    /// The value, or why it does not read as `T`.
    fn pop_from_json(&self, value: Value) -> Result<T, String>;
}

impl<T: Deserialize<'static>> FromJsonByDeserialize<T> for &Probe<T> {
    fn pop_from_json(&self, value: Value) -> Result<T, String> {
        T::deserialize(value).map_err(|err| {
            format!(
                "the value does not read as `{}`: {err}",
                std::any::type_name::<T>()
            )
        })
    }
}

/// `T` from JSON, for any other type: never.
pub trait FromJsonOtherwise<T> {
    /// Why it cannot.
    fn pop_from_json(&self, _value: Value) -> Result<T, String> {
        Err(format!(
            "`{}` cannot be read from JSON: a stand-in or contract cannot produce it",
            std::any::type_name::<T>()
        ))
    }
}

impl<T> FromJsonOtherwise<T> for Probe<T> {}

/// A failed call as the error type `E`, for one built from `anyhow::Error`.
pub trait FailByFrom<E> {
    /// The error.
    fn pop_fail(&self, err: CallError) -> E;
}

impl<E: From<anyhow::Error>> FailByFrom<E> for &Probe<E> {
    fn pop_fail(&self, err: CallError) -> E {
        E::from(anyhow::Error::new(err))
    }
}

/// A failed call, for a function that cannot return one: a panic, which a
/// call by reference reports as such.
pub trait FailOtherwise<E> {
    /// Panics.
    fn pop_fail(&self, err: CallError) -> E {
        panic!("{err}")
    }
}

impl<E> FailOtherwise<E> for Probe<E> {}
