//! The command line a hub's configuration builds: one flag per option of
//! `CLI_CONFIG`, the app's sub-commands, and `--help` listing every option
//! with its environment variable and default.

use std::collections::HashMap;

use clap::{Arg, ArgAction, Command};

use super::load::{Namespace, env_name};
use super::{CrateInfo, Kind, Opt};

/// The clap command, with no defaults on any argument, and each option's flag spelling.
pub(super) fn command(
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
