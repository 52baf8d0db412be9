//! `pop-create call REF [KEY=VALUE…] [--kwargs JSON]`: builds the app if
//! need be (quietly; cargo's errors are shown if it fails), then has it call
//! one function in-process, as `hub.call` does, and prints the result as
//! JSON on stdout. The app's own output goes to stderr.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use super::app_request;
use super::run;
use crate::cli::CallArgs;
use crate::error::{Error, Result};
use crate::ui::Ui;

/// Calls the function and prints its result; exit 1 when the call failed,
/// 2 for an unknown reference or bad arguments.
pub fn call(args: CallArgs, ui: &Ui) -> Result<ExitCode> {
    let kwargs = kwargs(args.kwargs.as_deref(), &args.pairs)?;
    let (project, built) = run::built_app(args.release, ui)?;
    let request = json!({"kind": "call", "ref": args.reference, "kwargs": kwargs});
    let what = format!("call `{}`", args.reference);
    match app_request::ask_for_command(&project, &built.binary, request, &args.reference, &what)? {
        Ok(value) => {
            print_json(ui, &value);
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// `value` on stdout, pretty-printed.
pub fn print_json(ui: &Ui, value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    ui.out(&format!("{text}\n"));
}

/// The kwargs: `--kwargs`, then each `KEY=VALUE` over it.
fn kwargs(json: Option<&str>, pairs: &[String]) -> Result<Value> {
    let mut kwargs = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return Err(Error::usage(format!(
                    "--kwargs must be a JSON object, not {}",
                    kind_of(&other)
                ))
                .hint(r#"for example --kwargs '{"num": 11}'"#));
            }
            Err(err) => {
                return Err(Error::usage(format!("--kwargs is not JSON: {err}"))
                    .hint(r#"for example --kwargs '{"num": 11}'"#));
            }
        },
    };
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=').filter(|(key, _)| !key.is_empty()) else {
            return Err(Error::usage(format!("`{pair}` is not KEY=VALUE"))
                .hint("name each argument: `pop-create call math.fib num=11`"));
        };
        kwargs.insert(key.to_owned(), value_of(value));
    }
    Ok(Value::Object(kwargs))
}

/// A `KEY=VALUE` value: JSON when it parses as JSON, else the text itself.
fn value_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The error a failed request ends in: `error: KIND: MESSAGE`, exit 2 for
/// what the caller got wrong (an unknown reference, bad arguments), 1 for
/// what the call did (an error, a panic, a contract's refusal).
pub fn failed(error: &Map<String, Value>, reference: &str) -> Error {
    let kind = error["kind"].as_str().unwrap_or("error");
    let message = format!(
        "{kind}: {}",
        error["message"]
            .as_str()
            .unwrap_or("the app gave no message")
    );
    match kind {
        "unknown_ref" => Error::usage(message).hint(nearest_hint(error, reference)),
        "bad_arguments" => Error::usage(message).hint(format!(
            "`pop-create inspect {reference}` shows its parameters"
        )),
        "ambiguous_ref" => Error::usage(message).hint("give the full reference"),
        _ => Error::failure(message),
    }
}

/// `did you mean …?` with the references nearest to `reference`.
fn nearest_hint(error: &Map<String, Value>, reference: &str) -> String {
    let known: Vec<&str> = error["known"]
        .as_array()
        .map(|known| known.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let nearest = nearest(reference, &known);
    if nearest.is_empty() {
        return "`pop-create inspect` lists every function".to_owned();
    }
    let named: Vec<String> = nearest.iter().map(|r| format!("`{r}`")).collect();
    format!("did you mean {}?", named.join(" or "))
}

/// The (at most three) known references nearest to `reference`.
fn nearest<'a>(reference: &str, known: &[&'a str]) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(reference, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_json_when_it_parses_as_json_and_text_otherwise() {
        assert_eq!(value_of("11"), json!(11));
        assert_eq!(value_of("true"), json!(true));
        assert_eq!(value_of(r#"{"a": [1]}"#), json!({"a": [1]}));
        assert_eq!(value_of(r#""11""#), json!("11"));
        assert_eq!(value_of("apple"), json!("apple"));
        assert_eq!(value_of(""), json!(""));
        assert_eq!(value_of("a=b"), json!("a=b"));
    }

    #[test]
    fn a_pair_wins_over_the_same_key_in_kwargs() {
        let pairs = ["num=12".to_owned(), "name=x=y".to_owned()];
        let kwargs = kwargs(Some(r#"{"num": 11, "other": 1}"#), &pairs).unwrap();
        assert_eq!(kwargs, json!({"num": 12, "other": 1, "name": "x=y"}));
    }

    #[test]
    fn bad_kwargs_and_pairs_are_usage_errors() {
        for (json, pairs) in [
            (Some("{nope"), vec![]),
            (Some("[1]"), vec![]),
            (None, vec!["num".to_owned()]),
            (None, vec!["=3".to_owned()]),
        ] {
            let err = kwargs(json, &pairs).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{}", err.message());
        }
    }

    #[test]
    fn the_nearest_references_are_named() {
        let known = ["math.fib", "math.triple", "rpc.math.fib", "stock.buy"];
        let near = nearest("math.fibb", &known);
        assert_eq!(near.first(), Some(&"math.fib"), "{near:?}");
        assert!(!near.contains(&"stock.buy"), "{near:?}");
        assert!(nearest("zzz", &known).is_empty());
    }
}
