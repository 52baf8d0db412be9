//! pop-create: create, grow and run Plugin Oriented Programming projects in Rust.

mod add_plugin;
mod add_sub;
mod changes;
mod cli;
mod conf_edit;
mod error;
mod names;
mod new;
mod plan;
mod project;
mod record;
mod run;
mod templates;
#[cfg(test)]
mod test_support;
mod ui;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::ui::Ui;

fn main() -> ExitCode {
    // clap prints usage errors with a hint and exits 2, and help with 0.
    let cli = Cli::parse();
    let no_input = match &cli.command {
        Command::New(args) => args.write.no_input,
        Command::AddSub(args) => args.write.no_input,
        Command::AddPlugin(args) => args.write.no_input,
        Command::Run(_) | Command::Completions { .. } => true,
    };
    let ui = Ui::new(no_input);
    let result = match cli.command {
        Command::New(args) => new::run(args, &ui).map(|()| ExitCode::SUCCESS),
        Command::AddSub(args) => add_sub::run(args, &ui).map(|()| ExitCode::SUCCESS),
        Command::AddPlugin(args) => add_plugin::run(args, &ui).map(|()| ExitCode::SUCCESS),
        Command::Run(args) => run::run(args, &ui),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "pop-create",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|err| {
        ui.error(&err);
        ExitCode::from(err.exit_code())
    })
}
