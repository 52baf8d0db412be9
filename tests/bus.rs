//! Beacons and flows over NATS JetStream (SPEC section 12), end to end: one
//! generated app with a beacon and a flow on the bus, built once, run as
//! separate producing and consuming processes against a real `nats-server
//! -js` on a free loopback port with a store directory of its own.
//!
//! The app's user plugins make the tests' events: `ticks.burst` pushes
//! `BURST` numbered events (and a poison one with `BURST_POISON`) for the
//! plugin `record` of the stage `stamp`, which appends each event's id and
//! number to the file `RECORD`, and fails every time on the poison.

mod support;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::*;

/// The beacon source the tests add: `BURST` events for `stamp.record`.
const BURST: &str = r#"//! Pushes `BURST` numbered events for the stage's `record` plugin, and
//! with `BURST_POISON` one that `record` always fails.

use pop::prelude::*;

/// Pushes the events.
#[plugin]
pub async fn listen(hub: &Hub) -> Result<()> {
    let queue = super::init::queue(hub)?;
    let count: u64 = std::env::var("BURST").map_or(Ok(0), |n| n.parse())?;
    if std::env::var_os("BURST_POISON").is_some() {
        queue.push(json!({ "stage": "record", "n": -1, "poison": true })).await;
    }
    for n in 0..count {
        queue.push(json!({ "stage": "record", "n": n })).await;
    }
    Ok(())
}
"#;

/// The stage's plugin the tests add: notes each event in the file `RECORD`.
const RECORD: &str = r#"//! Notes each event it handles, by id and number, in the file `RECORD`.

use std::io::Write as _;

use pop::prelude::*;

/// Appends `<id> <n>` to the file; fails on a poison event.
#[plugin]
pub async fn process(_hub: &Hub, item: Value, id: Option<String>) -> Result<Value> {
    if item["poison"] == true {
        bail!("this event always fails");
    }
    if let Ok(ms) = std::env::var("RECORD_DELAY_MS") {
        pop::tokio::time::sleep(std::time::Duration::from_millis(ms.parse()?)).await;
    }
    let path = std::env::var("RECORD").context("RECORD names the file")?;
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(file, "{} {}", id.unwrap_or_default(), item["n"])?;
    Ok(item)
}
"#;

/// The app, built once for every test here.
fn app() -> &'static Path {
    static APP: OnceLock<(Scratch, PathBuf)> = OnceLock::new();
    &APP.get_or_init(|| {
        let scratch = Scratch::new("bus");
        ok(pop_create(
            &scratch.path,
            &["new", "busy", "--no-input", "--vcs", "none"],
        ));
        let project = scratch.join("busy");
        // The sub names of the templates' own example files.
        ok(pop_create(
            &project,
            &["add-sub", "ticks", "--pattern", "beacon", "--bus"],
        ));
        ok(pop_create(
            &project,
            &["add-sub", "stamp", "--pattern", "flow"],
        ));
        passes_its_checks(&project);
        std::fs::write(project.join("src/ticks/burst.rs"), BURST).unwrap();
        std::fs::write(project.join("src/stamp/record.rs"), RECORD).unwrap();
        cargo(&project, &["build", "--locked", "--quiet"]);
        // Every package the bus brings builds with the Rust the project states.
        let metadata = cargo(&project, &["metadata", "--locked", "--format-version", "1"]);
        let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
        let version = |text: &str| -> Vec<u64> {
            let mut parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap()).collect();
            parts.resize(3, 0);
            parts
        };
        for package in metadata["packages"].as_array().unwrap() {
            if let Some(needed) = package["rust_version"].as_str() {
                assert!(
                    version(needed) <= version("1.85"),
                    "{}: {needed}",
                    package["name"]
                );
            }
        }
        let binary = target_dir().join("debug").join("busy");
        (scratch, binary)
    })
    .1
}

/// A `nats-server -js` on a free loopback port, stopped when dropped.
struct Broker {
    server: Child,
    url: String,
    monitor: String,
    store: Scratch,
}

impl Broker {
    /// Starts one; `None` (the test is skipped) where nats-server is missing,
    /// except under CI.
    fn start(name: &str) -> Option<Broker> {
        if Command::new("nats-server")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "nats-server is missing (apt-get install nats-server)"
            );
            eprintln!("skipped: nats-server is missing (apt-get install nats-server)");
            return None;
        }
        let store = Scratch::new(&format!("bus-store-{name}"));
        let (port, monitor) = (free_port(), free_port());
        let url = format!("nats://127.0.0.1:{port}");
        let monitor = format!("127.0.0.1:{monitor}");
        let server = Broker::spawn(&url, &monitor, &store);
        Some(Broker {
            server,
            url,
            monitor,
            store,
        })
    }

    /// A server on the URL's port with the store, once it listens.
    fn spawn(url: &str, monitor: &str, store: &Scratch) -> Child {
        let port = url.rsplit(':').next().unwrap();
        let monitor_port = monitor.rsplit(':').next().unwrap();
        let server = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                port,
                "-m",
                monitor_port,
                "-sd",
            ])
            .arg(&store.path)
            .stdout(Stdio::null())
            .stderr(File::create(store.join("server.log")).unwrap())
            .spawn()
            .expect("nats-server starts");
        wait_for("the broker to listen", || {
            std::net::TcpStream::connect(monitor).is_ok()
        });
        server
    }

    /// Stops the server (SIGKILL), and starts it again on the same port and
    /// store once `while_down` returns.
    fn restart(&mut self, while_down: impl FnOnce()) {
        self.server.kill().unwrap();
        self.server.wait().unwrap();
        while_down();
        self.server = Broker::spawn(&self.url, &self.monitor, &self.store);
    }

    /// How many events the stream `name` holds, from the server's monitoring.
    fn messages_in(&self, name: &str) -> u64 {
        let jsz = self.monitoring("/jsz?streams=true");
        let streams = jsz["account_details"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|account| account["stream_detail"].as_array().into_iter().flatten());
        streams
            .filter(|stream| stream["name"] == name)
            .map(|stream| stream["state"]["messages"].as_u64().unwrap_or(0))
            .sum()
    }
}

impl Broker {
    /// A JSON page of the server's monitoring port (HTTP/1.0: never chunked).
    fn monitoring(&self, path: &str) -> serde_json::Value {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(&self.monitor).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.monitor
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {response}"))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The app with `args` and `env`, its log in `log`; no `BUSY_*` setting of
/// this machine reaches it.
fn busy(args: &[&str], env: &[(&str, &str)], log: &Path) -> Command {
    let mut command = Command::new(app());
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command.stderr(File::create(log).unwrap());
    for (name, _) in std::env::vars() {
        if name.starts_with("BUSY_") || ["BURST", "RECORD"].iter().any(|n| name.starts_with(n)) {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}

/// A consuming process: runs only the stage, recording into `record`.
fn consumer(broker: &Broker, record: &Path, delay_ms: &str, log: &Path) -> Child {
    let record = record.to_str().unwrap();
    let env = [
        ("BUSY_BUS", broker.url.as_str()),
        ("RECORD", record),
        ("RECORD_DELAY_MS", delay_ms),
    ];
    busy(&["--only", "stamp"], &env, log)
        .spawn()
        .expect("the app starts")
}

/// A producing process, run to its end: only the beacon, `count` events.
fn produce(broker: &Broker, count: u64, poison: bool, log: &Path) -> Output {
    let count = count.to_string();
    let mut env = vec![("BURST", count.as_str())];
    if poison {
        env.push(("BURST_POISON", "1"));
    }
    let args = ["--bus", broker.url.as_str(), "--only", "ticks"];
    let output = busy(&args, &env, log).output().expect("the app runs");
    assert!(output.status.success(), "{}", read(log));
    output
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The numbers recorded in `files`, and how many records there are.
fn recorded(files: &[&Path]) -> (BTreeSet<i64>, usize) {
    let mut numbers = BTreeSet::new();
    let mut records = 0;
    for file in files {
        for line in read(file).lines() {
            if let Some(n) = line.split(' ').nth(1).and_then(|n| n.parse().ok()) {
                numbers.insert(n);
                records += 1;
            }
        }
    }
    (numbers, records)
}

/// Waits until `done`, failing after a minute (a guard, not a measure).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asks a process to stop as Ctrl-C does, and checks that it stops cleanly.
fn stop(mut child: Child, log: &Path) {
    // SAFETY: `kill` with a child's pid and SIGTERM has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {}", read(log));
}

fn all(count: i64) -> BTreeSet<i64> {
    (0..count).collect()
}

#[test]
fn a_producing_process_and_a_consuming_one_pass_every_event() {
    let Some(broker) = Broker::start("pair") else {
        return;
    };
    let dir = Scratch::new("bus-pair");
    let record = dir.join("record");
    let log = dir.join("consumer.log");
    let consuming = consumer(&broker, &record, "0", &log);
    produce(&broker, 300, false, &dir.join("producer.log"));
    wait_for("every event handled", || recorded(&[&record]).0 == all(300));
    stop(consuming, &log);
    assert!(
        read(&log).contains("taking events from the stream `busy-ticks` as the consumer `stamp`"),
        "{}",
        read(&log)
    );
    // Every record carries the event's id, one per event.
    let ids: BTreeSet<String> = read(&record)
        .lines()
        .map(|line| line.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 300, "an id per event");
    // The stage published its results, and the example source's 3 ticks,
    // onto a stream of its own.
    wait_for("every result stored", || {
        broker.messages_in("busy-stamp") == 303
    });
}

#[test]
fn a_consumer_killed_mid_stream_resumes_and_every_event_is_handled() {
    let Some(broker) = Broker::start("kill") else {
        return;
    };
    let dir = Scratch::new("bus-kill");
    let record = dir.join("record");
    produce(&broker, 2000, false, &dir.join("producer.log"));
    let mut first = consumer(&broker, &record, "1", &dir.join("first.log"));
    wait_for("some events handled", || recorded(&[&record]).1 >= 200);
    first.kill().unwrap(); // SIGKILL: no chance to acknowledge anything
    first.wait().unwrap();
    let at_kill = recorded(&[&record]).0;
    assert!(at_kill.len() < 2000, "killed mid-stream");
    let log = dir.join("second.log");
    let second = consumer(&broker, &record, "0", &log);
    wait_for("every event handled after the restart", || {
        recorded(&[&record]).0 == all(2000)
    });
    stop(second, &log);
    let (numbers, records) = recorded(&[&record]);
    assert_eq!(numbers, all(2000), "at least once each");
    assert!(records >= 2000);
}

#[test]
fn two_consumers_split_one_stages_work() {
    let Some(broker) = Broker::start("split") else {
        return;
    };
    let dir = Scratch::new("bus-split");
    let (one, two) = (dir.join("one"), dir.join("two"));
    let (one_log, two_log) = (dir.join("one.log"), dir.join("two.log"));
    let first = consumer(&broker, &one, "2", &one_log);
    let second = consumer(&broker, &two, "2", &two_log);
    for log in [&one_log, &two_log] {
        wait_for("both consumers to pull", || {
            read(log).contains("as the consumer `stamp`")
        });
    }
    produce(&broker, 600, false, &dir.join("producer.log"));
    wait_for("every event handled", || {
        recorded(&[&one, &two]).0 == all(600)
    });
    stop(first, &one_log);
    stop(second, &two_log);
    let (by_one, by_two) = (recorded(&[&one]).1, recorded(&[&two]).1);
    assert!(by_one > 0 && by_two > 0, "shared: {by_one} and {by_two}");
}

#[test]
fn an_unreachable_broker_is_one_error_naming_the_url() {
    let dir = Scratch::new("bus-unreachable");
    let url = format!("nats://127.0.0.1:{}", free_port());
    let log = dir.join("log");
    let output = busy(&["--bus", &url], &[], &log).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", read(&log));
    let errors: Vec<String> = read(&log)
        .lines()
        .filter(|line| line.starts_with("error:"))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{}", read(&log));
    assert!(
        errors[0].contains(&format!("cannot reach the bus at {url}")),
        "{errors:?}"
    );
    assert!(!read(&log).contains("panicked"), "{}", read(&log));
}

#[test]
fn a_poison_event_is_set_aside_and_the_stage_goes_on() {
    let Some(broker) = Broker::start("poison") else {
        return;
    };
    let dir = Scratch::new("bus-poison");
    let record = dir.join("record");
    let log = dir.join("consumer.log");
    let consuming = consumer(&broker, &record, "0", &log);
    produce(&broker, 5, true, &dir.join("producer.log"));
    wait_for("the poison set aside", || {
        read(&log).contains("in the stream `busy-stamp-dead`")
    });
    wait_for("the other events handled", || {
        recorded(&[&record]).0 == all(5)
    });
    stop(consuming, &log);
    let text = read(&log);
    let tries = text.matches("failed (try ").count();
    assert_eq!(tries, 4, "tried 5 times in all:\n{text}");
    assert!(text.contains("this event always fails"), "{text}");
    assert_eq!(broker.messages_in("busy-stamp-dead"), 1);
}

/// A project pop-create 0.2.0 made (`new streams`, `add-sub events
/// --pattern beacon`, `add-sub pipe --pattern flow`, `add-plugin events
/// sensor`, `add-plugin pipe enrich`, then a user's edit of `ticks.rs`)
/// is brought to this version by `update`, and builds, passes its checks
/// and runs: its plugins, written for 0.2.0's runtime, are unchanged.
#[test]
fn a_beacon_and_flow_project_made_by_0_2_0_updates_passes_its_checks_and_runs() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/made-by-0.2.0/streams");
    let scratch = Scratch::new("bus-0.2.0");
    let project = scratch.join("streams");
    copy_dir(&fixture, &project);
    // 0.2.0 vendored the same runtime into every project: the fixture keeps
    // one copy, in the `poppy` project beside it.
    copy_dir(&fixture.join("../poppy/runtime"), &project.join("runtime"));
    ok(pop_create(&project, &["update"]));
    let ticks = read(&project.join("src/events/ticks.rs"));
    assert!(ticks.contains("(a user edit)"), "{ticks}");
    for plugin in ["src/events/sensor.rs", "src/pipe/enrich.rs"] {
        assert_eq!(
            read(&project.join(plugin)),
            read(&fixture.join(plugin)),
            "{plugin} is the user's"
        );
    }
    cargo(&project, &["build", "--locked", "--quiet"]);
    passes_its_checks(&project);
    let binary = target_dir().join("debug").join("streams");
    let output = ok(Command::new(binary).stdin(Stdio::null()).output().unwrap());
    let log = text(&output.stderr);
    // Three ticks and the sensor's event, each through the stage.
    assert_eq!(log.matches(r#""stages":["pipe"]"#).count(), 4, "{log}");
}

/// `--bus` turns on the runtime's NATS client, as a beacon or flow is added
/// or for one that exists, and only for those patterns.
#[test]
fn add_sub_bus_turns_on_the_client_only_when_asked() {
    let scratch = Scratch::new("bus-flag");
    ok(pop_create(
        &scratch.path,
        &["new", "flag", "--no-input", "--vcs", "none"],
    ));
    let project = scratch.join("flag");
    let manifest = || read(&project.join("Cargo.toml"));
    let lock = || read(&project.join("Cargo.lock"));
    ok(pop_create(
        &project,
        &["add-sub", "ticks", "--pattern", "beacon"],
    ));
    assert!(
        project.join("src/ticks/clock.rs").is_file(),
        "no clash with the sub"
    );
    assert!(!manifest().contains("\"bus\""), "{}", manifest());
    assert!(!lock().contains("name = \"async-nats\""));
    let conf = read(&project.join("src/conf.rs"));
    assert!(
        conf.contains(r#"Opt::string("bus", "")"#) && conf.contains(r#"Flag::new("only")"#),
        "{conf}"
    );

    let library = pop_create(&project, &["add-sub", "tools", "--bus"]);
    assert_eq!(library.status.code(), Some(2));
    assert!(text(&library.stderr).contains("--bus goes with a beacon or flow sub"));

    let on = ok(pop_create(
        &project,
        &["add-sub", "ticks", "--pattern", "beacon", "--bus"],
    ));
    assert!(
        text(&on.stderr).contains("turn on the runtime's bus feature"),
        "{}",
        text(&on.stderr)
    );
    assert!(
        manifest().contains(r#"features = ["bus"]"#),
        "{}",
        manifest()
    );
    assert!(lock().contains("name = \"async-nats\""));
    let again = ok(pop_create(
        &project,
        &["add-sub", "ticks", "--pattern", "beacon", "--bus"],
    ));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn a_broker_lost_while_running_is_retried_and_the_stage_goes_on() {
    let Some(mut broker) = Broker::start("lost") else {
        return;
    };
    let dir = Scratch::new("bus-lost");
    let record = dir.join("record");
    let log = dir.join("consumer.log");
    let consuming = consumer(&broker, &record, "0", &log);
    produce(&broker, 50, false, &dir.join("before.log"));
    wait_for("the first events handled", || recorded(&[&record]).1 == 50);
    broker.restart(|| {
        wait_for("the loss logged", || {
            read(&log).contains("bus: lost the broker at nats://127.0.0.1:")
        });
    });
    wait_for("the reconnection logged", || {
        read(&log).contains("bus: reconnected to nats://127.0.0.1:")
    });
    produce(&broker, 50, false, &dir.join("after.log"));
    wait_for("the later events handled", || recorded(&[&record]).1 >= 100);
    stop(consuming, &log);
    let ids: BTreeSet<String> = read(&record)
        .lines()
        .map(|line| line.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        100,
        "both runs' events, once each:\n{}",
        read(&record)
    );
}
