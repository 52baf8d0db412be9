//! `pop-create run`: build the app with cargo, then run it with ARGS as they
//! were given, forwarding Ctrl-C and SIGTERM, and exit as it exits.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::project::{self, Project};
use crate::ui::Ui;

/// Builds and runs the app; returns its exit code.
pub fn run(args: RunArgs, ui: &Ui) -> Result<ExitCode> {
    let cwd = project::current_dir()?;
    let project = Project::find_app(&cwd)?;
    ui.project(&project);
    let binary = build(&project, args.release)?;
    let mut command = Command::new(&binary);
    command.args(&args.args);
    let code = signals::run_forwarding(command)
        .map_err(|err| Error::failure(format!("cannot start {}: {err}", binary.display())))?;
    Ok(ExitCode::from(code))
}

/// `cargo build`, with its progress and diagnostics on stderr as usual; the
/// machine-readable messages on stdout name the binary it built.
fn build(project: &Project, release: bool) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(project.root.join("Cargo.toml"))
        .stdout(Stdio::piped());
    if release {
        command.arg("--release");
    }
    let mut child = signals::spawn_tracked(&mut command).map_err(|err| {
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
    let status = signals::wait_tracked(&mut child)
        .map_err(|err| Error::failure(format!("cargo failed: {err}")))?;
    if !status.success() {
        return Err(Error::failure(format!(
            "could not build `{}`",
            project.name
        )));
    }
    binary.ok_or_else(|| Error::failure(format!("cargo built no binary named `{}`", project.name)))
}

#[cfg(unix)]
mod signals {
    //! While a child runs, SIGINT and SIGTERM sent to pop-create go to it, and
    //! pop-create waits for it to finish. A Ctrl-C typed in the terminal is not
    //! forwarded: the terminal sends it to the child as well (they share the
    //! foreground process group), and the child must see it once, since a
    //! second one tells an app to stop without waiting.

    use std::process::{Child, Command, ExitStatus};
    use std::sync::atomic::{AtomicI32, Ordering};

    static CHILD: AtomicI32 = AtomicI32::new(0);

    extern "C" fn forward(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        _context: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO.
        let from_a_process = unsafe { (*info).si_code } <= 0;
        let pid = CHILD.load(Ordering::SeqCst);
        if pid > 0 && from_a_process {
            // SAFETY: kill is async-signal-safe; the pid is our own child's.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    fn install() {
        // SAFETY: the handler only reads an atomic and the siginfo, and calls kill.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                forward;
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
            libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
        }
    }

    /// Spawns a child that receives forwarded signals until waited for.
    pub fn spawn_tracked(command: &mut Command) -> std::io::Result<Child> {
        install();
        let child = command.spawn()?;
        CHILD.store(child.id() as i32, Ordering::SeqCst);
        Ok(child)
    }

    /// Waits for a tracked child.
    pub fn wait_tracked(child: &mut Child) -> std::io::Result<ExitStatus> {
        let status = child.wait();
        CHILD.store(0, Ordering::SeqCst);
        status
    }

    /// Runs the command to the end; its exit code, or 128 + the signal that ended it, as shells report it.
    pub fn run_forwarding(mut command: Command) -> std::io::Result<u8> {
        use std::os::unix::process::ExitStatusExt;
        let mut child = spawn_tracked(&mut command)?;
        let status = wait_tracked(&mut child)?;
        Ok(match (status.code(), status.signal()) {
            (Some(code), _) => code as u8,
            (None, Some(signal)) => 128u8.saturating_add(signal as u8),
            (None, None) => 1,
        })
    }
}

#[cfg(not(unix))]
mod signals {
    use std::process::{Child, Command, ExitStatus};

    pub fn spawn_tracked(command: &mut Command) -> std::io::Result<Child> {
        command.spawn()
    }

    pub fn wait_tracked(child: &mut Child) -> std::io::Result<ExitStatus> {
        child.wait()
    }

    pub fn run_forwarding(mut command: Command) -> std::io::Result<u8> {
        let status = command.spawn()?.wait()?;
        Ok(status.code().map_or(1, |code| code as u8))
    }
}
