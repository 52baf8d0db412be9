//! Asking the built app a question: `call`, `inspect` and `run --watch`
//! start it with a request in `POP_HUB_REQUEST` and read the JSON reply
//! from the file named by `POP_HUB_REPLY`. The runtime answers where the
//! app starts its hub (`Hub::start`), with its configuration loaded and its
//! subs added, and ends the process there; see the runtime's `request`
//! module for the protocol.

use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::project::Project;

/// The variable that holds the request.
pub const REQUEST_VAR: &str = "POP_HUB_REQUEST";

/// The variable that names the file the reply is written to.
pub const REPLY_VAR: &str = "POP_HUB_REPLY";

/// The variables of socket activation, which an app asked here must not
/// take from pop-create's own environment (`run --watch` sets them itself).
pub const LISTEN_VARS: [&str; 3] = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"];

/// How a request went.
pub enum Answer {
    /// The app answered.
    Ok(Value),
    /// The app answered with an error: `kind`, `message`, and what else the
    /// kind carries (`contract`, `parameter`, `known`).
    Failed(Map<String, Value>),
    /// The app ended without answering: it failed before starting its hub
    /// (its own error is on stderr), or its `cli` never starts one.
    Silent(Ended),
}

/// How an app that did not answer ended, and what it printed.
pub struct Ended {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout and stderr, when they were captured.
    pub output: Option<(Vec<u8>, Vec<u8>)>,
}

/// Where the app's own output goes while it answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AppOutput {
    /// Its stdout to pop-create's stderr (so that stdout holds only the
    /// answer), its stderr to stderr.
    ToStderr,
    /// Kept, for the caller to show if need be.
    Captured,
}

/// Runs `binary` with `request` (`args` on its command line) and reads its answer.
pub fn ask(
    binary: &Path,
    args: &[std::ffi::OsString],
    request: &Value,
    output: AppOutput,
) -> Result<Answer> {
    let dir = tempfile::Builder::new()
        .prefix("pop-create-request")
        .tempdir()
        .map_err(|err| Error::failure(format!("cannot make a temporary directory: {err}")))?;
    let reply = dir.path().join("reply.json");
    let mut command = Command::new(binary);
    command
        .args(args)
        .env(REQUEST_VAR, request.to_string())
        .env(REPLY_VAR, &reply)
        .stdin(Stdio::null());
    for name in LISTEN_VARS {
        command.env_remove(name);
    }
    let cannot_start =
        |err: std::io::Error| Error::failure(format!("cannot start {}: {err}", binary.display()));
    let (status, captured) = match output {
        AppOutput::ToStderr => (
            command
                .stdout(std::io::stderr())
                .status()
                .map_err(cannot_start)?,
            None,
        ),
        AppOutput::Captured => {
            let out = command.output().map_err(cannot_start)?;
            (out.status, Some((out.stdout, out.stderr)))
        }
    };
    let Ok(text) = std::fs::read_to_string(&reply) else {
        return Ok(Answer::Silent(Ended {
            status,
            output: captured,
        }));
    };
    let reply: Value = serde_json::from_str(&text).map_err(|err| {
        Error::failure(format!(
            "{} wrote a reply that is not JSON ({err}): is its runtime this pop-create's?",
            binary.display()
        ))
        .hint("`pop-create update` brings the project's runtime to this version")
    })?;
    Ok(match (reply.get("ok"), reply["error"].as_object()) {
        (Some(value), _) => Answer::Ok(value.clone()),
        (None, Some(error)) => Answer::Failed(error.clone()),
        (None, None) => Answer::Failed(Map::from_iter([
            ("kind".to_owned(), "bad_reply".into()),
            (
                "message".to_owned(),
                format!("an unexpected reply: {text}").into(),
            ),
        ])),
    })
}

/// What `call` and `inspect` ask the built app (the project's patterns
/// added; the app's output on stderr): its answer, or how the command ends
/// instead: an error for a failed call or an app that gave no answer, or
/// exit 2 for a configuration the app refused (its own message says which).
pub fn ask_for_command(
    project: &Project,
    binary: &Path,
    mut request: Value,
    reference: &str,
    what: &str,
) -> Result<std::result::Result<Value, ExitCode>> {
    request["patterns"] = patterns(project);
    match ask(binary, &[], &request, AppOutput::ToStderr)? {
        Answer::Ok(value) => Ok(Ok(value)),
        Answer::Failed(error) => Err(super::call::failed(&error, reference)),
        Answer::Silent(ended) if ended.status.code() == Some(2) => Ok(Err(ExitCode::from(2))),
        Answer::Silent(ended) => Err(no_answer(project, &ended, what)),
    }
}

/// The error for an app that ended without answering a request, unless its
/// own error says it all (then its exit code is the one to end with).
pub fn no_answer(project: &Project, ended: &Ended, what: &str) -> Error {
    match ended.status.code() {
        Some(0) => Error::failure(format!(
            "`{}` ended without starting its hub, so it could not {what}",
            project.name
        ))
        .hint(
            "the app's `cli` must call `hub.start()` (or `hub.run()`) after loading the \
             configuration and adding its subs, as the generated spine does",
        ),
        Some(code) => Error::failure(format!(
            "`{}` stopped before starting its hub (exit code {code}), so it could not {what}",
            project.name
        )),
        None => Error::failure(format!(
            "`{}` was killed by a signal before it could {what}",
            project.name
        )),
    }
}

/// The pattern of each sub, as the projects' records name them: the app's
/// own subs, and those of the pop crates beside it that it depends on by path.
fn patterns(project: &Project) -> Value {
    let mut patterns = Map::new();
    let mut roots = vec![project.root.clone()];
    if let Ok(manifest) = project.manifest() {
        roots.extend(
            manifest
                .path_dependencies()
                .into_iter()
                .map(|path| project.root.join(path)),
        );
    }
    for root in roots {
        let Ok(Some(record)) = crate::record::Record::read(&root) else {
            continue;
        };
        for sub in record.subs() {
            patterns
                .entry(sub.name.to_string())
                .or_insert(sub.pattern.name().into());
        }
    }
    Value::Object(patterns)
}
