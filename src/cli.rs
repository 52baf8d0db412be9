//! The command line, as clap parses it.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Create, grow and run pop (Plugin Oriented Programming) projects in Rust.
#[derive(Debug, Parser)]
#[command(name = "pop-create", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
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
    /// Overwrite existing files that are in the way (each is listed)
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
    /// Extra dynes (subs) to create beside the spine
    #[arg(short, long, num_args = 1.., value_name = "DYNE")]
    pub dyne: Vec<String>,
    /// Make a crate with no entry point that only extends other apps' dynes
    #[arg(long)]
    pub vertical: bool,
    /// Initialize a version-control repository [default: git, when git is installed]
    #[arg(long, value_enum)]
    pub vcs: Option<Vcs>,
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
    /// Serves the sub's plugins over HTTP JSON (adds the addr and port options)
    Router,
    /// Plain functions, no load hook
    Library,
}

impl Pattern {
    /// The pattern's name, as typed.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Spine => "spine",
            Pattern::Router => "router",
            Pattern::Library => "library",
        }
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
    #[arg(long)]
    pub release: bool,
    /// Arguments for the app, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}
