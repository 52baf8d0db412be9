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
    let results: Vec<Value> = functions
        .iter()
        .map(|f| result_schema(&relative(f), f))
        .collect();
    let examples: Map<String, Value> = functions
        .iter()
        .map(|f| {
            let reference = relative(f);
            let example = json!({
                "summary": summary(f.doc()),
                "value": { "ref": reference, "kwargs": example_kwargs(f.params()) },
            });
            (reference, example)
        })
        .collect();
    let error_response = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        })
    };
    let operation = |id: &str| {
        json!({
            "operationId": id,
            "summary": format!("Call a plugin function of `{sub}` by reference"),
            "requestBody": {
                "required": true,
                "content": { "application/json": {
                    "schema": { "oneOf": calls, "discriminator": { "propertyName": "ref" } },
                    "examples": examples,
                } },
            },
            "responses": {
                "200": {
                    "description": "The function's result, under `ref`.",
                    "content": { "application/json": { "schema": { "oneOf": results } } },
                },
                "400": error_response("The body is not a call (`bad_request`), or the kwargs do not fit (`bad_arguments`, naming the parameter)."),
                "403": error_response("A `pre` contract refused the call (`contract_refused`, naming the contract)."),
                "404": error_response("No such function in this sub (`unknown_ref`); a declined plugin's says why."),
                "408": error_response("The body stalled or took too long (`request_timeout`)."),
                "413": error_response("The body is over 1 MiB (`payload_too_large`)."),
                "500": error_response("The function returned an error (`plugin_error`) or panicked (`panic`)."),
                "503": error_response("Other large requests hold the memory set aside for bodies (`busy`)."),
            },
        })
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{name}: the `{sub}` router"),
            "version": version,
            "description": format!(
                "Calls of the plugin functions of the `{sub}` sub: `POST /` (or `GET /`) with \
                 `{{\"ref\": \"<file>.<function>\", \"kwargs\": {{…}}}}` answers `{{\"ref\": <result>}}`."
            ),
        },
        "servers": [{ "url": format!("http://{local}") }],
        "paths": {
            "/": { "post": operation("call"), "get": operation("call_with_get") },
            "/healthz": { "get": {
                "operationId": "healthz",
                "summary": "Health check; calls no plugin.",
                "responses": { "200": { "description": "The router is serving." } },
            } },
        },
        "components": { "schemas": { "Error": {
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["kind", "message"],
                "properties": {
                    "kind": { "type": "string" },
                    "message": { "type": "string" },
                    "parameter": { "type": "string", "description": "The parameter at fault (`bad_arguments`)." },
                    "contract": { "type": "string", "description": "The contract that refused (`contract_refused`)." },
                },
            } },
        } } },
    })
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
        let mut schema = type_schema(param.ty);
        if let Some(default) = param.default.and_then(default_value) {
            schema["default"] = default;
        } else if let Some(default) = param.default {
            schema["x-rust-default"] = json!(default);
        }
        if param.is_required() {
            required.push(param.name);
        }
        properties.insert(param.name.to_owned(), schema);
    }
    let mut kwargs =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        kwargs["required"] = json!(required);
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

/// What a successful call of `function` answers.
fn result_schema(reference: &str, function: &Function) -> Value {
    json!({
        "title": reference,
        "type": "object",
        "properties": { "ref": type_schema(ok_type(function.returns())) },
        "required": ["ref"],
    })
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

/// The JSON Schema of a Rust type, as `#[plugin]` recorded it.
fn type_schema(ty: &str) -> Value {
    let ty = ty.trim();
    let generic = ty.find('<').map(|open| {
        let outer = ty[..open].rsplit("::").next().unwrap_or(&ty[..open]);
        (outer, &ty[open + 1..ty.len().saturating_sub(1)])
    });
    let name = ty
        .trim_start_matches('&')
        .trim_start_matches("'static ")
        .trim();
    let last = name.rsplit("::").next().unwrap_or(name);
    let schema = match (last, generic) {
        ("u8" | "u16" | "u32" | "u64" | "u128" | "usize", None) => integer(Some(0)),
        ("i8" | "i16" | "i32" | "i64" | "i128" | "isize", None) => integer(None),
        ("f32" | "f64", None) => json!({ "type": "number" }),
        ("bool", None) => json!({ "type": "boolean" }),
        (
            "String" | "str" | "char" | "PathBuf" | "IpAddr" | "Ipv4Addr" | "Ipv6Addr"
            | "SocketAddr",
            None,
        ) => {
            json!({ "type": "string" })
        }
        ("()", None) => json!({ "type": "null" }),
        ("Value", None) => json!({}),
        (_, Some(("Option", inner))) => {
            let inner = type_schema(inner);
            json!({ "anyOf": [inner, { "type": "null" }] })
        }
        (_, Some(("Vec" | "VecDeque" | "HashSet" | "BTreeSet", inner))) => {
            json!({ "type": "array", "items": type_schema(inner) })
        }
        (_, Some(("HashMap" | "BTreeMap", inner))) => match split_top_level(inner).as_slice() {
            [_, value] => json!({ "type": "object", "additionalProperties": type_schema(value) }),
            _ => json!({ "type": "object" }),
        },
        (_, Some(("Box" | "Arc" | "Rc" | "Cow", inner))) => {
            type_schema(split_top_level(inner).last().copied().unwrap_or(inner))
        }
        _ if name.starts_with('[') && name.ends_with(']') => {
            let inner = name[1..name.len() - 1]
                .split(';')
                .next()
                .unwrap_or_default();
            json!({ "type": "array", "items": type_schema(inner) })
        }
        _ => json!({}),
    };
    let mut schema = schema;
    if let Some(object) = schema.as_object_mut() {
        object.insert("x-rust-type".to_owned(), json!(ty));
    }
    schema
}

/// An integer, which the router also takes as a string of digits.
fn integer(minimum: Option<u64>) -> Value {
    let (number, digits) = match minimum {
        Some(minimum) => (json!({ "type": "integer", "minimum": minimum }), "^[0-9]+$"),
        None => (json!({ "type": "integer" }), "^-?[0-9]+$"),
    };
    json!({ "anyOf": [number, { "type": "string", "pattern": digits }] })
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

/// Example kwargs: every parameter with a default, at that default.
fn example_kwargs(params: &[Param]) -> Value {
    let kwargs: Map<String, Value> = params
        .iter()
        .filter_map(|param| Some((param.name.to_owned(), default_value(param.default?)?)))
        .collect();
    Value::Object(kwargs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_types_map_onto_json_schema() {
        assert_eq!(
            type_schema("u64")["anyOf"][0],
            json!({"type": "integer", "minimum": 0})
        );
        assert_eq!(type_schema("i32")["anyOf"][1]["pattern"], "^-?[0-9]+$");
        assert_eq!(type_schema("String")["type"], "string");
        assert_eq!(type_schema("&'static str")["type"], "string");
        assert_eq!(type_schema("Vec<f64>")["items"]["type"], "number");
        assert_eq!(
            type_schema("Option<bool>")["anyOf"][1],
            json!({"type": "null"})
        );
        assert_eq!(
            type_schema("HashMap<String, u8>")["additionalProperties"]["anyOf"][0]["type"],
            "integer"
        );
        assert_eq!(
            type_schema("std::collections::BTreeMap<String, String>")["type"],
            "object"
        );
        assert_eq!(type_schema("MyType"), json!({"x-rust-type": "MyType"}));
        assert_eq!(ok_type("Result<u64>"), "u64");
        assert_eq!(ok_type("pop::Result<Vec<u8>, MyError>"), "Vec<u8>");
        assert_eq!(ok_type("Option<u8>"), "Option<u8>");
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
