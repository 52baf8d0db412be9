//! Output in cargo's style, and prompts only when someone can answer them.
//!
//! Colour goes through anstream, which cargo and clap use too: colour on a
//! terminal only, unless `--color`, `NO_COLOR`, `CLICOLOR` or
//! `CLICOLOR_FORCE` say otherwise.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};

use crate::cli::{ColorChoice, GlobalOptions};
use crate::error::{Error, Result};

const STATUS: Style = AnsiColor::Green.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();

/// How much to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Where messages go and how they look.
pub struct Ui {
    verbosity: Verbosity,
    interactive: bool,
}

impl Ui {
    /// Applies `--color` for everything printed from now on; prompts only when
    /// stdin and stderr are terminals and the command may prompt.
    pub fn new(global: &GlobalOptions, may_prompt: bool) -> Self {
        apply_color(global.color);
        let verbosity = match (global.quiet, global.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        };
        Ui {
            verbosity,
            interactive: may_prompt
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
        }
    }

    /// A right-aligned green verb, as cargo prints `   Compiling foo`.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            line(format_args!("{STATUS}{verb:>12}{STATUS:#} {message}\n"));
        }
    }

    /// Names the project a command works on, as found from the current directory.
    pub fn project(&self, project: &crate::project::Project) {
        self.status(
            "Project",
            format!("`{}` at {}", project.name, project.root.display()),
        );
    }

    /// The per-file lines of a plan that was written.
    pub fn listing(&self, listing: &str) {
        if self.verbosity >= Verbosity::Normal {
            line(format_args!("{listing}"));
        }
    }

    /// A note that needs no action.
    pub fn note(&self, message: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            line(format_args!("{NOTE}note:{NOTE:#} {message}\n"));
        }
    }

    /// What `-v` adds: the commands pop-create runs, and why.
    pub fn verbose(&self, message: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Verbose {
            line(format_args!("{NOTE}{:>12}{NOTE:#} {message}\n", "Running"));
        }
    }

    /// A warning: something did not happen, but the command still succeeded.
    pub fn warn(&self, message: impl std::fmt::Display) {
        line(format_args!("{WARNING}warning:{WARNING:#} {message}\n"));
    }

    /// An error, with its hint.
    pub fn error(&self, err: &Error) {
        match err.hint_text() {
            Some(hint) => line(format_args!(
                "{ERROR}error:{ERROR:#} {}\n{NOTE}hint:{NOTE:#} {hint}\n",
                err.message()
            )),
            None => line(format_args!("{ERROR}error:{ERROR:#} {}\n", err.message())),
        }
    }

    /// Plain output for stdout (a plan, completions).
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Asks for a missing required answer when someone can type it; otherwise
    /// fails at once with the flag or argument that would have given it.
    pub fn ask<T>(
        &self,
        question: &str,
        missing: &str,
        parse: impl Fn(&str) -> Result<T>,
    ) -> Result<T> {
        if !self.interactive {
            return Err(Error::usage(format!("{missing} is required")).hint(
                "give it on the command line (pop-create never prompts without a terminal, or with --no-input)",
            ));
        }
        loop {
            let answer: String = dialoguer::Input::new()
                .with_prompt(question)
                .interact_text()
                .map_err(|err| Error::failure(format!("cannot read the answer: {err}")))?;
            match parse(answer.trim()) {
                Ok(value) => return Ok(value),
                Err(err) => self.error(&err),
            }
        }
    }
}

/// Writes `text` to stderr in one call, its styles kept or stripped as
/// anstream decides for stderr. One call, because `run --watch` shares its
/// stderr with the app: written in pieces, a line of the watcher's could be
/// cut by one of the app's log lines.
fn line(text: std::fmt::Arguments<'_>) {
    let stderr = std::io::stderr();
    let mut styled = anstream::AutoStream::new(Vec::new(), anstream::AutoStream::choice(&stderr));
    let _ = styled.write_fmt(text);
    let _ = stderr.lock().write_all(&styled.into_inner());
}

/// `--color` for anstream (and so for clap and for this module).
pub fn apply_color(choice: ColorChoice) {
    let choice = match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// The `--color` a command line asks for, read before clap parses it, so
/// that clap's own messages follow it too.
pub fn color_from_args(args: &[std::ffi::OsString]) -> Option<ColorChoice> {
    let mut found = None;
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--color") {
            Some("") => args.next().map(|v| v.into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_owned),
            None => None,
        };
        found = match value.as_deref() {
            Some("always") => Some(ColorChoice::Always),
            Some("never") => Some(ColorChoice::Never),
            Some("auto") => Some(ColorChoice::Auto),
            _ => found,
        };
    }
    found
}
