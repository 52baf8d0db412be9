//! pop-create: create, grow and run Plugin Oriented Programming projects in Rust.

mod changes;
mod cli;
mod commands;
mod conf_edit;
mod error;
mod generation;
mod journal;
mod lock;
mod lockfile;
mod manifest;
mod model;
mod names;
mod ops;
mod plan;
mod project;
#[cfg(test)]
mod properties;
mod record;
mod subs_file;
mod template_set;
mod templates;
#[cfg(test)]
mod test_support;
mod ui;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::Cli;
use crate::ui::Ui;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // clap's own messages follow --color too, so it is read first.
    if let Some(choice) = ui::color_from_args(&args[1..]) {
        ui::apply_color(choice);
    }
    // clap prints usage errors with a hint and exits 2, and help with 0.
    let matches = commands::command_here(&args).get_matches_from(args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let ui = Ui::new(&cli.global, cli.command.may_prompt());
    commands::run(cli.command, &ui).unwrap_or_else(|err| {
        ui.error(&err);
        ExitCode::from(err.exit_code())
    })
}
