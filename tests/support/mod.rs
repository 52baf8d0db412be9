//! What the end-to-end tests share: running pop-create and cargo the way a
//! user does, scratch directories, and a small HTTP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// SPEC section 5's plugin file, exactly as written there (not rustfmt-clean).
pub const SPEC_MATH: &str = r#"use pop::prelude::*;

/// Return the num'th Fibonacci number.
#[plugin]
pub async fn fib(_hub: &Hub, #[default(10)] num: u64) -> Result<u64> {
    let (mut prev, mut curr) = (0u64, 1u64);
    if num < 2 { return Ok(num); }
    for _ in 1..num { (prev, curr) = (curr, prev + curr); }
    Ok(curr)
}

/// Triple a number.
#[plugin]
pub fn triple(_hub: &Hub, #[default(10)] num: u64) -> u64 { num * 3 }
"#;

/// A directory in the system temp dir (outside this repository, so Cargo
/// does not take generated projects for members of its workspace), removed
/// when dropped unless `POP_CREATE_KEEP` is set.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pop-create-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("the temp dir is writable");
        Scratch { path }
    }

    pub fn join(&self, path: &str) -> PathBuf {
        self.path.join(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("POP_CREATE_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// One target directory for every generated project, so dependencies are
/// compiled once for the whole suite.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated")
}

/// `pop-create` with `args`, in `dir`, stdin closed.
pub fn pop_create(dir: &Path, args: &[&str]) -> Output {
    command(env!("CARGO_BIN_EXE_pop-create"), dir, args)
        .output()
        .expect("pop-create runs")
}

/// A command in `dir` with the generated projects' shared target directory.
pub fn command(program: impl AsRef<std::ffi::OsStr>, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .env("NO_COLOR", "1");
    command
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the command succeeded, showing its output if not.
pub fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// `cargo <args>` in a generated project; must succeed.
pub fn cargo(project: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    ok(command(cargo, project, args).output().expect("cargo runs"))
}

/// `cargo <args>` in a generated project, whatever its outcome.
pub fn cargo_output(project: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    command(cargo, project, args).output().expect("cargo runs")
}

/// A copy of `from` (a fixture) at `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What every generated project must pass after `new` and after each `add-*`.
pub fn passes_its_checks(project: &Path) {
    cargo(project, &["test", "--quiet"]);
    cargo(
        project,
        &["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"],
    );
    cargo(project, &["fmt", "--check"]);
}

/// Every file under `dir`, relative, sorted, with its contents.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, into: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                into.push((
                    format!("{}/", path.strip_prefix(root).unwrap().display()),
                    Vec::new(),
                ));
                walk(root, &path, into);
            } else {
                let contents = std::fs::read(&path).unwrap_or_default();
                into.push((
                    path.strip_prefix(root).unwrap().display().to_string(),
                    contents,
                ));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `pop-create run -- ARGS` in `project`, as a server: no configuration
/// from this machine's environment (`*_CONFIG`, `*_PORT`, …) reaches it.
pub fn serve_with_pop_create(project: &Path, args: &[&str]) -> Server {
    let mut run = command(env!("CARGO_BIN_EXE_pop-create"), project, &["run", "--"]);
    run.args(args);
    for (name, _) in std::env::vars() {
        let generated = ["POPPY_", "GROWER_", "HOST_", "EXT_", "SEMANTICS_"];
        if generated.iter().any(|prefix| name.starts_with(prefix)) {
            run.env_remove(name);
        }
    }
    Server::start(run)
}

/// A running server whose stdout announced `serving on http://ADDR`.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stdout: BufReader<ChildStdout>,
    pub before: String,
}

impl Server {
    /// Starts `command` (stdout and stderr piped) and waits for its address.
    pub fn start(mut command: Command) -> Self {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        Server::start_configured(command)
    }

    /// Starts `command`, whose stdout must be piped, and waits for its address.
    #[allow(clippy::zombie_processes, reason = "Server's Drop waits for the child")]
    pub fn start_configured(mut command: Command) -> Self {
        let mut child = command.spawn().expect("the server starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut before = String::new();
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).unwrap_or(0);
            if read == 0 || Instant::now() > deadline {
                let output = child.wait_with_output().unwrap();
                panic!(
                    "the server exited before serving:\n{before}\n--- stderr\n{}",
                    text(&output.stderr)
                );
            }
            if let Some((_, rest)) = line.split_once("serving on http://") {
                let addr = rest.split_whitespace().next().unwrap().to_owned();
                return Server {
                    child,
                    addr,
                    stdout,
                    before,
                };
            }
            before.push_str(&line);
        }
    }

    pub fn get(&self, body: &str) -> Response {
        request(&self.addr, "GET", "/", body)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends SIGTERM and returns the exit code and stderr.
    pub fn terminate(self) -> (Option<i32>, String) {
        self.terminate_within(Duration::from_secs(20))
    }

    /// Sends SIGTERM, waits at most `patience` for the exit, and returns the
    /// exit code and stderr.
    pub fn terminate_within(mut self, patience: Duration) -> (Option<i32>, String) {
        signal(self.pid(), "TERM");
        let status = wait_timeout(&mut self.child, patience).expect("the server stops on SIGTERM");
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `SIG<name>` (`TERM`, `INT`) to a process.
pub fn signal(pid: i32, name: &str) {
    let signal = match name {
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        other => panic!("no signal SIG{other} in these tests"),
    };
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill -{name} {pid}");
}

pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// An HTTP response: status, content type and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }

    /// The `kind` of a JSON error body.
    pub fn error_kind(&self) -> String {
        self.json()["error"]["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("no error kind: {}", self.body))
            .to_owned()
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn request(addr: &str, method: &str, path: &str, body: &str) -> Response {
    request_bytes(addr, method, path, body.as_bytes())
}

pub fn request_bytes(addr: &str, method: &str, path: &str, body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading a large body; that is fine.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = text(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response: {raw:?}"));
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    Response {
        status,
        content_type,
        body: body.to_owned(),
    }
}

/// Absolute paths of the machine that must never appear in a generated project.
pub fn assert_no_machine_paths(project: &Path) {
    let forbidden = [
        env!("CARGO_MANIFEST_DIR").to_owned(),
        project.display().to_string(),
    ];
    for (path, contents) in snapshot(project) {
        if path.starts_with(".git/") || path.starts_with("target/") || path == "Cargo.lock" {
            continue;
        }
        let contents = text(&contents);
        for needle in &forbidden {
            assert!(
                !contents.contains(needle.as_str()),
                "{path} contains the machine path {needle}"
            );
        }
    }
}
