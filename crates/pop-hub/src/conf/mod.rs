//! Configuration, declared once per crate in `src/conf.rs` and layered
//! **command line > environment > config file > defaults**.
//!
//! A crate declares its options in `CONFIG` (name, type, default, help), picks
//! which are command-line flags in `CLI_CONFIG`, may declare `SUBCOMMANDS`, and
//! maps its subs to directories in `DYNE`. Every crate's values live under its
//! own namespace: `hub.opt()["poppy"]["port"]`.
//!
//! * Environment variables are `<CRATE>_<OPTION>`, upper-cased (`POPPY_PORT`).
//! * The config file is TOML, named by `--config FILE` or `<APP>_CONFIG`; the
//!   app's options sit at its top level or under `[<app>]`, another crate's
//!   under `[<crate>]`.
//! * A flag only counts when it was given: clap holds no defaults, so a default
//!   can never beat the file or the environment.
//! * Every value given is checked against its option's type where it was
//!   given, so an error names the flag, the variable or the file at fault.

//!
//! This module holds what a crate declares; the loader (`load`), the
//! command line it builds (`cli`) and the typed reads of the generated
//! `Config` (`typed`) are the runtime's own.

mod cli;
mod load;
pub(crate) mod typed;

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

pub(crate) use load::{check_flags, load, options};

/// The DYNE map: each sub's directories, relative to the crate's `src/`.
pub type Dyne = &'static [(&'static str, &'static [&'static str])];

/// The type of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false` (on the command line: a flag without a value).
    Bool,
    /// Any text.
    String,
    /// A filesystem path.
    Path,
    /// An IP address to listen on or connect to (`localhost` reads as `127.0.0.1`).
    Ip,
    /// An integer from 0 to 65535 (ports).
    U16,
    /// An integer from 0 to 4294967295.
    U32,
    /// A non-negative integer.
    U64,
    /// An integer.
    I64,
    /// A number.
    F64,
}

impl Kind {
    /// The type's name, as `inspect` shows it: `bool`, `string`, `path`,
    /// `ip`, `u16`, `u32`, `u64`, `i64` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::String => "string",
            Kind::Path => "path",
            Kind::Ip => "ip",
            Kind::U16 => "u16",
            Kind::U32 => "u32",
            Kind::U64 => "u64",
            Kind::I64 => "i64",
            Kind::F64 => "f64",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Bool => "true or false",
            Kind::String => "a string",
            Kind::Path => "a path",
            Kind::Ip => "an IP address such as 127.0.0.1 or ::1 (or localhost)",
            Kind::U16 => "an integer from 0 to 65535",
            Kind::U32 => "an integer from 0 to 4294967295",
            Kind::U64 => "a non-negative integer",
            Kind::I64 => "an integer",
            Kind::F64 => "a number",
        }
    }

    /// Parses a value given as text (a flag or an environment variable).
    fn parse_text(self, text: &str) -> Result<Value, String> {
        let bad = || format!("`{text}` is not {}", self.expected());
        let trimmed = text.trim();
        Ok(match self {
            Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Value::Bool(true),
                "false" | "no" | "off" | "0" => Value::Bool(false),
                _ => return Err(bad()),
            },
            Kind::String | Kind::Path => Value::String(text.to_owned()),
            Kind::Ip => Value::String(parse_ip(text).ok_or_else(bad)?),
            Kind::U16 => trimmed.parse::<u16>().map_err(|_| bad())?.into(),
            Kind::U32 => trimmed.parse::<u32>().map_err(|_| bad())?.into(),
            Kind::U64 => trimmed.parse::<u64>().map_err(|_| bad())?.into(),
            Kind::I64 => trimmed.parse::<i64>().map_err(|_| bad())?.into(),
            Kind::F64 => {
                let number = trimmed.parse::<f64>().map_err(|_| bad())?;
                serde_json::Number::from_f64(number)
                    .map(Value::Number)
                    .ok_or_else(bad)?
            }
        })
    }

    /// Checks a value from the TOML file. TOML is typed, so no text is parsed.
    fn check_toml(self, value: &toml::Value) -> Result<Value, String> {
        let shown = match value {
            toml::Value::String(text) => format!("{text:?}"),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => other.type_str().to_owned(),
        };
        let found = || {
            format!(
                "found {} `{shown}`, expected {}",
                value.type_str(),
                self.expected()
            )
        };
        let integer = |min: i64, max: i64| match value {
            toml::Value::Integer(n) if (min..=max).contains(n) => Ok(Value::from(*n)),
            _ => Err(found()),
        };
        match self {
            Kind::Bool => value.as_bool().map(Value::Bool).ok_or_else(found),
            Kind::String | Kind::Path => value
                .as_str()
                .map(|s| Value::String(s.to_owned()))
                .ok_or_else(found),
            Kind::Ip => value
                .as_str()
                .and_then(parse_ip)
                .map(Value::String)
                .ok_or_else(found),
            Kind::U16 => integer(0, u16::MAX.into()),
            Kind::U32 => integer(0, u32::MAX.into()),
            Kind::U64 => integer(0, i64::MAX),
            Kind::I64 => integer(i64::MIN, i64::MAX),
            Kind::F64 => match value {
                toml::Value::Float(n) => serde_json::Number::from_f64(*n)
                    .map(Value::Number)
                    .ok_or_else(found),
                toml::Value::Integer(n) => Ok(Value::from(*n as f64)),
                _ => Err(found()),
            },
        }
    }
}

/// An IP address in its canonical spelling; `localhost` is `127.0.0.1`.
/// Anything else, even with spaces around it, is refused where it was given.
fn parse_ip(text: &str) -> Option<String> {
    if text == "localhost" {
        return Some("127.0.0.1".to_owned());
    }
    text.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Default {
    None,
    Bool(bool),
    Text(&'static str),
    UInt(u64),
    Int(i64),
    Float(f64),
}

/// One configuration option: name, type, default and help.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Opt {
    name: &'static str,
    kind: Kind,
    default: Default,
    help: &'static str,
}

impl Opt {
    const fn with(name: &'static str, kind: Kind, default: Default) -> Self {
        Opt {
            name,
            kind,
            default,
            help: "",
        }
    }

    /// An option with no default: absent from the configuration unless given.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Opt::with(name, kind, Default::None)
    }

    /// A text option.
    pub const fn string(name: &'static str, default: &'static str) -> Self {
        Opt::with(name, Kind::String, Default::Text(default))
    }

    /// A path option.
    pub const fn path(name: &'static str, default: &'static str) -> Self {
        Opt::with(name, Kind::Path, Default::Text(default))
    }

    /// An IP address option, such as the address a server listens on.
    pub const fn ip(name: &'static str, default: &'static str) -> Self {
        Opt::with(name, Kind::Ip, Default::Text(default))
    }

    /// A true/false option; as a flag it takes no value.
    pub const fn bool(name: &'static str, default: bool) -> Self {
        Opt::with(name, Kind::Bool, Default::Bool(default))
    }

    /// An integer option from 0 to 65535, such as a port.
    pub const fn u16(name: &'static str, default: u16) -> Self {
        Opt::with(name, Kind::U16, Default::UInt(default as u64))
    }

    /// An integer option from 0 to 4294967295.
    pub const fn u32(name: &'static str, default: u32) -> Self {
        Opt::with(name, Kind::U32, Default::UInt(default as u64))
    }

    /// A non-negative integer option.
    pub const fn u64(name: &'static str, default: u64) -> Self {
        Opt::with(name, Kind::U64, Default::UInt(default))
    }

    /// An integer option.
    pub const fn i64(name: &'static str, default: i64) -> Self {
        Opt::with(name, Kind::I64, Default::Int(default))
    }

    /// A number option.
    pub const fn f64(name: &'static str, default: f64) -> Self {
        Opt::with(name, Kind::F64, Default::Float(default))
    }

    /// Sets the help text shown by `--help`.
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    /// The option's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The type of its value.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Its help text.
    pub fn help_text(&self) -> &'static str {
        self.help
    }

    /// Its default as JSON; `None` when it has none.
    pub fn default_value(&self) -> Option<Value> {
        match self.default {
            Default::None => None,
            Default::Bool(b) => Some(Value::Bool(b)),
            Default::Text(text) => Some(Value::String(text.to_owned())),
            Default::UInt(n) => Some(n.into()),
            Default::Int(n) => Some(n.into()),
            Default::Float(n) => serde_json::Number::from_f64(n).map(Value::Number),
        }
    }

    fn default_text(&self) -> Option<String> {
        match self.default {
            Default::None => None,
            Default::Text(text) => Some(format!("{text:?}")),
            _ => self.default_value().map(|value| value.to_string()),
        }
    }
}

/// Makes an option a command-line flag (an entry of `CLI_CONFIG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    name: &'static str,
    short: Option<char>,
    long: Option<&'static str>,
    subcommands: &'static [&'static str],
}

impl Flag {
    /// The option `name` (declared in `CONFIG`) as a flag; its long form is
    /// the name with `-` for `_` (`log_file` is `--log-file`).
    pub const fn new(name: &'static str) -> Self {
        Flag {
            name,
            short: None,
            long: None,
            subcommands: &[],
        }
    }

    /// Adds a short form, e.g. `-p`.
    pub const fn short(mut self, short: char) -> Self {
        self.short = Some(short);
        self
    }

    /// Replaces the long form.
    pub const fn long(mut self, long: &'static str) -> Self {
        self.long = Some(long);
        self
    }

    /// Offers the flag only on these sub-commands; `"_global_"` offers it on
    /// the app and on every sub-command.
    pub const fn subcommands(mut self, subcommands: &'static [&'static str]) -> Self {
        self.subcommands = subcommands;
        self
    }

    /// The option this flag sets.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn long_name(&self) -> String {
        match self.long {
            Some(long) => long.trim_start_matches('-').to_owned(),
            None => self.name.replace('_', "-"),
        }
    }
}

/// A sub-command of the app (an entry of `SUBCOMMANDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subcommand {
    name: &'static str,
    help: &'static str,
}

impl Subcommand {
    /// A sub-command called `name`.
    pub const fn new(name: &'static str) -> Self {
        Subcommand { name, help: "" }
    }

    /// Sets its help text.
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Where a configuration value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The option's declared default.
    Default,
    /// The config file at this path.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("the default"),
            Source::File(path) => write!(f, "config file {}", path.display()),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Flag(flag) => write!(f, "command-line flag {flag}"),
        }
    }
}

/// Why the configuration could not be loaded. Start-up stops with exit code 2
/// (0 for `--help` and `--version`).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// `--help` or `--version` was asked for: print this and exit 0.
    Exit(String),
    /// The command line does not parse (clap's message, with usage).
    Usage(String),
    /// A value does not fit its option.
    Invalid {
        /// `namespace.option`.
        option: String,
        /// Where the value came from.
        source: Source,
        /// What is wrong with it.
        message: String,
    },
    /// The config file cannot be read or parsed, or holds an unknown option.
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// The process exit code for this error: 0 for help and version, else 2.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConfigError::Exit(_) => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Exit(text) | ConfigError::Usage(text) => f.write_str(text.trim_end()),
            ConfigError::Invalid {
                option,
                source,
                message,
            } => {
                write!(
                    f,
                    "invalid value for option `{option}` from {source}: {message}"
                )
            }
            ConfigError::File { path, message } => {
                write!(f, "config file {}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// What a crate declares in its `src/conf.rs`, plus its name and version.
#[derive(Clone, Copy, Debug)]
pub struct CrateInfo {
    /// The crate's name; also its configuration namespace (`hub.opt()["poppy"]`).
    pub name: &'static str,
    /// The crate's version (`--version` prints the app's).
    pub version: &'static str,
    /// The prefix of its environment variables (`POPPY` for `POPPY_PORT`).
    pub env_prefix: &'static str,
    /// `CONFIG`: every option the crate reads.
    pub config: &'static [Opt],
    /// `CLI_CONFIG`: which options are also command-line flags.
    pub cli_config: &'static [Flag],
    /// `SUBCOMMANDS`: the app's sub-commands.
    pub subcommands: &'static [Subcommand],
    /// `DYNE`: the directories of each sub, relative to `src/`.
    pub dyne: Dyne,
}
