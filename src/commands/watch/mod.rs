//! `pop-create run --watch`: build, start the app, and on every change that
//! matters rebuild and restart it, while the watcher holds the app's
//! listening sockets: a client sees a slower answer during a restart, never
//! a refused connection.
//!
//! One round, after a change:
//!
//! 1. `cargo build` (its output shown). A failed build leaves the running
//!    app serving; the next good build replaces it. A build that changed
//!    nothing (an editor's save of an unchanged file) restarts nothing,
//!    unless the config file changed.
//! 2. The new binary's plan: the app, asked with the same arguments and
//!    environment (see `app_request`), names what its servers listen on and
//!    which config file it reads. The watcher binds what is new.
//! 3. The running app is asked to stop (SIGTERM: its graceful shutdown
//!    serves what it has accepted) and the new one starts with the sockets
//!    handed over (see `spawn`); connections that came meanwhile wait in
//!    the sockets' backlog and are the new app's first.
//!
//! An app without servers (no router) is simply rerun on each change, and
//! one whose `cli` never starts its hub too: for it the plan is the run.

mod files;
mod signals;
mod sockets;
mod spawn;

use std::path::PathBuf;
use std::process::{Child, ExitCode, ExitStatus};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::json;

use self::files::{Change, Files, Watched};
use self::signals::{Control, Signal};
use self::sockets::{Sockets, Wanted};
use super::app_request::{self, Answer, AppOutput};
use super::run::{self, Progress};
use crate::cli::RunArgs;
use crate::error::Result;
use crate::project::Project;
use crate::ui::Ui;

/// What the main loop hears.
pub(crate) enum Event {
    /// Files changed (any of them may not matter).
    Files(Vec<PathBuf>),
    /// The file watcher failed.
    WatchFailed(String),
    /// Ctrl-C, SIGTERM or SIGHUP.
    Signal,
}

/// How long a stopping app may take: its own grace period, and a margin.
const STOP_PATIENCE: Duration = Duration::from_secs(15);

/// How often the loop looks whether the app ended by itself.
const TICK: Duration = Duration::from_millis(100);

/// Watches, rebuilds and restarts until Ctrl-C; exits with the app's code.
pub fn watch(args: RunArgs, ui: &Ui) -> Result<ExitCode> {
    let project = super::find_app(ui)?;
    let (sender, events) = mpsc::channel();
    let control = Arc::new(Control::default());
    signals::watch(control.clone(), sender.clone())?;
    let mut files = Files::start(sender)?;
    files.set(Watched::of(&project, &args)?)?;
    let mut session = Session {
        project,
        args,
        ui,
        control,
        sockets: Sockets::default(),
        app: None,
    };
    session.round(&Change::default(), &mut files);
    loop {
        if session.control.stopping() {
            return Ok(session.finish());
        }
        let first = match events.recv_timeout(TICK) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                session.reap();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(session.finish()),
        };
        // Whatever else is queued (changes made during a build) joins in.
        let mut change = Change::default();
        for event in std::iter::once(first).chain(events.try_iter()) {
            match event {
                Event::Files(paths) => files.change(&paths, &mut change),
                Event::WatchFailed(message) => ui.warn(format!("watching files: {message}")),
                Event::Signal => return Ok(session.finish()),
            }
        }
        if change.paths.is_empty() {
            continue;
        }
        if change.manifest {
            // A path dependency may have come or gone.
            match Watched::of(&session.project, &session.args) {
                Ok(mut watched) => {
                    watched.config = files.watched().config.clone();
                    if let Err(err) = files.set(watched) {
                        ui.warn(err.message());
                    }
                }
                Err(err) => ui.warn(err.message()),
            }
        }
        session.round(&change, &mut files);
    }
}

/// The app being watched, and what the watcher holds for it.
struct Session<'a> {
    project: Project,
    args: RunArgs,
    ui: &'a Ui,
    control: Arc<Control>,
    sockets: Sockets,
    app: Option<Child>,
}

impl Session<'_> {
    /// Builds, plans and (re)starts the app after `change` (empty at first).
    fn round(&mut self, change: &Change, files: &mut Files) {
        if !change.paths.is_empty() {
            self.ui.status("Change", self.describe(change));
        }
        let started = Instant::now();
        let built = run::build(&self.project, &self.args, Progress::Shown, self.ui);
        if self.control.stopping() {
            return;
        }
        let built = match built {
            Ok(built) => built,
            Err(err) => {
                self.ui.error(&err);
                self.waiting("the build failed");
                return;
            }
        };
        let build_time = started.elapsed();
        if built.fresh && !change.config && self.running() {
            self.ui.status(
                "Fresh",
                format!("`{}` is unchanged and keeps running", self.project.name),
            );
            return;
        }
        let Some(wanted) = self.plan(&built.binary, files) else {
            return;
        };
        if let Err(err) = self.sockets.hold(&wanted) {
            self.ui.error(&err);
            self.waiting("its sockets could not be bound");
            return;
        }
        let stopped = self.stop_app();
        if self.control.stopping() {
            return;
        }
        let app = match spawn::start(&built.binary, &self.args.args, &self.sockets.handover()) {
            Ok(app) => app,
            Err(err) => {
                self.ui.error(&crate::error::Error::failure(format!(
                    "cannot start {}: {err}",
                    built.binary.display()
                )));
                self.waiting("it could not start");
                return;
            }
        };
        // Not adopted: a signal came while it started; it was passed on, and
        // the loop ends with `finish`, which waits for the app.
        let adopted = self.control.adopt(app.id());
        self.app = Some(app);
        if !adopted {
            return;
        }
        let serving = self.sockets.addresses();
        let serving = if serving.is_empty() {
            String::new()
        } else {
            format!(", its sockets held on {}", serving.join(", "))
        };
        let verb = if stopped { "Restarted" } else { "Started" };
        let timing = if change.paths.is_empty() {
            format!("in {:.2} s", started.elapsed().as_secs_f64())
        } else {
            format!(
                "{:.2} s after the change (build {:.2} s)",
                started.elapsed().as_secs_f64(),
                build_time.as_secs_f64()
            )
        };
        self.ui
            .status(verb, format!("`{}` {timing}{serving}", self.project.name));
    }

    /// The changed files, relative to the project where they are inside it.
    fn describe(&self, change: &Change) -> String {
        let shown: Vec<String> = change
            .paths
            .iter()
            .map(|path| {
                path.strip_prefix(&self.project.root)
                    .unwrap_or(path)
                    .display()
                    .to_string()
            })
            .collect();
        match shown.as_slice() {
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} and {} more", rest.len()),
            [] => String::new(),
        }
    }

    /// The new binary's listeners, and the config file it reads (now
    /// watched); `None` when it did not answer (its output shown).
    fn plan(&mut self, binary: &std::path::Path, files: &mut Files) -> Option<Vec<Wanted>> {
        let request = json!({ "kind": "plan" });
        let answer = app_request::ask(binary, &self.args.args, &request, AppOutput::Captured);
        if self.control.stopping() {
            return None;
        }
        let plan = match answer {
            Ok(Answer::Ok(plan)) => plan,
            Ok(Answer::Failed(error)) => {
                let message = error["message"].as_str().unwrap_or_default();
                self.ui.error(&crate::error::Error::failure(format!(
                    "`{}` cannot start: {message}",
                    self.project.name
                )));
                self.waiting("it cannot start");
                return None;
            }
            Ok(Answer::Silent(ended)) => {
                if let Some((stdout, stderr)) = &ended.output {
                    use std::io::Write;
                    let _ = std::io::stdout().write_all(stdout);
                    let _ = std::io::stderr().write_all(stderr);
                }
                if ended.status.success() {
                    // It does not start a hub: asking it was running it.
                    self.stop_app();
                    self.ui.status(
                        "Finished",
                        format!(
                            "`{}` ran (it starts no hub); waiting for a change",
                            self.project.name
                        ),
                    );
                } else {
                    self.waiting("it stopped at start-up");
                }
                return None;
            }
            Err(err) => {
                self.ui.error(&err);
                self.waiting("it could not be asked what it serves");
                return None;
            }
        };
        let config = plan["config"].as_str().map(|path| {
            let path = PathBuf::from(path);
            if path.is_absolute() {
                path
            } else {
                std::env::current_dir().unwrap_or_default().join(path)
            }
        });
        if files.watched().config != config {
            let mut watched = files.watched().clone();
            watched.config = config;
            if let Err(err) = files.set(watched) {
                self.ui.warn(err.message());
            }
        }
        match Wanted::from_plan(&plan) {
            Ok(wanted) => Some(wanted),
            Err(err) => {
                self.ui.error(&err);
                None
            }
        }
    }

    /// Says what happened and that the running app (if any) keeps serving.
    fn waiting(&self, why: &str) {
        if self.running() {
            self.ui.warn(format!(
                "{why}: `{}` keeps serving the last good build; waiting for a change",
                self.project.name
            ));
        } else {
            self.ui.warn(format!("{why}; waiting for a change"));
        }
    }

    fn running(&self) -> bool {
        self.app.is_some()
    }

    /// Stops the running app, if any, as a restart does (SIGTERM: its
    /// graceful shutdown); true if there was one.
    fn stop_app(&mut self) -> bool {
        let Some(mut app) = self.app.take() else {
            return false;
        };
        if self.control.release() {
            signals::send(pid_of(&app), Signal::Terminate);
        }
        wait_or_kill(&mut app);
        true
    }

    /// Notes an app that ended by itself: its sockets stay held, so
    /// connections wait for the next build rather than being refused.
    fn reap(&mut self) {
        let Some(app) = &mut self.app else { return };
        let Ok(Some(status)) = app.try_wait() else {
            return;
        };
        self.control.release();
        self.app = None;
        self.ui.status(
            "Exited",
            format!(
                "`{}` {}; waiting for a change",
                self.project.name,
                describe(status)
            ),
        );
    }

    /// After a signal: waits for the app (which the signal thread passed
    /// the signal to) and ends with its exit code.
    fn finish(&mut self) -> ExitCode {
        let Some(mut app) = self.app.take() else {
            return ExitCode::SUCCESS;
        };
        if self.control.release() {
            // The signal came before the app was noted as running.
            signals::send(pid_of(&app), Signal::Terminate);
        }
        let status = wait_or_kill(&mut app);
        match status.and_then(|status| status.code()) {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        }
    }
}

fn pid_of(app: &Child) -> i32 {
    i32::try_from(app.id()).unwrap_or(0)
}

/// Waits for a stopping app, and kills it if it outlasts its grace period.
fn wait_or_kill(app: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + STOP_PATIENCE;
    while Instant::now() < deadline {
        match app.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break,
        }
    }
    let _ = app.kill();
    app.wait().ok()
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(0) => "finished".to_owned(),
        Some(code) => format!("exited with code {code}"),
        None => "was killed by a signal".to_owned(),
    }
}
