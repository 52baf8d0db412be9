//! A project's life after `new` (SPEC sections 7 and 9): apps made apart
//! share a vertical crate, `update` brings a project made by an earlier
//! pop-create to this version, and `remove-sub` / `remove-plugin` undo
//! `add-sub` / `add-plugin`. Every project is built and run for real.

mod support;

use std::path::{Path, PathBuf};

use serde_json::json;
use support::*;

/// The project pop-create 0.1.0 made: `new poppy`, `add-sub rpc --pattern
/// router`, `add-plugin rpc math`.
fn fixture_0_1_0(scratch: &Scratch) -> PathBuf {
    let project = scratch.join("poppy");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/made-by-0.1.0/poppy"),
        &project,
    );
    project
}

/// SPEC section 5's `fib` laid out as rustfmt would: the user's plugin in the
/// update test, which `update` must leave as it is and which then passes
/// `cargo fmt --check`.
const FORMATTED_MATH: &str = "use pop::prelude::*;\n\n/// Return the num'th Fibonacci number.\n#[plugin]\npub async fn fib(_hub: &Hub, #[default(10)] num: u64) -> Result<u64> {\n    let (mut prev, mut curr) = (0u64, 1u64);\n    if num < 2 {\n        return Ok(num);\n    }\n    for _ in 1..num {\n        (prev, curr) = (curr, prev + curr);\n    }\n    Ok(curr)\n}\n";

#[test]
fn two_apps_made_apart_share_a_vertical_crate_made_in_a_third_place() {
    let scratch = Scratch::new("apart");
    ok(pop_create(
        &scratch.path,
        &[
            "new",
            "mathx",
            "--vertical",
            "--dyne",
            "rpc",
            "--vcs",
            "none",
        ],
    ));
    let mathx = scratch.join("mathx");
    std::fs::write(
        mathx.join("src/rpc/squares.rs"),
        "use pop::prelude::*;\n\n/// Squares a number.\n#[plugin]\npub fn square(_hub: &Hub, num: u64) -> u64 {\n    num * num\n}\n",
    )
    .unwrap();
    // The vertical crate builds and tests on its own.
    cargo(&mathx, &["test", "--quiet"]);

    for app in ["apart1", "apart2"] {
        ok(pop_create(&scratch.path, &["new", app, "--vcs", "none"]));
        let root = scratch.join(app);
        ok(pop_create(
            &root,
            &["add-sub", "rpc", "--pattern", "router"],
        ));
        std::fs::write(
            root.join(format!("src/rpc/{app}_own.rs")),
            "use pop::prelude::*;\n\n/// Whose app this is.\n#[plugin]\npub fn whoami(_hub: &Hub) -> &'static str {\n    env!(\"CARGO_PKG_NAME\")\n}\n",
        )
        .unwrap();
        // Exactly what a user types, and what pop-create's `Next` line says.
        cargo(&root, &["add", "--quiet", "--path", "../mathx"]);
        let port = free_port().to_string();
        let server = serve_with_pop_create(&root, &["--port", &port]);
        assert_eq!(
            server
                .get(r#"{"ref": "squares.square", "kwargs": {"num": 12}}"#)
                .json(),
            json!({"ref": 144}),
            "{app} serves the shared crate's plugin"
        );
        assert_eq!(
            server
                .get(&format!(r#"{{"ref": "{app}_own.whoami"}}"#))
                .json(),
            json!({"ref": app}),
            "{app} serves its own"
        );
        let (code, _) = server.terminate();
        assert_eq!(code, Some(0));
    }
}

#[test]
fn a_crate_made_for_another_runtime_is_refused_naming_both_versions_and_the_fix() {
    let scratch = Scratch::new("mismatch");
    ok(pop_create(
        &scratch.path,
        &[
            "new",
            "oldx",
            "--vertical",
            "--dyne",
            "rpc",
            "--vcs",
            "none",
        ],
    ));
    ok(pop_create(
        &scratch.path,
        &["new", "newapp", "--vcs", "none"],
    ));
    let app = scratch.join("newapp");
    cargo(&app, &["add", "--quiet", "--path", "../oldx"]);
    cargo(&app, &["build", "--quiet"]);
    // As if oldx had been made by pop-create 0.1.0 and never updated.
    let record = scratch.join("oldx/.pop-create.toml");
    let written = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, written.replace(env!("CARGO_PKG_VERSION"), "0.1.0")).unwrap();
    let output = cargo_output(&app, &["build"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("error: oldx@"))
        .unwrap_or_else(|| panic!("one error line from oldx's build:\n{stderr}"));
    for needle in ["0.1.0", env!("CARGO_PKG_VERSION"), "pop-create update"] {
        assert!(line.contains(needle), "{needle} in: {line}");
    }
}

#[test]
fn update_brings_a_project_made_by_0_1_0_to_this_version_keeping_every_edit() {
    let scratch = Scratch::new("update");
    let project = fixture_0_1_0(&scratch);
    // An edit in a generated file, away from what the update changes, and
    // the user's own plugin.
    let spine = project.join("src/poppy/init.rs");
    let spine_text = std::fs::read_to_string(&spine).unwrap();
    let edited_spine = format!("{spine_text}\n// A note of mine, at the end.\n");
    std::fs::write(&spine, &edited_spine).unwrap();
    std::fs::write(project.join("src/rpc/math.rs"), FORMATTED_MATH).unwrap();

    let before = snapshot(&project);
    let dry = ok(pop_create(&project, &["update", "--dry-run"]));
    assert_eq!(snapshot(&project), before, "--dry-run writes nothing");
    assert!(
        text(&dry.stdout).contains("delete    runtime/pop/src/hub.rs"),
        "{}",
        text(&dry.stdout)
    );

    let output = ok(pop_create(&project, &["update"]));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("from pop-create 0.1.0 to"), "{stderr}");
    let spine_now = std::fs::read_to_string(&spine).unwrap();
    assert!(
        spine_now.contains("// A note of mine, at the end."),
        "the user's edit survives:\n{spine_now}"
    );
    assert!(
        spine_now.contains("hub.start()?;"),
        "and the new template's change is in:\n{spine_now}"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("src/rpc/math.rs")).unwrap(),
        FORMATTED_MATH
    );
    assert!(!project.join("runtime/pop").exists() && !project.join("runtime/pop-router").exists());
    assert!(project.join("runtime/pop-hub/src/lib.rs").is_file());
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("package = \"pop-hub\""), "{manifest}");
    assert!(
        manifest.contains("[profile.dev.package.\"*\"]\ndebug = \"line-tables-only\""),
        "{manifest}"
    );

    passes_its_checks(&project);
    let port = free_port().to_string();
    let server = serve_with_pop_create(&project, &["--port", &port]);
    assert_eq!(
        server
            .get(r#"{"ref": "math.fib", "kwargs": {"num": "11"}}"#)
            .json(),
        json!({"ref": 89})
    );
    drop(server);

    let after = snapshot(&project);
    let again = ok(pop_create(&project, &["update"]));
    assert!(
        text(&again.stderr).contains("is up to date"),
        "{}",
        text(&again.stderr)
    );
    let mut again_snapshot = snapshot(&project);
    let mut after = after;
    // The build may have written target/; only the project's own files count.
    again_snapshot.retain(|(p, _)| !p.starts_with("target"));
    after.retain(|(p, _)| !p.starts_with("target"));
    assert_eq!(again_snapshot, after, "a second update changes nothing");
}

#[test]
fn an_update_that_conflicts_marks_and_lists_the_file_and_exits_1() {
    let scratch = Scratch::new("update-conflict");
    let project = fixture_0_1_0(&scratch);
    // The very line this version changes.
    let main = project.join("src/main.rs");
    let text_before = std::fs::read_to_string(&main).unwrap();
    assert!(text_before.contains("pop::include_subs!();"));
    std::fs::write(
        &main,
        text_before.replace("pop::include_subs!();", "pop::include_subs!(); // mine"),
    )
    .unwrap();
    let output = pop_create(&project, &["update"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: 1 file(s) have conflicts"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  src/main.rs\n"), "listed:\n{stderr}");
    let merged = std::fs::read_to_string(&main).unwrap();
    for marker in ["<<<<<<< yours", "=======", ">>>>>>> pop-create"] {
        assert!(merged.contains(marker), "{marker} in:\n{merged}");
    }
    assert!(merged.contains("// mine"));
    // Everything else was written.
    assert!(project.join("runtime/pop-hub/src/lib.rs").is_file());
}

#[test]
fn remove_sub_after_add_sub_leaves_a_project_that_builds_and_passes_its_checks() {
    let scratch = Scratch::new("remove");
    ok(pop_create(
        &scratch.path,
        &["new", "shrink", "--vcs", "none"],
    ));
    let project = scratch.join("shrink");
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    ok(pop_create(
        &project,
        &["add-sub", "web", "--pattern", "router"],
    ));
    ok(pop_create(&project, &["add-plugin", "web", "pages"]));
    ok(pop_create(&project, &["add-sub", "tools"]));
    ok(pop_create(&project, &["remove-plugin", "web", "pages"]));
    assert!(!project.join("src/web/pages.rs").exists());
    ok(pop_create(&project, &["remove-sub", "web"]));
    assert!(!project.join("src/web").exists() && !project.join("tests/web_router.rs").exists());
    assert!(!project.join("Dockerfile").exists());
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.toml")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.lock")).unwrap(),
        lock
    );
    let conf = std::fs::read_to_string(project.join("src/conf.rs")).unwrap();
    assert!(
        !conf.contains("\"web\"") && conf.contains("(\"tools\", &[\"tools\"])"),
        "{conf}"
    );
    cargo(&project, &["build", "--locked", "--quiet"]);
    passes_its_checks(&project);
}
