//! The commands, as cargo has them: each resolves its arguments (and, on a
//! terminal, prompts) into an operation's options, runs the operation, and
//! reports. The operations themselves are in `crate::ops`.

mod add;
mod app_request;
mod call;
mod inspect;
mod new;
mod remove;
mod run;
mod update;
mod watch;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::lock::ProjectLock;
use crate::project::Project;
use crate::ui::Ui;

/// Runs one command; its exit code.
pub fn run(command: Command, ui: &Ui) -> Result<ExitCode> {
    let done = |result: Result<()>| result.map(|()| ExitCode::SUCCESS);
    match command {
        Command::New(args) => done(new::new(args, ui)),
        Command::AddSub(args) => done(add::add_sub(args, ui)),
        Command::AddPlugin(args) => done(add::add_plugin(args, ui)),
        Command::Run(args) if args.watch => watch::watch(args, ui),
        Command::Run(args) => run::run(args, ui),
        Command::Call(args) => call::call(args, ui),
        Command::Inspect(args) => inspect::inspect(args, ui),
        Command::Update(args) => update::update(args, ui),
        Command::RemoveSub(args) => done(remove::remove_sub(args, ui)),
        Command::RemovePlugin(args) => done(remove::remove_plugin(args, ui)),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "pop-create",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Takes the project's lock for this command (waiting a while for another
/// command to finish), and says what was finished or undone of a command
/// that was stopped mid-write.
pub fn lock(project: &Project, ui: &Ui) -> Result<ProjectLock> {
    let command: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| match arg.contains(char::is_whitespace) {
            true => format!("{arg:?}"),
            false => arg,
        })
        .collect();
    let (lock, notes) = project.lock(&format!("pop-create {}", command.join(" ")))?;
    for note in notes {
        ui.note(note);
    }
    Ok(lock)
}

/// The project around the current directory, once a write that an earlier
/// command was stopped in is finished there (said on stderr).
pub fn find(ui: &Ui) -> Result<Project> {
    let mut notes = Vec::new();
    let project = Project::find(&crate::project::current_dir()?, &mut notes)?;
    for note in notes {
        ui.note(note);
    }
    Ok(project)
}

/// The app the current directory is in, named on stderr; a command that
/// was stopped in it is finished first (said on stderr).
pub fn find_app(ui: &Ui) -> Result<Project> {
    let mut notes = Vec::new();
    let project = Project::find_app(&crate::project::current_dir()?, &mut notes)?;
    for note in notes {
        ui.note(note);
    }
    ui.project(&project);
    Ok(project)
}

/// The command line, with `add-sub --pattern`'s help listing the patterns
/// of the template set that the project around `cwd` records (read from its
/// record only: help never fetches a set). Only help needs it, so only a
/// request for `add-sub`'s help reads the record here.
pub fn command_here(args: &[std::ffi::OsString]) -> clap::Command {
    let command = Cli::command();
    let asked = |word: &str| args.iter().skip(1).any(|arg| arg == word);
    if !asked("add-sub") || !(asked("-h") || asked("--help") || asked("help")) {
        return command;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return command;
    };
    let Some(set) = cwd.ancestors().find_map(|dir| {
        let record = crate::record::Record::read(dir).ok()??;
        record.template().cloned()
    }) else {
        return command;
    };
    if set.patterns.is_empty() {
        return command;
    }
    let names: Vec<&str> = set.patterns.iter().map(|p| p.as_str()).collect();
    let extra = format!(
        "\n\nThe project's template set `{}` {} adds: {}",
        set.name,
        set.version,
        names.join(", ")
    );
    command.mut_subcommand("add-sub", |sub| {
        sub.mut_arg("pattern", |arg| {
            let long = arg
                .get_long_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            arg.long_help(format!("{long}{extra}"))
        })
    })
}
