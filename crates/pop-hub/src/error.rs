//! The errors a call by reference can end in.

use std::fmt;

/// Why a call by reference did not produce a value: the function called
/// (its reference), and what went wrong ([`Cause`]).
#[derive(Debug)]
pub struct CallError {
    /// The reference called; empty until the hub, which knows it, fills
    /// it in (a plugin's shim does not know its own).
    reference: String,
    cause: Cause,
}

/// What went wrong in a call. Each cause maps onto one answer a router
/// gives: an unknown reference is "not found", bad arguments are the
/// caller's fault, a refusal is "forbidden", and a plugin's own error or
/// panic is the server's.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cause {
    /// No callable function has this reference (or its sub was not added).
    UnknownRef {
        /// Why it is unknown, for the message.
        reason: String,
    },
    /// The kwargs did not fit the function's parameters.
    BadArguments {
        /// The parameter at fault, when there is one.
        parameter: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// The plugin (or a contract around it) ran and returned an error.
    Failed {
        /// The error.
        error: anyhow::Error,
    },
    /// The plugin, or a contract around it, panicked; the panic was caught
    /// and the hub stays usable.
    Panicked {
        /// The panic message (naming the contract when it was one's).
        message: String,
    },
    /// A `pre` contract refused the call.
    Refused {
        /// The contract that refused, e.g. `rpc.contracts.math.pre_fib`.
        contract: &'static str,
        /// Why.
        message: String,
    },
}

impl CallError {
    /// An error of `cause`, whose reference the hub fills in.
    pub(crate) fn new(cause: Cause) -> Self {
        CallError {
            reference: String::new(),
            cause,
        }
    }

    /// An unknown reference, as the caller wrote it.
    pub(crate) fn unknown_ref(reference: impl Into<String>, reason: impl Into<String>) -> Self {
        CallError {
            reference: reference.into(),
            cause: Cause::UnknownRef {
                reason: reason.into(),
            },
        }
    }

    /// Kwargs that do not fit, without a parameter to blame.
    pub(crate) fn bad_arguments(message: impl Into<String>) -> Self {
        CallError::new(Cause::BadArguments {
            parameter: None,
            message: message.into(),
        })
    }

    /// One argument that does not fit its parameter.
    pub(crate) fn bad_argument(parameter: &str, message: impl Into<String>) -> Self {
        CallError::new(Cause::BadArguments {
            parameter: Some(parameter.to_owned()),
            message: message.into(),
        })
    }

    /// The plugin's (or a contract's) error.
    pub(crate) fn failed(error: impl Into<anyhow::Error>) -> Self {
        CallError::new(Cause::Failed {
            error: error.into(),
        })
    }

    /// A caught panic.
    pub(crate) fn panicked(message: impl Into<String>) -> Self {
        CallError::new(Cause::Panicked {
            message: message.into(),
        })
    }

    /// A `pre` contract's refusal of the call of `reference`.
    pub(crate) fn refused(reference: &str, contract: &'static str, message: String) -> Self {
        CallError {
            reference: reference.to_owned(),
            cause: Cause::Refused { contract, message },
        }
    }

    /// What went wrong.
    pub fn cause(&self) -> &Cause {
        &self.cause
    }

    /// The error's kind in snake_case, as routers report it: `unknown_ref`,
    /// `bad_arguments`, `plugin_error`, `panic` or `contract_refused`.
    pub fn kind(&self) -> &'static str {
        match self.cause {
            Cause::UnknownRef { .. } => "unknown_ref",
            Cause::BadArguments { .. } => "bad_arguments",
            Cause::Failed { .. } => "plugin_error",
            Cause::Panicked { .. } => "panic",
            Cause::Refused { .. } => "contract_refused",
        }
    }

    /// The reference of the call that failed.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The parameter a bad-arguments error is about.
    pub fn parameter(&self) -> Option<&str> {
        match &self.cause {
            Cause::BadArguments { parameter, .. } => parameter.as_deref(),
            _ => None,
        }
    }

    /// The contract that refused the call, for a refusal.
    pub fn contract(&self) -> Option<&'static str> {
        match self.cause {
            Cause::Refused { contract, .. } => Some(contract),
            _ => None,
        }
    }

    /// A panic caught around a contract is the contract's, not the function's.
    pub(crate) fn in_contract(self, contract: &'static str) -> Self {
        match self.cause {
            Cause::Panicked { message } => CallError {
                reference: self.reference,
                cause: Cause::Panicked {
                    message: format!("in the contract `{contract}`: {message}"),
                },
            },
            cause => CallError {
                reference: self.reference,
                cause,
            },
        }
    }

    /// Shims do not know their own reference; the hub fills it in.
    pub(crate) fn with_reference(mut self, full: &str) -> Self {
        if self.reference.is_empty() {
            full.clone_into(&mut self.reference);
        }
        self
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reference = Quoted(&self.reference);
        match &self.cause {
            Cause::UnknownRef { reason } => {
                write!(f, "unknown reference `{reference}`: {}", Quoted(reason))
            }
            Cause::BadArguments {
                parameter: Some(parameter),
                message,
            } => write!(
                f,
                "bad argument `{}` for `{reference}`: {}",
                Quoted(parameter),
                Quoted(message)
            ),
            Cause::BadArguments {
                parameter: None,
                message,
            } => write!(f, "bad arguments for `{reference}`: {}", Quoted(message)),
            Cause::Failed { error } => write!(f, "`{reference}` failed: {error:#}"),
            Cause::Panicked { message } => write!(f, "`{reference}` panicked: {message}"),
            Cause::Refused { contract, message } => write!(
                f,
                "the contract `{contract}` refused the call of `{reference}`: {message}"
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
        // The log's rule, so a message and its log line escape alike.
        let mut escaped = String::with_capacity(self.0.len() + 8);
        crate::log::escape_into(&mut escaped, self.0, usize::MAX);
        f.write_str(&escaped)
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
        let unknown = CallError::unknown_ref("\u{b}fz.calc", "there is no sub named `\u{b}fz`");
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
