//! The errors a call by reference can end in.

use std::fmt;

/// Why a call by reference did not produce a value.
///
/// Each kind maps onto one answer a router gives: an unknown reference is
/// "not found", bad arguments are the caller's fault, and a plugin's own error
/// or panic is the server's.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError {
    /// No callable function has this reference (or its sub was not added).
    UnknownRef {
        /// The reference as the caller gave it.
        reference: String,
        /// Why it is unknown, for the message.
        reason: String,
    },
    /// The kwargs did not fit the function's parameters.
    BadArguments {
        /// The function's reference.
        reference: String,
        /// The parameter at fault, when there is one.
        parameter: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// The plugin ran and returned an error.
    Failed {
        /// The function's reference.
        reference: String,
        /// The plugin's error.
        error: anyhow::Error,
    },
    /// The plugin panicked; the panic was caught and the hub stays usable.
    Panicked {
        /// The function's reference.
        reference: String,
        /// The panic message.
        message: String,
    },
    /// A `pre` contract refused the call.
    Refused {
        /// The function's reference.
        reference: String,
        /// The contract that refused, e.g. `rpc.contracts.math.pre_fib`.
        contract: &'static str,
        /// Why.
        message: String,
    },
}

impl CallError {
    /// The error's kind in snake_case, as routers report it: `unknown_ref`,
    /// `bad_arguments`, `plugin_error`, `panic` or `contract_refused`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::UnknownRef { .. } => "unknown_ref",
            CallError::BadArguments { .. } => "bad_arguments",
            CallError::Failed { .. } => "plugin_error",
            CallError::Panicked { .. } => "panic",
            CallError::Refused { .. } => "contract_refused",
        }
    }

    /// The reference of the call that failed.
    pub fn reference(&self) -> &str {
        match self {
            CallError::UnknownRef { reference, .. }
            | CallError::BadArguments { reference, .. }
            | CallError::Failed { reference, .. }
            | CallError::Panicked { reference, .. }
            | CallError::Refused { reference, .. } => reference,
        }
    }

    /// The parameter a `BadArguments` error is about.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            CallError::BadArguments { parameter, .. } => parameter.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn bad_argument(parameter: &str, message: impl Into<String>) -> Self {
        CallError::BadArguments {
            reference: String::new(),
            parameter: Some(parameter.to_owned()),
            message: message.into(),
        }
    }

    /// A panic caught around a contract is the contract's, not the function's.
    pub(crate) fn in_contract(self, contract: &'static str) -> Self {
        match self {
            CallError::Panicked { reference, message } => CallError::Panicked {
                reference,
                message: format!("in the contract `{contract}`: {message}"),
            },
            other => other,
        }
    }

    /// Shims do not know their own reference; the hub fills it in.
    pub(crate) fn with_reference(mut self, full: &str) -> Self {
        match &mut self {
            CallError::UnknownRef { reference, .. }
            | CallError::BadArguments { reference, .. }
            | CallError::Failed { reference, .. }
            | CallError::Panicked { reference, .. }
            | CallError::Refused { reference, .. } => {
                if reference.is_empty() {
                    full.clone_into(reference);
                }
            }
        }
        self
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownRef { reference, reason } => {
                write!(
                    f,
                    "unknown reference `{}`: {}",
                    Quoted(reference),
                    Quoted(reason)
                )
            }
            CallError::BadArguments {
                reference,
                parameter: Some(parameter),
                message,
            } => write!(
                f,
                "bad argument `{}` for `{}`: {}",
                Quoted(parameter),
                Quoted(reference),
                Quoted(message)
            ),
            CallError::BadArguments {
                reference,
                parameter: None,
                message,
            } => write!(
                f,
                "bad arguments for `{}`: {}",
                Quoted(reference),
                Quoted(message)
            ),
            CallError::Failed { reference, error } => {
                write!(f, "`{}` failed: {error:#}", Quoted(reference))
            }
            CallError::Panicked { reference, message } => {
                write!(f, "`{}` panicked: {message}", Quoted(reference))
            }
            CallError::Refused {
                reference,
                contract,
                message,
            } => write!(
                f,
                "the contract `{contract}` refused the call of `{}`: {message}",
                Quoted(reference)
            ),
        }
    }
}

/// Text that may come from a caller (a reference, a kwarg's name, what
/// did not bind), shown on one line: its control characters escaped, so a
/// message cannot break a line or send a terminal escape.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.contains(char::is_control) {
            return f.write_str(self.0);
        }
        for c in self.0.chars() {
            match c.is_control() {
                true => write!(f, "{}", c.escape_default())?,
                false => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

// No `source`: `Display` already shows a failed plugin's error with its
// causes, and a report that walked the sources too would repeat them.
impl std::error::Error for CallError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the kwargs fuzz target: `hub.call("\u{b}fz.calc.maybe", …)`
    /// failed with a message holding the control character itself.
    #[test]
    fn what_a_caller_sent_is_shown_on_one_line() {
        let unknown = CallError::UnknownRef {
            reference: "\u{b}fz.calc".into(),
            reason: "there is no sub named `\u{b}fz`".into(),
        };
        assert_eq!(
            unknown.to_string(),
            "unknown reference `\\u{b}fz.calc`: there is no sub named `\\u{b}fz`"
        );
        let bad = CallError::bad_argument("a\nb", "unknown argument").with_reference("x.y\r");
        assert_eq!(
            bad.to_string(),
            "bad argument `a\\nb` for `x.y\\r`: unknown argument"
        );
        assert_eq!(bad.parameter(), Some("a\nb"), "the fields stay as sent");
    }
}
