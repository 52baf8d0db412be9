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
