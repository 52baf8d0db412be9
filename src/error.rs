//! Errors as values: one `error:` line, an optional `hint:`, and an exit code.

use std::fmt;
use std::path::Path;

/// What went wrong, for the user: exit code 2 for bad input, 1 for the rest.
#[derive(Debug)]
pub struct Error {
    message: String,
    hint: Option<String>,
    usage: bool,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Bad usage or invalid input (a bad name, an unknown pattern, not inside a project): exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            usage: true,
        }
    }

    /// Any other failure: exit 1.
    pub fn failure(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            usage: false,
        }
    }

    /// An I/O failure on `path`.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        Error::failure(format!("cannot {action} {}: {err}", path.display()))
    }

    /// A file that is not valid TOML, on one line (`line L, column C: what`):
    /// toml_edit's own rendering spans several lines, with a picture of the source.
    pub fn toml(file: &Path, text: &str, err: &toml_edit::TomlError) -> Self {
        Error::failure(format!(
            "{} is not valid TOML: {}",
            file.display(),
            toml_problem(text, err.span(), err.message())
        ))
    }

    /// Adds the one `hint:` line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message, without `error:`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hint, without `hint:`.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        if self.usage { 2 } else { 1 }
    }
}

/// What a TOML reader found wrong in `text`, on one line:
/// `line L, column C: what` (the readers' own rendering spans several lines,
/// with a picture of the source).
pub fn toml_problem(text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> String {
    let what = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let what = one_line(&what);
    match span {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}: {what}")
        }
        None => what,
    }
}

/// Text quoted from a file for an `error:` or `hint:` line, kept on that
/// line: a file may hold any character, and a line break or a terminal
/// escape in it must not reach the terminal as one. (pop-create's own
/// messages may span lines, to list paths.)
pub fn one_line(text: &str) -> String {
    if !text.contains(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<pop_build::Error> for Error {
    /// A problem in the project's files (`src/conf.rs`, a sub directory): exit 1.
    fn from(err: pop_build::Error) -> Self {
        let hint = err.hint_text().map(one_line);
        let error = Error::failure(one_line(err.message()));
        match hint {
            Some(hint) => error.hint(hint),
            None => error,
        }
    }
}

impl From<pop_build::names::NameError> for Error {
    /// A name the user gave that the naming rules refuse: exit 2.
    fn from(err: pop_build::names::NameError) -> Self {
        Error::usage(one_line(&err.to_string())).hint(one_line(&err.hint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the conf_edit fuzz target: a DYNE entry `("rp\0", …)` was
    /// refused with the NUL itself in the message; a line break or a
    /// terminal escape got through the same way.
    #[test]
    fn messages_that_quote_input_stay_one_line() {
        let conf = "pub const CONFIG: &[Opt] = &[];\n\
                    pub const CLI_CONFIG: &[Flag] = &[];\n\
                    pub const SUBCOMMANDS: &[Subcommand] = &[];\n\
                    pub const DYNE: Dyne = &[(\"rp\0\", &[\"rp\"])];\n";
        let err = crate::conf_edit::ConfFile::parse(conf).err().unwrap();
        assert!(
            err.message().contains("the sub `rp\\u{0}`"),
            "{}",
            err.message()
        );
        assert!(
            !err.message().contains(char::is_control),
            "{:?}",
            err.message()
        );
        assert_eq!(
            one_line("a\nb \u{1b}[31mred\té"),
            "a\\nb \\u{1b}[31mred\\té"
        );
    }
}
