//! `pop-create inspect [REF] [--json]`: the hub as the app loads it, asked
//! of the built app itself. `--json` prints the runtime's document as it
//! is (its shape is documented in the user guide); otherwise it is laid
//! out for a terminal.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::app_request;
use super::run;
use crate::cli::InspectArgs;
use crate::error::Result;
use crate::ui::Ui;

/// Prints the hub's subs, functions, declined files and options.
pub fn inspect(args: InspectArgs, ui: &Ui) -> Result<ExitCode> {
    let (project, built) = run::built_app(args.release, ui)?;
    let request = json!({"kind": "inspect", "ref": args.reference});
    let reference = args.reference.as_deref().unwrap_or_default();
    match app_request::ask_for_command(&project, &built.binary, request, reference, "show its hub")?
    {
        Ok(document) if args.json => super::call::print_json(ui, &document),
        Ok(document) => ui.out(&render(&document, args.reference.is_none())),
        Err(code) => return Ok(code),
    }
    Ok(ExitCode::SUCCESS)
}

/// The document for a terminal: one section each for subs, functions,
/// declined files and subs, and (for the whole hub) options.
fn render(document: &Value, whole: bool) -> String {
    let list = |key: &str| document[key].as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    if whole {
        let app = &document["app"];
        let _ = writeln!(out, "{} {}", text(&app["name"]), text(&app["version"]));
    }
    let subs = list("subs");
    if !subs.is_empty() {
        out.push_str("subs:\n");
        let width = column_width(subs.iter().map(|sub| text(&sub["path"]).len()));
        for sub in &subs {
            let pattern = sub["pattern"].as_str().unwrap_or("-");
            let dirs: Vec<String> = sub["dirs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|dir| format!("{} {}", text(&dir["crate"]), text(&dir["dir"])))
                .collect();
            let mut line = format!(
                "  {:width$}  {pattern:10}  {}",
                text(&sub["path"]),
                dirs.join(", ")
            );
            let aliases = strings(&sub["aliases"]);
            if !aliases.is_empty() {
                let _ = write!(line, "  (also {})", aliases.join(", "));
            }
            if sub["added"] == false {
                line.push_str("  (not added)");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let functions: Vec<Value> = subs
        .iter()
        .flat_map(|sub| sub["functions"].as_array().cloned().unwrap_or_default())
        .collect();
    if !functions.is_empty() {
        out.push_str("functions:\n");
        for function in &functions {
            render_function(&mut out, function);
        }
    }
    let declined = list("declined");
    if !declined.is_empty() {
        out.push_str("declined:\n");
        for entry in &declined {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                text(&entry["path"]),
                text(&entry["what"]),
                text(&entry["reason"])
            );
        }
    }
    let options = list("options");
    if !options.is_empty() {
        out.push_str("options:\n");
        let names: Vec<String> = options
            .iter()
            .map(|o| format!("{}.{}", text(&o["namespace"]), text(&o["name"])))
            .collect();
        let values: Vec<String> = options
            .iter()
            .map(|o| match &o["value"] {
                Value::Null => "-".to_owned(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let name_width = column_width(names.iter().map(String::len));
        let value_width = column_width(values.iter().map(String::len));
        for ((option, name), value) in options.iter().zip(&names).zip(&values) {
            let source = option["source"]["text"].as_str().unwrap_or("not set");
            let _ = writeln!(
                out,
                "  {name:name_width$}  {:6}  {value:value_width$}  {source}",
                text(&option["type"]),
            );
        }
    }
    if out.is_empty() {
        out.push_str("nothing on the hub\n");
    }
    out
}

/// One function: its signature, doc summary, aliases and contracts.
fn render_function(out: &mut String, function: &Value) {
    let params: Vec<String> = function["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|param| {
            let mut shown = format!("{}: {}", text(&param["name"]), text(&param["type"]));
            if let Some(default) = param["default"].as_str() {
                let _ = write!(shown, " = {default}");
            }
            shown
        })
        .collect();
    let _ = writeln!(
        out,
        "  {}({}) -> {}",
        text(&function["ref"]),
        params.join(", "),
        text(&function["returns"])
    );
    let doc = text(&function["doc"]);
    if !doc.is_empty() {
        let _ = writeln!(out, "      {doc}");
    }
    if function["name"] != function["rust_name"] {
        let _ = writeln!(out, "      Rust name: {}", text(&function["rust_name"]));
    }
    let aliases = strings(&function["aliases"]);
    if !aliases.is_empty() {
        let _ = writeln!(out, "      also: {}", aliases.join(", "));
    }
    let contracts: Vec<String> = function["contracts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|contract| format!("{} {}", text(&contract["stage"]), text(&contract["name"])))
        .collect();
    if !contracts.is_empty() {
        let _ = writeln!(out, "      contracts: {}", contracts.join(", then "));
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A column as wide as its widest entry, up to a terminal's reason.
fn column_width(widths: impl Iterator<Item = usize>) -> usize {
    widths.max().unwrap_or(0).min(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_laid_out_one_section_each() {
        let document = json!({
            "format": 1,
            "app": {"name": "poppy", "version": "0.1.0"},
            "subs": [{
                "path": "rpc", "pattern": "router", "aliases": ["api"], "added": true,
                "dirs": [{"crate": "poppy", "dir": "src/rpc"}],
                "functions": [{
                    "ref": "rpc.math.fib", "name": "fib", "rust_name": "fib",
                    "doc": "Return the num'th Fibonacci number.", "returns": "Result<u64>",
                    "params": [{"name": "num", "type": "u64", "default": "10", "required": false}],
                    "aliases": ["api.math.fib"],
                    "contracts": [{"stage": "pre", "name": "rpc.contracts.math.pre_fib"}]
                }]
            }],
            "declined": [{"path": "rpc.gpu", "what": "plugin", "reason": "no GPU"}],
            "options": [{
                "namespace": "poppy", "name": "port", "type": "u16", "value": 8888,
                "source": {"kind": "env", "name": "POPPY_PORT", "text": "environment variable POPPY_PORT"}
            }]
        });
        let shown = render(&document, true);
        for line in [
            "poppy 0.1.0",
            "  rpc  router      poppy src/rpc  (also api)",
            "  rpc.math.fib(num: u64 = 10) -> Result<u64>",
            "      Return the num'th Fibonacci number.",
            "      also: api.math.fib",
            "      contracts: pre rpc.contracts.math.pre_fib",
            "  rpc.gpu (plugin): no GPU",
            "  poppy.port  u16     8888  environment variable POPPY_PORT",
        ] {
            assert!(
                shown.lines().any(|l| l == line),
                "{line:?} not in:\n{shown}"
            );
        }
    }
}
