//! Property tests of binding JSON kwargs to plugin parameters (written by a
//! helper): kwargs come from clients over the router, so every JSON value
//! must end in a value or a `bad_arguments` error, never in a panic.

// User code names the runtime `pop` (a renamed dependency); so do these tests.
extern crate pop_hub as pop;

// pop-build does not gather these plugins, so none has contracts.
pop::no_sites!();

use pop::__private::{CrateInfo, Registry};
use pop::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::Map;

/// One plugin per way a parameter can be declared, each echoing what it was
/// given so a test sees exactly what was bound.
mod bind {
    use pop::prelude::*;

    /// Echoes a number that has a default.
    #[plugin]
    pub fn count(_hub: &Hub, #[default(10)] num: u64) -> u64 {
        num
    }

    /// The same, async: its shim binds the kwargs inside the future.
    #[plugin]
    pub async fn count_later(_hub: &Hub, #[default(10)] num: u64) -> u64 {
        num
    }

    /// Echoes a required string.
    #[plugin]
    pub fn greet(_hub: &Hub, name: String) -> String {
        name
    }

    /// Echoes an optional number.
    #[plugin]
    pub fn maybe(_hub: &Hub, num: Option<i64>) -> Option<i64> {
        num
    }

    /// All three kinds at once, so their rules are seen to hold together.
    #[plugin]
    pub fn mixed(_hub: &Hub, name: String, #[default(10)] num: u64, maybe: Option<i64>) -> Value {
        json!({"name": name, "num": num, "maybe": maybe})
    }
}

/// Every plugin, with its parameters.
const PLUGINS: &[(&str, &[&str])] = &[
    ("rpc.bind.count", &["num"]),
    ("rpc.bind.count_later", &["num"]),
    ("rpc.bind.greet", &["name"]),
    ("rpc.bind.maybe", &["num"]),
    ("rpc.bind.mixed", &["name", "num", "maybe"]),
];

/// The plugins that take `#[default(10)] num: u64`.
const COUNTS: &[&str] = &["rpc.bind.count", "rpc.bind.count_later"];

fn register(registry: &mut Registry) {
    let Some(mut krate) = registry.krate(CrateInfo {
        name: "props",
        version: "0.1.0",
        env_prefix: "PROPS",
        config: &[],
        cli_config: &[],
        subcommands: &[],
        dyne: &[("rpc", &["rpc"])],
    }) else {
        return;
    };
    krate.sub(&["rpc"], "src/rpc");
    krate.module(
        &["rpc"],
        "bind",
        "src/rpc/bind.rs",
        &[
            bind::__pop_plugin_count(),
            bind::__pop_plugin_count_later(),
            bind::__pop_plugin_greet(),
            bind::__pop_plugin_maybe(),
            bind::__pop_plugin_mixed(),
        ],
        None,
    );
}

fn hub() -> Hub {
    let mut hub = Hub::new(register).expect("no clashes");
    hub.add_all_subs().expect("the sub loads");
    hub
}

fn call(hub: &Hub, reference: &str, kwargs: Value) -> Result<Value, CallError> {
    pop::block_on(hub.call(reference, kwargs))
}

/// Enough cases to find the corners, few enough to stay quick on a slow
/// machine; nothing is written to disk, since the sources are shared.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

/// Text of every kind, control characters included: clients send anything.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
        "[0-9 +\\-.eE_\\x00\n]{0,6}",
    ]
}

/// Keys, often the parameters' own names, so values reach the binding.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => text(),
        2 => prop::sample::select(vec!["num", "name", "maybe", "Num", "num "])
            .prop_map(str::to_owned),
    ]
}

/// Any JSON value, numbers of every kind included (also as strings, as
/// pop's tutorial sends them).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<i128>().prop_map(|n| Value::String(n.to_string())),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Objects, often with the parameters' names as keys.
fn object(size: std::ops::Range<usize>) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json(), size)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// A `BadArguments` error of the call to `reference`; anything else fails
/// the property.
fn bad_arguments(
    reference: &str,
    outcome: Result<Value, CallError>,
) -> Result<CallError, TestCaseError> {
    match outcome {
        Err(err @ CallError::BadArguments { .. }) => {
            prop_assert_eq!(err.kind(), "bad_arguments");
            prop_assert_eq!(err.reference(), reference);
            Ok(err)
        }
        other => Err(TestCaseError::fail(format!(
            "{reference}: expected bad_arguments, got {other:?}"
        ))),
    }
}

/// Decimal strings no u64 holds: negative (`-0` included), too large, or
/// with something other than digits once surrounding whitespace is trimmed.
fn not_a_u64() -> impl Strategy<Value = String> {
    prop_oneof![
        "-[0-9]{1,25}",
        (1..=u128::from(u64::MAX)).prop_map(|k| (u128::from(u64::MAX) + k).to_string()),
        "[1-9][0-9]{20,40}",
        text().prop_filter("not digits", |s| {
            let digits = s.trim();
            digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit())
        }),
    ]
}

/// A kwarg as a test sends it: left out, `null`, or a value.
#[derive(Clone, Debug)]
enum Arg<T> {
    Absent,
    Null,
    Given(T),
}

fn arg<T: Clone + std::fmt::Debug>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Arg<T>> {
    prop_oneof![
        Just(Arg::Absent),
        Just(Arg::Null),
        value.prop_map(Arg::Given)
    ]
}

impl<T: Clone + Into<Value>> Arg<T> {
    fn put(&self, name: &str, kwargs: &mut Map<String, Value>) {
        match self {
            Arg::Absent => {}
            Arg::Null => {
                kwargs.insert(name.to_owned(), Value::Null);
            }
            Arg::Given(value) => {
                kwargs.insert(name.to_owned(), value.clone().into());
            }
        }
    }

    fn given(&self) -> Option<T> {
        match self {
            Arg::Given(value) => Some(value.clone()),
            Arg::Absent | Arg::Null => None,
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any JSON value as kwargs, to any plugin, ends in a value or a
    /// `bad_arguments` error; what succeeds passed only known parameters,
    /// and what fails names a parameter or a key that was sent.
    #[test]
    fn any_kwargs_bind_or_are_bad_arguments(
        plugin in prop::sample::select(PLUGINS),
        kwargs in prop_oneof![1 => json(), 3 => object(0..4)],
    ) {
        let (reference, params) = plugin;
        let hub = hub();
        match call(&hub, reference, kwargs.clone()) {
            Ok(_) => {
                if let Value::Object(map) = &kwargs {
                    prop_assert!(map.keys().all(|k| params.contains(&k.as_str())), "{:?}", kwargs);
                } else {
                    prop_assert!(kwargs.is_null(), "{:?}", kwargs);
                }
            }
            outcome => {
                let err = bad_arguments(reference, outcome)?;
                match (&kwargs, err.parameter()) {
                    (Value::Object(map), Some(parameter)) => prop_assert!(
                        params.contains(&parameter) || map.contains_key(parameter),
                        "{} names `{}`, which is neither a parameter nor sent", err, parameter
                    ),
                    (Value::Null, Some(parameter)) => prop_assert!(
                        params.contains(&parameter),
                        "{} names `{}`, which is not a parameter", err, parameter
                    ),
                    (Value::Object(_) | Value::Null, None) => {
                        prop_assert!(false, "{} names no parameter", err);
                    }
                    (_, parameter) => {
                        prop_assert_eq!(parameter, None, "kwargs that are not an object");
                    }
                }
            }
        }
    }

    /// Every u64 binds to itself, as a JSON number and as its decimal string.
    #[test]
    fn every_u64_binds_as_number_and_as_string(n in any::<u64>(), name in text()) {
        let hub = hub();
        for reference in COUNTS {
            for num in [json!(n), json!(n.to_string())] {
                prop_assert_eq!(call(&hub, reference, json!({"num": num})).ok(), Some(json!(n)));
            }
        }
        let expected = json!({"name": name, "num": n, "maybe": null});
        for num in [json!(n), json!(n.to_string())] {
            let outcome = call(&hub, "rpc.bind.mixed", json!({"name": name, "num": num}));
            prop_assert_eq!(outcome.ok(), Some(expected.clone()));
        }
    }

    /// A string that is not a u64 (negative, too large, not digits) is
    /// refused, naming `num`, rather than wrapping, saturating or defaulting.
    #[test]
    fn strings_that_are_not_a_u64_are_refused_naming_num(
        text in not_a_u64(),
        name in text(),
    ) {
        let hub = hub();
        for reference in COUNTS {
            let err = bad_arguments(reference, call(&hub, reference, json!({"num": text})))?;
            prop_assert_eq!(err.parameter(), Some("num"), "{}", err);
        }
        let reference = "rpc.bind.mixed";
        let outcome = call(&hub, reference, json!({"name": name, "num": text}));
        let err = bad_arguments(reference, outcome)?;
        prop_assert_eq!(err.parameter(), Some("num"), "{}", err);
    }

    /// `null` counts as not given: a default applies, an `Option` is `None`,
    /// and a required parameter is missing, by name.
    #[test]
    fn null_is_the_same_as_absent(
        name in arg(text()),
        num in arg(any::<u64>()),
        maybe in arg(any::<i64>()),
    ) {
        let hub = hub();
        let mut kwargs = Map::new();
        name.put("name", &mut kwargs);
        num.put("num", &mut kwargs);
        maybe.put("maybe", &mut kwargs);
        let outcome = call(&hub, "rpc.bind.mixed", Value::Object(kwargs));
        match name.given() {
            Some(name) => {
                let num = num.given().unwrap_or(10);
                let expected = json!({"name": name, "num": num, "maybe": maybe.given()});
                prop_assert_eq!(outcome.ok(), Some(expected));
            }
            None => {
                let err = bad_arguments("rpc.bind.mixed", outcome)?;
                prop_assert_eq!(err.parameter(), Some("name"));
                prop_assert!(err.to_string().contains("missing"), "{}", err);
            }
        }
        // The same, one parameter at a time.
        let only = |arg: &dyn Fn(&mut Map<String, Value>)| {
            let mut kwargs = Map::new();
            arg(&mut kwargs);
            Value::Object(kwargs)
        };
        for reference in COUNTS {
            let outcome = call(&hub, reference, only(&|m| num.put("num", m)));
            prop_assert_eq!(outcome.ok(), Some(json!(num.given().unwrap_or(10))));
        }
        let outcome = call(&hub, "rpc.bind.maybe", only(&|m| maybe.put("num", m)));
        prop_assert_eq!(outcome.ok(), Some(json!(maybe.given())));
        let outcome = call(&hub, "rpc.bind.greet", only(&|m| name.put("name", m)));
        match name.given() {
            Some(name) => prop_assert_eq!(outcome.ok(), Some(json!(name))),
            None => {
                let err = bad_arguments("rpc.bind.greet", outcome)?;
                prop_assert_eq!(err.parameter(), Some("name"));
                prop_assert!(err.to_string().contains("missing"), "{}", err);
            }
        }
    }

    /// A key no parameter takes is refused by name, whatever its value
    /// (`null` included), even when every parameter is fine.
    #[test]
    fn unknown_keys_are_refused_by_name(
        plugin in prop::sample::select(PLUGINS),
        extra in object(1..3),
        name in arg(text()),
        num in arg(any::<u32>()),
        maybe in arg(any::<i32>()),
    ) {
        let (reference, params) = plugin;
        let Value::Object(extra) = extra else { unreachable!("object() makes objects") };
        let extra: Map<String, Value> = extra
            .into_iter()
            .filter(|(k, _)| !params.contains(&k.as_str()))
            .collect();
        prop_assume!(!extra.is_empty());
        let mut kwargs = extra.clone();
        // Valid arguments for every parameter, so only the extra keys are wrong.
        for param in params.iter().copied() {
            match (reference, param) {
                ("rpc.bind.greet" | "rpc.bind.mixed", "name") => {
                    Arg::Given(name.given().unwrap_or_default()).put(param, &mut kwargs);
                }
                ("rpc.bind.maybe", _) | (_, "maybe") => maybe.put(param, &mut kwargs),
                _ => num.put(param, &mut kwargs),
            }
        }
        let outcome = call(&hub(), reference, Value::Object(kwargs));
        let err = bad_arguments(reference, outcome)?;
        let parameter = err.parameter().unwrap_or_default();
        prop_assert!(extra.contains_key(parameter), "{} names none of {:?}", err, extra.keys());
        prop_assert!(err.to_string().contains("unknown"), "{}", err);
    }
}
