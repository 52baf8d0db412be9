//! `pop-create run`: build the app with cargo (cargo's flags passed
//! through), then run it with ARGS as given. On Unix the app replaces
//! pop-create, as `cargo run` does: its signals and exit code are its own.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::ui::Ui;

/// Builds and runs the app; returns its exit code (where it cannot replace pop-create).
pub fn run(args: RunArgs, ui: &Ui) -> Result<ExitCode> {
    let project = super::find_app(ui)?;
    let binary = build(&project, &args, Progress::Shown, ui)?.binary;
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

/// What a build made.
pub(super) struct Built {
    /// The app's binary.
    pub binary: PathBuf,
    /// True when cargo found the binary up to date, and rebuilt nothing.
    pub fresh: bool,
}

/// How much of cargo's own output a build shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Progress {
    /// Its progress and diagnostics, as `cargo build` shows them.
    Shown,
    /// Nothing, unless the build fails: then all of it.
    OnFailure,
}

/// The app of the current directory, built in debug or release with no
/// other flags: what `call` and `inspect` ask.
pub(super) fn built_app(release: bool, ui: &Ui) -> Result<(Project, Built)> {
    let project = super::find_app(ui)?;
    let args = RunArgs {
        release,
        ..RunArgs::default()
    };
    let built = build(&project, &args, Progress::OnFailure, ui)?;
    Ok((project, built))
}

/// `cargo build` with the flags given, its progress and diagnostics on
/// stderr (as `progress` says); the machine-readable messages on stdout
/// name the binary.
pub(super) fn build(
    project: &Project,
    args: &RunArgs,
    progress: Progress,
    ui: &Ui,
) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(project.root.join("Cargo.toml"))
        .stdout(Stdio::piped());
    if progress == Progress::OnFailure {
        command.stderr(Stdio::piped());
    }
    if args.release {
        command.arg("--release");
    }
    if let Some(profile) = &args.profile {
        command.args(["--profile", profile]);
    }
    for features in &args.features {
        command.args(["--features", features]);
    }
    command.args(args.cargo_flags());
    ui.verbose(format!("{command:?}"));
    let mut child = command.spawn().map_err(|err| {
        Error::failure(format!("cannot run cargo: {err}"))
            .hint("is Rust installed (https://rustup.rs)?")
    })?;
    // Read beside stdout, so that neither pipe fills while the other is read.
    let stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut text);
            text
        })
    });
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
                binary = Some(Built {
                    binary: PathBuf::from(path),
                    fresh: message["fresh"] == true,
                });
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| Error::failure(format!("cargo failed: {err}")))?;
    let diagnostics = stderr.and_then(|reader| reader.join().ok());
    if !status.success() {
        if let Some(diagnostics) = diagnostics {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), &diagnostics);
        }
        return Err(Error::failure(format!(
            "could not build `{}`",
            project.name
        )));
    }
    binary.ok_or_else(|| Error::failure(format!("cargo built no binary named `{}`", project.name)))
}
