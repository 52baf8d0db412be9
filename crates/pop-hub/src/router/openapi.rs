//! `GET /openapi.json`: the router describes itself as an OpenAPI 3.1
//! document, built once when it starts from what `#[plugin]` records of each
//! function (its reference, doc comment, parameters with their Rust types and
//! defaults, and return type).
//!
//! The wire protocol has one endpoint, `/`, and the function is named in the
//! body, so the document has one operation whose request body is one of the
//! functions: each a schema with `ref` fixed to the function's reference and
//! `kwargs` listing its parameters (`discriminator` on `ref`). OpenAPI UIs
//! offer one example per function.
//!
//! Rust types map onto JSON Schema where the meaning is plain (integers,
//! floats, `bool`, strings, `Vec`, `Option`, maps with string keys); any
//! other type is described by name (`x-rust-type`) and accepts any JSON, as
//! serde decides what it takes. Integer parameters also take numeric
//! strings, as the router does.

use std::net::SocketAddr;

use serde_json::{Map, Value, json};

use crate::hub::Function;
use crate::plugin::Param;

/// The document for the router of `sub`, serving at `local`.
pub(super) fn document(
    app: (&str, &str),
    sub: &str,
    local: SocketAddr,
    functions: &[&Function],
) -> Value {
    let (name, version) = app;
    let relative = |function: &Function| -> String {
        function
            .reference()
            .strip_prefix(sub)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(function.reference())
            .to_owned()
    };
    let calls: Vec<Value> = functions
        .iter()
        .map(|f| call_schema(&relative(f), f))
        .collect();
    // What `ref` of a result can be: each function's return type once. The
    // answer does not say which function it came from, so two functions
    // returning the same type share one schema, and any result matches
    // exactly one.
    let mut results: Vec<Value> = Vec::new();
    for function in functions {
        let schema = type_schema(ok_type(function.returns()), Side::Result);
        if !results.contains(&schema) {
            results.push(schema);
        }
    }
    let result = match results.len() {
        1 => results.pop().unwrap_or_default(),
        _ => json!({ "anyOf": results }),
    };
    let examples: Map<String, Value> = functions
        .iter()
        .filter_map(|f| {
            let reference = relative(f);
            let example = json!({
                "summary": summary(f.doc()),
                "value": { "ref": reference, "kwargs": example_kwargs(f.params())? },
            });
            Some((reference, example))
        })
        .collect();
    let error = |description: &str| {
        json!({
            "description": description,
            "headers": { "X-Request-Id": { "$ref": "#/components/headers/RequestId" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        })
    };
    let json_ok = |description: &str, schema: Value| {
        json!({
            "description": description,
            "headers": { "X-Request-Id": { "$ref": "#/components/headers/RequestId" } },
            "content": { "application/json": { "schema": schema } },
        })
    };
    let text_ok = |description: &str, media: &str| {
        json!({
            "description": description,
            "headers": { "X-Request-Id": { "$ref": "#/components/headers/RequestId" } },
            "content": { (media): { "schema": { "type": "string" } } },
        })
    };
    let call_responses = {
        let mut ok = json_ok(
            "The function's result, under `ref`.",
            json!({
                "type": "object",
                "properties": { "ref": result },
                "required": ["ref"],
                "additionalProperties": false,
            }),
        );
        ok["content"]["text/plain"] = json!({
            "schema": { "type": "string" },
            "example": format!("example: curl -X GET http://{local} -d '{{\"ref\": \"<file>.<function>\"}}'\n"),
        });
        ok["description"] = json!(
            "The function's result under `ref`; or, for a request without a body \
             (or a blank one), a text listing every function with a working `curl` example."
        );
        json!({
            "200": ok,
            "400": error("The body is not a call (`bad_request`), or the kwargs do not fit (`bad_arguments`, naming the parameter)."),
            "403": error("A `pre` contract refused the call (`contract_refused`, naming the contract)."),
            "404": error("No such function in this sub (`unknown_ref`); a declined plugin's says why."),
            "408": error("The body stalled or took too long (`request_timeout`)."),
            "413": error("The body is over 1 MiB (`payload_too_large`)."),
            "500": error("The function returned an error (`plugin_error`) or panicked (`panic`)."),
            "503": error("Other large requests hold the memory set aside for bodies (`busy`)."),
        })
    };
    let call = |id: &str| {
        json!({
            "operationId": id,
            "summary": format!("Call a plugin function of `{sub}` by reference"),
            "parameters": [{ "$ref": "#/components/parameters/RequestId" }],
            "requestBody": {
                "required": false,
                "content": { "application/json": {
                    "schema": { "oneOf": calls, "discriminator": { "propertyName": "ref" } },
                    "examples": examples,
                } },
            },
            "responses": call_responses,
        })
    };
    let fixed = |id: &str, summary: &str, ok: Value| {
        json!({
            "operationId": id,
            "summary": summary,
            "parameters": [{ "$ref": "#/components/parameters/RequestId" }],
            "responses": { "200": ok },
        })
    };
    let health = json_ok(
        "The router is serving.",
        json!({
            "type": "object",
            "properties": { "status": { "const": "ok" } },
            "required": ["status"],
            "additionalProperties": false,
        }),
    );
    let openapi = json_ok("This document.", json!({ "type": "object" }));
    let metrics = text_ok(
        "Prometheus text exposition format 0.0.4.",
        "text/plain; version=0.0.4",
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{name}: the `{sub}` router"),
            "version": version,
            "description": format!(
                "Calls of the plugin functions of the `{sub}` sub: `POST /` (or `GET /`) with \
                 `{{\"ref\": \"<file>.<function>\", \"kwargs\": {{…}}}}` answers `{{\"ref\": <result>}}`. \
                 `HEAD` is answered wherever `GET` is, without a body; any other method of a \
                 path listed here is 405 with `Allow`, any other path 404."
            ),
        },
        "servers": [{ "url": format!("http://{local}") }],
        "paths": {
            "/": {
                "post": call("call"),
                "get": call("call_with_get"),
                "head": head(call("call_with_head")),
            },
            "/healthz": {
                "get": fixed("healthz", "Health check; calls no plugin.", health.clone()),
                "head": head(fixed("healthz_head", "Health check; calls no plugin.", health)),
            },
            "/metrics": {
                "get": fixed("metrics", "Metrics, in Prometheus' text format.", metrics.clone()),
                "head": head(fixed("metrics_head", "Metrics, in Prometheus' text format.", metrics)),
            },
            "/openapi.json": {
                "get": fixed("openapi", "This document.", openapi.clone()),
                "head": head(fixed("openapi_head", "This document.", openapi)),
            },
        },
        "components": {
            "schemas": { "Error": {
                "type": "object",
                "required": ["error"],
                "additionalProperties": false,
                "properties": { "error": {
                    "type": "object",
                    "required": ["kind", "message"],
                    "additionalProperties": false,
                    "properties": {
                        "kind": { "type": "string" },
                        "message": { "type": "string" },
                        "parameter": { "type": "string", "description": "The parameter at fault (`bad_arguments`)." },
                        "contract": { "type": "string", "description": "The contract that refused (`contract_refused`)." },
                    },
                } },
            } },
            "parameters": { "RequestId": {
                "name": "X-Request-Id",
                "in": "header",
                "required": false,
                "description": "The request's id: kept when it is 1 to 128 letters, digits and `-_.:+/=@~`; any other is replaced by a fresh one.",
                "schema": { "type": "string" },
            } },
            "headers": { "RequestId": {
                "description": "The request's id: the client's, when sane, or a fresh one.",
                "schema": { "type": "string", "pattern": "^[A-Za-z0-9._:+/=@~-]{1,128}$" },
            } },
        },
    })
}

/// The `HEAD` twin of a `GET` operation: the same answers, without a body.
fn head(mut operation: Value) -> Value {
    if let Some(responses) = operation["responses"].as_object_mut() {
        for response in responses.values_mut() {
            if let Some(response) = response.as_object_mut() {
                response.remove("content");
            }
        }
    }
    operation
}

/// The first paragraph of a doc comment.
fn summary(doc: &str) -> String {
    doc.split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ")
}

/// The body that calls `function`.
fn call_schema(reference: &str, function: &Function) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in function.params() {
        let mut schema = type_schema(param.ty, Side::Argument);
        if let Some(default) = param.default.and_then(default_value) {
            schema["default"] = default;
        } else if let Some(default) = param.default {
            schema["x-rust-default"] = json!(default);
        }
        if param.is_required() {
            required.push(param.name);
        } else {
            // An explicit `null` counts as not given.
            let absent = json!({ "type": "null" });
            match schema.get_mut("anyOf").and_then(Value::as_array_mut) {
                Some(any) if any.contains(&absent) => {}
                Some(any) => any.push(absent),
                None => {
                    // What describes the parameter stays beside the choice.
                    let mut outer = Map::new();
                    if let Some(inner) = schema.as_object_mut() {
                        for key in ["default", "x-rust-default", "x-rust-type"] {
                            if let Some(value) = inner.remove(key) {
                                outer.insert(key.to_owned(), value);
                            }
                        }
                    }
                    outer.insert("anyOf".to_owned(), json!([schema, absent]));
                    schema = Value::Object(outer);
                }
            }
        }
        properties.insert(param.name.to_owned(), schema);
    }
    let mut kwargs =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        kwargs["required"] = json!(required);
    } else {
        // `"kwargs": null` is no kwargs.
        kwargs["type"] = json!(["object", "null"]);
    }
    let mut call = json!({
        "title": reference,
        "type": "object",
        "properties": { "ref": { "const": reference }, "kwargs": kwargs },
        "required": if required.is_empty() { json!(["ref"]) } else { json!(["ref", "kwargs"]) },
        "additionalProperties": false,
    });
    if !function.doc().is_empty() {
        call["description"] = json!(function.doc());
    }
    call
}

/// `T` of `Result<T>`, `Result<T, E>`, `pop::Result<T>`; the type itself otherwise.
fn ok_type(returns: &str) -> &str {
    let Some(open) = returns.find('<') else {
        return returns;
    };
    if !returns[..open].ends_with("Result") {
        return returns;
    }
    let inner = &returns[open + 1..returns.len().saturating_sub(1)];
    split_top_level(inner).first().copied().unwrap_or(inner)
}

/// Splits `A, B<C, D>` at its top-level commas.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, c) in text.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// Which side of a call a type is on: arguments take integers as strings
/// too, results are always plain JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Argument,
    Result,
}

/// A Rust type as `#[plugin]` recorded its text, in the terms JSON knows.
enum RustType<'a> {
    /// An integer type, by name (`u8`, `i64`, …).
    Integer(&'a str),
    Float,
    Bool,
    /// A type JSON spells as a string, by name (`String`, `char`, `IpAddr`, …).
    Text(&'a str),
    Unit,
    /// `serde_json::Value`: anything.
    Any,
    /// `Option<T>`: `T`'s text.
    Optional(&'a str),
    /// A `Vec`, `VecDeque` or set: the element type's text.
    List(&'a str),
    /// `[T; N]`: the element type's text.
    Array(&'a str),
    /// A `HashMap` or `BTreeMap`: the text between its angle brackets.
    Map(&'a str),
    /// `Box`, `Arc`, `Rc` or `Cow` of the type whose text this is.
    Wrapped(&'a str),
    /// Anything else: serde decides what it takes.
    Other,
}

impl<'a> RustType<'a> {
    fn of(ty: &'a str) -> RustType<'a> {
        let ty = ty.trim();
        let last = |name: &'a str| -> &'a str {
            let name = name
                .trim_start_matches('&')
                .trim_start_matches("'static ")
                .trim();
            name.rsplit("::").next().unwrap_or(name)
        };
        let bare = ty.trim_start_matches('&').trim();
        // Before generics: `[Vec<u8>; 2]` is an array.
        if bare.starts_with('[') && bare.ends_with(']') {
            return RustType::Array(
                bare[1..bare.len() - 1]
                    .split(';')
                    .next()
                    .unwrap_or_default(),
            );
        }
        if let Some(open) = ty.find('<') {
            let inner = &ty[open + 1..ty.len().saturating_sub(1)];
            return match last(&ty[..open]) {
                "Option" => RustType::Optional(inner),
                "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => RustType::List(inner),
                "HashMap" | "BTreeMap" => RustType::Map(inner),
                "Box" | "Arc" | "Rc" | "Cow" => {
                    RustType::Wrapped(split_top_level(inner).last().copied().unwrap_or(inner))
                }
                _ => RustType::Other,
            };
        }
        let name = last(ty);
        match name {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
            | "i128" | "isize" => RustType::Integer(name),
            "f32" | "f64" => RustType::Float,
            "bool" => RustType::Bool,
            "String" | "str" | "char" | "PathBuf" | "IpAddr" | "Ipv4Addr" | "Ipv6Addr"
            | "SocketAddr" => RustType::Text(name),
            "()" => RustType::Unit,
            "Value" => RustType::Any,
            _ => RustType::Other,
        }
    }
}

/// The JSON Schema of a Rust type, as `#[plugin]` recorded it.
fn type_schema(ty: &str, side: Side) -> Value {
    let mut schema = match RustType::of(ty) {
        RustType::Integer(name) => integer(name, side),
        RustType::Float => json!({ "type": "number" }),
        RustType::Bool => json!({ "type": "boolean" }),
        RustType::Text(_) => json!({ "type": "string" }),
        RustType::Unit => json!({ "type": "null" }),
        RustType::Any | RustType::Other => json!({}),
        RustType::Optional(inner) => {
            json!({ "anyOf": [type_schema(inner, side), { "type": "null" }] })
        }
        RustType::List(inner) | RustType::Array(inner) => {
            json!({ "type": "array", "items": type_schema(inner, side) })
        }
        RustType::Map(inner) => match split_top_level(inner).as_slice() {
            [_, value] => {
                json!({ "type": "object", "additionalProperties": type_schema(value, side) })
            }
            _ => json!({ "type": "object" }),
        },
        RustType::Wrapped(inner) => type_schema(inner, side),
    };
    if let Some(object) = schema.as_object_mut() {
        object.insert("x-rust-type".to_owned(), json!(ty.trim()));
    }
    schema
}

/// An integer of Rust type `ty`, within its range; as an argument also a
/// string holding one, as the binder reads it (JSON's spelling of an
/// integer: no leading zero, no `-0`, no sign on a positive one).
fn integer(ty: &str, side: Side) -> Value {
    let (min, max): (i128, i128) = match ty {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" | "u128" => (0, u64::MAX.into()),
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    };
    // 128-bit types take wider JSON numbers; strings only within 64 bits.
    // Every `min` fits an i64 and every `max` a u64 (the table above).
    let mut number = json!({ "type": "integer", "minimum": min as i64 });
    if !ty.ends_with("128") {
        number["maximum"] = json!(max as u64);
    }
    if ty == "i128" {
        number.as_object_mut().map(|n| n.remove("minimum"));
    }
    match side {
        Side::Result => number,
        Side::Argument => json!({ "anyOf": [number, {
            "type": "string",
            "pattern": format!("^[ \\t\\n\\r]*(?:{})[ \\t\\n\\r]*$", range_pattern(min, max)),
        }] }),
    }
}

/// A regular expression matching exactly the decimal integers from `min`
/// to `max` as JSON spells them.
fn range_pattern(min: i128, max: i128) -> String {
    let mut alternatives = Vec::new();
    if min < 0 {
        for positive in up_to(min.unsigned_abs(), false) {
            alternatives.push(format!("-{positive}"));
        }
    }
    if max >= 0 {
        alternatives.extend(up_to(max.unsigned_abs(), min <= 0));
    }
    alternatives.join("|")
}

/// Alternatives matching 1 (or 0, with `zero`) to `max`, without leading zeros.
fn up_to(max: u128, zero: bool) -> Vec<String> {
    let digits: Vec<u8> = max.to_string().bytes().map(|b| b - b'0').collect();
    let mut alternatives = Vec::new();
    if zero {
        alternatives.push("0".to_owned());
    }
    // Every number with fewer digits than `max`.
    match digits.len() {
        1 => {}
        2 => alternatives.push("[1-9]".to_owned()),
        n => alternatives.push(format!("[1-9][0-9]{{0,{}}}", n - 2)),
    }
    // Numbers as long as `max`: a prefix of it, one smaller digit, then any.
    for (index, &digit) in digits.iter().enumerate() {
        let lowest = u8::from(index == 0);
        if digit > lowest {
            let prefix: String = digits[..index]
                .iter()
                .map(|d| char::from(b'0' + d))
                .collect();
            let rest = digits.len() - index - 1;
            let smaller = match digit - 1 == lowest {
                true => lowest.to_string(),
                false => format!("[{lowest}-{}]", digit - 1),
            };
            let tail = match rest {
                0 => String::new(),
                1 => "[0-9]".to_owned(),
                n => format!("[0-9]{{{n}}}"),
            };
            alternatives.push(format!("{prefix}{smaller}{tail}"));
        }
    }
    alternatives.push(max.to_string());
    alternatives
}

/// A value of Rust type `ty` the router accepts, for examples: `None` for a
/// type it cannot make one of (serde decides what such a type takes).
pub(super) fn sample(ty: &str) -> Option<Value> {
    Some(match RustType::of(ty) {
        RustType::Integer(_) => json!(1),
        RustType::Float => json!(1.5),
        RustType::Bool => json!(true),
        RustType::Text("char") => json!("a"),
        RustType::Text("PathBuf") => json!("file.txt"),
        RustType::Text("IpAddr" | "Ipv4Addr") => json!("127.0.0.1"),
        RustType::Text("Ipv6Addr") => json!("::1"),
        RustType::Text("SocketAddr") => json!("127.0.0.1:8080"),
        RustType::Text(_) => json!("text"),
        RustType::Any | RustType::Map(_) => json!({}),
        RustType::List(_) => json!([]),
        RustType::Optional(_) => Value::Null,
        RustType::Wrapped(inner) => return sample(inner),
        // A fixed-length array takes exactly its length; `()` no argument.
        RustType::Array(_) | RustType::Unit | RustType::Other => return None,
    })
}

/// A `#[default(..)]` expression as JSON, when it is a literal (`10`,
/// `"world".to_owned()`, `true`).
fn default_value(expression: &str) -> Option<Value> {
    let literal = [".to_owned()", ".to_string()", ".into()"]
        .iter()
        .find_map(|suffix| expression.strip_suffix(suffix))
        .unwrap_or(expression)
        .trim();
    let literal = literal
        .strip_prefix("String::from(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(literal);
    // Rust number suffixes (`10u64`) and separators (`1_000`) are not JSON.
    const SUFFIXES: [&str; 14] = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64",
    ];
    let number = SUFFIXES
        .iter()
        .find_map(|suffix| literal.strip_suffix(suffix))
        .unwrap_or(literal);
    let cleaned = number.trim_end_matches('_').replace('_', "");
    serde_json::from_str(literal)
        .or_else(|_| serde_json::from_str(&cleaned))
        .ok()
        .filter(|value: &Value| !value.is_object())
}

/// Example kwargs that work: every parameter with a default, at that
/// default, and every required one at a sample value; `None` when a
/// required parameter's type has no sample.
pub(super) fn example_kwargs(params: &[Param]) -> Option<Value> {
    let mut kwargs = Map::new();
    for param in params {
        let value = match param.default {
            // A default that is not a JSON literal (`Vec::new()`) is left to apply.
            Some(default) => default_value(default),
            None if param.optional => None,
            None => Some(sample(param.ty)?),
        };
        if let Some(value) = value {
            kwargs.insert(param.name.to_owned(), value);
        }
    }
    Some(Value::Object(kwargs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_types_map_onto_json_schema() {
        assert_eq!(
            type_schema("u64", Side::Argument)["anyOf"][0],
            json!({"type": "integer", "minimum": 0, "maximum": u64::MAX})
        );
        assert_eq!(
            type_schema("u64", Side::Result),
            json!({"type": "integer", "minimum": 0, "maximum": u64::MAX, "x-rust-type": "u64"})
        );
        assert_eq!(
            type_schema("u8", Side::Argument)["anyOf"][1]["pattern"],
            "^[ \\t\\n\\r]*(?:0|[1-9][0-9]{0,1}|1[0-9]{2}|2[0-4][0-9]|25[0-4]|255)[ \\t\\n\\r]*$"
        );
        assert_eq!(
            type_schema("i8", Side::Argument)["anyOf"][1]["pattern"],
            "^[ \\t\\n\\r]*(?:-[1-9][0-9]{0,1}|-1[0-1][0-9]|-12[0-7]|-128|0|[1-9][0-9]{0,1}|1[0-1][0-9]|12[0-6]|127)[ \\t\\n\\r]*$"
        );
        assert_eq!(type_schema("String", Side::Argument)["type"], "string");
        assert_eq!(
            type_schema("&'static str", Side::Argument)["type"],
            "string"
        );
        assert_eq!(
            type_schema("Vec<f64>", Side::Argument)["items"]["type"],
            "number"
        );
        assert_eq!(
            type_schema("Option<bool>", Side::Argument)["anyOf"][1],
            json!({"type": "null"})
        );
        assert_eq!(
            type_schema("HashMap<String, u8>", Side::Argument)["additionalProperties"]["anyOf"][0]
                ["type"],
            "integer"
        );
        assert_eq!(
            type_schema("std::collections::BTreeMap<String, String>", Side::Argument)["type"],
            "object"
        );
        assert_eq!(
            type_schema("MyType", Side::Argument),
            json!({"x-rust-type": "MyType"})
        );
        assert_eq!(ok_type("Result<u64>"), "u64");
        assert_eq!(ok_type("pop::Result<Vec<u8>, MyError>"), "Vec<u8>");
        assert_eq!(ok_type("Option<u8>"), "Option<u8>");
    }

    #[test]
    fn arrays_wrappers_and_samples_read_types_alike() {
        assert_eq!(
            type_schema("[Vec<u8>; 2]", Side::Result)["items"]["type"],
            "array"
        );
        assert_eq!(type_schema("Arc<str>", Side::Result)["type"], "string");
        assert_eq!(sample("std::sync::Arc<u32>"), Some(json!(1)));
        assert_eq!(sample("Vec<String>"), Some(json!([])));
        assert_eq!(sample("Option<u8>"), Some(Value::Null));
        assert_eq!(sample("Ipv6Addr"), Some(json!("::1")));
        assert_eq!(sample("[u8; 4]"), None, "an empty list would not fit");
        assert_eq!(sample("MyType"), None);
    }

    #[test]
    fn literal_defaults_become_json() {
        assert_eq!(default_value("10"), Some(json!(10)));
        assert_eq!(default_value("10u64"), Some(json!(10)));
        assert_eq!(default_value("1_000"), Some(json!(1000)));
        assert_eq!(default_value("\"world\".to_owned()"), Some(json!("world")));
        assert_eq!(default_value("String::from(\"x\")"), Some(json!("x")));
        assert_eq!(default_value("true"), Some(json!(true)));
        assert_eq!(default_value("Vec::new()"), None);
        assert_eq!(default_value("-2.5"), Some(json!(-2.5)));
    }
}
