//! The router target's checks (shared by `fuzz_targets/router.rs` and the
//! seeds' test, `tests/fuzz_seeds.rs`): any bytes as a request body, read
//! by the router's own parser and held to SPEC section 6, restated plainly
//! here with serde_json's `Value`:
//!
//! * no panic, whatever the bytes;
//! * a body is taken as a call exactly when it is a JSON object with a
//!   string `ref`, maybe `kwargs`, and no other key; the call names that
//!   `ref`, and its kwargs are the text of that `kwargs` value (none when
//!   it is absent or `null`);
//! * kwargs bind only when they are an object (through the runtime's own
//!   binder; anything else is `bad_arguments`, a 400);
//! * every other body is a 400 whose message is capped (1024 bytes, then
//!   the length of the rest), however long the key or text it quotes.

use pop::__private::{Kwargs, Params, bind};
use serde_json::{Map, Value};

/// The longest message a refusal carries: 1024 bytes and the length of the rest.
const MESSAGE_LIMIT: usize = 1024 + "…(1048576 bytes)".len();

/// Checks one request body.
pub fn check(body: &[u8]) {
    let outcome = pop::fuzzing::router_request(body);
    let shown = || String::from_utf8_lossy(body).into_owned();
    let request = match serde_json::from_slice::<Value>(body) {
        Ok(value) => Some(value),
        // JSON that a `Value` cannot hold, though its grammar allows it (as
        // Python's json does): nested deeper than serde_json goes, a number
        // past `f64` (`1e400`), an escaped lone surrogate (`"\udd80"`, `"\ud83e"`). The
        // parser may take such a body as a call, since it only skips over
        // the kwargs (and over a key given twice), and the binder refuses
        // such kwargs where it reads them; only "no panic" is checked here.
        Err(err)
            if [
                "recursion limit",
                "number out of range",
                "surrogate",
                // a high surrogate with no `\u` after it
                "unexpected end of hex escape",
                "invalid unicode code point",
            ]
            .iter()
            .any(|why| err.to_string().contains(why)) =>
        {
            return;
        }
        Err(_) => None,
    };
    let call = request.as_ref().and_then(as_call);
    match outcome {
        Ok((reference, kwargs)) => {
            let Some(map) = call else {
                panic!("a body that is not a call was taken as one: {}", shown());
            };
            assert_eq!(
                map.get("ref"),
                Some(&Value::String(reference)),
                "{}",
                shown()
            );
            let Some(range) = kwargs else {
                assert!(
                    matches!(map.get("kwargs"), None | Some(Value::Null)),
                    "{}",
                    shown()
                );
                return;
            };
            let text = std::str::from_utf8(&body[range]).expect("JSON text is UTF-8");
            let value: Value = serde_json::from_str(text).expect("the kwargs' text is JSON");
            assert_eq!(map.get("kwargs"), Some(&value), "{}", shown());
            // A function without parameters: only `{}` binds.
            let bound = bind(Kwargs::Json(text), NoParams);
            match (&value, bound) {
                (Value::Object(members), Ok(_)) if members.is_empty() => {}
                (Value::Object(members), Err(err)) if !members.is_empty() => {
                    assert_eq!(err.kind(), "bad_arguments", "{text}");
                }
                (other, Err(err)) if !other.is_object() => {
                    assert_eq!(err.kind(), "bad_arguments", "{text}");
                }
                (_, bound) => panic!("kwargs {text} bound as {:?}", bound.map(|_| ())),
            }
        }
        Err((status, message)) => {
            assert!(
                call.is_none(),
                "a call was refused ({message}): {}",
                shown()
            );
            assert_eq!(status, 400, "{message}");
            assert!(!message.is_empty());
            assert!(
                message.len() <= MESSAGE_LIMIT,
                "{} bytes: {message}",
                message.len()
            );
        }
    }
}

/// The members of a call: an object with a string `ref`, and no key but
/// `ref` and `kwargs`.
fn as_call(request: &Value) -> Option<&Map<String, Value>> {
    let map = request.as_object()?;
    let keys_known = map.keys().all(|key| key == "ref" || key == "kwargs");
    (keys_known && map.get("ref")?.is_string()).then_some(map)
}

/// The parameters of a function that takes none.
struct NoParams;

impl Params for NoParams {
    const NAMES: &'static [&'static str] = &[];

    fn fill<'de, D: serde::Deserializer<'de>>(&mut self, _: usize, _: D) -> Result<(), D::Error> {
        Ok(())
    }
}
