//! What the build knows of a crate, as data: its subs with their
//! directories, plugin files and functions, nested subs and contract files.
//! The readers (`scan` for plugin files, `contracts` for contract files)
//! fill it in; the writers (`codegen`, `module_tree`) read it. The module
//! path of each directory is worked out here, once.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The module `src/subs.rs` declares every sub in, at the crate's root.
pub const SUBS_MODULE: &str = "subs";

/// A crate's subs as found on disk, in DYNE order.
#[derive(Debug)]
pub struct Layout {
    /// Each sub of DYNE and its directories, in DYNE order.
    pub subs: Vec<Sub>,
    /// Every directory read, for the build script to watch.
    pub dirs: Vec<PathBuf>,
}

/// One sub of DYNE.
#[derive(Debug)]
pub struct Sub {
    /// Its name.
    pub name: String,
    /// Each of its directories (relative to `src/`) and what is in it.
    pub dirs: Vec<(String, Dir)>,
}

/// One directory of a sub, or of a nested sub.
#[derive(Debug, Default)]
pub struct Dir {
    /// Its `.rs` files, sorted by name.
    pub files: Vec<File>,
    /// Its subdirectories (nested subs), sorted by name.
    pub nested: BTreeMap<String, Dir>,
    /// The files of its `contracts/` directory, sorted by name.
    pub contracts: Vec<ContractFile>,
}

/// One `.rs` file of a sub: a plugin module, or the sub's `init.rs`.
#[derive(Debug)]
pub struct File {
    /// The module name (the file name without `.rs`).
    pub module: String,
    /// The path relative to the crate root, with `/` separators.
    pub path: String,
    /// The `#[plugin]` functions it defines, in file order.
    pub plugins: Vec<PluginFn>,
    /// Whether it defines a load condition, `pub fn available(hub: &Hub) -> Result<()>`.
    pub available: bool,
    /// For `init.rs`: whether it names other names of the sub, `pub const ALIASES: &[&str]`.
    pub aliases: Vec<String>,
    /// For `init.rs`: whether it defines the load hook `init`.
    pub load_hook: bool,
    /// For `init.rs`: whether it defines the start hook `start`.
    pub start_hook: bool,
    /// For `init.rs`: whether it defines the run hook `run`.
    pub run_hook: bool,
    /// For `init.rs`: whether `run` takes what `start` returns, as its
    /// second parameter.
    pub run_takes_state: bool,
}

/// A `#[plugin]` function, as written.
#[derive(Clone, Debug)]
pub struct PluginFn {
    /// Its Rust name.
    pub name: String,
    /// The name it is called by: `#[plugin(name = "…")]`, or its Rust name.
    pub exposed: String,
    /// Its line in the file.
    pub line: usize,
    /// Its signature.
    pub signature: Signature,
}

/// A function's signature as text, for signature contracts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Its named parameters (after the hub): name, type, and whether a
    /// caller may leave it out (`Option<T>` or `#[default]`).
    pub params: Vec<(String, String, bool)>,
    /// Its return type (`()` when none is written).
    pub returns: String,
}

impl Sub {
    /// The module of the sub's `index`th directory inside the sub's own
    /// module: the first directory is the sub's module itself, each further
    /// one a module `__dir<index>` inside it (its plugins still hang on the
    /// hub under the sub).
    pub fn dir_module(index: usize) -> Option<String> {
        (index > 0).then(|| format!("__dir{index}"))
    }
}

/// One file of a `contracts/` directory.
#[derive(Debug)]
pub struct ContractFile {
    /// Its module name: `init`, or the plugin file it governs.
    pub module: String,
    /// The path relative to the crate root, with `/` separators.
    pub path: String,
    /// Its contract functions, in file order.
    pub functions: Vec<ContractFn>,
    /// The functions its `trait Sig` requires, with their lines.
    pub signatures: Vec<(String, Signature, usize)>,
}

/// One `pre`, `call` or `post` function.
#[derive(Debug)]
pub struct ContractFn {
    /// Its name: `pre`, or `pre_fib`.
    pub name: String,
    /// When it runs.
    pub stage: Stage,
    /// The function it wraps alone (`fib` for `pre_fib`); `None` wraps them all.
    pub target: Option<String>,
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Its line.
    pub line: usize,
}

/// When a contract runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before the call; may refuse it.
    Pre,
    /// In place of the call.
    Call,
    /// After the call; may replace the result.
    Post,
}

impl Stage {
    /// Every stage, in the order they run.
    pub const ALL: [Stage; 3] = [Stage::Pre, Stage::Call, Stage::Post];

    /// Its name, also the name of its file-wide contract function.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Pre => "pre",
            Stage::Call => "call",
            Stage::Post => "post",
        }
    }

    /// The shape its functions have, for messages.
    pub fn shape(self, name: &str) -> String {
        match self {
            Stage::Pre => format!("`pub fn {name}(hub: &Hub, ctx: &Ctx) -> Result<()>`"),
            Stage::Call => {
                format!("`pub fn {name}(hub: &Hub, ctx: &Ctx, next: Next<'_>) -> Result<Value>`")
            }
            Stage::Post => format!("`pub fn {name}(hub: &Hub, ctx: &mut Ctx) -> Result<()>`"),
        }
    }

    /// The second parameter's type, as text: `&Ctx` or `&mut Ctx`.
    pub fn takes_mut_ctx(self) -> bool {
        self == Stage::Post
    }

    /// How many parameters its functions take.
    pub fn arity(self) -> usize {
        match self {
            Stage::Pre | Stage::Post => 2,
            Stage::Call => 3,
        }
    }
}
