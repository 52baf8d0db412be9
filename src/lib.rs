//! pop-create: create, grow and run Plugin Oriented Programming projects in
//! Rust. The binary's whole program is [`run`]; the modules stay private,
//! but for the entry points the fuzz targets drive ([`fuzzing`]).

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

use std::ffi::OsString;
use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::Cli;
use crate::ui::Ui;

/// Runs pop-create with `args` (the program's name first); its exit code.
pub fn run(args: Vec<OsString>) -> ExitCode {
    // clap's own messages follow --color too, so it is read first.
    if let Some(choice) = ui::color_from_args(args.get(1..).unwrap_or_default()) {
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

/// What the fuzz targets in `fuzz/` drive: pop-create's readers and
/// editors of input it does not control. Not an API.
#[doc(hidden)]
pub mod fuzzing;
