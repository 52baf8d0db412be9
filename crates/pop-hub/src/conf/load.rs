//! Loading a hub's configuration: every crate's options, layered command
//! line > environment > config file > defaults, each value checked where
//! it was given.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde_json::{Map, Value};

use super::cli::command;
use super::{ConfigError, CrateInfo, Flag, Kind, Opt, Source};

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

/// The app's options whose value is one of a few words, checked as it
/// arrives so that a bad one names its source (`log_format` is an option of
/// router apps, in their `src/conf.rs`).
const CHOICES: &[(&str, &[&str])] = &[
    ("log_level", LOG_LEVELS),
    ("log_format", crate::log::Format::NAMES),
];

/// One crate's options and flags, with the app's built-ins added.
pub(super) struct Namespace {
    pub(super) name: &'static str,
    pub(super) env_prefix: &'static str,
    pub(super) options: Vec<Opt>,
    pub(super) flags: Vec<Flag>,
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
pub(super) fn env_name(prefix: &str, option: &str) -> String {
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
                let choices = CHOICES.iter().find(|(name, _)| *name == option.name);
                if let Some((_, allowed)) = choices.filter(|_| is_app) {
                    let word = value.as_str().unwrap_or_default();
                    if !allowed.contains(&word) {
                        return Err(invalid(
                            source,
                            format!("`{word}` is not one of {}", allowed.join(", ")),
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
