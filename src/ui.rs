//! Output in cargo's style, colour only on a terminal, and prompts only when
//! someone can answer them.

use std::io::{IsTerminal, Write};

use crate::error::{Error, Result};

/// Where messages go and how they look.
pub struct Ui {
    color: bool,
    interactive: bool,
}

impl Ui {
    /// Colour when stderr is a terminal and `NO_COLOR` is unset; prompts when
    /// stdin and stderr are terminals and `--no-input` was not given.
    pub fn new(no_input: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|term| term == "dumb");
        Ui {
            color: std::io::stderr().is_terminal() && !no_color,
            interactive: !no_input
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A right-aligned green verb, as cargo prints `   Compiling foo`.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        eprintln!("{} {message}", self.paint("1;32", &format!("{verb:>12}")));
    }

    /// Names the project a command works on, as found from the current directory.
    pub fn project(&self, project: &crate::project::Project) {
        self.status(
            "Project",
            format!("`{}` at {}", project.name, project.root.display()),
        );
    }

    /// A note that needs no action.
    pub fn note(&self, message: impl std::fmt::Display) {
        eprintln!("{} {message}", self.paint("1;36", "note:"));
    }

    /// A warning: something did not happen, but the command still succeeded.
    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("{} {message}", self.paint("1;33", "warning:"));
    }

    /// An error, with its hint.
    pub fn error(&self, err: &Error) {
        eprintln!("{} {}", self.paint("1;31", "error:"), err.message());
        if let Some(hint) = err.hint_text() {
            eprintln!("{} {hint}", self.paint("1;36", "hint:"));
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
    pub fn ask(
        &self,
        question: &str,
        missing: &str,
        validate: impl Fn(&str) -> Result<()>,
    ) -> Result<String> {
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
            let answer = answer.trim().to_owned();
            match validate(&answer) {
                Ok(()) => return Ok(answer),
                Err(err) => self.error(&err),
            }
        }
    }
}
