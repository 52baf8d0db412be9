//! Operating a router in production (issue 21, SPEC section 13), and its
//! `/openapi.json` held to what it does (issue 23): a project made by
//! pop-create 0.2.0, brought forward by `pop-create update` (which adds the
//! `log_format` option), built once, and spoken to over loopback.
//!
//! The tests scrape `/metrics` after known traffic and check the numbers,
//! parse the JSON log, follow a request id from the request's header to its
//! log line and into plugins and contracts, and check every exchange they
//! make against the OpenAPI document the server serves.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// Plugins that show what a call knows of its request, and misbehave.
const OPS: &str = r#"//! What a call knows of the request it serves.

use pop::prelude::*;

/// The id of the request this call serves.
#[plugin]
pub async fn whoami(_hub: &Hub) -> String {
    pop::tracing::info!(asked = true, "whoami was asked");
    pop::request_id().map(|id| id.to_string()).unwrap_or_default()
}

/// The id a call by reference made inside the request sees.
#[plugin]
pub async fn relay(hub: &Hub) -> Result<Value> {
    Ok(hub.call("rpc.ops.whoami", json!({})).await?)
}

/// The id a plain `fn`, run on the blocking pool, sees.
#[plugin]
pub fn whoami_blocking(_hub: &Hub) -> String {
    pop::request_id().map(|id| id.to_string()).unwrap_or_default()
}

/// Refused by its contract for a request whose id starts with `deny`.
#[plugin]
pub fn guarded(_hub: &Hub) -> u64 {
    7
}

/// Takes a small number (as a string too).
#[plugin]
pub fn small(_hub: &Hub, value: u8) -> u8 {
    value
}

/// Panics.
#[plugin]
pub async fn explode(_hub: &Hub) -> u64 {
    panic!("boom")
}

/// Fails.
#[plugin]
pub fn broken(_hub: &Hub) -> Result<u64> {
    bail!("broken on purpose")
}
"#;

/// A contract that reads the request id.
const OPS_CONTRACTS: &str = r#"//! Contracts of the `ops` plugins.

use pop::prelude::*;

/// Refuses a request whose id starts with `deny`.
pub fn pre_guarded(_hub: &Hub, ctx: &Ctx) -> Result<()> {
    match ctx.request_id() {
        Some(id) if id.as_str().starts_with("deny") => bail!("request {id} is denied"),
        _ => Ok(()),
    }
}
"#;

struct App {
    scratch: Scratch,
    binary: PathBuf,
}

/// The 0.2.0 fixture, updated, with the plugins above: built once.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let scratch = Scratch::new("operations");
        let project = scratch.join("poppy");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/made-by-0.2.0/poppy"),
            &project,
        );
        ok(pop_create(&project, &["update"]));
        let conf = std::fs::read_to_string(project.join("src/conf.rs")).unwrap();
        assert!(
            conf.contains(r#"Opt::string("log_format", "text")"#)
                && conf.contains(r#"Flag::new("log_format")"#),
            "update brings the log_format option:\n{conf}"
        );
        std::fs::write(project.join("src/rpc/ops.rs"), OPS).unwrap();
        std::fs::create_dir_all(project.join("src/rpc/contracts")).unwrap();
        std::fs::write(project.join("src/rpc/contracts/ops.rs"), OPS_CONTRACTS).unwrap();
        cargo(&project, &["build", "--quiet"]);
        // Other tests build projects named poppy into the shared target dir.
        let binary = scratch.join("poppy-app");
        std::fs::copy(target_dir().join("debug/poppy"), &binary).unwrap();
        App { scratch, binary }
    })
}

/// The app on a free port with `args`, its stdout and stderr piped.
fn start(args: &[&str]) -> Server {
    let app = app();
    let port = free_port().to_string();
    let mut command = Command::new(&app.binary);
    command.args(["--port", &port]).args(args);
    command.current_dir(&app.scratch.path).stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("POPPY_") {
            command.env_remove(name);
        }
    }
    Server::start(command)
}

/// One request and its answer, headers included.
#[derive(Debug)]
struct Exchange {
    method: String,
    path: String,
    request: String,
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }

    fn record(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "request": self.request,
            "status": self.status,
            "headers": self.headers,
            "body": self.body,
        })
    }
}

/// Sends one request on its own connection, with `headers`.
fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Exchange {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body.as_bytes());
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = text(&raw);
    let (head, answer) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {raw:?}"));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Exchange {
        method: method.to_owned(),
        path: path.to_owned(),
        request: body.to_owned(),
        status: head[9..12].parse().unwrap(),
        headers,
        body: answer.to_owned(),
    }
}

fn call(addr: &str, body: &str) -> Exchange {
    send(addr, "POST", "/", &[], body)
}

/// The samples of a Prometheus text exposition, by series (`name{labels}`),
/// after checking that every sample's family was declared.
fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut declared = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            declared.push(rest.split_whitespace().next().unwrap().to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let name = series.split('{').next().unwrap();
        assert!(
            declared
                .iter()
                .any(|family| name.starts_with(family.as_str())),
            "{name} has no # TYPE line"
        );
        samples.insert(series.to_owned(), value.parse().unwrap());
    }
    samples
}

#[test]
fn metrics_count_known_traffic() {
    let server = start(&[]);
    let addr = server.addr.clone();
    for _ in 0..3 {
        assert_eq!(
            call(&addr, r#"{"ref": "math.hello"}"#).json(),
            json!({"ref": "Hello, world!"})
        );
    }
    assert_eq!(
        call(&addr, r#"{"ref": "ops.small", "kwargs": {"value": 300}}"#).status,
        400
    );
    assert_eq!(call(&addr, r#"{"ref": "ops.nothing"}"#).status, 404);
    assert_eq!(call(&addr, r#"{"ref": "ops.explode"}"#).status, 500);
    assert_eq!(call(&addr, r#"{"ref": "ops.broken"}"#).status, 500);
    let refused = send(
        &addr,
        "POST",
        "/",
        &[("X-Request-Id", "deny-7")],
        r#"{"ref": "ops.guarded"}"#,
    );
    assert_eq!(refused.status, 403);
    let huge = " ".repeat(1024 * 1024 + 1);
    assert_eq!(call(&addr, &huge).status, 413);
    for _ in 0..2 {
        assert_eq!(send(&addr, "GET", "/healthz", &[], "").status, 200);
    }
    assert_eq!(send(&addr, "HEAD", "/healthz", &[], "").status, 200);
    assert_eq!(send(&addr, "GET", "/nowhere", &[], "").status, 404);

    let scrape = send(&addr, "GET", "/metrics", &[], "");
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let metrics = samples(&scrape.body);
    let value = |series: &str| -> f64 {
        *metrics
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in\n{}", scrape.body))
    };
    let requests = |reference: &str, outcome: &str| {
        value(&format!(
            r#"pop_router_requests_total{{ref="{reference}",outcome="{outcome}"}}"#
        ))
    };
    assert_eq!(requests("math.hello", "ok"), 3.0);
    assert_eq!(requests("math.greet_all", "ok"), 0.0);
    assert_eq!(requests("ops.small", "bad_arguments"), 1.0);
    assert_eq!(requests("/", "unknown_ref"), 1.0);
    assert_eq!(requests("ops.explode", "panic"), 1.0);
    assert_eq!(requests("ops.broken", "plugin_error"), 1.0);
    assert_eq!(requests("ops.guarded", "contract_refused"), 1.0);
    assert_eq!(requests("/", "payload_too_large"), 1.0);
    assert_eq!(requests("/healthz", "ok"), 3.0);
    assert_eq!(requests("other", "not_found"), 1.0);
    assert_eq!(
        value(r#"pop_router_contract_refusals_total{ref="ops.guarded"}"#),
        1.0
    );
    assert_eq!(
        value(r#"pop_router_rejected_bodies_total{reason="payload_too_large",status="413"}"#),
        1.0
    );
    assert_eq!(
        value(r#"pop_router_rejected_bodies_total{reason="request_timeout",status="408"}"#),
        0.0
    );
    let histogram = |suffix: &str| {
        value(&format!(
            r#"pop_router_request_duration_seconds_{suffix}{{ref="math.hello"}}"#
        ))
    };
    assert_eq!(histogram("count"), 3.0);
    assert!(histogram("sum") > 0.0);
    assert_eq!(
        value(r#"pop_router_request_duration_seconds_bucket{ref="math.hello",le="+Inf"}"#),
        3.0
    );
    // The scrape itself is in flight, on its own connection.
    assert_eq!(value("pop_router_requests_in_flight"), 1.0);
    assert!(value("pop_router_open_connections") >= 1.0);
    assert_eq!(value("pop_log_dropped_lines_total"), 0.0);
    assert!(value("process_cpu_seconds_total") >= 0.0);
    assert!(value("process_resident_memory_bytes") > 1e6);
    assert!(value("process_open_fds") >= 3.0);
    assert!(value("pop_uptime_seconds") > 0.0);

    let head = send(&addr, "HEAD", "/metrics", &[], "");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    // Counted as it is served: the scrape before this one is in the count.
    let again = samples(&send(&addr, "GET", "/metrics", &[], "").body);
    assert_eq!(
        again[r#"pop_router_requests_total{ref="/metrics",outcome="ok"}"#],
        2.0
    );
}

#[test]
fn a_request_id_goes_from_header_to_plugin_contract_and_json_log() {
    let scratch = Scratch::new("operations-ids");
    let log = scratch.join("app.log");
    let server = start(&[
        "--log-format",
        "json",
        "--log-file",
        &log.display().to_string(),
    ]);
    let addr = server.addr.clone();
    let sent = "trace-4f2a:edge/1";
    for reference in ["ops.whoami", "ops.relay", "ops.whoami_blocking"] {
        let answer = send(
            &addr,
            "POST",
            "/",
            &[("X-Request-Id", sent)],
            &format!(r#"{{"ref": "{reference}"}}"#),
        );
        assert_eq!(answer.header("x-request-id"), Some(sent), "{reference}");
        assert_eq!(answer.json(), json!({ "ref": sent }), "{reference}");
    }
    // Without one, or with one that is not sane, a fresh id, the same in the
    // header and inside the call; never the one sent.
    let oversized = "a".repeat(129);
    let mut fresh = Vec::new();
    for header in [None, Some(oversized.as_str()), Some("<script>"), Some("")] {
        let headers: Vec<(&str, &str)> = header.map(|h| ("X-Request-Id", h)).into_iter().collect();
        let answer = send(&addr, "POST", "/", &headers, r#"{"ref": "ops.whoami"}"#);
        let id = answer.header("x-request-id").expect("an id").to_owned();
        assert_eq!(answer.json(), json!({ "ref": id }));
        assert!(Some(id.as_str()) != header, "{id} was not replaced");
        assert!(
            id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{id}"
        );
        fresh.push(id);
    }
    fresh.sort();
    fresh.dedup();
    assert_eq!(fresh.len(), 4, "fresh ids are unique: {fresh:?}");
    // Every answer carries one, errors and the health check included.
    let health = send(
        &addr,
        "GET",
        "/healthz",
        &[("X-Request-Id", "lb-probe-1")],
        "",
    );
    assert_eq!(health.header("x-request-id"), Some("lb-probe-1"));
    // Contracts read it.
    let refused = send(
        &addr,
        "POST",
        "/",
        &[("X-Request-Id", "deny-42")],
        r#"{"ref": "ops.guarded"}"#,
    );
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("x-request-id"), Some("deny-42"));
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("request deny-42 is denied"),
        "{}",
        refused.body
    );
    let allowed = send(
        &addr,
        "POST",
        "/",
        &[("X-Request-Id", "allow-42")],
        r#"{"ref": "ops.guarded"}"#,
    );
    assert_eq!(allowed.json(), json!({"ref": 7}));
    let (code, stderr) = server.terminate();
    assert_eq!(code, Some(0), "{stderr}");

    // The log: one JSON object per line, every line.
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect();
    for line in &lines {
        for key in ["time", "level", "target", "message"] {
            assert!(line[key].is_string(), "no {key} in {line}");
        }
    }
    let request = lines
        .iter()
        .find(|line| line["ref"] == "ops.whoami" && line["id"] == sent)
        .unwrap_or_else(|| panic!("no request line for {sent}:\n{logged}"));
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/");
    assert_eq!(request["status"], 200);
    assert_eq!(request["level"], "INFO");
    assert!(
        request["duration"].as_f64().is_some_and(|d| d > 0.0),
        "{request}"
    );
    // What the plugin logged while it served the request carries its id:
    // once for the direct call, once through the relay.
    let plugin_lines: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "whoami was asked" && line["id"] == sent)
        .collect();
    assert_eq!(plugin_lines.len(), 2, "{logged}");
    assert_eq!(plugin_lines[0]["asked"], true);
    assert!(
        plugin_lines[0]["target"]
            .as_str()
            .unwrap()
            .ends_with("rpc::ops"),
        "{}",
        plugin_lines[0]
    );
    let refusal = lines
        .iter()
        .find(|line| line["id"] == "deny-42" && line["status"] == 403)
        .expect("the refusal is logged with its id");
    assert_eq!(refusal["ref"], "ops.guarded");
}

#[test]
fn an_unknown_log_format_stops_start_up_naming_the_option() {
    let app = app();
    let output = Command::new(&app.binary)
        .args(["--log-format", "xml", "--port", "0"])
        .env_remove("POPPY_LOG_FORMAT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("log_format") && stderr.contains("--log-format") && stderr.contains("xml"),
        "{stderr}"
    );
}

/// Checks exchanges against the OpenAPI document: each path and method
/// declared or answered 405/404; each status declared; each body of the
/// declared media type and schema; the request id header as declared; and
/// each call body valid for the request schema exactly when the server
/// took it (a valid one is never 400 or 404, a 200 was valid).
const CHECK_EXCHANGES: &str = r#"
import json, re, sys
from jsonschema import Draft202012Validator
data = json.load(open(sys.argv[1]))
document, problems = data["document"], []

def validator(schema):
    root = dict(schema)
    root["components"] = document["components"]
    return Draft202012Validator(root)

for ex in data["exchanges"]:
    name = f'{ex["method"]} {ex["path"]} {ex["request"][:80]!r} -> {ex["status"]}'
    item = document["paths"].get(ex["path"])
    operation = (item or {}).get(ex["method"].lower())
    if operation is None:
        expected = 405 if item else 404
        if ex["status"] != expected:
            problems.append(f"{name}: undeclared, so {expected}")
        continue
    response = operation["responses"].get(str(ex["status"]))
    if response is None:
        problems.append(f"{name}: status not declared")
        continue
    for header in response.get("headers", {}):
        value = ex["headers"].get(header.lower())
        if value is None or not re.fullmatch(r"[A-Za-z0-9._:+/=@~-]{1,128}", value):
            problems.append(f"{name}: header {header} is {value!r}")
    content = response.get("content")
    if ex["method"] == "HEAD" or not content:
        if ex["body"]:
            problems.append(f"{name}: a body where none is declared")
    else:
        media = ";".join(p.strip() for p in ex["headers"].get("content-type", "").split(";")
                         if not p.strip().startswith("charset"))
        media = media.replace(";", "; ")
        if media not in content:
            problems.append(f"{name}: {media!r} is not one of {list(content)}")
        elif media == "application/json":
            errors = list(validator(content[media]["schema"]).iter_errors(json.loads(ex["body"])))
            if errors:
                problems.append(f"{name}: the body does not fit its schema: {errors[0].message}")
    body = operation.get("requestBody")
    if body and ex["method"] != "HEAD" and ex["request"].strip():
        try:
            valid = validator(body["content"]["application/json"]["schema"]).is_valid(json.loads(ex["request"]))
        except ValueError:
            valid = False
        if ex["status"] == 200 and not valid:
            problems.append(f"{name}: answered 200, but the document says the body is invalid")
        if valid and ex["status"] in (400, 404):
            problems.append(f"{name}: the document says the body is valid")

for problem in problems:
    print(problem)
print(f'{len(data["exchanges"])} exchanges checked, {len(problems)} problems')
sys.exit(1 if problems else 0)
"#;

/// A Python with jsonschema: the one beside CI's openapi-spec-validator,
/// else `python3`; `None` (outside CI) when there is none.
fn python_with_jsonschema() -> Option<PathBuf> {
    let python = std::env::var_os("POP_CREATE_OPENAPI_VALIDATOR")
        .map(PathBuf::from)
        .and_then(|validator| Some(validator.parent()?.join("python")))
        .unwrap_or_else(|| "python3".into());
    let found = Command::new(&python)
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|output| output.status.success());
    match found {
        true => Some(python),
        false if std::env::var_os("CI").is_none() => None,
        false => panic!("CI must provide {} with jsonschema", python.display()),
    }
}

#[test]
fn openapi_describes_exactly_what_the_server_answers() {
    let server = start(&[]);
    let addr = server.addr.clone();
    let mut exchanges = Vec::new();
    let document = send(&addr, "GET", "/openapi.json", &[], "");
    let parsed = document.json();
    exchanges.push(document);

    // Every function's example works as given: required kwargs included.
    let examples =
        parsed["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]["examples"]
            .as_object()
            .unwrap();
    assert!(examples.contains_key("math.greet_all"), "{examples:?}");
    for (reference, example) in examples {
        let answer = call(&addr, &example["value"].to_string());
        assert!(
            answer.status == 200 || reference.starts_with("ops."),
            "{reference}'s example answers {}: {}",
            answer.status,
            answer.body
        );
        exchanges.push(answer);
    }
    // Numeric strings are taken exactly as the document's pattern says.
    for value in [
        "\"0\"",
        "\"7\"",
        "\"255\"",
        "\"256\"",
        "\"070\"",
        "\"-0\"",
        "\"-1\"",
        "\"1e2\"",
        "\" 7\"",
        "\"7\\n\"",
        "\"\\u00a07\"",
        "\"7.0\"",
        "\"+7\"",
        "\"00\"",
        "7",
        "255",
        "256",
        "-1",
        "7.5",
        "null",
        "\"x\"",
        "true",
    ] {
        let body = format!(r#"{{"ref": "ops.small", "kwargs": {{"value": {value}}}}}"#);
        exchanges.push(call(&addr, &body));
    }
    for body in [
        "",
        "  ",
        r#"{"ref": "math.hello"}"#,
        r#"{"ref": "math.hello", "kwargs": null}"#,
        r#"{"ref": "math.hello", "kwargs": {"name": null}}"#,
        r#"{"ref": "math.hello", "kwargs": {"name": "ada"}}"#,
        r#"{"ref": "math.hello", "kwargs": {"name": 7}}"#,
        r#"{"ref": "math.hello", "kwargs": {"nmae": "ada"}}"#,
        r#"{"ref": "math.greet_all", "kwargs": {"names": ["ada", "grace"]}}"#,
        r#"{"ref": "math.greet_all"}"#,
        r#"{"ref": "math.greet_all", "kwargs": null}"#,
        r#"{"ref": "math.nope"}"#,
        r#"{"ref": 7}"#,
        r#"{"kwargs": {}}"#,
        r#"{"ref": "math.hello", "kwarg": {}}"#,
        "not json",
        "[1, 2]",
        r#"{"ref": "ops.whoami"}"#,
        r#"{"ref": "ops.guarded"}"#,
        r#"{"ref": "ops.explode"}"#,
        r#"{"ref": "ops.broken"}"#,
    ] {
        exchanges.push(send(&addr, "POST", "/", &[], body));
        exchanges.push(send(&addr, "GET", "/", &[], body));
    }
    exchanges.push(send(&addr, "POST", "/", &[], &" ".repeat(1024 * 1024 + 1)));
    exchanges.push(send(
        &addr,
        "POST",
        "/",
        &[("X-Request-Id", "deny-1")],
        r#"{"ref": "ops.guarded"}"#,
    ));
    for path in ["/", "/healthz", "/metrics", "/openapi.json", "/nowhere"] {
        for method in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "PATCH",
        ] {
            exchanges.push(send(&addr, method, path, &[], ""));
        }
    }
    // An undeclared method names the ones the path answers.
    let trace = send(&addr, "TRACE", "/healthz", &[], "");
    assert_eq!(trace.status, 405);
    assert_eq!(trace.header("allow"), Some("GET, HEAD"));

    let Some(python) = python_with_jsonschema() else {
        eprintln!(
            "python3 with jsonschema is not installed: exchanges not checked against /openapi.json"
        );
        return;
    };
    let scratch = Scratch::new("operations-openapi");
    let file = scratch.join("exchanges.json");
    let records: Vec<Value> = exchanges.iter().map(Exchange::record).collect();
    std::fs::write(
        &file,
        json!({ "document": parsed, "exchanges": records }).to_string(),
    )
    .unwrap();
    let output = Command::new(python)
        .args(["-c", CHECK_EXCHANGES])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the server does not do what /openapi.json says:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
