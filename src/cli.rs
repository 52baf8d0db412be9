//! The command line, as clap parses it.

use std::ffi::OsString;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::{Ci, License, Pattern, Vcs};

const EXAMPLES: &str = "\
Examples:
  pop-create new poppy                         a new app in ./poppy
  pop-create add-sub rpc --pattern router      an HTTP JSON router sub
  pop-create add-plugin rpc math               src/rpc/math.rs, with a test
  pop-create run -- --port 8080                build, then run with these args
  pop-create new mathx --vertical --dyne rpc   a crate whose plugins join an app's rpc sub
  pop-create update --dry-run                  what updating to this version would change
  pop-create run --watch                       rebuild and restart on every change, never refusing a connection
  pop-create call math.fib num=11              call one function of the app, print its result as JSON
  pop-create inspect rpc.math.fib              what the hub loaded: subs, functions, contracts, options";

/// Create, grow and run pop (Plugin Oriented Programming) projects in Rust.
#[derive(Debug, Parser)]
#[command(name = "pop-create", version, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
    /// Options of every command.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, as cargo has them.
#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// Coloring: auto, always, never
    #[arg(long, value_enum, global = true, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print no status messages, only warnings and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: the commands pop-create runs and why
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR or CLICOLOR=0 says otherwise
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

/// The sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new pop project in ./<NAME>
    New(NewArgs),
    /// Add a sub to the project around the current directory
    AddSub(AddSubArgs),
    /// Add a plugin file, with a test, to a sub of the project
    AddPlugin(AddPluginArgs),
    /// Build the project and start its hub, passing ARGS to it
    Run(RunArgs),
    /// Call one function of the app in-process and print its result as JSON
    Call(CallArgs),
    /// Show the hub as it loads: subs, functions, contracts, declined files, options
    Inspect(InspectArgs),
    /// Bring the project to this pop-create's runtime and templates
    Update(UpdateArgs),
    /// Undo add-sub: remove a sub's untouched files and its DYNE entry
    RemoveSub(RemoveSubArgs),
    /// Undo add-plugin: remove an untouched plugin file
    RemovePlugin(RemovePluginArgs),
    /// Print shell completions for pop-create
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// Options of every command that writes files.
#[derive(Debug, Args)]
pub struct WriteOptions {
    /// Print what would be created or changed, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite (or delete) the files in the way, each listed
    #[arg(long)]
    pub force: bool,
    /// Never prompt; fail if a required answer is missing
    #[arg(long)]
    pub no_input: bool,
}

/// `pop-create new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project's name: a Cargo package name, also its spine sub and config namespace
    pub name: Option<String>,
    /// An extra dyne (sub) to create beside the spine; repeat for more
    #[arg(short, long, value_name = "DYNE", action = clap::ArgAction::Append)]
    pub dyne: Vec<String>,
    /// Make a crate with no entry point that only extends other apps' dynes
    #[arg(long)]
    pub vertical: bool,
    /// Initialize a version-control repository [default: git, when git is installed]
    #[arg(long, value_enum)]
    pub vcs: Option<Vcs>,
    /// The project's licence, as an SPDX expression
    #[arg(long, value_enum, default_value_t = License::MitOrApache)]
    pub license: License,
    /// The CI workflow to write
    #[arg(long, value_enum, default_value_t = Ci::Github)]
    pub ci: Ci,
    /// A team's template set over pop-create's: a directory, or a git URL with an optional #<rev>
    #[arg(long, value_name = "DIR|GIT URL")]
    pub template: Option<String>,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// The model's closed choices as clap values, with their help.
macro_rules! value_enum {
    ($($type:ty),+) => {$(
        impl ValueEnum for $type {
            fn value_variants<'a>() -> &'a [Self] {
                <$type>::ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.name()).help(self.about()))
            }
        }
    )+};
}

value_enum!(Vcs, License, Ci);

/// `pop-create add-sub`.
#[derive(Debug, Args)]
pub struct AddSubArgs {
    /// The sub's name: a directory under src/ and a Rust module
    pub name: Option<String>,
    #[arg(long, value_parser = pattern_arg, default_value = "library", long_help = pattern_help(), help = "The pattern the sub follows: spine, router, library, beacon, collection, flow, or one of the project's template set")]
    pub pattern: Pattern,
    /// With a beacon or flow: turn on the runtime's NATS JetStream client,
    /// so that the app's `bus` option can name a broker (also for a sub
    /// that exists)
    #[arg(long)]
    pub bus: bool,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// `--pattern`: one of pop's patterns, or one of the project's template set.
fn pattern_arg(text: &str) -> Result<Pattern, String> {
    Pattern::parse(text).map_err(|err| match err.hint_text() {
        Some(hint) => format!("{}\n  {hint}", err.message()),
        None => err.message().to_owned(),
    })
}

/// The help of `--pattern`: every built-in pattern and what it is for.
fn pattern_help() -> String {
    let mut help =
        String::from("The pattern the sub follows (or one of the project's template set):");
    for pattern in Pattern::BUILTIN {
        help.push_str(&format!("\n  {:<11}{}", pattern.name(), pattern.about()));
    }
    help
}

/// `pop-create add-plugin`.
#[derive(Debug, Args)]
pub struct AddPluginArgs {
    /// The sub to add the plugin to (`rpc`, or `rpc.admin` for a nested sub)
    pub sub: Option<String>,
    /// The plugin's name: the file src/<SUB>/<NAME>.rs
    pub name: Option<String>,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// `pop-create run`.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Build and run with optimizations
    #[arg(long, conflicts_with = "profile")]
    pub release: bool,
    /// Build with this cargo profile
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Cargo features to turn on (space- or comma-separated)
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Assert that Cargo.lock will remain unchanged
    #[arg(long)]
    pub locked: bool,
    /// Build without accessing the network
    #[arg(long)]
    pub offline: bool,
    /// Both --locked and --offline
    #[arg(long)]
    pub frozen: bool,
    /// Rebuild and restart the app on every change, holding its listening sockets
    #[arg(long)]
    pub watch: bool,
    /// Arguments for the app, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

impl RunArgs {
    /// Cargo's `--locked`, `--offline` and `--frozen`, as given, for every
    /// cargo command run for the app.
    pub fn cargo_flags(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
    }
}

/// `pop-create call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The function: a full reference (`rpc.math.fib`) or one relative to a router sub (`math.fib`)
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Keyword arguments, each read as JSON if it parses as JSON, as a string otherwise
    #[arg(value_name = "KEY=VALUE")]
    pub pairs: Vec<String>,
    /// Keyword arguments as one JSON object (a KEY=VALUE given too wins)
    #[arg(long, value_name = "JSON")]
    pub kwargs: Option<String>,
    /// Build and run with optimizations
    #[arg(long)]
    pub release: bool,
}

/// `pop-create inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Only this function or sub (a full reference, or one relative to a router sub)
    #[arg(value_name = "REF")]
    pub reference: Option<String>,
    /// Print one JSON document, for tools
    #[arg(long)]
    pub json: bool,
    /// Build and run with optimizations
    #[arg(long)]
    pub release: bool,
}

/// `pop-create update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Print what would change, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Move the project to this template set (a directory, or a git URL with an optional #<rev>)
    #[arg(long, value_name = "DIR|GIT URL")]
    pub template: Option<String>,
}

/// `pop-create remove-sub`.
#[derive(Debug, Args)]
pub struct RemoveSubArgs {
    /// The sub to remove
    pub name: String,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// `pop-create remove-plugin`.
#[derive(Debug, Args)]
pub struct RemovePluginArgs {
    /// The sub the plugin belongs to (`rpc`, or `rpc.admin`)
    pub sub: String,
    /// The plugin to remove: the file src/<SUB>/<NAME>.rs
    pub name: String,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

impl Command {
    /// Whether the command may prompt: only those that take names, and only
    /// without `--no-input`.
    pub fn may_prompt(&self) -> bool {
        match self {
            Command::New(args) => !args.write.no_input,
            Command::AddSub(args) => !args.write.no_input,
            Command::AddPlugin(args) => !args.write.no_input,
            _ => false,
        }
    }
}
