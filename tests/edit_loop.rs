//! The edit–call–see loop (SPEC section 11), end to end: `pop-create call`
//! and `inspect` on a generated router app with a contract, a declined
//! plugin file, an alias and a noisy load hook; `run --watch` through an
//! edit, a broken edit, a fix and a config change, under a request loop
//! that counts refused connections, then Ctrl-C; an app without a router,
//! and one whose `cli` never starts its hub; and a project made by 0.2.0,
//! updated, taking calls with its own `main.rs`.
//!
//! Each scenario has a project of its own name (generated projects share
//! one target directory, and so the path of their binary).

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

/// How long anything here may take before the test gives up: a cold build
/// on a loaded two-core machine. Never a measure of speed.
const PATIENCE: Duration = Duration::from_secs(600);

/// `rpc.math`'s contract: fib(93) is past `u64::MAX`.
const CONTRACT: &str = r#"//! The contracts of `rpc/math.rs`.

use pop::prelude::*;

/// Refuses what `u64` cannot hold.
pub fn pre_fib(_hub: &Hub, ctx: &Ctx) -> Result<()> {
    match ctx.arg::<u64>("num")? {
        Some(num) if num > 90 => bail!("num is at most 90, not {num}"),
        _ => Ok(()),
    }
}
"#;

/// A plugin file that never loads here.
const GPU: &str = r#"//! Functions for machines with a GPU.

use pop::prelude::*;

/// Load condition: declines everywhere in these tests.
pub fn available(_hub: &Hub) -> Result<()> {
    bail!("no GPU on this machine")
}

/// Multiplies on the GPU.
#[plugin]
pub fn multiply(_hub: &Hub, a: u64, b: u64) -> u64 {
    a * b
}
"#;

/// Functions that read the configuration, fail, and go by another name.
const ADMIN: &str = r#"//! Administration.

use pop::prelude::*;

/// The port the app would serve on, as its configuration says.
#[plugin]
pub fn port(hub: &Hub) -> Result<u16> {
    Ok(crate::Config::from_hub(hub)?.port)
}

/// Always fails.
#[plugin]
pub fn broken(_hub: &Hub) -> Result<u64> {
    bail!("the disk is full")
}

/// Every setting at once.
#[plugin(name = "list-all")]
pub fn list_all(hub: &Hub) -> Value {
    hub.opt().clone()
}
"#;

/// A load hook that prints, as apps do: never on `call`'s stdout.
const NOISY: &str = r#"//! A sub that says when it loads.

use pop::prelude::*;

/// Load hook.
pub fn init(_hub: &mut Hub) -> Result<()> {
    println!("the noisy sub is loaded");
    Ok(())
}
"#;

/// `new looper`, a router with SPEC's math.rs, a contract, a declined
/// plugin file, an alias and a noisy sub; built once.
fn looper() -> &'static Path {
    static LOOPER: OnceLock<(Scratch, PathBuf)> = OnceLock::new();
    let (_, project) = LOOPER.get_or_init(|| {
        let scratch = Scratch::new("looper");
        ok(pop_create(
            &scratch.path,
            &["new", "looper", "--vcs", "none"],
        ));
        let project = scratch.join("looper");
        ok(pop_create(
            &project,
            &["add-sub", "rpc", "--pattern", "router"],
        ));
        ok(pop_create(&project, &["add-sub", "noisy"]));
        for (path, text) in [
            ("src/rpc/math.rs", SPEC_MATH),
            ("src/rpc/contracts/math.rs", CONTRACT),
            ("src/rpc/gpu.rs", GPU),
            ("src/rpc/admin.rs", ADMIN),
            ("src/noisy/init.rs", NOISY),
        ] {
            let path = project.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        cargo(&project, &["build", "--quiet"]);
        (scratch, project)
    });
    project
}

/// `pop-create ARGS` in `dir`, with no configuration from this machine.
fn pop(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = command(env!("CARGO_BIN_EXE_pop-create"), dir, args);
    clean_env(&mut command);
    command.envs(env.iter().copied());
    command.output().expect("pop-create runs")
}

/// Leaves out every variable a generated app here would read.
fn clean_env(command: &mut Command) {
    for (name, _) in std::env::vars() {
        let apps = [
            "LOOPER_",
            "WATCHER_",
            "PLAINAPP_",
            "POPPY_",
            "POP_HUB_",
            "LISTEN_",
        ];
        if apps.iter().any(|prefix| name.starts_with(prefix)) {
            command.env_remove(name);
        }
    }
}

/// The one `error:` line (and `hint:` line) of a failed command.
fn error_lines(output: &Output) -> Vec<String> {
    text(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("error:") || line.starts_with("hint:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn call_prints_one_result_as_json_through_contracts_and_config_layers() {
    let project = looper();
    let call = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["call"];
        all.extend_from_slice(args);
        pop(project, &all, env)
    };

    let fib = ok(call(&["math.fib", "num=11"], &[]));
    assert_eq!(text(&fib.stdout), "89\n", "only the result is on stdout");
    let stderr = text(&fib.stderr);
    assert!(stderr.contains("the noisy sub is loaded"), "{stderr}");
    assert!(
        !stderr.contains("Hello from looper!"),
        "the app's cli stops at the hub's start"
    );
    let full = ok(call(&["rpc.math.fib", "--kwargs", r#"{"num": 12}"#], &[]));
    assert_eq!(text(&full.stdout), "144\n");
    let both = ok(call(
        &["math.fib", "--kwargs", r#"{"num": 1}"#, "num=11"],
        &[],
    ));
    assert_eq!(text(&both.stdout), "89\n", "KEY=VALUE wins over --kwargs");
    let defaults = ok(call(&["math.triple"], &[]));
    assert_eq!(text(&defaults.stdout), "30\n");
    let alias = ok(call(&["admin.list-all"], &[]));
    let settings: Value = serde_json::from_slice(&alias.stdout).unwrap();
    assert_eq!(settings["looper"]["port"], json!(8888));

    // The environment and the config file, as the app reads them.
    let from_env = ok(call(&["admin.port"], &[("LOOPER_PORT", "9999")]));
    assert_eq!(text(&from_env.stdout), "9999\n");
    let file = project.join("looper-test.toml");
    std::fs::write(&file, "port = 7777\n").unwrap();
    let file_text = file.display().to_string();
    let from_file = ok(call(&["admin.port"], &[("LOOPER_CONFIG", &file_text)]));
    assert_eq!(text(&from_file.stdout), "7777\n");
    let bad_config = call(&["admin.port"], &[("LOOPER_PORT", "many")]);
    assert_eq!(bad_config.status.code(), Some(2), "the app's own exit code");
    assert!(text(&bad_config.stderr).contains("LOOPER_PORT"));

    // Failures: the kind, one line, and the exit code.
    let refused = call(&["math.fib", "num=95"], &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    let lines = error_lines(&refused);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("error: contract_refused: the contract `rpc.contracts.math.pre_fib`"),
        "{lines:?}"
    );
    assert!(lines[0].contains("num is at most 90, not 95"), "{lines:?}");
    let failed = call(&["admin.broken"], &[]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        error_lines(&failed)[0].starts_with("error: plugin_error: "),
        "{:?}",
        error_lines(&failed)
    );

    let unknown = call(&["math.fibb"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    let lines = error_lines(&unknown);
    assert_eq!(
        lines[0],
        "error: unknown_ref: unknown reference `math.fibb`: sub `rpc` has no plugin function with this reference"
    );
    assert!(
        lines[1].starts_with("hint: did you mean `math.fib`"),
        "{lines:?}"
    );
    let declined = call(&["gpu.multiply", "a=2", "b=3"], &[]);
    assert_eq!(declined.status.code(), Some(2));
    assert!(
        error_lines(&declined)[0].contains("no GPU on this machine"),
        "{:?}",
        error_lines(&declined)
    );
    let bad_argument = call(&["math.triple", "num=eleven"], &[]);
    assert_eq!(bad_argument.status.code(), Some(2));
    assert!(error_lines(&bad_argument)[0].starts_with("error: bad_arguments: bad argument `num`"));
    for bad in [
        vec!["math.fib", "--kwargs", "{nope"],
        vec!["math.fib", "--kwargs", "[11]"],
        vec!["math.fib", "11"],
    ] {
        let output = call(&bad, &[]);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        let lines = error_lines(&output);
        assert!(lines[0].starts_with("error: "), "{bad:?}: {lines:?}");
        assert!(lines.len() <= 2, "{bad:?}: {lines:?}");
    }
    let outside = pop(project.parent().unwrap(), &["call", "math.fib"], &[]);
    assert_eq!(outside.status.code(), Some(2));
    assert!(error_lines(&outside)[0].starts_with("error: not inside a pop project"));
}

#[test]
fn call_works_beside_the_app_serving_on_its_port() {
    let project = looper();
    let port = free_port().to_string();
    let mut run = command(env!("CARGO_BIN_EXE_pop-create"), project, &["run"]);
    clean_env(&mut run);
    run.env("LOOPER_PORT", &port);
    let server = Server::start(run);
    let fib = ok(pop(
        project,
        &["call", "math.fib", "num=11"],
        &[("LOOPER_PORT", &port)],
    ));
    assert_eq!(
        text(&fib.stdout),
        "89\n",
        "no start hook ran: the port was not asked for"
    );
    assert_eq!(
        server.get(r#"{"ref": "math.fib"}"#).json(),
        json!({"ref": 55})
    );
    let (code, _) = server.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn inspect_shows_subs_functions_contracts_declined_files_and_options() {
    let project = looper();
    let output = ok(pop(
        project,
        &["inspect", "--json"],
        &[("LOOPER_PORT", "9999")],
    ));
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["format"], 1);
    assert_eq!(document["app"]["name"], "looper");
    let sub = |path: &str| -> Value {
        document["subs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|sub| sub["path"] == path)
            .unwrap_or_else(|| panic!("no sub {path}: {document:#}"))
            .clone()
    };
    assert_eq!(sub("looper")["pattern"], "spine");
    assert_eq!(sub("noisy")["pattern"], "library");
    let rpc = sub("rpc");
    assert_eq!(rpc["pattern"], "router");
    assert_eq!(rpc["dirs"], json!([{"crate": "looper", "dir": "src/rpc"}]));
    let function = |reference: &str| -> Value {
        rpc["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|function| function["ref"] == reference)
            .unwrap_or_else(|| panic!("no function {reference}: {rpc:#}"))
            .clone()
    };
    let fib = function("rpc.math.fib");
    assert_eq!(
        fib["params"],
        json!([{"name": "num", "type": "u64", "default": "10", "required": false}])
    );
    assert_eq!(fib["returns"], "Result<u64>");
    assert_eq!(fib["doc"], "Return the num'th Fibonacci number.");
    assert_eq!(fib["async"], true);
    assert_eq!(fib["file"], "src/rpc/math.rs");
    assert_eq!(
        fib["contracts"],
        json!([{"stage": "pre", "name": "rpc.contracts.math.pre_fib"}])
    );
    assert_eq!(function("rpc.math.triple")["contracts"], json!([]));
    let list_all = function("rpc.admin.list-all");
    assert_eq!(
        (list_all["name"].as_str(), list_all["rust_name"].as_str()),
        (Some("list-all"), Some("list_all"))
    );
    assert!(
        rpc["functions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["ref"] != "rpc.gpu.multiply"),
        "a declined file's functions are not on the hub"
    );
    assert_eq!(
        document["declined"],
        json!([{"path": "rpc.gpu", "what": "plugin", "reason": "no GPU on this machine"}])
    );
    let port = document["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|option| option["namespace"] == "looper" && option["name"] == "port")
        .unwrap();
    assert_eq!(port["value"], 9999);
    assert_eq!(port["type"], "u16");
    assert_eq!(port["default"], 8888);
    assert_eq!(port["source"]["kind"], "env");
    assert_eq!(port["source"]["name"], "LOOPER_PORT");

    // For a terminal, and narrowed.
    let shown = text(&ok(pop(project, &["inspect"], &[])).stdout);
    for line in [
        "looper 0.1.0",
        "  rpc.math.fib(num: u64 = 10) -> Result<u64>",
        "      contracts: pre rpc.contracts.math.pre_fib",
        "  rpc.gpu (plugin): no GPU on this machine",
    ] {
        assert!(
            shown.lines().any(|l| l == line),
            "{line:?} not in:\n{shown}"
        );
    }
    assert!(
        shown.contains("looper.port") && shown.contains("the default"),
        "{shown}"
    );
    let one = text(&ok(pop(project, &["inspect", "math.fib"], &[])).stdout);
    assert!(one.contains("rpc.math.fib(num: u64 = 10)"), "{one}");
    assert!(
        !one.contains("triple") && !one.contains("looper.port"),
        "{one}"
    );
    let narrowed = ok(pop(
        project,
        &["inspect", "rpc.gpu.multiply", "--json"],
        &[],
    ));
    let narrowed: Value = serde_json::from_slice(&narrowed.stdout).unwrap();
    assert_eq!(narrowed["declined"][0]["path"], "rpc.gpu", "{narrowed:#}");
    let unknown = pop(project, &["inspect", "nope.nope"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(error_lines(&unknown)[0].starts_with("error: unknown_ref: "));
}

/// `pop-create run --watch` with its output collected as it comes.
struct Watch {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    fn start(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Watch {
        let mut all = vec!["run", "--watch", "--"];
        all.extend_from_slice(args);
        let mut command = command(env!("CARGO_BIN_EXE_pop-create"), project, &all);
        clean_env(&mut command);
        command.envs(env.iter().copied());
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("pop-create starts");
        let collect = |pipe: Box<dyn Read + Send>| {
            let collected = Arc::new(Mutex::new(String::new()));
            let into = collected.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut into = into.lock().unwrap();
                    into.push_str(&line);
                    into.push('\n');
                }
            });
            collected
        };
        let stdout = collect(Box::new(child.stdout.take().unwrap()));
        let stderr = collect(Box::new(child.stderr.take().unwrap()));
        Watch {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits until `done` holds of (stdout, stderr); panics with both if never.
    fn wait_for(&self, what: &str, done: impl Fn(&str, &str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if done(&self.stdout.lock().unwrap(), &self.stderr.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "never saw {what}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        );
    }

    /// How many times `needle` is in stderr.
    fn count(&self, needle: &str) -> usize {
        self.stderr.lock().unwrap().matches(needle).count()
    }

    /// Ctrl-C, as a terminal sends it to the watcher; its exit code.
    fn interrupt(mut self) -> Option<i32> {
        signal(self.child.id() as i32, "INT");
        let status = wait_timeout(&mut self.child, PATIENCE).expect("the watcher stops on Ctrl-C");
        status.code()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Requests in a loop on fresh connections, counting what happens to them.
struct RequestLoop {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
    other: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RequestLoop {
    fn start(addr: String) -> RequestLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let other = Arc::new(Mutex::new(Vec::new()));
        let (s, a, r, o) = (
            stop.clone(),
            answered.clone(),
            refused.clone(),
            other.clone(),
        );
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match try_request(&addr) {
                    Ok(()) => a.fetch_add(1, Ordering::Relaxed),
                    Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                        r.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(err) => {
                        o.lock().unwrap().push(err.to_string());
                        0
                    }
                };
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        RequestLoop {
            stop,
            answered,
            refused,
            other,
            thread: Some(thread),
        }
    }

    /// Stops the loop: (answered, refused, other failures).
    fn finish(mut self) -> (u64, u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        (
            self.answered.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.other.lock().unwrap().clone(),
        )
    }
}

/// One request for `math.fib` on its own connection: an answer with status 200.
fn try_request(addr: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = r#"{"ref": "math.fib", "kwargs": {"num": 11}}"#;
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("not answered: {answer:?}")))
    }
}

/// `math.triple` of 2, as the app answers it now.
fn triple_of_two(addr: &str) -> Option<Value> {
    let response = std::panic::catch_unwind(|| {
        request(
            addr,
            "GET",
            "/",
            r#"{"ref": "math.triple", "kwargs": {"num": 2}}"#,
        )
    })
    .ok()?;
    (response.status == 200).then(|| response.json()["ref"].clone())
}

#[test]
fn run_watch_restarts_on_each_change_and_never_refuses_a_connection() {
    let scratch = Scratch::new("watcher");
    ok(pop_create(
        &scratch.path,
        &["new", "watcher", "--vcs", "none"],
    ));
    let project = scratch.join("watcher");
    ok(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    let math = project.join("src/rpc/math.rs");
    std::fs::write(&math, SPEC_MATH).unwrap();
    let config = scratch.join("watcher.toml");
    std::fs::write(&config, "log_level = \"info\"\n").unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let config_text = config.display().to_string();
    let watch = Watch::start(
        &project,
        &["--port", &port.to_string()],
        &[("WATCHER_CONFIG", &config_text)],
    );
    watch.wait_for("the app serving", |out, _| {
        out.contains("serving on http://")
    });
    assert!(
        watch
            .stderr
            .lock()
            .unwrap()
            .contains(&format!("its sockets held on {addr}"))
    );
    assert_eq!(triple_of_two(&addr), Some(json!(6)));
    let requests = RequestLoop::start(addr.clone());

    // An edit: the next answers carry it.
    let edit = |from: &str, to: &str| {
        let text = std::fs::read_to_string(&math).unwrap();
        assert!(text.contains(from), "{from} in {text}");
        std::fs::write(&math, text.replace(from, to)).unwrap();
    };
    edit("num * 3", "num * 4");
    watch.wait_for("the edit served", |_, _| {
        triple_of_two(&addr) == Some(json!(8))
    });
    watch.wait_for("the restart's report", |_, err| {
        err.contains("Change src/rpc/math.rs") && err.contains("Restarted `watcher`")
    });

    // A broken edit: cargo's error, and the last good build keeps serving.
    let restarts = watch.count("Restarted `watcher`");
    std::fs::write(
        &math,
        format!("{}\nbroken(\n", std::fs::read_to_string(&math).unwrap()),
    )
    .unwrap();
    watch.wait_for("the failed build", |_, err| {
        err.contains("keeps serving the last good build")
    });
    assert!(
        watch
            .stderr
            .lock()
            .unwrap()
            .contains("error: this file contains an unclosed delimiter")
    );
    assert_eq!(triple_of_two(&addr), Some(json!(8)));
    assert_eq!(watch.count("Restarted `watcher`"), restarts);

    // The fix replaces it. Its answers may come before the watcher's report
    // of the restart: both are awaited before the next count.
    let fixed = std::fs::read_to_string(&math)
        .unwrap()
        .replace("\nbroken(\n", "\n")
        .replace("num * 4", "num * 5");
    std::fs::write(&math, fixed).unwrap();
    watch.wait_for("the fix served", |_, _| {
        triple_of_two(&addr) == Some(json!(10))
    });
    watch.wait_for("the fix's restart reported", |_, err| {
        err.matches("Restarted `watcher`").count() > restarts
    });

    // The config file is watched too: no build notices it, the restart does.
    let restarts = watch.count("Restarted `watcher`");
    std::fs::write(&config, "log_level = \"warn\"\n").unwrap();
    watch.wait_for("the restart for the config file", |_, err| {
        err.matches("Restarted `watcher`").count() > restarts
    });
    watch.wait_for("a report of each change", |_, err| {
        err.matches("Change ").count() >= 4
    });

    let (answered, refused, other) = requests.finish();
    assert!(answered > 0);
    assert_eq!(refused, 0, "connections refused during restarts");
    assert!(other.is_empty(), "requests lost: {other:?}");

    // Ctrl-C stops the watcher and the app together: nothing listens after.
    assert_eq!(watch.interrupt(), Some(0));
    let after = TcpStream::connect(&addr);
    assert!(after.is_err(), "something still listens on {addr}");
}

#[test]
fn an_app_without_a_router_is_rerun_on_each_change_and_one_without_a_hub_takes_no_call() {
    let scratch = Scratch::new("plainapp");
    ok(pop_create(
        &scratch.path,
        &["new", "plainapp", "--vcs", "none"],
    ));
    let project = scratch.join("plainapp");
    let watch = Watch::start(&project, &[], &[]);
    watch.wait_for("the greeting", |out, _| {
        out.contains("Hello from plainapp!")
    });
    watch.wait_for("its end", |_, err| {
        err.contains("Exited `plainapp` finished; waiting for a change")
    });

    // Its cli made into a plain program, which never starts the hub.
    let spine = project.join("src/plainapp/init.rs");
    std::fs::write(
        &spine,
        "//! A plain program.\n\nuse pop::prelude::*;\n\n/// Prints and ends.\npub fn cli(mut hub: Hub) -> Result<()> {\n    hub.load_config()?;\n    println!(\"a plain run\");\n    Ok(())\n}\n",
    )
    .unwrap();
    watch.wait_for("the plain run", |out, err| {
        out.contains("a plain run") && err.contains("(it starts no hub)")
    });
    assert_eq!(watch.interrupt(), Some(0));

    let call = pop(&project, &["call", "plainapp.x.y"], &[]);
    assert_eq!(call.status.code(), Some(1));
    assert!(call.stdout.is_empty(), "its output goes to stderr");
    assert!(text(&call.stderr).contains("a plain run"));
    let lines = error_lines(&call);
    assert_eq!(
        lines[0],
        "error: `plainapp` ended without starting its hub, so it could not call `plainapp.x.y`"
    );
    assert!(lines[1].starts_with("hint: the app's `cli` must call `hub.start()`"));
}

#[test]
fn a_project_updated_from_0_2_0_takes_calls_with_its_own_main_rs() {
    let scratch = Scratch::new("from-0.2.0");
    let project = scratch.join("poppy");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/made-by-0.2.0/poppy"),
        &project,
    );
    let main_before = std::fs::read(project.join("src/main.rs")).unwrap();
    ok(pop(&project, &["update"], &[]));
    assert_eq!(
        std::fs::read(project.join("src/main.rs")).unwrap(),
        main_before
    );
    let hello = ok(pop(&project, &["call", "math.hello", "name=pop"], &[]));
    assert_eq!(text(&hello.stdout), "\"Hello, pop!\"\n");
    let all = ok(pop(
        &project,
        &["call", "rpc.math.greet_all", r#"names=["a", "b"]"#],
        &[],
    ));
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all, json!(["Hello, a!", "Hello, b!"]));
    let document: Value =
        serde_json::from_slice(&ok(pop(&project, &["inspect", "--json"], &[])).stdout).unwrap();
    assert!(
        document.to_string().contains("\"rpc.math.hello\""),
        "{document:#}"
    );
}
