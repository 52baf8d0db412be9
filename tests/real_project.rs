//! A generated project is a real Rust project (SPEC section 4): every tool
//! sees every plugin file, and it is a good citizen of Cargo. Each scenario
//! generates its project into a temp dir and uses the real tools on it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::*;

/// `new NAME` and `add-sub rpc --pattern router` in a fresh scratch directory.
fn router_project(scratch: &Scratch, name: &str) -> PathBuf {
    ok(pop_create(&scratch.path, &["new", name, "--vcs", "none"]));
    let project = scratch.join(name);
    ok(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    project
}

#[test]
fn a_fresh_project_builds_locked_before_any_other_build_with_only_what_it_uses() {
    let scratch = Scratch::new("locked");
    ok(pop_create(
        &scratch.path,
        &["new", "lockapp", "--vcs", "none"],
    ));
    let project = scratch.join("lockapp");
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    for stranger in ["pop-create", "tera", "criterion", "hyper"] {
        assert!(
            !lock.contains(&format!("name = \"{stranger}\"\n")),
            "{stranger} is in a new project's lockfile"
        );
    }
    // --locked fails if Cargo would change the lockfile in any way.
    cargo(&project, &["build", "--locked", "--quiet"]);
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.lock")).unwrap(),
        lock
    );

    // Growing it with a router keeps it so.
    ok(pop_create(
        &project,
        &["add-sub", "rpc", "--pattern", "router"],
    ));
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"hyper\"\n"));
    cargo(&project, &["build", "--locked", "--quiet"]);
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.lock")).unwrap(),
        lock
    );

    // It states the Rust version every package it builds needs.
    let metadata = cargo(&project, &["metadata", "--locked", "--format-version", "1"]);
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let version = |text: &str| -> Vec<u64> {
        let mut parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap()).collect();
        parts.resize(3, 0);
        parts
    };
    let packages = metadata["packages"].as_array().unwrap();
    let declared = packages
        .iter()
        .find(|p| p["name"] == "lockapp")
        .and_then(|p| p["rust_version"].as_str())
        .expect("the project states rust-version");
    for package in packages {
        if let Some(needed) = package["rust_version"].as_str() {
            assert!(
                version(needed) <= version(declared),
                "{} needs Rust {needed}, the project states {declared}",
                package["name"]
            );
        }
    }
}

#[test]
fn cargo_fmt_visits_every_plugin_file() {
    let scratch = Scratch::new("fmt");
    let project = router_project(&scratch, "fmtapp");
    std::fs::write(project.join("src/rpc/math.rs"), SPEC_MATH).unwrap();
    std::fs::create_dir_all(project.join("src/rpc/admin")).unwrap();
    std::fs::write(
        project.join("src/rpc/admin/users.rs"),
        "use pop::prelude::*;\n/// Lists users.\n#[plugin]\npub fn list(_hub:&Hub)->Vec<String>{vec![]}\n",
    )
    .unwrap();
    // The build adds the new files' modules to src/subs.rs.
    cargo(&project, &["build", "--quiet"]);
    let check = cargo_output(&project, &["fmt", "--check"]);
    assert!(
        !check.status.success(),
        "a mis-formatted plugin fails the check"
    );
    let diff = text(&check.stdout);
    for file in ["src/rpc/math.rs", "src/rpc/admin/users.rs"] {
        assert!(diff.contains(file), "{file} is checked:\n{diff}");
    }
    cargo(&project, &["fmt"]);
    cargo(&project, &["fmt", "--check"]);
    let formatted = std::fs::read_to_string(project.join("src/rpc/math.rs")).unwrap();
    assert!(
        formatted.contains("    if num < 2 {\n        return Ok(num);\n    }"),
        "{formatted}"
    );
    passes_its_checks(&project);
}

/// rust-analyzer, when this machine has one: `$POP_CREATE_RUST_ANALYZER`, or a
/// `rust-analyzer` on the PATH that runs (rustup's proxy without the
/// component does not).
fn rust_analyzer() -> Option<PathBuf> {
    let candidate = std::env::var_os("POP_CREATE_RUST_ANALYZER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("rust-analyzer"));
    let runs = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    runs.then_some(candidate)
}

#[test]
fn rust_analyzer_resolves_every_module_and_reports_a_plugin_error_in_its_file() {
    let Some(analyzer) = rust_analyzer() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this check: install rust-analyzer (see README.md)"
        );
        eprintln!("rust-analyzer is not installed: this check was skipped (see README.md)");
        return;
    };
    let scratch = Scratch::new("analyzer");
    let project = router_project(&scratch, "raapp");
    std::fs::create_dir_all(project.join("src/rpc/admin")).unwrap();
    std::fs::write(
        project.join("src/rpc/admin/users.rs"),
        "use pop::prelude::*;\n\n/// Lists users.\n#[plugin]\npub fn list(_hub: &Hub) -> Vec<String> {\n    Vec::new()\n}\n",
    )
    .unwrap();
    // A dropped file reaches src/subs.rs through the build, as in an editor
    // whose check-on-save runs it; the mistake comes after, as it would
    // while editing.
    cargo(&project, &["check", "--quiet"]);
    let broken = SPEC_MATH.replace(
        "    Ok(curr)\n",
        "    let wrong: u64 = \"no\";\n    Ok(curr + wrong)\n",
    );
    std::fs::write(project.join("src/rpc/math.rs"), broken).unwrap();
    let output = command(&analyzer, &project, &["diagnostics", "."])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let report = text(&output.stdout) + &text(&output.stderr);
    let diagnostics: Vec<&str> = report
        .lines()
        .filter(|line| line.starts_with("at crate") && !line.contains("inactive_code"))
        .collect();
    assert!(
        !report.contains("E0583") && !report.contains("unresolved module"),
        "every module resolves:\n{report}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|line| line.contains("/src/rpc/math.rs") && line.contains("E0308")),
        "the type error is reported in the plugin file:\n{report}"
    );
    assert_eq!(diagnostics.len(), 1, "nothing else is reported:\n{report}");
}

#[test]
fn a_project_made_inside_another_cargo_workspace_builds_on_its_own() {
    let scratch = Scratch::new("nested-workspace");
    // As this repository's root is: a workspace the project is not part of.
    std::fs::write(
        scratch.join("Cargo.toml"),
        "[workspace]\nmembers = []\nresolver = \"3\"\n",
    )
    .unwrap();
    ok(pop_create(
        &scratch.path,
        &["new", "inner", "--vcs", "none"],
    ));
    let run = ok(pop_create(&scratch.join("inner"), &["run"]));
    assert!(
        text(&run.stdout).contains("Hello from inner!"),
        "{}",
        text(&run.stdout)
    );
}

#[test]
fn a_plugin_file_that_cannot_be_a_module_fails_the_build_in_one_line() {
    let scratch = Scratch::new("bad-plugin-name");
    ok(pop_create(
        &scratch.path,
        &["new", "badname", "--vcs", "none", "--dyne", "tools"],
    ));
    let project = scratch.join("badname");
    for (file, why) in [
        ("src/tools/2fast.rs", "starts with a digit"),
        ("src/tools/my-math.rs", "character `-`"),
        ("src/tools/tools.rs", "module_inception"),
    ] {
        std::fs::write(project.join(file), "use pop::prelude::*;\n").unwrap();
        let output = cargo_output(&project, &["build"]);
        assert!(!output.status.success(), "{file} must fail the build");
        let stderr = text(&output.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        assert!(
            errors[0].starts_with(&format!("error: badname@0.1.0: {file}: "))
                && errors[0].contains(why),
            "one line naming the file:\n{stderr}"
        );
        assert!(
            errors[0].contains("rename the file"),
            "with a hint:\n{stderr}"
        );
        assert!(
            !stderr.contains("error["),
            "no rustc error in generated code:\n{stderr}"
        );
        std::fs::remove_file(project.join(file)).unwrap();
    }
    cargo(&project, &["build", "--quiet"]);
}

#[test]
fn a_release_build_gives_the_same_answers_as_a_debug_build() {
    let scratch = Scratch::new("release");
    let project = router_project(&scratch, "safeapp");
    std::fs::write(project.join("src/rpc/math.rs"), SPEC_MATH).unwrap();
    for profile in [&["run", "--"][..], &["run", "--release", "--"]] {
        let port = free_port().to_string();
        let mut args: Vec<&str> = profile.to_vec();
        args.extend(["--port", &port]);
        let mut run = command(env!("CARGO_BIN_EXE_pop-create"), &project, &args);
        run.env_remove("SAFEAPP_PORT");
        let server = Server::start(run);
        // fib(94) overflows u64: an error in every profile, never a wrong number.
        let overflow = server.get(r#"{"ref": "math.fib", "kwargs": {"num": 94}}"#);
        assert_eq!(
            (overflow.status, overflow.error_kind().as_str()),
            (500, "panic"),
            "{profile:?}"
        );
        let fine = server.get(r#"{"ref": "math.fib", "kwargs": {"num": 93}}"#);
        assert_eq!(
            fine.json(),
            json!({"ref": 12200160415121876738u64}),
            "{profile:?}"
        );
    }
}

/// The CI workflows a new project can get run, step by step, as their
/// runners would: GitHub's and GitLab's name the same commands.
#[test]
fn the_ci_workflows_steps_pass_when_run_here() {
    use yaml_rust2::{Yaml, YamlLoader};

    let scratch = Scratch::new("ci-steps");
    let project = router_project(&scratch, "ciapp");
    let read = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        YamlLoader::load_from_str(&text).unwrap().remove(0)
    };
    let commands = |list: &Yaml| -> Vec<String> {
        list.as_vec()
            .unwrap()
            .iter()
            .filter_map(|step| match step {
                Yaml::String(command) => Some(command.clone()),
                step => step["run"].as_str().map(str::to_owned),
            })
            .collect()
    };
    let github = read(&project.join(".github/workflows/ci.yml"));
    let steps = commands(&github["jobs"]["check"]["steps"]);
    assert_eq!(steps.len(), 3, "fmt, clippy and test: {steps:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("cargo test") && s.contains("--locked"))
    );

    let other = Scratch::new("ci-gitlab");
    ok(pop_create(
        &other.path,
        &["new", "glapp", "--vcs", "none", "--ci", "gitlab"],
    ));
    let gitlab = read(&other.join("glapp/.gitlab-ci.yml"));
    assert_eq!(
        commands(&gitlab["check"]["script"]),
        steps,
        "the same checks"
    );

    for step in &steps {
        let words: Vec<&str> = step.split_whitespace().collect();
        assert_eq!(words[0], "cargo", "{step}");
        cargo(&project, &words[1..]);
    }
    assert_no_machine_paths(Path::new(&project));
}

/// A router project's Docker build context holds everything its Dockerfile
/// needs: the context as Docker sends it (less what `.dockerignore` leaves
/// out) builds as the Dockerfile's build stage does, and the binary the
/// second stage copies is what that build makes. With a Docker daemon at
/// hand, the image is built too.
#[test]
fn a_router_projects_docker_context_builds_its_image() {
    let scratch = Scratch::new("docker");
    let project = router_project(&scratch, "dockapp");
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
    let ignored: Vec<String> = std::fs::read_to_string(project.join(".dockerignore"))
        .unwrap()
        .lines()
        .map(|line| line.trim().trim_start_matches('/').to_owned())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "src", "runtime"] {
        assert!(project.join(needed).exists(), "{needed} is missing");
        assert!(
            !ignored.contains(&needed.to_owned()),
            "{needed} is left out of the context"
        );
    }
    assert!(
        dockerfile.contains("ENV DOCKAPP_ADDR=0.0.0.0"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("USER app"), "runs without privileges");

    // The build stage, on the context alone: `COPY . .`, then its RUN line.
    let context = scratch.join("context");
    std::fs::create_dir_all(&context).unwrap();
    for entry in std::fs::read_dir(&project).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ignored.contains(&name) {
            continue;
        }
        let target = context.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let run = dockerfile
        .lines()
        .find_map(|line| line.strip_prefix("RUN cargo "))
        .expect("the build stage runs cargo");
    let words: Vec<&str> = run.split_whitespace().collect();
    cargo(&context, &words);
    let copied = dockerfile
        .lines()
        .find_map(|line| line.strip_prefix("COPY --from=build /src/target/"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the second stage copies the binary");
    assert!(
        target_dir().join(copied).is_file(),
        "{copied} was not built"
    );

    let daemon = Command::new("docker").arg("info").output();
    if !daemon.is_ok_and(|output| output.status.success()) {
        eprintln!("no Docker daemon here: the image itself is not built");
        return;
    }
    let tag = format!("pop-create-test-dockapp-{}", std::process::id());
    let build = Command::new("docker")
        .args(["build", "-q", "-t", &tag, "."])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "docker build:\n{}",
        text(&build.stderr)
    );
    let _ = Command::new("docker").args(["rmi", &tag]).output();
}
