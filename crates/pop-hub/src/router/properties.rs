//! Property tests of the router's request parsing (written by a helper).
//!
//! The body is the one thing a hostile client fully controls, so the parser
//! is checked against arbitrary bytes, not only the shapes the tutorial sends.

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Map, Value};

use super::request::{Rejection, parse};

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

/// Text of every kind: proptest's default strings leave out control
/// characters, which are exactly what a client could use to forge log lines.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
        "[\\x00-\\x1f\"\\\\\n\r\t\u{7f}\u{2028}\u{feff}é🦀]{0,8}",
    ]
}

/// Object keys, often the ones the parser looks for.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => text(),
        1 => prop::sample::select(vec!["ref", "kwargs", "Ref", "ref ", "num"])
            .prop_map(str::to_owned),
    ]
}

/// Any JSON value whose numbers print and read back unchanged, so a round
/// trip can be compared for equality: serde_json (without its
/// `float_roundtrip` feature) reads a float exactly only when its decimal
/// digits fit in 53 bits, which these short binary fractions do.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i32>().prop_map(|m| Value::from(f64::from(m) / 16.0)),
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

/// JSON's insignificant whitespace, so layout is part of what is varied.
fn space() -> impl Strategy<Value = String> {
    "[ \t\n\r]{0,2}"
}

/// A key as a client may spell it: plain, or with its first letter escaped.
fn spelled(key: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("\"{key}\"")),
        Just(format!(
            "\"\\u{:04x}{}\"",
            u32::from(key.as_bytes()[0]),
            &key[1..]
        )),
    ]
}

/// An object from already-encoded members, in the given order and spacing.
fn object(members: &[(String, String)], space: &[String]) -> String {
    let gap = |i: usize| space.get(i % space.len().max(1)).map_or("", String::as_str);
    let mut body = format!("{}{{", gap(0));
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{}{key}{}:{}{value}{}",
            gap(i + 1),
            gap(i + 2),
            gap(i + 3),
            gap(i + 4)
        ));
    }
    body.push_str(&format!("}}{}", gap(members.len() + 5)));
    body
}

/// A JSON value's text, compact or pretty: both are what clients send.
fn encoded(value: &Value, pretty: bool) -> String {
    match pretty {
        true => serde_json::to_string_pretty(value),
        false => serde_json::to_string(value),
    }
    .expect("a JSON value always serializes")
}

/// A well-formed request: the body, and the ref and kwargs it means.
fn request() -> impl Strategy<Value = (Vec<u8>, String, Value)> {
    (
        text(),
        prop::option::of(json()),
        spelled("ref"),
        spelled("kwargs"),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(space(), 1..6),
    )
        .prop_map(
            |(reference, kwargs, ref_key, kwargs_key, kwargs_first, pretty, space)| {
                let mut members =
                    vec![(ref_key, encoded(&Value::String(reference.clone()), false))];
                if let Some(kwargs) = &kwargs {
                    let member = (kwargs_key, encoded(kwargs, pretty));
                    match kwargs_first {
                        true => members.insert(0, member),
                        false => members.push(member),
                    }
                }
                let body = object(&members, &space).into_bytes();
                (body, reference, kwargs.unwrap_or(Value::Null))
            },
        )
}

/// Bytes that are mostly not JSON, and near-misses of valid requests: cut
/// short, or with one byte changed, as a broken or malicious client sends.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let damaged = (request(), any::<prop::sample::Index>(), any::<u8>(), 0..3u8).prop_map(
        |((mut body, ..), at, byte, how)| {
            if body.is_empty() {
                return body;
            }
            let at = at.index(body.len());
            match how {
                0 => body.truncate(at),
                1 => body[at] = byte,
                _ => body.insert(at, byte),
            }
            body
        },
    );
    // Numbers beyond f64's range are JSON that serde_json's `Value` cannot
    // hold: as kwargs, beside a key that is not allowed, or as the ref.
    let huge = (
        text(),
        "-?[1-9][0-9]{0,3}(\\.[0-9])?[eE][+]?[3-9][0-9]{2,4}",
        0..3u8,
    )
        .prop_map(|(reference, number, at)| {
            let reference = encoded(&Value::String(reference), false);
            match at {
                0 => format!(r#"{{"ref": {reference}, "kwargs": {{"num": {number}}}}}"#),
                1 => format!(r#"{{"kwargs": [{number}], "ref": {reference}, "x": 1}}"#),
                _ => format!(r#"{{"ref": {number}}}"#),
            }
            .into_bytes()
        });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        damaged,
        huge,
        request().prop_map(|(body, ..)| body),
    ]
}

/// What a body means, read with nothing but serde_json: the definition the
/// parser is held to.
#[derive(Debug)]
enum Meaning {
    Call(String, Value),
    NotACall,
    /// JSON that serde_json's `Value` cannot hold (a number beyond f64's
    /// range): JSON allows such numbers and lets a reader refuse them, so
    /// the parser may take the body or refuse it.
    Unreadable,
}

/// JSON syntax, whatever the size of its numbers.
fn is_json(text: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok()
}

fn meaning(body: &[u8]) -> Meaning {
    let mut request = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return Meaning::NotACall,
        Err(_) if is_json(body) => return Meaning::Unreadable,
        Err(_) => return Meaning::NotACall,
    };
    let Some(Value::String(reference)) = request.remove("ref") else {
        return Meaning::NotACall;
    };
    let kwargs = request.remove("kwargs").unwrap_or(Value::Null);
    match request.is_empty() {
        true => Meaning::Call(reference, kwargs),
        false => Meaning::NotACall,
    }
}

/// What `parse` reads from a body: the ref, and the kwargs (`None` when they
/// are JSON a `Value` cannot hold); or its refusal.
type Parsed = Result<(String, Option<Value>), Rejection>;

/// The call `parse` reads from `body`, with its kwargs read back from the
/// place in the body `parse` gives for them: the router binds them from
/// there, so that place must hold exactly the kwargs sent, and nothing else.
fn call_of(body: &[u8]) -> Result<Parsed, TestCaseError> {
    let (reference, kwargs) = match parse(body) {
        Err(rejection) => return Ok(Err(rejection)),
        Ok((reference, None)) => return Ok(Ok((reference, Some(Value::Null)))),
        Ok((reference, Some(kwargs))) => (reference, kwargs),
    };
    let Some(text) = body.get(kwargs.clone()) else {
        return Err(TestCaseError::fail(format!(
            "the kwargs at {kwargs:?} are outside the body of {} bytes",
            body.len()
        )));
    };
    match serde_json::from_slice(text) {
        Ok(kwargs) => Ok(Ok((reference, Some(kwargs)))),
        Err(_) if is_json(text) => Ok(Ok((reference, None))),
        Err(err) => Err(TestCaseError::fail(format!(
            "the kwargs at {kwargs:?} are not one JSON value ({err}): {:?}",
            String::from_utf8_lossy(text)
        ))),
    }
}

/// The message of a refusal; any other outcome fails the property, since a
/// parse error must always be the client's fault (400), never another status.
fn refusal(outcome: Parsed) -> Result<String, TestCaseError> {
    match outcome {
        Err(Rejection::BadRequest(message)) => Ok(message),
        other => Err(TestCaseError::fail(format!(
            "expected a bad_request refusal, got {other:?}"
        ))),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes never panic the parser, and exactly the bodies that
    /// are calls are accepted, as what they mean.
    #[test]
    fn any_bytes_parse_or_are_refused(body in bytes()) {
        let shown = String::from_utf8_lossy(&body);
        match (call_of(&body)?, meaning(&body)) {
            (Ok((reference, kwargs)), Meaning::Call(meant, meant_kwargs)) => {
                prop_assert_eq!(reference, meant);
                prop_assert_eq!(kwargs, Some(meant_kwargs));
            }
            (Ok(parsed), Meaning::NotACall) => {
                prop_assert!(false, "accepted {:?} as {:?}", shown, parsed);
            }
            (Err(rejection), Meaning::Call(..)) => {
                prop_assert!(false, "refused the call {:?}: {:?}", shown, rejection);
            }
            (Ok(_), Meaning::Unreadable) => {}
            (outcome, Meaning::NotACall | Meaning::Unreadable) => {
                let message = refusal(outcome)?;
                prop_assert!(!message.is_empty());
            }
        }
    }

    /// Whatever the ref holds (unicode, newlines, control characters) and
    /// whatever the kwargs, a well-formed request comes back unchanged.
    #[test]
    fn well_formed_requests_round_trip((body, reference, kwargs) in request()) {
        let parsed = call_of(&body)?;
        prop_assert!(
            parsed.is_ok(),
            "refused {:?}: {:?}",
            String::from_utf8_lossy(&body),
            parsed.as_ref().err()
        );
        let (parsed_ref, parsed_kwargs) = parsed.unwrap();
        prop_assert_eq!(parsed_ref, reference);
        prop_assert_eq!(parsed_kwargs, Some(kwargs));
    }

    /// A misspelt or extra key is refused, not ignored, and the message
    /// names it so the client can see what to fix.
    #[test]
    fn extra_keys_are_refused_by_name(
        (body, ..) in request(),
        extra in prop::collection::btree_map(
            key().prop_filter("a key other than ref and kwargs", |k| k != "ref" && k != "kwargs"),
            json(),
            1..3,
        ),
        at in any::<prop::sample::Index>(),
        space in prop::collection::vec(space(), 1..4),
    ) {
        let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
            unreachable!("request() makes JSON objects");
        };
        let mut members: Vec<(String, String)> = request
            .iter()
            .map(|(k, v)| (encoded(&Value::String(k.clone()), false), encoded(v, false)))
            .collect();
        // The extra keys go anywhere among the others, in order.
        let at = at.index(members.len() + 1);
        let encoded_extra = extra
            .iter()
            .map(|(k, v)| (encoded(&Value::String(k.clone()), false), encoded(v, false)));
        members.splice(at..at, encoded_extra);
        let body = object(&members, &space);
        let message = refusal(call_of(body.as_bytes())?)?;
        prop_assert!(
            extra.keys().any(|k| message.contains(&format!("`{k}`"))),
            "{:?} names none of {:?}",
            message,
            extra.keys().collect::<Vec<_>>()
        );
        if let [(k, _)] = extra.iter().collect::<Vec<_>>().as_slice() {
            let named = message.contains(&format!("`{k}`"));
            prop_assert!(named, "{:?} does not name {:?}", message, k);
        }
    }

    /// Only an object is a call: arrays (even of calls), strings (even
    /// holding a call), numbers, booleans and null are refused.
    #[test]
    fn non_objects_are_refused(
        value in prop_oneof![
            json().prop_filter("not an object", |v| !v.is_object()),
            request().prop_map(|(body, ..)| {
                let call: Value = serde_json::from_slice(&body).expect("request() makes JSON");
                Value::Array(vec![call])
            }),
            request().prop_map(|(body, ..)| Value::String(String::from_utf8(body).expect("UTF-8"))),
        ],
        pretty in any::<bool>(),
    ) {
        let message = refusal(call_of(encoded(&value, pretty).as_bytes())?)?;
        prop_assert!(!message.is_empty());
    }

    /// A call must say what to call: a missing `ref`, or one that is not a
    /// string, is refused and the message says it is about `ref`.
    #[test]
    fn a_missing_or_non_string_ref_is_refused(
        reference in prop::option::of(json().prop_filter("not a string", |v| !v.is_string())),
        kwargs in prop::option::of(json()),
    ) {
        let mut request = Map::new();
        if let Some(reference) = reference {
            request.insert("ref".to_owned(), reference);
        }
        if let Some(kwargs) = kwargs {
            request.insert("kwargs".to_owned(), kwargs);
        }
        let body = encoded(&Value::Object(request), false);
        let message = refusal(call_of(body.as_bytes())?)?;
        prop_assert!(message.contains("`ref`"), "{:?}", message);
    }
}
