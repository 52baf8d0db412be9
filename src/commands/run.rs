//! `pop-create run`: build the app with cargo (cargo's flags passed
//! through), then run it with ARGS as given. On Unix the app replaces
//! pop-create, as `cargo run` does: its signals and exit code are its own.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::project::{self, Project};
use crate::ui::Ui;

/// Builds and runs the app; returns its exit code (where it cannot replace pop-create).
pub fn run(args: RunArgs, ui: &Ui) -> Result<ExitCode> {
    let project = Project::find_app(&project::current_dir()?)?;
    ui.project(&project);
    let binary = build(&project, &args, ui)?;
    let mut command = Command::new(&binary);
    command.args(&args.args);
    ui.verbose(format!("{}", binary.display()));
    let cannot_start =
        |err: std::io::Error| Error::failure(format!("cannot start {}: {err}", binary.display()));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns when the binary could not be started.
        Err(cannot_start(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(cannot_start)?;
        Ok(ExitCode::from(status.code().map_or(1, |code| code as u8)))
    }
}

/// `cargo build` with the flags given, its progress and diagnostics on
/// stderr as usual; the machine-readable messages on stdout name the binary.
fn build(project: &Project, args: &RunArgs, ui: &Ui) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(project.root.join("Cargo.toml"))
        .stdout(Stdio::piped());
    if args.release {
        command.arg("--release");
    }
    if let Some(profile) = &args.profile {
        command.args(["--profile", profile]);
    }
    for features in &args.features {
        command.args(["--features", features]);
    }
    for (given, flag) in [
        (args.locked, "--locked"),
        (args.offline, "--offline"),
        (args.frozen, "--frozen"),
    ] {
        if given {
            command.arg(flag);
        }
    }
    ui.verbose(format!("{command:?}"));
    let mut child = command.spawn().map_err(|err| {
        Error::failure(format!("cannot run cargo: {err}"))
            .hint("is Rust installed (https://rustup.rs)?")
    })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut binary = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let is_our_bin = message["reason"] == "compiler-artifact"
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
            && message["target"]["name"] == project.name.as_str();
        if is_our_bin {
            if let Some(path) = message["executable"].as_str() {
                binary = Some(PathBuf::from(path));
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| Error::failure(format!("cargo failed: {err}")))?;
    if !status.success() {
        return Err(Error::failure(format!(
            "could not build `{}`",
            project.name
        )));
    }
    binary.ok_or_else(|| Error::failure(format!("cargo built no binary named `{}`", project.name)))
}
