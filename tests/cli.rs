//! pop-create's safety and UX contract (SPEC sections 3, 4 and 8), fast:
//! only the pop-create binary runs, in temp dirs. Nothing here builds a
//! generated project with cargo; that is `e2e.rs`'s job.
//!
//! Every refusal is checked three ways: the exit code, the message (one
//! `error:` line and at most one `hint:` line, never a panic; every run has
//! `RUST_BACKTRACE=1`, so a panic could not hide) and a snapshot of the
//! directory before and after, which must be identical.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{Scratch, assert_no_machine_paths, snapshot, text};

const POP_CREATE: &str = env!("CARGO_BIN_EXE_pop-create");

/// Longer than pop-create ever needs without cargo; a hang fails the test.
const PATIENCE: Duration = Duration::from_secs(60);

type Snapshot = Vec<(String, Vec<u8>)>;

// ---------------------------------------------------------------------------
// Running pop-create

/// pop-create with `args` in `dir`, stdin closed, `NO_COLOR=1`, backtraces on.
fn pop_create_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = support::command(POP_CREATE, dir, args);
    command.env("RUST_BACKTRACE", "1");
    command
}

/// Runs pop-create and returns its output.
fn pop_create(dir: &Path, args: &[&str]) -> Output {
    output_within(pop_create_command(dir, args))
}

/// Runs `command` to the end, failing the test if it takes longer than
/// [`PATIENCE`] (it is killed). A piped stdin is held open the whole time,
/// as a terminal-less caller that never types anything would.
fn output_within(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let stdin = child.stdin.take();
    let pid = child.id();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(PATIENCE) {
        Ok(output) => {
            drop(stdin);
            output.expect("the command's output can be read")
        }
        Err(_) => {
            support::signal(pid as i32, "KILL");
            panic!("{command:?} did not finish within {PATIENCE:?}: it hangs");
        }
    }
}

fn shown(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

fn assert_no_panic(output: &Output) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    for needle in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!all.contains(needle), "a panic:\n{}", shown(output));
    }
}

/// Asserts pop-create succeeded without an error or a panic.
fn succeeded(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert_no_panic(&output);
    assert!(
        !text(&output.stderr)
            .lines()
            .any(|line| line.starts_with("error")),
        "{}",
        shown(&output)
    );
    output
}

/// How pop-create refused: its `error:` line, the indented lines listed
/// under it (conflicting paths), and its `hint:` line.
#[derive(Debug)]
struct Refusal {
    error: String,
    list: Vec<String>,
    hint: Option<String>,
}

/// Asserts the exit code and the shape of the message: nothing on stdout; on
/// stderr at most the line naming the project, then one `error:` line,
/// optionally an indented list, optionally one `hint:` line, and nothing else.
fn refusal(output: &Output, code: i32) -> Refusal {
    let all = shown(output);
    assert_eq!(output.status.code(), Some(code), "{all}");
    assert_no_panic(output);
    assert!(output.stdout.is_empty(), "an error prints no stdout\n{all}");
    let stderr = text(&output.stderr);
    let mut lines = stderr.lines().peekable();
    if lines
        .peek()
        .is_some_and(|line| line.trim_start().starts_with("Project `"))
    {
        lines.next();
    }
    let error = lines
        .next()
        .and_then(|line| line.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("the message starts `error: `\n{all}"))
        .to_owned();
    let mut list = Vec::new();
    while let Some(item) = lines.peek().and_then(|line| line.strip_prefix("  ")) {
        list.push(item.to_owned());
        lines.next();
    }
    let hint = lines.next().map(|line| {
        line.strip_prefix("hint: ")
            .unwrap_or_else(|| panic!("only a `hint:` line may follow the error\n{all}"))
            .to_owned()
    });
    assert!(lines.next().is_none(), "nothing follows the hint\n{all}");
    Refusal { error, list, hint }
}

/// [`refusal`] for a plain one-line error (no list).
fn plain_refusal(output: &Output, code: i32) -> Refusal {
    let refusal = refusal(output, code);
    assert!(refusal.list.is_empty(), "{}", shown(output));
    refusal
}

/// Asserts clap refused the command line: exit 2, one `error:` line first,
/// clap's pointer to `--help`, nothing on stdout, no panic.
fn clap_refusal(output: &Output) -> String {
    let all = shown(output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert_no_panic(output);
    assert!(output.stdout.is_empty(), "{all}");
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: "), "{all}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{all}"
    );
    assert!(
        stderr.contains("For more information, try '--help'."),
        "{all}"
    );
    stderr
}

/// Asserts two snapshots are equal, naming what differs.
fn assert_same(before: &Snapshot, after: &Snapshot, what: &str) {
    if before == after {
        return;
    }
    let old: BTreeMap<&str, &[u8]> = before.iter().map(|(p, c)| (&**p, &**c)).collect();
    let new: BTreeMap<&str, &[u8]> = after.iter().map(|(p, c)| (&**p, &**c)).collect();
    let mut changes = Vec::new();
    for (path, contents) in &new {
        match old.get(path) {
            None => changes.push(format!("added {path}")),
            Some(was) if was != contents => changes.push(format!("changed {path}")),
            Some(_) => {}
        }
    }
    for path in old.keys().filter(|path| !new.contains_key(*path)) {
        changes.push(format!("removed {path}"));
    }
    panic!("{what} changed the directory:\n  {}", changes.join("\n  "));
}

/// Runs pop-create in `dir`, watching `watch` (which holds `dir`): asserts
/// that nothing under it changed, and returns the output.
fn unchanged(watch: &Path, dir: &Path, args: &[&str]) -> Output {
    let before = snapshot(watch);
    let output = pop_create(dir, args);
    assert_same(&before, &snapshot(watch), &format!("`{}`", args.join(" ")));
    output
}

// ---------------------------------------------------------------------------
// Projects and files

fn scratch(name: &str) -> Scratch {
    Scratch::new(&format!("cli-{name}"))
}

/// `pop-create new <name> --vcs none <extra>` in `dir`, which must succeed.
fn new_project(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["new", name, "--vcs", "none"];
    args.extend(extra);
    succeeded(pop_create(dir, &args));
    dir.join(name)
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The files (not directories) of a snapshot.
fn files(snapshot: &Snapshot) -> BTreeMap<String, Vec<u8>> {
    snapshot
        .iter()
        .filter(|(path, _)| !path.ends_with('/'))
        .cloned()
        .collect()
}

/// The project's `.pop-create.toml`, parsed.
fn record(project: &Path) -> toml_edit::DocumentMut {
    read(project.join(".pop-create.toml"))
        .parse()
        .expect(".pop-create.toml is TOML")
}

/// `sha256sum` of each path (relative to `dir`): an implementation
/// independent of the one pop-create uses.
fn sha256sum(dir: &Path, paths: &[&str]) -> BTreeMap<String, String> {
    let output = Command::new("sha256sum")
        .arg("--")
        .args(paths)
        .current_dir(dir)
        .output()
        .expect("sha256sum runs");
    assert!(output.status.success(), "{}", shown(&output));
    text(&output.stdout)
        .lines()
        .map(|line| {
            let (hash, path) = line.split_once(' ').expect("`HASH  PATH`");
            (path[1..].to_owned(), hash.to_owned())
        })
        .collect()
}

/// Asserts the record names every file it tracks with the SHA-256 of the
/// file's actual contents; returns the tracked paths.
fn assert_record_hashes_match(project: &Path) -> Vec<String> {
    let record = record(project);
    let tracked: Vec<(String, String)> = record["files"]
        .as_table_like()
        .expect("[files] is a table")
        .iter()
        .map(|(path, hash)| {
            let hash = hash.as_str().expect("each hash is a string");
            (path.to_owned(), hash.to_owned())
        })
        .collect();
    let paths: Vec<&str> = tracked.iter().map(|(path, _)| path.as_str()).collect();
    let actual = sha256sum(project, &paths);
    for (path, hash) in &tracked {
        assert_eq!(
            Some(hash.as_str()),
            actual
                .get(path)
                .map(|hash| format!("sha256:{hash}"))
                .as_deref(),
            "the recorded hash of {path}"
        );
    }
    tracked.into_iter().map(|(path, _)| path).collect()
}

/// Files pop-create's writes leave behind (the staging directory of a new
/// project, or the temporary siblings of edited files), which must not exist
/// after a command finishes.
fn assert_no_leftovers(dir: &Path) {
    for (path, _) in snapshot(dir) {
        assert!(!path.contains(".pop-create-"), "{path} was left behind");
    }
}

/// The lines only in `before` and the lines only in `after`, by a line
/// diff (longest common subsequence).
fn line_diff<'a>(before: &'a str, after: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for (i, old_line) in old.iter().enumerate().rev() {
        for (j, new_line) in new.iter().enumerate().rev() {
            common[i][j] = if old_line == new_line {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        if old[i] == new[j] {
            i += 1;
            j += 1;
        } else if common[i + 1][j] >= common[i][j + 1] {
            removed.push(old[i]);
            i += 1;
        } else {
            added.push(new[j]);
            j += 1;
        }
    }
    removed.extend(&old[i..]);
    added.extend(&new[j..]);
    (removed, added)
}

/// A fake `cargo` that only notes its arguments in `called` beside it and
/// fails, so that `run` can be tested without building anything; and a
/// `PATH` that finds it first.
fn fake_cargo(scratch: &Scratch) -> (PathBuf, String) {
    let dir = scratch.join("fake-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let cargo = dir.join("cargo");
    let script = "#!/bin/sh\necho \"$*\" > \"$(dirname \"$0\")/called\"\nexit 101\n";
    std::fs::write(&cargo, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir];
    dirs.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(dirs).unwrap().into_string().unwrap();
    (cargo, path)
}

/// `pop-create run` in `dir` with the fake cargo (see [`fake_cargo`]).
fn run_with_fake_cargo(scratch: &Scratch, dir: &Path) -> Output {
    let (cargo, path) = fake_cargo(scratch);
    let mut command = pop_create_command(dir, &["run"]);
    command.env("CARGO", cargo).env("PATH", path);
    output_within(command)
}

fn git_installed() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

// ---------------------------------------------------------------------------
// Names

#[test]
fn new_refuses_bad_names_and_writes_nothing() {
    let scratch = scratch("new-names");
    // Run one level down, so a name escaping upward would still be seen.
    let work = scratch.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let long = "a".repeat(65);
    let cases: &[(&str, &str)] = &[
        ("fn", "keyword"),
        ("async", "keyword"),
        ("2fast", "digit"),
        ("my app", "not allowed"),
        ("a.b", "not allowed"),
        ("test", "ships with"),
        ("std", "ships with"),
        ("core", "ships with"),
        ("con", "Windows"),
        ("nul", "Windows"),
        ("com1", "Windows"),
        ("../evil", "path"),
        ("a/b", "path"),
        ("..", "path"),
        (".", "path"),
        ("Poppy", "snake_case"),
        ("MyApp", "snake_case"),
        ("café", "ASCII"),
        ("", "empty"),
        (&long, "64 characters"),
    ];
    for (name, why) in cases {
        let output = unchanged(&scratch.path, &work, &["new", "--vcs", "none", "--", name]);
        let refusal = plain_refusal(&output, 2);
        assert!(refusal.error.contains(why), "{name:?}: {refusal:?}");
        if !name.is_empty() {
            assert!(
                refusal.error.contains(&format!("`{name}`")),
                "names the name: {refusal:?}"
            );
        }
        assert!(refusal.hint.is_some(), "{name:?}: says how to fix it");
    }
    // The same rules hold for --dyne, and for --force and --dry-run too.
    for args in [
        &["new", "poppy", "--vcs", "none", "--dyne", "fn"][..],
        &["new", "poppy", "--vcs", "none", "--dyne", "../x"],
        &["new", "poppy", "--vcs", "none", "--dyne", "My-Sub"],
        &["new", "poppy", "--vcs", "none", "--dyne", "poppy"],
        &["new", "ext", "--vcs", "none", "--vertical"],
        &["new", "../evil", "--vcs", "none", "--force"],
        &["new", "fn", "--vcs", "none", "--dry-run"],
    ] {
        let output = unchanged(&scratch.path, &work, args);
        let refusal = plain_refusal(&output, 2);
        assert!(refusal.hint.is_some(), "{args:?}: {refusal:?}");
    }
}

#[test]
fn add_sub_refuses_bad_names_and_unknown_patterns() {
    let scratch = scratch("sub-names");
    let project = new_project(&scratch.path, "poppy", &[]);
    let cases: &[(&str, &str)] = &[
        ("fn", "keyword"),
        ("2x", "digit"),
        ("My-Sub", "not allowed"),
        ("my-sub", "not allowed"),
        ("a.b", "not allowed"),
        ("../x", "path"),
        ("src/x", "path"),
        ("..", "path"),
        ("std", "ships with"),
        ("con", "Windows"),
        ("conf", "configuration module"),
        ("runtime", "runtime"),
        ("Rpc", "snake_case"),
        ("", "empty"),
    ];
    for (name, why) in cases {
        let output = unchanged(&scratch.path, &project, &["add-sub", "--", name]);
        let refusal = plain_refusal(&output, 2);
        assert!(refusal.error.contains(why), "{name:?}: {refusal:?}");
        assert!(refusal.hint.is_some(), "{name:?}: {refusal:?}");
    }
    // Not a pattern name at all: clap refuses it, listing pop's patterns.
    for pattern in ["Router", "", "../x"] {
        let output = unchanged(
            &scratch.path,
            &project,
            &["add-sub", "rpc", "--pattern", pattern],
        );
        let stderr = clap_refusal(&output);
        assert!(stderr.contains("spine, router, library"), "{stderr}");
    }
    // A well-formed name that neither pop nor the project's template set has.
    let output = unchanged(
        &scratch.path,
        &project,
        &["add-sub", "rpc", "--pattern", "nope"],
    );
    let refusal = plain_refusal(&output, 2);
    assert!(refusal.error.contains("`nope`"), "{refusal:?}");
    assert!(
        refusal.hint.unwrap().contains("spine, router, library"),
        "{}",
        shown(&output)
    );
}

#[test]
fn add_plugin_refuses_bad_names() {
    let scratch = scratch("plugin-names");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    let cases: &[(&str, &str, &str)] = &[
        ("rpc", "init", "lifecycle"),
        ("rpc", "mod", "keyword"),
        ("rpc", "lib", "special meaning"),
        ("rpc", "main", "special meaning"),
        ("rpc", "fn", "keyword"),
        ("rpc", "math.rs", "not allowed"),
        ("rpc", "../math", "path"),
        ("rpc", "a/b", "path"),
        ("rpc", "", "empty"),
        ("rpc..x", "math", "path"),
        ("rpc/x", "math", "path"),
        ("../rpc", "math", "path"),
        ("Rpc", "math", "snake_case"),
        ("rpc.", "math", "empty"),
    ];
    for (sub, name, why) in cases {
        let output = unchanged(&scratch.path, &project, &["add-plugin", "--", sub, name]);
        let refusal = plain_refusal(&output, 2);
        assert!(refusal.error.contains(why), "{sub:?} {name:?}: {refusal:?}");
        assert!(refusal.hint.is_some(), "{sub:?} {name:?}: {refusal:?}");
    }
}

// ---------------------------------------------------------------------------
// Where commands run

#[test]
fn outside_a_project_commands_say_how_to_start_one() {
    let scratch = scratch("outside");
    // An empty directory, and a Rust crate that is not a pop project.
    let empty = scratch.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let plain = scratch.join("plain");
    std::fs::create_dir_all(plain.join("src")).unwrap();
    std::fs::write(
        plain.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::write(plain.join("src/main.rs"), "fn main() {}\n").unwrap();
    let (cargo, path) = fake_cargo(&scratch);
    for dir in [&empty, &plain, &plain.join("src")] {
        for args in [
            &["add-sub", "rpc"][..],
            &["add-sub", "rpc", "--pattern", "router", "--force"],
            &["add-sub", "rpc", "--dry-run"],
            &["add-plugin", "rpc", "math"],
            &["add-plugin", "rpc", "math", "--force"],
            &["run"],
        ] {
            let before = snapshot(&scratch.path);
            let mut command = pop_create_command(dir, args);
            command.env("CARGO", &cargo).env("PATH", &path);
            let output = output_within(command);
            assert_same(&before, &snapshot(&scratch.path), &format!("{args:?}"));
            let refusal = plain_refusal(&output, 2);
            assert!(
                refusal.error.contains("not inside a pop project"),
                "{args:?} in {}: {refusal:?}",
                dir.display()
            );
            assert!(
                refusal
                    .hint
                    .as_deref()
                    .is_some_and(|hint| hint.contains("pop-create new")),
                "the hint says how to start one: {refusal:?}"
            );
        }
    }
}

#[test]
fn every_command_finds_the_project_from_a_subdirectory_and_names_it() {
    let scratch = scratch("subdir");
    let project = new_project(&scratch.path, "poppy", &[]);
    let root = project.canonicalize().unwrap();
    let named = format!("`poppy` at {}", root.display());
    let deep = project.join("src/poppy");
    let tests = project.join("tests");

    let dry = unchanged(
        &project,
        &deep,
        &["add-sub", "rpc", "--pattern", "router", "--dry-run"],
    );
    let dry = succeeded(dry);
    assert!(text(&dry.stderr).contains(&named), "{}", shown(&dry));
    assert!(
        text(&dry.stdout).contains(&root.display().to_string()),
        "{}",
        shown(&dry)
    );

    let sub = succeeded(pop_create(
        &deep,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    assert!(text(&sub.stderr).contains(&named), "{}", shown(&sub));
    assert!(project.join("src/rpc/init.rs").is_file());
    assert!(
        !deep.join("src").exists(),
        "nothing is written below the cwd"
    );

    let plugin = succeeded(pop_create(&tests, &["add-plugin", "rpc", "math"]));
    assert!(text(&plugin.stderr).contains(&named), "{}", shown(&plugin));
    assert!(project.join("src/rpc/math.rs").is_file());
    assert!(
        !tests.join("src").exists(),
        "nothing is written below the cwd"
    );

    // A missing sub is reported against the project found from below, too.
    let missing = unchanged(
        &project,
        &project.join("src/rpc"),
        &["add-plugin", "web", "x"],
    );
    plain_refusal(&missing, 2);
    assert!(text(&missing.stderr).contains(&named));

    // `run` names the root, then builds it (here with a cargo that fails).
    let run = run_with_fake_cargo(&scratch, &project.join("src/rpc"));
    let refusal = plain_refusal(&run, 1);
    assert!(
        refusal.error.contains("could not build `poppy`"),
        "{refusal:?}"
    );
    assert!(text(&run.stderr).contains(&named), "{}", shown(&run));
    let called = read(scratch.join("fake-bin/called"));
    let manifest = root.join("Cargo.toml");
    assert!(
        called.contains(&format!("--manifest-path {}", manifest.display())),
        "cargo builds the project found: {called}"
    );
    assert_no_leftovers(&scratch.path);
}

#[test]
fn commands_inside_the_runtime_directory_use_the_app_around_it() {
    let scratch = scratch("runtime-subdir");
    let project = new_project(&scratch.path, "poppy", &[]);
    let root = project.canonicalize().unwrap();
    let named = format!("`poppy` at {}", root.display());
    let inside = project.join("runtime/pop-hub/src");
    assert!(inside.is_dir(), "the runtime's source is in the project");
    let sub = succeeded(pop_create(&inside, &["add-sub", "rpc"]));
    assert!(text(&sub.stderr).contains(&named), "{}", shown(&sub));
    assert!(project.join("src/rpc/init.rs").is_file());
    let plugin = succeeded(pop_create(&inside, &["add-plugin", "rpc", "math"]));
    assert!(text(&plugin.stderr).contains(&named), "{}", shown(&plugin));
}

#[test]
fn run_in_a_vertical_crate_is_refused_without_building() {
    let scratch = scratch("vertical-run");
    let ext = new_project(&scratch.path, "ext", &["--vertical", "--dyne", "rpc"]);
    fake_cargo(&scratch);
    // Were cargo called, its note `fake-bin/called` would show here.
    let before = snapshot(&scratch.path);
    let output = run_with_fake_cargo(&scratch, &ext.join("src/rpc"));
    assert_same(&before, &snapshot(&scratch.path), "run");
    let refusal = plain_refusal(&output, 2);
    assert!(refusal.error.contains("vertical crate"), "{refusal:?}");
    assert!(
        refusal
            .error
            .contains(&ext.canonicalize().unwrap().display().to_string()),
        "{refusal:?}"
    );
    assert!(refusal.hint.is_some());
}

/// After `add-plugin`, the next step names only what works there: an app
/// can be run, a vertical crate only tested.
#[test]
fn the_next_step_after_add_plugin_fits_the_crate() {
    let scratch = scratch("next-step");
    let app = new_project(&scratch.path, "nextapp", &[]);
    let ext = new_project(&scratch.path, "nextext", &["--vertical", "--dyne", "rpc"]);
    for (project, sub, runs) in [(&app, "nextapp", true), (&ext, "rpc", false)] {
        let output = succeeded(pop_create(project, &["add-plugin", sub, "tools"]));
        let next = text(&output.stderr);
        let next = next
            .lines()
            .find(|line| line.contains("Next"))
            .unwrap_or_default();
        assert!(next.contains("cargo test"), "{next}");
        assert_eq!(next.contains("pop-create run"), runs, "{next}");
    }
}

// ---------------------------------------------------------------------------
// Never overwrite, never half-write

#[test]
fn add_sub_of_an_existing_sub_says_so_and_changes_nothing() {
    let scratch = scratch("sub-exists");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    // The user's own work in the sub.
    std::fs::write(project.join("src/rpc/init.rs"), "// all mine\n").unwrap();
    for args in [
        &["add-sub", "poppy"][..],
        &["add-sub", "rpc"],
        &["add-sub", "rpc", "--pattern", "library"],
        &["add-sub", "rpc", "--force"],
        &["add-sub", "rpc", "--dry-run"],
    ] {
        let output = succeeded(unchanged(&project, &project, args));
        let stderr = text(&output.stderr);
        assert!(stderr.contains("already exists"), "{args:?}: {stderr}");
    }
}

#[test]
fn the_same_add_sub_twice_changes_nothing_the_second_time() {
    let scratch = scratch("sub-twice");
    let project = new_project(&scratch.path, "poppy", &[]);
    for args in [
        &["add-sub", "rpc", "--pattern", "router"][..],
        &["add-sub", "lib"],
        &["add-sub", "boss", "--pattern", "spine"],
    ] {
        let first = succeeded(pop_create(&project, args));
        assert!(!text(&first.stderr).contains("already exists"));
        let after_first = snapshot(&project);
        let second = succeeded(pop_create(&project, args));
        assert!(
            text(&second.stderr).contains(&format!("sub `{}` already exists", args[1])),
            "{}",
            shown(&second)
        );
        assert_same(&after_first, &snapshot(&project), "the second add-sub");
    }
    assert_record_hashes_match(&project);
}

#[test]
fn add_plugin_never_overwrites_an_existing_plugin() {
    let scratch = scratch("plugin-exists");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    succeeded(pop_create(&project, &["add-plugin", "rpc", "math"]));
    let math = project.join("src/rpc/math.rs");
    let edited = format!("{}\n// my own edit\n", read(&math));
    std::fs::write(&math, &edited).unwrap();
    // A plugin file the user wrote by hand.
    std::fs::write(project.join("src/rpc/mine.rs"), "// hand-written\n").unwrap();
    for args in [
        &["add-plugin", "rpc", "math"][..],
        &["add-plugin", "rpc", "math", "--force"],
        &["add-plugin", "rpc", "math", "--dry-run"],
        &["add-plugin", "rpc", "mine"],
        &["add-plugin", "rpc", "mine", "--force"],
    ] {
        let output = succeeded(unchanged(&project, &project, args));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("plugin `rpc.{}` already exists", args[2])),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(read(&math), edited);
}

#[test]
fn add_plugin_to_a_missing_sub_is_refused_with_a_hint() {
    let scratch = scratch("plugin-no-sub");
    let project = new_project(&scratch.path, "poppy", &[]);
    for args in [
        &["add-plugin", "rpc", "math"][..],
        &["add-plugin", "rpc", "math", "--force"],
        &["add-plugin", "rpc.admin", "math"],
    ] {
        let output = unchanged(&scratch.path, &project, args);
        let refusal = plain_refusal(&output, 2);
        assert!(refusal.error.contains("no sub `rpc`"), "{refusal:?}");
        assert!(
            refusal
                .hint
                .as_deref()
                .is_some_and(|hint| hint.contains("pop-create add-sub rpc")),
            "{refusal:?}"
        );
    }
}

#[test]
fn new_into_a_directory_with_files_is_refused_unless_forced() {
    // What `new poppy` writes, for comparison.
    let reference_scratch = scratch("conflict-reference");
    let reference = files(&snapshot(&new_project(
        &reference_scratch.path,
        "poppy",
        &[],
    )));

    let scratch = scratch("conflicts");
    let target = scratch.join("poppy");
    std::fs::create_dir_all(target.join("src")).unwrap();
    std::fs::write(target.join("Cargo.toml"), "# my own manifest\n").unwrap();
    std::fs::write(target.join("src/main.rs"), "fn main() {} // mine\n").unwrap();
    std::fs::write(target.join("README.md"), "# My notes\n").unwrap();
    std::fs::write(target.join("notes.txt"), "my extra file\n").unwrap();
    // A file exactly as pop-create would write it is no conflict.
    std::fs::write(target.join(".gitignore"), &reference[".gitignore"]).unwrap();
    let conflicts = ["Cargo.toml", "README.md", "src/main.rs"];

    // A directory with files in it is refused, as `cargo new` refuses it.
    for args in [
        &["new", "poppy", "--vcs", "none"][..],
        &["new", "poppy", "--vcs", "none", "--no-input"],
        &["new", "poppy", "--vcs", "none", "--dry-run"],
    ] {
        let output = unchanged(&scratch.path, &scratch.path, args);
        let refusal = plain_refusal(&output, 1);
        assert!(
            refusal.error.contains("already exists and is not empty"),
            "{refusal:?}"
        );
        assert!(
            refusal
                .hint
                .as_deref()
                .is_some_and(|hint| hint.contains("--force")),
            "{refusal:?}"
        );
    }

    // With --force, --dry-run shows what would be overwritten.
    let output = succeeded(unchanged(
        &scratch.path,
        &scratch.path,
        &["new", "poppy", "--vcs", "none", "--dry-run", "--force"],
    ));
    let plan = text(&output.stdout);
    for path in conflicts {
        assert!(plan.contains(&format!("  overwrite {path}\n")), "{plan}");
    }
    assert!(plan.contains("  identical .gitignore\n"), "{plan}");

    let before = files(&snapshot(&target));
    let output = succeeded(pop_create(
        &scratch.path,
        &["new", "poppy", "--vcs", "none", "--force"],
    ));
    let stderr = text(&output.stderr);
    let mut warned: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("warning: overwriting "))
        .map(|rest| rest.trim_end_matches(" (--force)"))
        .collect();
    warned.sort();
    assert_eq!(warned, conflicts, "each overwrite is reported:\n{stderr}");
    for path in conflicts {
        assert!(
            stderr.contains(&format!("overwrite {path}")),
            "listed as overwritten: {path}\n{stderr}"
        );
    }
    let after = files(&snapshot(&target));
    for (path, contents) in &before {
        if conflicts.contains(&path.as_str()) {
            assert_eq!(after[path], reference[path], "{path} is overwritten");
        } else {
            assert_eq!(&after[path], contents, "{path} is untouched");
        }
    }
    // The rest is exactly what `new` writes, and the user's extra file.
    let mut expected = reference.clone();
    expected.insert("notes.txt".into(), before["notes.txt"].clone());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(after == expected, "the project is what `new` writes");
    assert_no_leftovers(&scratch.path);
}

#[test]
fn add_sub_refuses_to_overwrite_a_file_in_its_way() {
    let scratch = scratch("sub-conflict");
    let project = new_project(&scratch.path, "poppy", &[]);
    // The user made src/rpc/init.rs by hand; rpc is not in the DYNE map yet.
    std::fs::create_dir_all(project.join("src/rpc")).unwrap();
    std::fs::write(project.join("src/rpc/init.rs"), "// mine\n").unwrap();
    let output = unchanged(&scratch.path, &project, &["add-sub", "rpc"]);
    let refusal = refusal(&output, 1);
    assert_eq!(refusal.list, ["src/rpc/init.rs"], "{refusal:?}");

    let before = files(&snapshot(&project));
    let output = succeeded(pop_create(&project, &["add-sub", "rpc", "--force"]));
    assert!(text(&output.stderr).contains("warning: overwriting src/rpc/init.rs (--force)"));
    let after = files(&snapshot(&project));
    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, contents)| before.get(*path) != Some(contents))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed,
        [
            ".pop-create.toml",
            "src/conf.rs",
            "src/rpc/init.rs",
            "src/subs.rs"
        ],
        "only the file in the way and the planned edits"
    );
    assert_no_leftovers(&scratch.path);
}

#[test]
fn new_over_a_file_is_refused() {
    let scratch = scratch("new-over-file");
    std::fs::write(scratch.join("poppy"), "a file of mine\n").unwrap();
    for args in [
        &["new", "poppy", "--vcs", "none"][..],
        &["new", "poppy", "--vcs", "none", "--force"],
    ] {
        let output = unchanged(&scratch.path, &scratch.path, args);
        let refusal = plain_refusal(&output, 1);
        assert!(refusal.error.contains("not a directory"), "{refusal:?}");
        assert!(refusal.hint.is_some());
    }
}

#[test]
fn broken_project_files_stop_add_sub_before_anything_is_written() {
    let scratch = scratch("broken");
    let project = new_project(&scratch.path, "poppy", &[]);
    let conf = read(project.join("src/conf.rs"));
    std::fs::write(project.join("src/conf.rs"), format!("{conf}\nfn (\n")).unwrap();
    let output = unchanged(&scratch.path, &project, &["add-sub", "rpc"]);
    let refusal = plain_refusal(&output, 1);
    assert!(refusal.error.contains("src/conf.rs"), "{refusal:?}");
    assert!(refusal.hint.is_some());
    std::fs::write(project.join("src/conf.rs"), conf).unwrap();

    let record = read(project.join(".pop-create.toml"));
    std::fs::write(project.join(".pop-create.toml"), "x = [\n").unwrap();
    let output = unchanged(&scratch.path, &project, &["add-sub", "rpc"]);
    let refusal = plain_refusal(&output, 1);
    assert!(refusal.error.contains(".pop-create.toml"), "{refusal:?}");
    assert!(refusal.error.contains("line 1"), "says where: {refusal:?}");
    assert!(refusal.hint.is_some());
    std::fs::write(project.join(".pop-create.toml"), record).unwrap();
}

#[test]
fn a_broken_manifest_is_reported_on_one_line() {
    let scratch = scratch("broken-manifest");
    let project = new_project(&scratch.path, "poppy", &[]);
    let manifest = read(project.join("Cargo.toml"));
    std::fs::write(project.join("Cargo.toml"), format!("{manifest}\n[broken\n")).unwrap();
    for args in [&["add-sub", "rpc"][..], &["add-plugin", "poppy", "math"]] {
        let output = unchanged(&scratch.path, &project, args);
        let refusal = plain_refusal(&output, 1);
        assert!(refusal.error.contains("Cargo.toml"), "{refusal:?}");
        assert!(refusal.hint.is_some(), "{refusal:?}");
    }
}

// ---------------------------------------------------------------------------
// Editing the user's files in place

/// A `src/conf.rs` as a user may keep it: comments everywhere, an option of
/// their own, an extra constant; laid out as rustfmt lays it out.
const USER_CONF: &str = r#"//! poppy's configuration, the way I keep it.

// A note of mine above the imports: keep me.
use pop::conf::{Dyne, Flag, Opt, Subcommand};

/// Every option poppy reads.
pub const CONFIG: &[Opt] = &[
    // My own option, with a comment inside the array.
    Opt::string("greeting", "hi").help("How to greet"), // trailing note
];

/// Flags of mine: none yet.
pub const CLI_CONFIG: &[Flag] = &[];

/* A block comment of mine. */
pub const SUBCOMMANDS: &[Subcommand] = &[];

/// Each sub and its directories.
pub const DYNE: Dyne = &[
    ("poppy", &["poppy"]), // the spine comes first
];

/// Mine too.
pub const ANSWER: u32 = 42; // the answer
"#;

#[test]
fn add_sub_keeps_what_the_user_wrote_in_conf_rs_and_cargo_toml() {
    let scratch = scratch("user-edits");
    let project = new_project(&scratch.path, "poppy", &[]);
    std::fs::write(project.join("src/conf.rs"), USER_CONF).unwrap();
    let manifest = read(project.join("Cargo.toml"));
    assert!(manifest.contains("[dependencies]\n"), "{manifest}");
    let manifest = format!(
        "# My manifest; keep my comments.\n{}\n# A section of mine.\n[features]\nfancy = [] # mine\n",
        manifest.replacen(
            "[dependencies]\n",
            "[dependencies]\n# my own dependency, below\nanyhow = \"1\"   # spaced as I like it\n",
            1
        )
    );
    std::fs::write(project.join("Cargo.toml"), &manifest).unwrap();

    succeeded(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));

    let conf = read(project.join("src/conf.rs"));
    let (removed, added) = line_diff(USER_CONF, &conf);
    // Only the empty CLI_CONFIG may be laid out afresh to take the flags.
    assert!(
        removed
            .iter()
            .all(|line| *line == "pub const CLI_CONFIG: &[Flag] = &[];"),
        "lines of the user's were changed: {removed:?}\n{conf}"
    );
    for line in &added {
        let inserted = ["\"rpc\"", "\"addr\"", "\"port\"", "\"log_format\""]
            .iter()
            .any(|name| line.contains(name));
        let relaid = ["pub const CLI_CONFIG: &[Flag] = &[", "];"].contains(line);
        assert!(inserted || relaid, "unexpected new line {line:?}\n{conf}");
    }
    for needle in [
        "(\"rpc\", &[\"rpc\"])",
        "\"addr\"",
        "\"port\"",
        "\"log_format\"",
    ] {
        assert!(
            added.iter().any(|line| line.contains(needle)),
            "{needle} added:\n{conf}"
        );
    }
    assert!(conf.ends_with('\n'));

    // The runtime line gains the router feature; nothing else changes.
    let edited = read(project.join("Cargo.toml"));
    let (removed, added) = line_diff(&manifest, &edited);
    assert_eq!(
        (removed, added),
        (
            vec![r#"pop = { package = "pop-hub", version = ">=0.2" }"#],
            vec![r#"pop = { package = "pop-hub", version = ">=0.2", features = ["router"] }"#]
        ),
        "{edited}"
    );
    assert!(edited.ends_with('\n'));
    assert_record_hashes_match(&project);
}

// ---------------------------------------------------------------------------
// --dry-run

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let scratch = scratch("dry-run");
    let output = succeeded(unchanged(
        &scratch.path,
        &scratch.path,
        &["new", "poppy", "--dry-run"],
    ));
    let plan = text(&output.stdout);
    for path in [
        "Cargo.toml",
        "build.rs",
        "src/main.rs",
        "src/conf.rs",
        "src/poppy/init.rs",
        "README.md",
        ".gitignore",
        ".pop-create.toml",
    ] {
        assert!(
            plan.lines().any(|line| line.ends_with(&format!(" {path}"))),
            "{path} is in the plan:\n{plan}"
        );
    }
    let root = scratch.path.canonicalize().unwrap().join("poppy");
    assert!(
        plan.contains(&root.display().to_string()),
        "names the root:\n{plan}"
    );
    assert!(text(&output.stderr).contains("nothing was written"));
    assert!(!scratch.join("poppy").exists());

    let project = new_project(&scratch.path, "poppy", &[]);
    let output = succeeded(unchanged(
        &scratch.path,
        &project,
        &["add-sub", "rpc", "--pattern", "router", "--dry-run"],
    ));
    let plan = text(&output.stdout);
    for path in [
        "src/rpc/init.rs",
        "src/conf.rs",
        "Cargo.toml",
        ".pop-create.toml",
    ] {
        assert!(plan.contains(&format!(" {path}")), "{path}:\n{plan}");
    }
    assert!(text(&output.stderr).contains("nothing was written"));

    succeeded(pop_create(&project, &["add-sub", "rpc"]));
    let output = succeeded(unchanged(
        &scratch.path,
        &project,
        &["add-plugin", "rpc", "math", "--dry-run"],
    ));
    let plan = text(&output.stdout);
    assert!(plan.contains(" src/rpc/math.rs"), "{plan}");
    assert!(text(&output.stderr).contains("nothing was written"));
    assert_no_leftovers(&scratch.path);
}

// ---------------------------------------------------------------------------
// Prompts

#[test]
fn without_a_name_and_a_terminal_nothing_prompts_or_hangs() {
    let scratch = scratch("no-input");
    let project = new_project(&scratch.path, "poppy", &[]);
    let cases: &[(&Path, &[&str], &str)] = &[
        (&scratch.path, &["new"], "NAME is required"),
        (&scratch.path, &["new", "--no-input"], "NAME is required"),
        (&scratch.path, &["new", "--vcs", "none"], "NAME is required"),
        (&project, &["add-sub"], "NAME is required"),
        (&project, &["add-sub", "--no-input"], "NAME is required"),
        (&project, &["add-plugin"], "SUB"),
        (
            &project,
            &["add-plugin", "poppy", "--no-input"],
            "NAME is required",
        ),
    ];
    for (dir, args, needle) in cases {
        // Stdin closed, and stdin open but never written to (a pipe).
        for stdin in [Stdio::null(), Stdio::piped()] {
            let before = snapshot(&scratch.path);
            let mut command = pop_create_command(dir, args);
            command.stdin(stdin);
            let output = output_within(command);
            assert_same(&before, &snapshot(&scratch.path), &format!("{args:?}"));
            let refusal = plain_refusal(&output, 2);
            assert!(refusal.error.contains(needle), "{args:?}: {refusal:?}");
            assert!(refusal.hint.is_some());
        }
    }
}

// ---------------------------------------------------------------------------
// What a new project holds

#[test]
fn the_record_holds_the_version_the_answers_and_true_hashes() {
    let scratch = scratch("record");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc", "-d", "store"]);
    let document = record(&project);
    assert_eq!(
        document["pop-create"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let answers = &document["answers"];
    assert_eq!(answers["name"].as_str(), Some("poppy"));
    assert_eq!(answers["vertical"].as_bool(), Some(false));
    assert_eq!(answers["vcs"].as_str(), Some("none"));
    let dynes: Vec<&str> = answers["dynes"]
        .as_array()
        .expect("dynes is an array")
        .iter()
        .filter_map(|dyne| dyne.as_str())
        .collect();
    assert_eq!(dynes, ["rpc", "store"]);

    // Every file pop-create generated is tracked (the lockfile is Cargo's,
    // src/subs.rs the build's, the record cannot hold its own hash), and
    // each hash is right.
    let mut tracked = assert_record_hashes_match(&project);
    tracked.sort();
    let untracked = ["Cargo.lock", "src/subs.rs", ".pop-create.toml"];
    let generated: Vec<String> = files(&snapshot(&project))
        .into_keys()
        .filter(|path| !untracked.contains(&path.as_str()))
        .collect();
    assert_eq!(tracked, generated);

    // Later commands keep it true.
    succeeded(pop_create(
        &project,
        &["add-sub", "web", "--pattern", "router"],
    ));
    succeeded(pop_create(&project, &["add-plugin", "rpc", "math"]));
    let tracked = assert_record_hashes_match(&project);
    for path in [
        "src/web/init.rs",
        "src/conf.rs",
        "Cargo.toml",
        "src/rpc/math.rs",
    ] {
        assert!(tracked.iter().any(|p| p == path), "{path} is tracked");
    }
    let document = record(&project);
    assert_eq!(document["subs"]["web"].as_str(), Some("router"));
    let plugins: Vec<&str> = document["plugins"]
        .as_array()
        .expect("plugins is an array")
        .iter()
        .filter_map(|plugin| plugin.as_str())
        .collect();
    assert_eq!(plugins, ["rpc.math"]);
}

#[test]
fn a_new_project_has_no_build_artefacts_or_machine_paths() {
    let scratch = scratch("clean");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    let entries: Vec<String> = std::fs::read_dir(&scratch.path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["poppy"], "nothing is left beside the project");
    succeeded(pop_create(
        &project,
        &["add-sub", "web", "--pattern", "router"],
    ));
    succeeded(pop_create(&project, &["add-plugin", "web", "math"]));
    for (path, _) in snapshot(&project) {
        let parts: Vec<&str> = path.split('/').collect();
        for bad in ["target", ".DS_Store", "__pycache__"] {
            assert!(!parts.contains(&bad), "{path} was written");
        }
        assert!(
            !path.ends_with(".orig") && !path.ends_with(".rej"),
            "{path}"
        );
    }
    assert_no_leftovers(&scratch.path);
    assert_no_machine_paths(&project);
    // Nor the scratch directory's, nor the user's home.
    let mut forbidden = vec![scratch.path.display().to_string()];
    if let Some(home) = std::env::var_os("HOME").filter(|home| home.len() > 1) {
        forbidden.push(format!("{}/", Path::new(&home).display()));
    }
    for (path, contents) in files(&snapshot(&project)) {
        if path == "Cargo.lock" {
            continue;
        }
        for needle in &forbidden {
            assert!(
                !text(&contents).contains(needle.as_str()),
                "{path} has {needle}"
            );
        }
    }
}

#[test]
fn add_plugin_writes_a_plugin_with_a_test() {
    let scratch = scratch("plugin");
    let project = new_project(&scratch.path, "poppy", &[]);
    succeeded(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    let output = succeeded(pop_create(&project, &["add-plugin", "rpc", "math"]));
    assert!(text(&output.stderr).contains("src/rpc/math.rs"));
    let math = read(project.join("src/rpc/math.rs"));
    assert!(math.contains("#[plugin]"), "{math}");
    assert!(math.contains("use pop::prelude::*;"), "{math}");
    let test_module = math.find("#[cfg(test)]").expect("a test module");
    assert!(math[test_module..].contains("#[test]"), "{math}");

    // A nested sub's plugin goes in its own directory.
    succeeded(pop_create(&project, &["add-plugin", "rpc.admin", "users"]));
    let users = read(project.join("src/rpc/admin/users.rs"));
    assert!(users.contains("#[plugin]") && users.contains("#[cfg(test)]"));
}

#[test]
fn new_initialises_git_by_default_when_git_is_installed() {
    if !git_installed() {
        eprintln!("git is not installed: nothing to check");
        return;
    }
    let scratch = scratch("git");
    let inside_a_repository = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(&scratch.path)
        .output()
        .is_ok_and(|output| output.status.success());
    if inside_a_repository {
        eprintln!("the temp dir is inside a git repository: pop-create rightly makes none");
        return;
    }
    let output = succeeded(pop_create(&scratch.path, &["new", "poppy"]));
    let project = scratch.join("poppy");
    assert!(project.join(".git").is_dir(), "{}", shown(&output));
    assert_eq!(record(&project)["answers"]["vcs"].as_str(), Some("git"));
    let none = new_project(&scratch.path, "plain", &[]);
    assert!(!none.join(".git").exists());
}

// ---------------------------------------------------------------------------
// The command line itself

#[test]
fn unknown_commands_and_flags_get_clap_s_message() {
    let scratch = scratch("clap");
    let project = new_project(&scratch.path, "poppy", &[]);
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (&["new", "x", "--frob"], "unexpected argument '--frob'"),
        (
            &["add-sub", "rpc", "--frob"],
            "unexpected argument '--frob'",
        ),
        (
            &["add-plugin", "rpc", "math", "extra"],
            "unexpected argument 'extra'",
        ),
        (&["new", "x", "--vcs", "svn"], "invalid value 'svn'"),
        (&["completions", "tcsh"], "invalid value 'tcsh'"),
        (&["--frob"], "unexpected argument '--frob'"),
    ];
    for (args, needle) in cases {
        let output = unchanged(&scratch.path, &project, args);
        let stderr = clap_refusal(&output);
        assert!(stderr.contains(needle), "{args:?}:\n{stderr}");
    }
    // No command at all: clap's help, as a usage error.
    let bare = unchanged(&scratch.path, &project, &[]);
    assert_eq!(bare.status.code(), Some(2), "{}", shown(&bare));
    assert_no_panic(&bare);
    assert!(text(&bare.stderr).contains("Usage: pop-create [OPTIONS] <COMMAND>"));
    let version = succeeded(pop_create(&scratch.path, &["--version"]));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("pop-create {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_for_bash_know_the_commands() {
    let scratch = scratch("completions");
    let output = succeeded(unchanged(
        &scratch.path,
        &scratch.path,
        &["completions", "bash"],
    ));
    let script = text(&output.stdout);
    for needle in ["add-sub", "add-plugin", "--pattern", "complete"] {
        assert!(script.contains(needle), "{needle} in:\n{script}");
    }
    assert!(output.stderr.is_empty(), "{}", shown(&output));
}

#[test]
fn no_colour_without_a_terminal_or_with_no_color() {
    let scratch = scratch("colour");
    let project = new_project(&scratch.path, "poppy", &[]);
    let runs: &[(&Path, &[&str])] = &[
        (&scratch.path, &["new", "made", "--vcs", "none"]),
        (&scratch.path, &["new", "Bad"]),
        (&project, &["add-sub", "rpc", "--dry-run"]),
        (&project, &["add-sub", "poppy"]),
        (&scratch.path, &["frobnicate"]),
        (&scratch.path, &["--help"]),
    ];
    for (dir, args) in runs {
        for no_color in [true, false] {
            let mut command = pop_create_command(dir, args);
            if !no_color {
                command.env_remove("NO_COLOR").env("TERM", "xterm-256color");
            }
            let output = output_within(command);
            assert_no_panic(&output);
            for bytes in [&output.stdout, &output.stderr] {
                assert!(
                    !bytes.contains(&0x1b),
                    "{args:?} (NO_COLOR: {no_color}) printed an escape code:\n{}",
                    shown(&output)
                );
            }
        }
        let _ = std::fs::remove_dir_all(scratch.join("made"));
    }

    // On a terminal (script(1) provides one, where installed), NO_COLOR
    // still turns colour off, while without it pop-create does colour.
    if !Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        eprintln!("script(1) is not installed: terminal colours not checked");
        return;
    }
    let on_a_terminal = |no_color: bool, args: &str| -> Output {
        let env = if no_color {
            "env NO_COLOR=1"
        } else {
            "env -u NO_COLOR TERM=xterm-256color"
        };
        let line = format!("{env} RUST_BACKTRACE=1 '{POP_CREATE}' {args}");
        let mut command = Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .current_dir(&scratch.path)
            .stdin(Stdio::null());
        output_within(command)
    };
    for args in ["new Bad", "new tty --vcs none"] {
        let plain = on_a_terminal(true, args);
        assert_no_panic(&plain);
        assert!(!plain.stdout.contains(&0x1b), "{}", shown(&plain));
        let _ = std::fs::remove_dir_all(scratch.join("tty"));
        let coloured = on_a_terminal(false, args);
        assert!(coloured.stdout.contains(&0x1b), "{}", shown(&coloured));
        let _ = std::fs::remove_dir_all(scratch.join("tty"));
    }
}

/// On a terminal (script(1) provides one), a missing NAME is asked for; a bad
/// answer is refused with its hint and asked again.
#[test]
fn on_a_terminal_a_missing_name_is_asked_for() {
    if !Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("script(1) is not installed: prompts not checked");
        return;
    }
    let scratch = scratch("prompt");
    let line = format!(
        "printf 'Bad Name\\nasked\\n' | script -qec \"'{POP_CREATE}' new --vcs none\" /dev/null"
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", &line])
        .current_dir(&scratch.path)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1");
    let output = output_within(command);
    let all = shown(&output);
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("Project name"),
        "the question is asked:\n{all}"
    );
    assert!(
        all.contains("error: invalid project name `Bad Name`"),
        "the bad answer is refused:\n{all}"
    );
    assert!(
        scratch.join("asked/src/asked/init.rs").is_file(),
        "the second answer is used:\n{all}"
    );
}

// ---------------------------------------------------------------------------
// update, remove-sub, remove-plugin: refusals

#[test]
fn update_refuses_outside_a_project_without_a_record_or_from_a_newer_version() {
    let scratch = scratch("update-refusals");
    let empty = scratch.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let refusal = plain_refusal(&unchanged(&scratch.path, &empty, &["update"]), 2);
    assert!(
        refusal.error.contains("not inside a pop project"),
        "{refusal:?}"
    );

    let project = new_project(&scratch.path, "poppy", &[]);
    let record = read(project.join(".pop-create.toml"));
    std::fs::remove_file(project.join(".pop-create.toml")).unwrap();
    for args in [&["update"][..], &["update", "--dry-run"]] {
        let refusal = plain_refusal(&unchanged(&scratch.path, &project, args), 2);
        assert!(
            refusal.error.contains("has no .pop-create.toml"),
            "{refusal:?}"
        );
        assert!(refusal.hint.is_some());
    }
    std::fs::write(
        project.join(".pop-create.toml"),
        record.replace(env!("CARGO_PKG_VERSION"), "99.0.0"),
    )
    .unwrap();
    let refusal = plain_refusal(&unchanged(&scratch.path, &project, &["update"]), 2);
    assert!(
        refusal.error.contains("made by pop-create 99.0.0, newer"),
        "{refusal:?}"
    );
    assert!(
        refusal
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("nothing was written"))
    );
    // Other commands refuse such a project too, rather than mix versions.
    let refusal = plain_refusal(&unchanged(&scratch.path, &project, &["add-sub", "rpc"]), 2);
    assert!(refusal.error.contains("newer pop-create"), "{refusal:?}");
}

#[test]
fn a_fresh_project_is_up_to_date() {
    let scratch = scratch("fresh-update");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    succeeded(pop_create(
        &project,
        &["add-sub", "web", "--pattern", "router"],
    ));
    succeeded(pop_create(&project, &["add-plugin", "web", "math"]));
    let output = succeeded(unchanged(&project, &project, &["update"]));
    assert!(
        text(&output.stderr).contains("is up to date"),
        "{}",
        shown(&output)
    );
}

#[test]
fn remove_sub_and_remove_plugin_refuse_what_they_cannot_undo() {
    let scratch = scratch("remove-refusals");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    let cases: &[(&[&str], &str)] = &[
        (&["remove-sub", "web"], "no sub `web`"),
        (&["remove-sub", "poppy"], "the spine sub"),
        (&["remove-sub", "Bad"], "snake_case"),
        (&["remove-plugin", "rpc", "math"], "no plugin `rpc.math`"),
        (&["remove-plugin", "web", "math"], "no sub `web`"),
    ];
    for (args, why) in cases {
        let refusal = plain_refusal(&unchanged(&scratch.path, &project, args), 2);
        assert!(refusal.error.contains(why), "{args:?}: {refusal:?}");
        assert!(refusal.hint.is_some(), "{args:?}");
    }
    // A sub a member crate of the app extends.
    succeeded(pop_create(
        &project,
        &["new", "ext", "--vertical", "--dyne", "rpc"],
    ));
    let refusal = plain_refusal(
        &unchanged(&scratch.path, &project, &["remove-sub", "rpc"]),
        2,
    );
    assert!(
        refusal.error.contains("extended by crate `ext`"),
        "{refusal:?}"
    );
}

#[test]
fn removing_over_an_edited_or_added_file_lists_it_and_changes_nothing_without_force() {
    let scratch = scratch("remove-edited");
    let project = new_project(&scratch.path, "poppy", &[]);
    succeeded(pop_create(&project, &["add-sub", "rpc"]));
    succeeded(pop_create(&project, &["add-plugin", "rpc", "math"]));
    let init = project.join("src/rpc/init.rs");
    std::fs::write(&init, format!("{}\n// mine\n", read(&init))).unwrap();
    std::fs::write(project.join("src/rpc/notes.rs"), "// my own plugin\n").unwrap();
    let sub = refusal(
        &unchanged(&scratch.path, &project, &["remove-sub", "rpc"]),
        1,
    );
    assert_eq!(
        sub.list,
        [
            "src/rpc/init.rs (edited)",
            "src/rpc/notes.rs (not made by pop-create)"
        ],
        "{sub:?}"
    );
    assert!(sub.hint.as_deref().is_some_and(|h| h.contains("--force")));
    let math = project.join("src/rpc/math.rs");
    std::fs::write(&math, format!("{}\n// mine too\n", read(&math))).unwrap();
    let plugin = refusal(
        &unchanged(&scratch.path, &project, &["remove-plugin", "rpc", "math"]),
        1,
    );
    assert_eq!(plugin.list, ["src/rpc/math.rs (edited)"]);

    succeeded(pop_create(&project, &["remove-sub", "rpc", "--force"]));
    assert!(!project.join("src/rpc").exists());
    assert!(!read(project.join("src/conf.rs")).contains("\"rpc\""));
    assert!(!read(project.join("src/subs.rs")).contains("rpc"));
    assert_record_hashes_match(&project);
    assert!(!read(project.join(".pop-create.toml")).contains("rpc"));
}

#[test]
fn dyne_takes_one_value_per_flag() {
    let scratch = scratch("dyne-flag");
    succeeded(pop_create(
        &scratch.path,
        &["new", "-d", "rpc", "poppy", "--vcs", "none", "-d", "web"],
    ));
    let project = scratch.join("poppy");
    assert!(project.join("src/rpc/init.rs").is_file() && project.join("src/web/init.rs").is_file());
    let dynes: Vec<String> = record(&project)["answers"]["dynes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(dynes, ["rpc", "web"]);
}

/// Each `--license` writes its licence texts and the manifest's `license`
/// field; each `--ci` its workflow, which is valid YAML; `none` writes none.
#[test]
fn each_license_and_ci_choice_writes_its_files() {
    let scratch = scratch("choices");
    let cases: &[(&str, &str, &[&str], Option<&str>)] = &[
        ("mit", "MIT", &["LICENSE"], Some(".github/workflows/ci.yml")),
        ("apache", "Apache-2.0", &["LICENSE"], Some(".gitlab-ci.yml")),
        (
            "dual",
            "MIT OR Apache-2.0",
            &["LICENSE-MIT", "LICENSE-APACHE"],
            Some(".github/workflows/ci.yml"),
        ),
        ("unlicensed", "none", &[], None),
    ];
    for (name, license, files, workflow) in cases {
        let ci = match workflow {
            Some(path) if path.contains("gitlab") => "gitlab",
            Some(_) => "github",
            None => "none",
        };
        let args = [
            "new",
            name,
            "--vcs",
            "none",
            "--license",
            license,
            "--ci",
            ci,
        ];
        succeeded(pop_create(&scratch.path, &args));
        let project = scratch.join(name);
        let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        let field = format!("license = \"{license}\"");
        assert_eq!(
            manifest.contains(&field),
            *license != "none",
            "{name}: {manifest}"
        );
        for file in *files {
            let text = std::fs::read_to_string(project.join(file)).unwrap();
            let title = if file.contains("APACHE") || *license == "Apache-2.0" {
                "Apache License"
            } else {
                "MIT License"
            };
            assert!(text.contains(title), "{name}: {file}");
        }
        for stray in ["LICENSE", "LICENSE-MIT", "LICENSE-APACHE"] {
            if !files.contains(&stray) {
                assert!(!project.join(stray).exists(), "{name}: {stray}");
            }
        }
        for path in [".github/workflows/ci.yml", ".gitlab-ci.yml"] {
            let exists = project.join(path).exists();
            assert_eq!(exists, *workflow == Some(path), "{name}: {path}");
            if exists {
                let text = std::fs::read_to_string(project.join(path)).unwrap();
                let parsed = yaml_rust2::YamlLoader::load_from_str(&text);
                assert!(
                    parsed.is_ok_and(|docs| docs.len() == 1),
                    "{name}: {path} is not YAML"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile surroundings (issue 13)

/// The old staging directory was `.NAME.pop-create-PID`: a link planted there
/// (for any PID to come) made `new` write wherever it pointed.
#[cfg(unix)]
#[test]
fn new_never_writes_through_a_planted_link() {
    let scratch = scratch("planted-links");
    let decoy = scratch.join("decoy");
    std::fs::create_dir_all(&decoy).unwrap();
    let work = scratch.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let next_pid = std::process::id();
    for pid in next_pid..next_pid + 200 {
        std::os::unix::fs::symlink(&decoy, work.join(format!(".poppy.pop-create-{pid}"))).unwrap();
    }
    succeeded(pop_create(&work, &["new", "poppy", "--vcs", "none"]));
    assert!(
        std::fs::read_dir(&decoy).unwrap().next().is_none(),
        "nothing in the decoy"
    );
    let project = std::fs::symlink_metadata(work.join("poppy")).unwrap();
    assert!(project.is_dir() && !project.file_type().is_symlink());

    // A link at the target itself is refused, with or without --force.
    std::os::unix::fs::symlink(&decoy, work.join("linked")).unwrap();
    for args in [
        &["new", "linked", "--vcs", "none"][..],
        &["new", "linked", "--vcs", "none", "--force"],
    ] {
        let refusal = plain_refusal(&unchanged(&scratch.path, &work, args), 1);
        assert!(refusal.error.contains("symbolic link"), "{refusal:?}");
    }
    assert!(std::fs::read_dir(&decoy).unwrap().next().is_none());
}

#[test]
fn a_staging_directory_left_by_a_killed_new_is_reported_and_removed() {
    let scratch = scratch("leftover");
    let stale = scratch.join(".poppy.pop-create-abc123");
    std::fs::create_dir_all(stale.join("src")).unwrap();
    std::fs::write(stale.join("src/main.rs"), "half written").unwrap();
    // As old as a run killed long ago.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let output = succeeded(pop_create(
        &scratch.path,
        &["new", "poppy", "--vcs", "none"],
    ));
    assert!(
        text(&output.stderr).contains(".poppy.pop-create-abc123"),
        "{}",
        shown(&output)
    );
    assert!(!stale.exists(), "removed");
    assert_no_leftovers(&scratch.path);
}

#[test]
fn add_sub_edits_every_form_of_dyne_without_panicking() {
    let scratch = scratch("dyne-forms");
    let project = new_project(&scratch.path, "poppy", &[]);
    let conf = read(project.join("src/conf.rs"));
    let original = r#"pub const DYNE: Dyne = &[("poppy", &["poppy"])];"#;
    assert!(conf.contains(original), "{conf}");
    let forms = [
        r#"pub const DYNE: Dyne = &[("poppy", &["poppy"]) /* the spine */];"#,
        r#"pub const DYNE: Dyne = &[("poppy", &["poppy"]), /* the spine */];"#,
        r#"pub static DYNE: Dyne = &[("poppy", &["poppy"])];"#,
        "#[rustfmt::skip]\npub const DYNE: Dyne = &[ (\"poppy\",&[\"poppy\"]) ];",
    ];
    for form in forms {
        std::fs::write(project.join("src/conf.rs"), conf.replace(original, form)).unwrap();
        let output = succeeded(pop_create(&project, &["add-sub", "extra"]));
        let edited = read(project.join("src/conf.rs"));
        assert!(
            edited.contains(r#"("extra", &["extra"])"#),
            "{form}:\n{edited}\n{}",
            shown(&output)
        );
        for kept in [
            "/* the spine */",
            "pub static DYNE",
            "&[ (\"poppy\",&[\"poppy\"])",
        ] {
            assert_eq!(
                form.contains(kept),
                edited.contains(kept),
                "{form}:\n{edited}"
            );
        }
        succeeded(pop_create(&project, &["remove-sub", "extra"]));
    }
}

#[test]
fn add_sub_router_refuses_options_of_the_wrong_type() {
    let scratch = scratch("router-types");
    let project = new_project(&scratch.path, "poppy", &[]);
    let conf = read(project.join("src/conf.rs"));
    std::fs::write(
        project.join("src/conf.rs"),
        conf.replace(
            "pub const CONFIG: &[Opt] = &[];",
            "pub const CONFIG: &[Opt] = &[Opt::string(\"port\", \"8888\")];",
        ),
    )
    .unwrap();
    let output = unchanged(
        &scratch.path,
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    );
    let refusal = plain_refusal(&output, 1);
    assert!(
        refusal.error.contains("`port` as `Opt::string`"),
        "{refusal:?}"
    );
    assert!(
        refusal
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("Opt::u16"))
    );
}

#[test]
fn names_cargo_or_clippy_would_refuse_later_are_refused_now() {
    let scratch = scratch("later-names");
    let project = new_project(&scratch.path, "poppy", &["--dyne", "rpc"]);
    let cases: &[(&Path, &[&str], &str)] = &[
        (&scratch.path, &["new", "build"], "Cargo refuses"),
        (&scratch.path, &["new", "deps"], "Cargo refuses"),
        (&scratch.path, &["new", "examples"], "Cargo refuses"),
        (&scratch.path, &["new", "incremental"], "Cargo refuses"),
        (&project, &["add-sub", "init"], "module_inception"),
        (
            &project,
            &["add-plugin", "rpc", "tests"],
            "module_inception",
        ),
        (&project, &["add-plugin", "rpc", "rpc"], "module_inception"),
    ];
    for (dir, args, why) in cases {
        let refusal = plain_refusal(&unchanged(&scratch.path, dir, args), 2);
        assert!(refusal.error.contains(why), "{args:?}: {refusal:?}");
    }
    let refusal = plain_refusal(
        &unchanged(&scratch.path, &scratch.path, &["new", "My-App"]),
        2,
    );
    assert_eq!(refusal.hint.as_deref(), Some("try `my-app`"), "{refusal:?}");
}
