//! Binding JSON kwargs to a plugin's parameters, by name, in one pass over
//! the caller's JSON: the request's own text for a router (no `Value` is
//! built), or the `Value` a `hub.call` caller passed (taken apart, not
//! copied).
//!
//! `#[plugin]` writes, for each function, a [`Params`] type with one slot per
//! parameter; [`bind`] walks the kwargs object once and fills the slots.
//! Where a number is wanted, a string holding one (`{"num": "11"}`, as pop's
//! tutorial sends it) is read as that number, and an explicit `null` counts
//! as not given.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CallError;
use crate::plugin::{Kwargs, Reply, Want, json_type};

/// A plugin's parameters as [`bind`] fills them: one `Option` slot each.
pub trait Params {
    /// The parameters' names, in slot order.
    const NAMES: &'static [&'static str];

    /// Reads the kwarg `NAMES[index]` from `value` into its slot.
    fn fill<'de, D: Deserializer<'de>>(&mut self, index: usize, value: D) -> Result<(), D::Error>;
}

/// Fills `params` from the kwargs in one pass; an unknown kwarg, or one
/// that does not read as its parameter's type, is an error naming it.
pub fn bind<P: Params>(kwargs: Kwargs<'_>, params: P) -> Result<P, CallError> {
    let mut problem = None;
    let visitor = ParamsVisitor {
        params,
        problem: &mut problem,
    };
    let outcome = match kwargs {
        Kwargs::Value(value) => match value {
            Value::Object(_) | Value::Null => value.deserialize_any(visitor),
            other => return Err(not_an_object(json_type(&other))),
        },
        Kwargs::Json(text) => {
            if let Some(kind) = json_kind(text) {
                return Err(not_an_object(kind));
            }
            let mut deserializer = serde_json::Deserializer::from_str(text);
            deserializer
                .deserialize_any(visitor)
                .and_then(|params| deserializer.end().map(|()| params))
        }
    };
    outcome.map_err(|err| {
        problem.unwrap_or_else(|| {
            CallError::bad_arguments(format!(
                "the kwargs are not JSON: {}",
                without_position(&err)
            ))
        })
    })
}

/// The kind of a JSON text that is not an object or `null`, from its first byte.
fn json_kind(text: &str) -> Option<&'static str> {
    match text.trim_start().as_bytes().first()? {
        b'{' | b'n' => None,
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        _ => Some("a number"),
    }
}

fn not_an_object(kind: &str) -> CallError {
    CallError::bad_arguments(format!("kwargs must be a JSON object, not {kind}"))
}

/// A serde error's message without serde_json's ` at line L column C`: the
/// kwargs are one line of a request, and the parameter is named already.
fn without_position(err: &impl fmt::Display) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if text[at..].contains(" column ") => text[..at].to_owned(),
        _ => text,
    }
}

struct ParamsVisitor<'p, P> {
    params: P,
    problem: &'p mut Option<CallError>,
}

impl<'de, P: Params> Visitor<'de> for ParamsVisitor<'_, P> {
    type Value = P;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of kwargs")
    }

    fn visit_unit<E: de::Error>(self) -> Result<P, E> {
        Ok(self.params)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<P, A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed(P::NAMES))? {
            let index = match key {
                Key::Known(index) => index,
                Key::Unknown(name) => {
                    *self.problem = Some(CallError::bad_argument(&name, "unknown argument"));
                    return Err(de::Error::custom("unknown argument"));
                }
            };
            let seed = FillSeed {
                params: &mut self.params,
                index,
            };
            if let Err(err) = map.next_value_seed(seed) {
                let message = without_position(&err);
                *self.problem = Some(CallError::bad_argument(P::NAMES[index], message));
                return Err(err);
            }
        }
        Ok(self.params)
    }
}

/// A kwarg's name: a parameter's index, or a name no parameter has.
enum Key {
    Known(usize),
    Unknown(String),
}

struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kwarg's name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(match self.0.iter().position(|known| *known == name) {
            Some(index) => Key::Known(index),
            None => Key::Unknown(name.to_owned()),
        })
    }
}

struct FillSeed<'p, P> {
    params: &'p mut P,
    index: usize,
}

impl<'de, P: Params> DeserializeSeed<'de> for FillSeed<'_, P> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.params.fill(self.index, deserializer)
    }
}

/// One kwarg read as `T`: `None` for `null`, numbers sent as strings read
/// as numbers.
pub fn lenient<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    value: D,
) -> Result<Option<T>, D::Error> {
    value.deserialize_option(NullIsAbsent(PhantomData))
}

struct NullIsAbsent<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for NullIsAbsent<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kwarg")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<Option<T>, D::Error> {
        T::deserialize(Lenient(value)).map(Some)
    }
}

/// A deserializer that reads a string holding a number where a number is
/// wanted, and passes everything else through.
struct Lenient<D>(D);

macro_rules! lenient_numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.deserialize_any(NumberInText(visitor))
        }
    )*};
}

macro_rules! pass_through {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Lenient<D> {
    type Error = D::Error;

    lenient_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    pass_through! {
        deserialize_any deserialize_bool deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_option(LenientSome(visitor))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }
}

/// `Option<number>` parameters are lenient inside the `Some` too.
struct LenientSome<V>(V);

/// Passes a visitor's other methods through to the visitor it wraps.
macro_rules! forward_visits {
    () => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.0.visit_bool(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.0.visit_i64(v)
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
            self.0.visit_i128(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.0.visit_u64(v)
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
            self.0.visit_u128(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            self.0.visit_f64(v)
        }
        fn visit_char<E: de::Error>(self, v: char) -> Result<Self::Value, E> {
            self.0.visit_char(v)
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            self.0.visit_bytes(v)
        }
        fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
            self.0.visit_borrowed_bytes(v)
        }
        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            self.0.visit_byte_buf(v)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.0.visit_none()
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.0.visit_unit()
        }
        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            self.0.visit_newtype_struct(d)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            self.0.visit_seq(seq)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            self.0.visit_map(map)
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.0.visit_enum(data)
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for LenientSome<V> {
    type Value = V::Value;

    forward_visits!();

    fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Lenient(value))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.0.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.0.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.0.visit_string(v)
    }
}

/// Where a number is wanted: a number, or a string holding one.
struct NumberInText<V>(V);

impl<V> NumberInText<V> {
    fn text<'de, E: de::Error>(self, text: &str) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        // Read as JSON reads a number, so `"-0"` is what `-0` is; around it
        // only JSON's own whitespace, as the router's OpenAPI pattern says.
        match text
            .trim_matches([' ', '\t', '\n', '\r'])
            .parse::<serde_json::Number>()
        {
            Ok(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
                (Some(number), ..) => self.0.visit_u64(number),
                (None, Some(number), _) => self.0.visit_i64(number),
                (None, None, Some(number)) => self.0.visit_f64(number),
                _ => self.0.visit_str(text),
            },
            Err(_) => self.0.visit_str(text),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NumberInText<V> {
    type Value = V::Value;

    forward_visits!();

    fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(value)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.text(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.text(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.text(&v)
    }
}

/// A required parameter's value, or the error saying it is missing.
pub fn required<T>(value: Option<T>, name: &str) -> Result<T, CallError> {
    value.ok_or_else(|| CallError::bad_argument(name, "missing required argument"))
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

/// A plugin's plain return value, as the caller wants it.
pub fn reply_value<T: Serialize>(value: T, want: Want) -> Result<Reply, CallError> {
    Reply::of(&value, want)
}

/// A plugin's `Result`: its value as the caller wants it, or a failure ([`crate::Cause::Failed`]).
pub fn reply_result<T: Serialize, E: Into<anyhow::Error>>(
    result: Result<T, E>,
    want: Want,
) -> Result<Reply, CallError> {
    match result {
        Ok(value) => Reply::of(&value, want),
        Err(error) => Err(CallError::failed(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two `f64` parameters, `x` and `y`, as `#[plugin]` would declare them.
    struct Floats(Option<f64>, Option<f64>);

    impl Params for Floats {
        const NAMES: &'static [&'static str] = &["x", "y"];

        fn fill<'de, D: Deserializer<'de>>(
            &mut self,
            index: usize,
            value: D,
        ) -> Result<(), D::Error> {
            match index {
                0 => self.0 = lenient(value)?,
                _ => self.1 = lenient(value)?,
            }
            Ok(())
        }
    }

    /// Found by the kwargs fuzz target: `{"x": 1.25e300}` bound to
    /// 1.2499999999999999e300, and a number in a string was read the same
    /// way; a float kwarg is the number the caller wrote, correctly rounded.
    #[test]
    fn float_kwargs_are_the_numbers_written() {
        let text = r#"{"x": 1.25e300, "y": "9007199254740993.0"}"#;
        let bound = bind(Kwargs::Json(text), Floats(None, None)).unwrap();
        assert_eq!(bound.0, Some("1.25e300".parse::<f64>().unwrap()));
        assert_eq!(bound.1, Some("9007199254740993.0".parse::<f64>().unwrap()));
    }
}
