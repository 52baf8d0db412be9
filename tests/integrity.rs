//! The generator's integrity under hostile input and faults (SPEC section
//! 14): a cloned project's record cannot make pop-create touch anything
//! outside the project; a command killed at any instant leaves the project
//! as it was or as the command would have left it, once the next command
//! has run; two commands at once never lose an edit; `Cargo.toml` keeps what
//! the user wrote. No cargo build is needed: these run pop-create only.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

type Snapshot = Vec<(String, Vec<u8>)>;

/// The SHA-256 of nothing: anyone can name an empty file in a record.
const EMPTY_HASH: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/made-by-{version}/poppy"))
}

/// A fresh app made by this pop-create, with no CI or git, at `dir/name`.
fn new_app(dir: &Path, name: &str) -> PathBuf {
    ok(pop_create(
        dir,
        &["new", name, "--vcs", "none", "--ci", "none", "--no-input"],
    ));
    dir.join(name)
}

/// Appends `extra` to a table of the project's record.
fn edit_record(project: &Path, edit: impl FnOnce(String) -> String) {
    let path = project.join(".pop-create.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

fn stderr_of(output: &Output) -> String {
    text(&output.stderr)
}

/// Issue 18, items 1 and 2: records that point outside the project or hold
/// names `new` refuses are refused whole, naming their line, and nothing
/// anywhere changes.
#[test]
fn a_hostile_record_is_refused_and_nothing_outside_or_inside_changes() {
    let scratch = Scratch::new("hostile-record");
    let cases: &[(&str, &str, &str)] = &[
        (
            "files: a path that climbs out",
            "[files]\n",
            "[files]\n\"runtime/../../victim.txt\" = \"EMPTY\"\n",
        ),
        (
            "files: an absolute path",
            "[files]\n",
            "[files]\n\"VICTIM\" = \"EMPTY\"\n",
        ),
        (
            "answers: a name that is a path",
            "name = \"poppy\"",
            "name = \"../../evilname\"",
        ),
        (
            "answers: a name that is code",
            "name = \"poppy\"",
            "name = \"poppy\\\")?; std::process::exit(3); (\\\"\"",
        ),
        (
            "subs: a sub that is a path",
            "[subs]\n",
            "[subs]\n\"../../evil\" = \"library\"\n",
        ),
        (
            "subs: a wrong type",
            "[subs]\n",
            "[subs]\nrpc = { x = 1 }\n",
        ),
    ];
    for (what, from, to) in cases {
        let dir = scratch.join(&what.replace([' ', ':', ','], "_"));
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "").unwrap();
        let project = dir.join("poppy");
        copy_dir(&fixture("0.2.0"), &project);
        let to = to
            .replace("EMPTY", EMPTY_HASH)
            .replace("VICTIM", &victim.display().to_string());
        edit_record(&project, |text| {
            assert!(text.contains(from), "{what}");
            text.replacen(from, &to, 1)
        });
        let before = snapshot(&dir);
        for command in [
            &["update"][..],
            &["update", "--dry-run"],
            &["add-sub", "tools"],
        ] {
            let output = pop_create(&project, command);
            let stderr = stderr_of(&output);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{what}, {command:?}:\n{stderr}"
            );
            assert!(
                stderr.contains("error: .pop-create.toml cannot be used: line "),
                "{what}, {command:?}:\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert_eq!(
                snapshot(&dir),
                before,
                "{what}, {command:?}: something changed"
            );
        }
        assert!(victim.exists(), "{what}");
        assert!(!scratch.path.join("evilname").exists() && !dir.join("evilname").exists());
    }
}

/// A link planted where the record says a file is: pop-create neither
/// reads through it nor deletes what it points at.
#[test]
fn a_planted_link_is_never_read_written_or_deleted_through() {
    let scratch = Scratch::new("planted-link");
    let outside = scratch.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("README.md"), "not yours").unwrap();
    let project = scratch.join("poppy");
    copy_dir(&fixture("0.2.0"), &project);
    std::fs::remove_file(project.join("README.md")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.join("README.md"), project.join("README.md")).unwrap();
    let output = pop_create(&project, &["update"]);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(!stderr.contains("--force"), "--force cannot help: {stderr}");
    assert_eq!(
        std::fs::read_to_string(outside.join("README.md")).unwrap(),
        "not yours"
    );
}

/// Issue 18, item 5: `add-sub --pattern router` then `remove-sub` give back
/// the user's `Cargo.toml` byte for byte: a `[dependencies.pop]` table with
/// comments and `default-features = false`, dotted keys elsewhere, CRLF
/// line endings and a byte-order mark.
#[test]
fn cargo_toml_comes_back_byte_for_byte() {
    let scratch = Scratch::new("manifest-kept");
    let project = new_app(&scratch.path, "poppy");
    let manifest = project.join("Cargo.toml");
    let generated = std::fs::read_to_string(&manifest).unwrap();
    let start = generated.find("pop = {").unwrap();
    let end = start + generated[start..].find('\n').unwrap() + 1;
    let users = format!(
        "{}{}{}",
        &generated[..start],
        "serde.version = \"1\" # dotted, mine\nserde.default-features = false\n\n# The runtime, as I like it.\n[dependencies.pop]\n# the crate\npackage = \"pop-hub\" # keep\nversion = \">=0.2\"\ndefault-features = true\n",
        &generated[end..]
    );
    let users = format!("\u{feff}{}", users.replace('\n', "\r\n"));
    std::fs::write(&manifest, &users).unwrap();
    ok(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    let with_router = std::fs::read_to_string(&manifest).unwrap();
    assert!(with_router.starts_with('\u{feff}'), "{with_router:?}");
    assert!(
        !with_router.replace("\r\n", "").contains('\n'),
        "{with_router:?}"
    );
    assert!(
        with_router.contains("features = [\"router\"]"),
        "{with_router:?}"
    );
    assert!(with_router.contains("# the crate\r\npackage = \"pop-hub\" # keep\r\n"));
    assert!(with_router.contains("serde.default-features = false\r\n"));
    ok(pop_create(&project, &["remove-sub", "rpc"]));
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), users);
}

/// What one workload does to a project, uninterrupted: the states a kill
/// may end in once the next command has run.
struct Workload {
    name: &'static str,
    /// Makes the project the command starts from, in `dir`.
    prepare: fn(&Path) -> PathBuf,
    command: &'static [&'static str],
    /// Every how many steps the exhaustive test stops it (update from
    /// 0.1.0 takes some 160 steps: each eighth of them is stopped at, which
    /// covers each kind of step; `add-sub` and `remove-sub` at every one).
    stride: u32,
}

fn prepare_update(dir: &Path) -> PathBuf {
    let project = dir.join("poppy");
    copy_dir(&fixture("0.1.0"), &project);
    project
}

fn prepare_add_sub(dir: &Path) -> PathBuf {
    new_app(dir, "poppy")
}

fn prepare_remove_sub(dir: &Path) -> PathBuf {
    let project = new_app(dir, "poppy");
    ok(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    ok(pop_create(&project, &["add-plugin", "rpc", "math"]));
    project
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "update",
        prepare: prepare_update,
        command: &["update"],
        stride: 8,
    },
    Workload {
        name: "add-sub",
        prepare: prepare_add_sub,
        command: &["add-sub", "rpc", "--pattern", "router"],
        stride: 1,
    },
    Workload {
        name: "remove-sub",
        prepare: prepare_remove_sub,
        command: &["remove-sub", "rpc"],
        stride: 1,
    },
];

/// Runs pop-create so that it aborts (as kill -9 would stop it) before its
/// `step`th change of the disk; whether it got that far.
fn crash_at(project: &Path, command: &[&str], step: u32) -> bool {
    let output = support::command(env!("CARGO_BIN_EXE_pop-create"), project, command)
        .env("POP_CREATE_TEST_CRASH_AT", step.to_string())
        .output()
        .unwrap();
    let aborted = output.status.code().is_none();
    assert!(
        aborted || output.status.success(),
        "step {step}: {}",
        stderr_of(&output)
    );
    aborted
}

/// The state after a stopped command, once the next command has run:
/// `update --dry-run` takes the lock and recovers, and writes nothing else.
fn recover(project: &Path) -> Snapshot {
    let output = pop_create(project, &["update", "--dry-run"]);
    assert!(
        !stderr_of(&output).contains("panicked"),
        "{}",
        stderr_of(&output)
    );
    snapshot(project)
}

fn stray(state: &Snapshot) -> Vec<&str> {
    state
        .iter()
        .map(|(path, _)| path.as_str())
        .filter(|path| {
            path.contains(".pop-create-")
                || path.contains("journal")
                || path.ends_with(".pop-create.lock")
        })
        .collect()
}

/// Issue 18, item 3, exhaustively: each workload is stopped before every
/// one of its steps that change the disk, in turn. After the next command
/// the project is exactly as it was or exactly as the command leaves it,
/// with no temporary file; running the command again then gives the
/// uninterrupted result.
#[test]
fn a_command_stopped_before_any_of_its_steps_loses_nothing() {
    let scratch = Scratch::new("crash-steps");
    for workload in WORKLOADS {
        let base = scratch.join(&format!("{}-base", workload.name));
        std::fs::create_dir_all(&base).unwrap();
        let project = (workload.prepare)(&base);
        let before = snapshot(&project);
        let done = scratch.join(&format!("{}-done", workload.name));
        copy_dir(&project, &done);
        ok(pop_create(&done, workload.command));
        let after = snapshot(&done);
        assert_ne!(before, after, "{}", workload.name);
        let mut steps = 0;
        for step in (1..).step_by(workload.stride as usize) {
            let run = scratch.join(&format!("{}-{step}", workload.name));
            copy_dir(&project, &run);
            if !crash_at(&run, workload.command, step) {
                assert_eq!(snapshot(&run), after, "{} ran to the end", workload.name);
                break;
            }
            let recovered = recover(&run);
            assert!(
                stray(&recovered).is_empty(),
                "{} step {step}: {:?}",
                workload.name,
                stray(&recovered)
            );
            assert!(
                recovered == before || recovered == after,
                "{} stopped at step {step} ends in neither state",
                workload.name
            );
            if recovered == before {
                ok(pop_create(&run, workload.command));
                assert_eq!(
                    snapshot(&run),
                    after,
                    "{} step {step}: rerun",
                    workload.name
                );
            }
            std::fs::remove_dir_all(&run).unwrap();
            steps = step;
        }
        eprintln!(
            "{}: stopped before every {} of its first {steps} steps",
            workload.name, workload.stride
        );
        assert!(steps >= 5, "{} takes steps", workload.name);
    }
}

/// Issue 18, item 3, as the hostile run did it: kill -9 at random instants
/// of the window each command takes. Same verdicts as above.
#[test]
fn a_command_killed_at_random_instants_loses_nothing() {
    let kills_per_workload: u32 = std::env::var("POP_CREATE_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let scratch = Scratch::new("kill-random");
    let mut tally = (0, 0, 0); // (as before, as after, killed after it finished)
    for workload in WORKLOADS {
        let base = scratch.join(&format!("{}-base", workload.name));
        std::fs::create_dir_all(&base).unwrap();
        let project = (workload.prepare)(&base);
        let before = snapshot(&project);
        let done = scratch.join(&format!("{}-done", workload.name));
        copy_dir(&project, &done);
        let started = Instant::now();
        ok(pop_create(&done, workload.command));
        let window = started.elapsed().as_micros() as u64;
        let after = snapshot(&done);
        for kill in 0..kills_per_workload {
            let run = scratch.join(&format!("{}-{kill}", workload.name));
            copy_dir(&project, &run);
            let mut child =
                support::command(env!("CARGO_BIN_EXE_pop-create"), &run, workload.command)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
            // A command writes at the end of its run: aim at its second half.
            std::thread::sleep(Duration::from_micros(
                window / 2 + random() % (window / 2 + 1),
            ));
            let _ = child.kill();
            let status = child.wait().unwrap();
            let recovered = recover(&run);
            assert!(
                stray(&recovered).is_empty(),
                "{} kill {kill}: {:?}",
                workload.name,
                stray(&recovered)
            );
            if recovered == before {
                tally.0 += 1;
            } else if recovered == after {
                if status.success() {
                    tally.2 += 1;
                } else {
                    tally.1 += 1;
                }
            } else {
                panic!("{} kill {kill} ends in neither state", workload.name);
            }
            if recovered == before {
                ok(pop_create(&run, workload.command));
                assert_eq!(
                    snapshot(&run),
                    after,
                    "{} kill {kill}: rerun",
                    workload.name
                );
            }
            std::fs::remove_dir_all(&run).unwrap();
        }
    }
    eprintln!(
        "random kills: {} ended as before, {} as after, {} came after the command finished",
        tally.0, tally.1, tally.2
    );
}

/// Issue 18, item 4: two `add-sub`s started together, again and again:
/// both succeed (the second waits for the first) and neither sub is lost
/// from `src/conf.rs`, the record or the disk.
#[test]
fn two_commands_at_once_never_lose_an_edit() {
    let scratch = Scratch::new("concurrent");
    let template = new_app(&scratch.path, "poppy");
    for round in 0..12 {
        let project = scratch.join(&format!("round-{round}"));
        copy_dir(&template, &project);
        let spawn = |sub: &str| {
            support::command(
                env!("CARGO_BIN_EXE_pop-create"),
                &project,
                &["add-sub", sub],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        };
        let first = spawn("alpha");
        let second = spawn("beta");
        for child in [first, second] {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                stderr_of(&output)
            );
        }
        let conf = std::fs::read_to_string(project.join("src/conf.rs")).unwrap();
        let record = std::fs::read_to_string(project.join(".pop-create.toml")).unwrap();
        for sub in ["alpha", "beta"] {
            assert!(
                conf.contains(&format!("(\"{sub}\", &[\"{sub}\"])")),
                "round {round}: {conf}"
            );
            assert!(
                record.contains(&format!("{sub} = \"library\"")),
                "round {round}: {record}"
            );
            assert!(project.join("src").join(sub).is_dir(), "round {round}");
        }
        assert!(stray(&snapshot(&project)).is_empty());
    }
}

/// A command that cannot get the project's lock in time says which command
/// holds it, and changes nothing.
#[cfg(unix)]
#[test]
fn a_busy_project_is_refused_naming_the_command_that_holds_it() {
    use std::os::unix::io::AsRawFd;
    let scratch = Scratch::new("busy");
    let project = new_app(&scratch.path, "poppy");
    let held = std::fs::File::open(&project).unwrap();
    // SAFETY: flock takes a valid descriptor, which `held` owns.
    assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) }, 0);
    std::fs::write(
        project.join(".pop-create.lock"),
        "`pop-create update` (process 4242)\n",
    )
    .unwrap();
    let before = snapshot(&project);
    let output = support::command(
        env!("CARGO_BIN_EXE_pop-create"),
        &project,
        &["add-sub", "rpc"],
    )
    .env("POP_CREATE_TEST_LOCK_WAIT_MS", "300")
    .output()
    .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is busy: `pop-create update` (process 4242) is still working on it"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: wait for it to finish"), "{stderr}");
    assert_eq!(snapshot(&project), before);
    drop(held);
    ok(pop_create(&project, &["add-sub", "rpc"]));
    assert!(!project.join(".pop-create.lock").exists());
}

/// What pop-create 0.2.0 left when it was killed between its two moves (a
/// file gone, its backup and new copy beside it) is put right by the next
/// command.
#[test]
fn leftovers_of_a_killed_0_2_0_are_put_right() {
    let scratch = Scratch::new("leftovers-0.2.0");
    let project = scratch.join("poppy");
    copy_dir(&fixture("0.2.0"), &project);
    let main = std::fs::read(project.join("src/main.rs")).unwrap();
    std::fs::rename(
        project.join("src/main.rs"),
        project.join("src/.main.rs.pop-create-old-Ab3x9Q"),
    )
    .unwrap();
    std::fs::write(project.join(".README.md.pop-create-new-Zz81kk"), "half").unwrap();
    let output = ok(pop_create(&project, &["update", "--dry-run"]));
    assert!(
        stderr_of(&output).contains("cleaned up"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(std::fs::read(project.join("src/main.rs")).unwrap(), main);
    assert!(
        stray(&snapshot(&project)).is_empty(),
        "{:?}",
        stray(&snapshot(&project))
    );
}
