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

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::registry::CrateInfo;

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

/// Options every app gets, as pop-config gives them.
const BUILTIN: &[Opt] = &[
    Opt::new("config", Kind::Path).help("Read configuration from this TOML file"),
    Opt::string("log_level", "info").help("Log level: error, warn, info, debug or trace"),
    Opt::new("log_file", Kind::Path).help("Write the log to this file instead of stderr"),
];
const BUILTIN_FLAGS: &[Flag] = &[
    Flag::new("config").subcommands(&["_global_"]),
    Flag::new("log_level").subcommands(&["_global_"]),
    Flag::new("log_file").subcommands(&["_global_"]),
];
const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

/// One crate's options and flags, with the app's built-ins added.
struct Namespace {
    name: &'static str,
    env_prefix: &'static str,
    options: Vec<Opt>,
    flags: Vec<Flag>,
}

fn namespaces(crates: &[CrateInfo]) -> Vec<Namespace> {
    let last = crates.len().saturating_sub(1);
    crates
        .iter()
        .enumerate()
        .map(|(index, krate)| {
            let mut options = krate.config.to_vec();
            let mut flags = krate.cli_config.to_vec();
            if index == last {
                for (opt, flag) in BUILTIN.iter().zip(BUILTIN_FLAGS) {
                    // A crate's own declaration of a built-in replaces it.
                    if !options.iter().any(|own| own.name == opt.name) {
                        options.push(*opt);
                        flags.push(*flag);
                    }
                }
            }
            Namespace {
                name: krate.name,
                env_prefix: krate.env_prefix,
                options,
                flags,
            }
        })
        .collect()
}

/// Every option of every crate, with the app's built-ins, by namespace:
/// what the configuration is loaded from.
pub(crate) fn options(crates: &[CrateInfo]) -> Vec<(&'static str, Vec<Opt>)> {
    namespaces(crates)
        .into_iter()
        .map(|namespace| (namespace.name, namespace.options))
        .collect()
}

/// `<PREFIX>_<OPTION>`: the prefix comes from pop-build, which derives it
/// from the crate's name by the one rule pop-create uses too.
fn env_name(prefix: &str, option: &str) -> String {
    format!("{prefix}_{}", option.to_ascii_uppercase())
}

/// Checks what the crates declare: every flag names a declared option, and no
/// two flags (of one crate or of two) share a long or short form.
pub(crate) fn check_flags(crates: &[CrateInfo]) -> crate::Result<()> {
    let mut longs: HashMap<String, &str> =
        HashMap::from([("help".into(), "clap"), ("version".into(), "clap")]);
    let mut shorts: HashMap<char, &str> = HashMap::from([('h', "clap"), ('V', "clap")]);
    let mut problems = Vec::new();
    for namespace in namespaces(crates) {
        for flag in &namespace.flags {
            if !namespace.options.iter().any(|opt| opt.name == flag.name) {
                problems.push(format!(
                    "crate `{}`: CLI_CONFIG names `{}`, which its CONFIG does not declare",
                    namespace.name, flag.name
                ));
                continue;
            }
            let long = flag.long_name();
            if let Some(other) = longs.insert(long.clone(), namespace.name) {
                problems.push(clash(&format!("--{long}"), other, namespace.name));
            }
            if let Some(short) = flag.short {
                if let Some(other) = shorts.insert(short, namespace.name) {
                    problems.push(clash(&format!("-{short}"), other, namespace.name));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("{}", problems.join("\n")))
    }
}

fn clash(flag: &str, first: &str, second: &str) -> String {
    match first {
        "clap" => format!("crate `{second}` declares the flag {flag}, which is built in"),
        _ if first == second => format!("crate `{first}` declares the flag {flag} twice"),
        _ => format!("the flag {flag} is declared by both crate `{first}` and crate `{second}`"),
    }
}

/// The result of loading: the namespaced values and what the command line chose.
pub(crate) struct Loaded {
    pub(crate) opt: Value,
    /// Where each value came from, by `namespace.option`.
    pub(crate) sources: HashMap<String, Source>,
    pub(crate) subcommand: Option<String>,
}

/// Layers command line > environment > config file > defaults for every crate.
pub(crate) fn load(
    crates: &[CrateInfo],
    args: Vec<OsString>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let app = crates
        .last()
        .ok_or_else(|| ConfigError::Usage("error: no crate is registered on this hub".into()))?;
    let namespaces = namespaces(crates);
    let (command, spellings) = command(app, crates, &namespaces);
    let matches = match command.try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(err) => {
            let text = err.render().to_string();
            return Err(match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ConfigError::Exit(text)
                }
                _ => ConfigError::Usage(text),
            });
        }
    };
    let subcommand = matches.subcommand_name().map(str::to_owned);
    let given = |id: &str| -> Option<(String, String)> {
        let value = flag_value(&matches, id)?;
        Some((
            value,
            spellings.get(id).cloned().unwrap_or_else(|| id.to_owned()),
        ))
    };

    // The file comes from --config, else <APP>_CONFIG.
    let config_env = env_name(app.env_prefix, "config");
    let file = match given(&format!("{}.config", app.name)) {
        Some((path, _)) => Some(PathBuf::from(path)),
        None => env(&config_env)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    };
    let file = match file {
        Some(path) => Some((read_file(&path)?, path)),
        None => None,
    };

    let mut opt = Map::new();
    let mut sources = HashMap::new();
    for (index, namespace) in namespaces.iter().enumerate() {
        let is_app = index + 1 == namespaces.len();
        let file_values = match &file {
            Some((table, path)) => file_section(table, path, namespace, is_app, &namespaces)?,
            None => Map::new(),
        };
        let mut values = Map::new();
        for option in &namespace.options {
            let key = format!("{}.{}", namespace.name, option.name);
            let invalid = |source: Source, message: String| ConfigError::Invalid {
                option: key.clone(),
                source,
                message,
            };
            let mut value = option.default_value().map(|v| (v, Source::Default));
            if let Some(v) = file_values.get(option.name) {
                value = Some((
                    v.clone(),
                    Source::File(file.as_ref().map(|(_, p)| p.clone()).unwrap_or_default()),
                ));
            }
            let var = env_name(namespace.env_prefix, option.name);
            if let Some(text) = env(&var).filter(|text| !text.is_empty()) {
                let source = Source::Env(var.clone());
                let parsed = option
                    .kind
                    .parse_text(&text)
                    .map_err(|m| invalid(source.clone(), m))?;
                value = Some((parsed, source));
            }
            if let Some((text, flag)) = given(&key) {
                let source = Source::Flag(flag);
                let parsed = option
                    .kind
                    .parse_text(&text)
                    .map_err(|m| invalid(source.clone(), m))?;
                value = Some((parsed, source));
            }
            if let Some((value, source)) = value {
                if is_app && option.name == "log_level" {
                    let level = value.as_str().unwrap_or_default();
                    if !LOG_LEVELS.contains(&level) {
                        return Err(invalid(
                            source,
                            format!("`{level}` is not one of {}", LOG_LEVELS.join(", ")),
                        ));
                    }
                }
                values.insert(option.name.to_owned(), value);
                sources.insert(key.clone(), source);
            }
        }
        opt.insert(namespace.name.to_owned(), Value::Object(values));
    }
    Ok(Loaded {
        opt: Value::Object(opt),
        sources,
        subcommand,
    })
}

/// The flag's value, if it was given on the command line (before or after a sub-command).
fn flag_value(matches: &ArgMatches, id: &str) -> Option<String> {
    let found = |m: &ArgMatches| -> Option<String> {
        if !matches!(m.try_contains_id(id), Ok(true))
            || m.value_source(id) != Some(ValueSource::CommandLine)
        {
            return None;
        }
        match m.try_get_one::<String>(id) {
            Ok(Some(text)) => Some(text.clone()),
            _ => Some(m.get_flag(id).to_string()),
        }
    };
    match matches.subcommand() {
        Some((_, sub)) => found(sub).or_else(|| found(matches)),
        None => found(matches),
    }
}

/// The clap command, with no defaults on any argument, and each option's flag spelling.
fn command(
    app: &CrateInfo,
    crates: &[CrateInfo],
    namespaces: &[Namespace],
) -> (Command, HashMap<String, String>) {
    let mut spellings = HashMap::new();
    let mut command = Command::new(app.name)
        .version(app.version)
        .about(format!("{} {}", app.name, app.version))
        .disable_help_subcommand(true);
    let mut subcommands: Vec<Command> = crates
        .iter()
        .flat_map(|krate| krate.subcommands)
        .map(|sub| Command::new(sub.name).about(sub.help))
        .collect();
    let mut env_only = Vec::new();
    for namespace in namespaces {
        for option in &namespace.options {
            let id = format!("{}.{}", namespace.name, option.name);
            let var = env_name(namespace.env_prefix, option.name);
            let Some(flag) = namespace.flags.iter().find(|flag| flag.name == option.name) else {
                env_only.push(describe(option, &var));
                continue;
            };
            let long = flag.long_name();
            spellings.insert(id.clone(), format!("--{long}"));
            let mut help = option.help.to_owned();
            if let Some(default) = option.default_text() {
                help.push_str(&format!(" [default: {default}]"));
            }
            help.push_str(&format!(" [env: {var}]"));
            let mut arg = Arg::new(id).long(long).help(help.trim_start().to_owned());
            if let Some(short) = flag.short {
                arg = arg.short(short);
            }
            arg = match option.kind {
                Kind::Bool => arg.action(ArgAction::SetTrue),
                kind => arg
                    .action(ArgAction::Set)
                    .value_name(option.name.to_ascii_uppercase())
                    .allow_negative_numbers(matches!(kind, Kind::I64 | Kind::F64)),
            };
            let targets = flag.subcommands;
            if targets.is_empty() || targets.contains(&"_global_") {
                command = command.arg(arg.clone().global(targets.contains(&"_global_")));
            }
            for sub in subcommands.iter_mut() {
                if targets.contains(&sub.get_name()) {
                    *sub = sub.clone().arg(arg.clone());
                }
            }
        }
    }
    if !env_only.is_empty() {
        command = command.after_help(format!(
            "Options set only by environment variable or config file:\n{}",
            env_only.join("\n")
        ));
    }
    (command.subcommands(subcommands), spellings)
}

fn describe(option: &Opt, var: &str) -> String {
    let default = option
        .default_text()
        .map(|d| format!(" [default: {d}]"))
        .unwrap_or_default();
    format!(
        "  {:<18} {} [env: {var}]{default}",
        option.name, option.help
    )
}

/// The largest config file read: anything bigger is not a config file
/// (`--config /dev/zero` must not read forever).
const MAX_CONFIG_FILE: u64 = 1024 * 1024;

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    use std::io::Read as _;
    let fail = |message: String| ConfigError::File {
        path: path.to_path_buf(),
        message,
    };
    // Opening a FIFO would wait for a writer forever, and a device may never end.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(fail(
                "is not a regular file (a directory, a FIFO or a device)".to_owned(),
            ));
        }
        _ => {}
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CONFIG_FILE + 1).read_to_string(&mut text))
        .map_err(|err| fail(format!("cannot be read: {err}")))?;
    if text.len() as u64 > MAX_CONFIG_FILE {
        return Err(fail(format!(
            "is larger than {MAX_CONFIG_FILE} bytes, too large for a config file"
        )));
    }
    text.parse::<toml::Table>()
        .map_err(|err| fail(format!("is not valid TOML: {}", err.to_string().trim_end())))
}

/// One namespace's values from the file, checked against its options' types.
fn file_section(
    table: &toml::Table,
    path: &Path,
    namespace: &Namespace,
    is_app: bool,
    all: &[Namespace],
) -> Result<Map<String, Value>, ConfigError> {
    let mut entries: Vec<(&String, &toml::Value)> = Vec::new();
    if is_app {
        for (key, value) in table {
            let names_section = value.is_table() && all.iter().any(|ns| ns.name == key);
            if !names_section {
                entries.push((key, value));
            }
        }
    }
    if let Some(section) = table.get(namespace.name) {
        let Some(section) = section.as_table() else {
            return Err(ConfigError::File {
                path: path.to_path_buf(),
                message: format!("`{}` must be a table of options", namespace.name),
            });
        };
        entries.extend(section.iter());
    }
    let mut values = Map::new();
    for (key, value) in entries {
        let Some(option) = namespace.options.iter().find(|opt| opt.name == key) else {
            let known: Vec<&str> = namespace.options.iter().map(|opt| opt.name).collect();
            return Err(ConfigError::File {
                path: path.to_path_buf(),
                message: format!(
                    "unknown option `{key}` for `{}` (its options: {})",
                    namespace.name,
                    known.join(", ")
                ),
            });
        };
        let parsed = option
            .kind
            .check_toml(value)
            .map_err(|message| ConfigError::Invalid {
                option: format!("{}.{key}", namespace.name),
                source: Source::File(path.to_path_buf()),
                message,
            })?;
        values.insert(key.clone(), parsed);
    }
    Ok(values)
}

/// Refuses to read typed options before the configuration is loaded: every
/// option would read as missing, and an `Option` one silently as `None`.
pub fn require_loaded(hub: &crate::Hub, namespace: &str) -> crate::Result<()> {
    anyhow::ensure!(
        hub.is_config_loaded(),
        "`{namespace}`'s options are read before the configuration is loaded: call `hub.load_config()` (in a test, `hub.load_config_from([\"app\"], |_| None)`) first"
    );
    Ok(())
}

/// Reads one option of a namespace for the generated typed `Config`.
pub fn typed_option<T: DeserializeOwned>(
    values: &Value,
    namespace: &str,
    name: &str,
) -> crate::Result<T> {
    let value = values.get(name).unwrap_or(&Value::Null);
    T::deserialize(value).map_err(|err| {
        anyhow::anyhow!("option `{namespace}.{name}` is not available as its declared type ({err})")
    })
}
