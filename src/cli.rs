//! The command line, as clap parses it.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  pop-create new poppy                         a new app in ./poppy
  pop-create add-sub rpc --pattern router      an HTTP JSON router sub
  pop-create add-plugin rpc math               src/rpc/math.rs, with a test
  pop-create run -- --port 8080                build, then run with these args
  pop-create new mathx --vertical --dyne rpc   a crate whose plugins join an app's rpc sub
  pop-create update --dry-run                  what updating to this version would change";

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
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// `--vcs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Vcs {
    /// git init the new project (unless it is inside a repository already)
    Git,
    /// No repository
    None,
}

/// `--license`: the SPDX expressions pop-create writes texts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum License {
    /// The MIT licence (LICENSE)
    #[value(name = "MIT")]
    Mit,
    /// The Apache License 2.0 (LICENSE)
    #[value(name = "Apache-2.0")]
    Apache,
    /// Either, at the user's option (LICENSE-MIT and LICENSE-APACHE), as most Rust crates
    #[value(name = "MIT OR Apache-2.0")]
    MitOrApache,
    /// No licence file and no `license` field
    #[value(name = "none")]
    None,
}

impl License {
    /// The SPDX expression, or `none`.
    pub fn spdx(self) -> &'static str {
        match self {
            License::Mit => "MIT",
            License::Apache => "Apache-2.0",
            License::MitOrApache => "MIT OR Apache-2.0",
            License::None => "none",
        }
    }

    /// The licence for an SPDX expression pop-create wrote.
    pub fn from_spdx(spdx: &str) -> Option<License> {
        [
            License::Mit,
            License::Apache,
            License::MitOrApache,
            License::None,
        ]
        .into_iter()
        .find(|license| license.spdx() == spdx)
    }
}

/// `--ci`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Ci {
    /// .github/workflows/ci.yml
    Github,
    /// .gitlab-ci.yml
    Gitlab,
    /// No CI workflow
    None,
}

impl Ci {
    /// The provider's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            Ci::Github => "github",
            Ci::Gitlab => "gitlab",
            Ci::None => "none",
        }
    }

    /// The provider of a name pop-create wrote.
    pub fn from_name(name: &str) -> Option<Ci> {
        [Ci::Github, Ci::Gitlab, Ci::None]
            .into_iter()
            .find(|ci| ci.name() == name)
    }
}

/// `pop-create add-sub`.
#[derive(Debug, Args)]
pub struct AddSubArgs {
    /// The sub's name: a directory under src/ and a Rust module
    pub name: Option<String>,
    /// The pattern the sub follows
    #[arg(long, value_enum, default_value_t = Pattern::Library)]
    pub pattern: Pattern,
    /// Write options
    #[command(flatten)]
    pub write: WriteOptions,
}

/// The patterns a new sub can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Pattern {
    /// A backbone of the app: sets up shared data when added, runs with the app
    Spine,
    /// Serves the sub's plugins over HTTP JSON (adds the addr, port and log_format options)
    Router,
    /// Plain functions, no load hook
    Library,
    /// Each plugin is an event source; the sub merges their events onto one queue
    Beacon,
    /// The sub gathers from every plugin, sync and async, into shared data
    Collection,
    /// A pipeline stage: takes from an upstream queue, processes, pushes on
    Flow,
}

impl Pattern {
    /// The pattern's name, as typed.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Spine => "spine",
            Pattern::Router => "router",
            Pattern::Library => "library",
            Pattern::Beacon => "beacon",
            Pattern::Collection => "collection",
            Pattern::Flow => "flow",
        }
    }

    /// True for the patterns whose sub has a queue a flow can take from.
    pub fn has_queue(self) -> bool {
        matches!(self, Pattern::Beacon | Pattern::Flow)
    }

    /// The pattern of a name pop-create recorded.
    pub fn from_name(name: &str) -> Option<Pattern> {
        Pattern::value_variants()
            .iter()
            .copied()
            .find(|pattern| pattern.name() == name)
    }
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
#[derive(Debug, Args)]
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
    /// Arguments for the app, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

/// `pop-create update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Print what would change, and write nothing
    #[arg(long)]
    pub dry_run: bool,
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
