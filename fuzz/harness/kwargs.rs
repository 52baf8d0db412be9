//! The kwargs target's hub and checks (shared by `fuzz_targets/kwargs.rs`
//! and the seeds' test, `tests/fuzz_seeds.rs`): a hub with `#[plugin]`
//! functions of varied parameter types, called by reference with any input.
//!
//! An input is a reference, a line break, and the kwargs' JSON text. Each
//! is called twice, as `hub.call` does (the text parsed to a `Value` first)
//! and as a router does (the text bound as it is), and every outcome is
//! held to the binding rules of SPEC section 5, restated plainly in
//! [`expected`]: no panic; an unknown reference is `unknown_ref`; kwargs
//! that do not fit are `bad_arguments` in one line; kwargs that fit give
//! what the function computes from them. The crate root must declare
//! `pop::no_sites!()`.

use std::sync::OnceLock;

use pop::__private::{CrateInfo, Kwargs, Plugin, PluginCall, Registry, Reply, Want};
use pop::{CallError, Hub};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A struct parameter, read by its own serde derive.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Point {
    x: i32,
    y: i32,
    label: Option<String>,
}

/// The plugins: each returns its arguments with what it computed from
/// them, so that a wrong binding shows in the result.
pub mod calc {
    use super::Point;
    use pop::prelude::*;

    /// Integers of three widths, one with a default.
    #[plugin]
    pub fn ints(_hub: &Hub, a: i64, b: u8, #[default(7)] c: u32) -> (i64, u8, u32, i64) {
        (a, b, c, super::sum_ints(a, b, c))
    }

    /// A required string, an optional one, and a char with a default.
    #[plugin]
    pub fn text(
        _hub: &Hub,
        name: String,
        title: Option<String>,
        #[default('!')] end: char,
    ) -> String {
        super::greeting(&name, title.as_deref(), end)
    }

    /// Floats, one optional, in an async function returning a `Result`.
    /// (The `f32` is returned widened: JSON text spells an `f32` shorter
    /// than the `f64` a `Value` holds it as, and both are right.)
    #[plugin]
    pub async fn real(_hub: &Hub, x: f64, scale: Option<f32>) -> Result<(f64, Option<f64>, f64)> {
        Ok((x, scale.map(f64::from), super::scaled(x, scale)))
    }

    /// Lists, one with a default.
    #[plugin]
    pub fn lists(
        _hub: &Hub,
        values: Vec<i32>,
        #[default(Vec::new())] tags: Vec<String>,
    ) -> (Vec<i32>, Vec<String>, i64) {
        let total = super::total(&values);
        (values, tags, total)
    }

    /// A struct, an integer with a default and an optional bool, async.
    #[plugin]
    pub async fn shape(
        _hub: &Hub,
        point: Point,
        #[default(1)] times: i16,
        flip: Option<bool>,
    ) -> Point {
        super::moved(point, times, flip)
    }

    /// Optional numbers and an optional list of bytes.
    #[plugin]
    pub fn maybe(
        _hub: &Hub,
        num: Option<u64>,
        bytes: Option<Vec<u8>>,
    ) -> (Option<u64>, Option<Vec<u8>>) {
        (num, bytes)
    }

    /// No parameters: any kwarg is unknown.
    #[plugin]
    pub fn nothing(_hub: &Hub) -> &'static str {
        "nothing"
    }
}

fn sum_ints(a: i64, b: u8, c: u32) -> i64 {
    a.wrapping_add(i64::from(b)).wrapping_add(i64::from(c))
}

fn greeting(name: &str, title: Option<&str>, end: char) -> String {
    match title {
        Some(title) => format!("Hello, {title} {name}{end}"),
        None => format!("Hello, {name}{end}"),
    }
}

fn scaled(x: f64, scale: Option<f32>) -> f64 {
    x * f64::from(scale.unwrap_or(1.0))
}

fn total(values: &[i32]) -> i64 {
    values.iter().map(|&v| i64::from(v)).sum()
}

fn moved(point: Point, times: i16, flip: Option<bool>) -> Point {
    let times = i32::from(times);
    let (x, y) = (point.x.wrapping_mul(times), point.y.wrapping_mul(times));
    let (x, y) = if flip == Some(true) { (y, x) } else { (x, y) };
    Point { x, y, ..point }
}

/// The sub the plugins are in, and their module.
const SUB: &str = "fz";
const MODULE: &str = "calc";

fn plugins() -> [Plugin; 7] {
    [
        calc::__pop_plugin_ints(),
        calc::__pop_plugin_text(),
        calc::__pop_plugin_real(),
        calc::__pop_plugin_lists(),
        calc::__pop_plugin_shape(),
        calc::__pop_plugin_maybe(),
        calc::__pop_plugin_nothing(),
    ]
}

fn register(registry: &mut Registry) {
    let Some(mut krate) = registry.krate(CrateInfo {
        name: "fuzz",
        version: "0.0.0",
        env_prefix: "FUZZ",
        config: &[],
        cli_config: &[],
        subcommands: &[],
        dyne: &[(SUB, &[SUB])],
    }) else {
        return;
    };
    krate.sub(&[SUB], "src/fz");
    krate.module(&[SUB], MODULE, "src/fz/calc.rs", &plugins(), None);
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        let mut hub = Hub::new(register).expect("the fuzz hub registers");
        hub.add_all_subs().expect("the fuzz sub loads");
        hub
    })
}

/// Runs a call's future on one runtime kept for the thread.
fn run<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: pop::tokio::runtime::Runtime = pop::tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// Checks one input: `reference\nkwargs`.
pub fn check(data: &[u8]) {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(reference) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    // A router hands on the kwargs' text only when it is UTF-8 (JSON always is).
    let Ok(text) = std::str::from_utf8(data.get(split + 1..).unwrap_or_default()) else {
        return;
    };
    let plugin = reference
        .strip_prefix(SUB)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_prefix(MODULE))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|name| plugins().into_iter().find(|plugin| plugin.name == name));
    let parsed = serde_json::from_str::<Value>(text);

    // As `hub.call` does it: JSON text is parsed to a value first.
    let by_value = parsed
        .as_ref()
        .ok()
        .map(|value| run(hub().call(reference, value.clone())));
    if let Some(outcome) = &by_value {
        let Some(plugin) = &plugin else {
            assert_fails(outcome, "unknown_ref", reference);
            return;
        };
        let value = parsed.as_ref().expect("parsed above");
        match expected(plugin.name, value) {
            Ok(want) => match outcome {
                Ok(got) => assert_eq!(got, &want, "{reference} with {text}"),
                Err(err) => panic!("{reference} with {text}: refused ({err}), expected {want}"),
            },
            Err(()) => assert_fails(outcome, "bad_arguments", reference),
        }
    }

    // As a router does it: the text is bound as it is, without a value.
    let Some(plugin) = plugin else {
        return;
    };
    let by_text = match plugin.call {
        PluginCall::Sync(shim) => shim(hub(), reference, Kwargs::Json(text), Want::Json),
        PluginCall::Async(shim) => run(shim(hub(), reference, Kwargs::Json(text), Want::Json)),
    };
    let by_text = by_text.and_then(|reply| match reply {
        Reply::Json(bytes) => Ok(serde_json::from_slice::<Value>(&bytes).expect("a reply is JSON")),
        other => other.into_value(),
    });
    match (&by_value, duplicate_keys(text)) {
        // Not JSON: refused.
        (None, _) => assert_fails(&by_text, "bad_arguments", reference),
        // A repeated key is read once by a value, each time by the text;
        // either way the outcome is one of the two the rules allow.
        (Some(_), true) => {
            if let Err(err) = &by_text {
                assert_eq!(
                    err.kind(),
                    "bad_arguments",
                    "{reference} with {text}: {err}"
                );
            }
        }
        (Some(by_value), false) => match (by_value, &by_text) {
            (Ok(want), Ok(got)) => assert_eq!(got, want, "{reference} with {text}"),
            (Err(want), Err(got)) => assert_eq!(got.kind(), want.kind(), "{reference} with {text}"),
            (want, got) => panic!("{reference} with {text}: by value {want:?}, by text {got:?}"),
        },
    }
}

/// The call failed, with an error of `kind` whose message is one line.
fn assert_fails(outcome: &Result<Value, CallError>, kind: &str, reference: &str) {
    match outcome {
        Ok(value) => panic!("{reference}: expected {kind}, got {value}"),
        Err(err) => {
            assert_eq!(err.kind(), kind, "{reference}: {err}");
            let message = err.to_string();
            assert!(
                !message.contains(char::is_control),
                "not one line: {message:?}"
            );
        }
    }
}

/// What a call of `name` with `kwargs` must give by SPEC section 5: the
/// function's result, or `Err` when the kwargs do not fit (not an object
/// or `null`, an unknown kwarg, a required one missing, one of a wrong type).
fn expected(name: &str, kwargs: &Value) -> Result<Value, ()> {
    let kwargs = match kwargs {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(()),
    };
    let known: &[&str] = match name {
        "ints" => &["a", "b", "c"],
        "text" => &["name", "title", "end"],
        "real" => &["x", "scale"],
        "lists" => &["values", "tags"],
        "shape" => &["point", "times", "flip"],
        "maybe" => &["num", "bytes"],
        _ => &[],
    };
    if kwargs.keys().any(|key| !known.contains(&key.as_str())) {
        return Err(());
    }
    let arg = Arg(&kwargs);
    Ok(match name {
        "ints" => {
            let (a, b) = (
                arg.number::<i64>("a")?.ok_or(())?,
                arg.number::<u8>("b")?.ok_or(())?,
            );
            let c = arg.number::<u32>("c")?.unwrap_or(7);
            json!((a, b, c, sum_ints(a, b, c)))
        }
        "text" => {
            let name = arg.other::<String>("name")?.ok_or(())?;
            let title = arg.other::<String>("title")?;
            let end = arg.other::<char>("end")?.unwrap_or('!');
            json!(greeting(&name, title.as_deref(), end))
        }
        "real" => {
            let x = arg.number::<f64>("x")?.ok_or(())?;
            let scale = arg.number::<f32>("scale")?;
            json!((x, scale.map(f64::from), scaled(x, scale)))
        }
        "lists" => {
            let values = arg.other::<Vec<i32>>("values")?.ok_or(())?;
            let tags = arg.other::<Vec<String>>("tags")?.unwrap_or_default();
            let total = total(&values);
            json!((values, tags, total))
        }
        "shape" => {
            let point = arg.other::<Point>("point")?.ok_or(())?;
            let times = arg.number::<i16>("times")?.unwrap_or(1);
            let flip = arg.other::<bool>("flip")?;
            json!(moved(point, times, flip))
        }
        "maybe" => json!((arg.number::<u64>("num")?, arg.other::<Vec<u8>>("bytes")?)),
        _ => json!("nothing"),
    })
}

/// One kwarg by the rules: absent or `null` is `None`; a number may be
/// sent as a string holding one (read as JSON reads a number, with JSON's
/// whitespace around it).
struct Arg<'a>(&'a Map<String, Value>);

impl Arg<'_> {
    fn number<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ()> {
        match self.0.get(name) {
            Some(Value::String(text)) => match text
                .trim_matches([' ', '\t', '\n', '\r'])
                .parse::<serde_json::Number>()
            {
                Ok(number) => serde_json::from_value(Value::Number(number))
                    .map(Some)
                    .map_err(drop),
                Err(_) => Err(()),
            },
            _ => self.other(name),
        }
    }

    fn other<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ()> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(drop),
        }
    }
}

/// True when some object in `text` (valid JSON) names a key twice.
fn duplicate_keys(text: &str) -> bool {
    struct Walk;
    impl<'de> serde::de::Visitor<'de> for Walk {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut found = false;
            while let Some(inner) = seq.next_element_seed(Walk)? {
                found |= inner;
            }
            Ok(found)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut keys = std::collections::HashSet::new();
            let mut found = false;
            while let Some(key) = map.next_key::<String>()? {
                found |= !keys.insert(key);
                found |= map.next_value_seed(Walk)?;
            }
            Ok(found)
        }
    }
    impl<'de> serde::de::DeserializeSeed<'de> for Walk {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(Walk, &mut deserializer).unwrap_or(false)
}
