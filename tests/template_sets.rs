//! Template sets (SPEC section 15): a team's own templates on `new`,
//! `add-sub`, `add-plugin` and `update`, from a directory or a git
//! repository at a revision; and the sets that must be refused whole, with
//! nothing written.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// The worked example set in this repository.
fn example_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/template-set")
}

fn stderr_of(output: &std::process::Output) -> String {
    text(&output.stderr)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=ACME",
            "-c",
            "user.email=platform@acme.example",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        stderr_of(&output)
    );
    text(&output.stdout).trim().to_owned()
}

/// The example set from its directory: its app files, its own `worker`
/// pattern and the plugin file of that pattern; `add-sub --help` lists the
/// pattern; the project builds and passes its own tests, clippy and rustfmt.
#[test]
fn a_directory_set_brings_its_files_and_its_own_pattern() {
    let scratch = Scratch::new("set-dir");
    let set = example_set();
    let output = ok(pop_create(
        &scratch.path,
        &[
            "new",
            "acme-app",
            "--template",
            set.to_str().unwrap(),
            "--vcs",
            "none",
            "--ci",
            "none",
        ],
    ));
    assert!(
        stderr_of(&output).contains("Template set `acme` 1.0.0"),
        "{}",
        stderr_of(&output)
    );
    let project = scratch.join("acme-app");
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    assert!(
        readme.contains("An ACME service") && readme.contains("`acme` template set 1.0.0"),
        "{readme}"
    );
    assert_eq!(
        std::fs::read(project.join("clippy.toml")).unwrap(),
        std::fs::read(set.join("app/clippy.toml")).unwrap(),
        "a file that is not a template is copied byte for byte"
    );
    let record = std::fs::read_to_string(project.join(".pop-create.toml")).unwrap();
    assert!(record.contains("[template]\nsource = "), "{record}");
    assert!(
        record.contains("name = \"acme\"\nversion = \"1.0.0\""),
        "{record}"
    );
    assert!(record.contains("patterns = [\"worker\"]"), "{record}");

    let help = ok(pop_create(&project, &["add-sub", "--help"]));
    assert!(
        text(&help.stdout).contains("template set `acme` 1.0.0 adds: worker"),
        "{}",
        text(&help.stdout)
    );
    ok(pop_create(
        &project,
        &["add-sub", "jobs", "--pattern", "worker"],
    ));
    assert!(
        std::fs::read_to_string(project.join("src/jobs/init.rs"))
            .unwrap()
            .contains("ACME's worker pattern")
    );
    ok(pop_create(&project, &["add-plugin", "jobs", "resize"]));
    assert!(
        std::fs::read_to_string(project.join("src/jobs/resize.rs"))
            .unwrap()
            .contains("The `resize` jobs of the `jobs` worker")
    );
    // pop's own patterns are still there, with the set in place.
    ok(pop_create(&project, &["add-sub", "tools"]));
    let unknown = pop_create(&project, &["add-sub", "x", "--pattern", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr_of(&unknown));
    assert!(
        stderr_of(&unknown)
            .contains("hint: use one of: spine, router, library, beacon, collection, flow, worker"),
        "{}",
        stderr_of(&unknown)
    );
    passes_its_checks(&project);
    let fresh = ok(pop_create(&project, &["update"]));
    assert!(
        stderr_of(&fresh).contains("up to date"),
        "{}",
        stderr_of(&fresh)
    );
}

/// The example set as a git repository, taken at a tag; then the set moves
/// to 1.1.0 and `update` takes the project there with the three-way rules:
/// an untouched file replaced, an edited one merged, a conflict marked.
#[test]
fn a_git_set_at_a_revision_and_its_next_version() {
    let scratch = Scratch::new("set-git");
    let repo = scratch.join("acme-templates");
    copy_dir(&example_set(), &repo);
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "acme 1.0.0"]);
    git(&repo, &["tag", "v1.0.0"]);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    // 1.1.0: a new README line, another clippy threshold, a worker doc line.
    let edit = |path: &str, from: &str, to: &str| {
        let file = repo.join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{path}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    edit("pop-create-template.toml", "1.0.0", "1.1.0");
    edit(
        "app/README.md.tera",
        "An ACME service,",
        "An ACME service (house style 1.1),",
    );
    edit("app/clippy.toml", "threshold = 6", "threshold = 7");
    edit(
        "sub/worker/src/{{ sub }}/init.rs.tera",
        "for ACME's\n//! dashboards.",
        "for ACME's\n//! dashboards (see go/acme-workers).",
    );
    git(&repo, &["commit", "--quiet", "-am", "acme 1.1.0"]);
    let v2 = git(&repo, &["rev-parse", "HEAD"]);

    let url = format!("file://{}", repo.display());
    ok(pop_create(
        &scratch.path,
        &[
            "new",
            "acme-app",
            "--template",
            &format!("{url}#v1.0.0"),
            "--vcs",
            "none",
        ],
    ));
    let project = scratch.join("acme-app");
    let record = std::fs::read_to_string(project.join(".pop-create.toml")).unwrap();
    assert!(record.contains(&format!("revision = \"{v1}\"")), "{record}");
    assert!(record.contains(&format!("source = \"{url}\"")), "{record}");
    ok(pop_create(
        &project,
        &["add-sub", "jobs", "--pattern", "worker"],
    ));
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    assert!(readme.contains("template set 1.0.0"), "{readme}");

    // The user's edits: one that merges, one that conflicts.
    let readme_path = project.join("README.md");
    std::fs::write(
        &readme_path,
        format!("{readme}\n## Our notes\n\nOn call: #acme-app.\n"),
    )
    .unwrap();
    std::fs::write(
        project.join("clippy.toml"),
        "# ACME's clippy settings, in every service.\ntoo-many-arguments-threshold = 9\n",
    )
    .unwrap();
    let worker_before = std::fs::read_to_string(project.join("src/jobs/init.rs")).unwrap();

    let dry = pop_create(&project, &["update", "--dry-run"]);
    assert!(stderr_of(&dry).contains("1.0.0"), "{}", stderr_of(&dry));
    let output = pop_create(&project, &["update"]);
    let stderr = stderr_of(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a conflict exits 1:\n{stderr}"
    );
    let (short1, short2) = (&v1[..7], &v2[..7]);
    assert!(
        stderr.contains(&format!(
            "template set `acme` 1.0.0 ({short1}) → `acme` 1.1.0 ({short2})"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("\n  clippy.toml"), "{stderr}");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    assert!(
        readme.contains("house style 1.1") && readme.contains("On call: #acme-app."),
        "merged: {readme}"
    );
    let clippy = std::fs::read_to_string(project.join("clippy.toml")).unwrap();
    assert!(
        clippy.contains("<<<<<<< yours")
            && clippy.contains("threshold = 9")
            && clippy.contains("threshold = 7"),
        "{clippy}"
    );
    let worker = std::fs::read_to_string(project.join("src/jobs/init.rs")).unwrap();
    assert_ne!(worker, worker_before);
    assert!(worker.contains("go/acme-workers"), "replaced: {worker}");
    let record = std::fs::read_to_string(project.join(".pop-create.toml")).unwrap();
    assert!(
        record.contains("version = \"1.1.0\"") && record.contains(&format!("revision = \"{v2}\"")),
        "{record}"
    );
}

/// One hostile or broken set, next to the example: its manifest and files.
struct BadSet {
    what: &'static str,
    /// Files to add (path within the set, contents); `->` makes a link.
    files: &'static [(&'static str, &'static str)],
    /// Words the refusal must hold.
    says: &'static [&'static str],
    /// The exit code: 2 when the source is not a set at all, 1 for a set
    /// that is refused.
    code: i32,
}

const BAD_SETS: &[BadSet] = &[
    BadSet {
        what: "a symbolic link",
        files: &[("app/LICENSE", "-> /etc/passwd")],
        says: &["app/LICENSE", "symbolic link"],
        code: 1,
    },
    BadSet {
        what: "a template that does not parse",
        files: &[("app/NOTES.md.tera", "# Notes\n\nhello {{ name \nmore\n")],
        says: &["app/NOTES.md.tera:4:1", "does not parse"],
        code: 1,
    },
    BadSet {
        what: "a path that climbs out",
        files: &[("app/{{ \"..\" }}/{{ \"..\" }}/evil.txt", "evil")],
        says: &["outside the project", "evil.txt"],
        code: 1,
    },
    BadSet {
        what: "an absolute path",
        files: &[("app/{{ \"/tmp\" }}/evil.txt", "evil")],
        says: &["outside the project"],
        code: 1,
    },
    BadSet {
        what: "the runtime's copy",
        files: &[("app/runtime/pop-hub/src/lib.rs", "// not the runtime\n")],
        says: &["runtime/pop-hub/src/lib.rs", "pop-create keeps itself"],
        code: 1,
    },
    BadSet {
        what: "the lockfile",
        files: &[("app/Cargo.lock", "# mine\n")],
        says: &["Cargo.lock", "pop-create keeps itself"],
        code: 1,
    },
    BadSet {
        what: "a layer that is not one",
        files: &[("subs/worker/init.rs", "x")],
        says: &["`subs/` is not a layer"],
        code: 1,
    },
    BadSet {
        what: "a manifest with a version that is not one",
        files: &[(
            "pop-create-template.toml",
            "name = \"acme\"\nversion = \"one\"\n",
        )],
        says: &["pop-create-template.toml", "not a version"],
        code: 1,
    },
    BadSet {
        what: "a manifest with a key it does not know",
        files: &[(
            "pop-create-template.toml",
            "name = \"acme\"\nversion = \"1.0.0\"\nhooks = [\"rm -rf ~\"]\n",
        )],
        says: &[
            "pop-create-template.toml",
            "line 3",
            "unknown field `hooks`",
        ],
        code: 1,
    },
    BadSet {
        what: "no manifest",
        files: &[("pop-create-template.toml", "")],
        says: &["has no pop-create-template.toml"],
        code: 2,
    },
];

/// Every hostile set is refused naming the file (and line), exit 1, and
/// nothing is written anywhere.
#[test]
fn hostile_sets_are_refused_and_nothing_is_written() {
    let scratch = Scratch::new("set-hostile");
    for (index, bad) in BAD_SETS.iter().enumerate() {
        let set = scratch.join(&format!("set-{index}"));
        copy_dir(&example_set(), &set);
        for (path, contents) in bad.files {
            let file = set.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            match contents.strip_prefix("-> ") {
                #[cfg(unix)]
                Some(target) => std::os::unix::fs::symlink(target, &file).unwrap(),
                _ if contents.is_empty() => std::fs::remove_file(&file).unwrap(),
                _ => std::fs::write(&file, contents).unwrap(),
            }
        }
        let work = scratch.join(&format!("work-{index}"));
        std::fs::create_dir_all(&work).unwrap();
        let output = pop_create(
            &work,
            &[
                "new",
                "victim",
                "--template",
                set.to_str().unwrap(),
                "--vcs",
                "none",
            ],
        );
        let stderr = stderr_of(&output);
        assert_eq!(
            output.status.code(),
            Some(bad.code),
            "{}: {stderr}",
            bad.what
        );
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error: ")).count(),
            1,
            "{}: one error line: {stderr}",
            bad.what
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        for word in bad.says {
            assert!(stderr.contains(word), "{}: `{word}` in {stderr}", bad.what);
        }
        assert_eq!(
            std::fs::read_dir(&work).unwrap().count(),
            0,
            "{}: nothing is written",
            bad.what
        );
    }
    assert!(!scratch.path.join("evil.txt").exists());
    assert!(!Path::new("/tmp/evil.txt").exists());

    // Sources that would run a command through git are refused as usage.
    for source in [
        "ext::sh -c touch% /tmp/pwned",
        "--upload-pack=touch /tmp/pwned",
        "fd::17",
    ] {
        let template = format!("--template={source}");
        let output = pop_create(&scratch.path, &["new", "victim", &template]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{source}: {}",
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains("not a template set source"),
            "{}",
            stderr_of(&output)
        );
    }
    assert!(!Path::new("/tmp/pwned").exists());
}

/// A record whose `[template]` names a source that runs a command is
/// refused at its line, like any other hostile record.
#[test]
fn a_record_naming_a_hostile_set_is_refused() {
    let scratch = Scratch::new("set-record");
    ok(pop_create(
        &scratch.path,
        &["new", "poppy", "--vcs", "none", "--ci", "none"],
    ));
    let project = scratch.join("poppy");
    let record = project.join(".pop-create.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    let hostile = format!(
        "{text}\n[template]\nsource = \"ext::sh -c touch% /tmp/pwned-by-record\"\nname = \"acme\"\nversion = \"1.0.0\"\nrevision = \"{}\"\n",
        "a".repeat(40)
    );
    std::fs::write(&record, &hostile).unwrap();
    for command in [&["update"][..], &["add-sub", "jobs"]] {
        let output = pop_create(&project, command);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(".pop-create.toml cannot be used: line "),
            "{stderr}"
        );
        assert!(stderr.contains("not a template set source"), "{stderr}");
    }
    assert!(!Path::new("/tmp/pwned-by-record").exists());
}
