//! Build-script helper of the pop runtime, and the one home of a pop crate's
//! rules: the grammar of `src/conf.rs` ([`declaration`]), the names a
//! project, sub, plugin or option may have ([`names`]), and how the files
//! under each sub's directory become modules and registrations.
//!
//! A pop crate's `build.rs` is one line, `pop_build::generate();`. It reads
//! `src/conf.rs`, walks the directories its DYNE map names, and then:
//!
//! * keeps `src/subs.rs` up to date: one `mod` per sub, nested sub and plugin
//!   file, so that rustc, rustfmt and rust-analyzer all see every plugin;
//! * writes `$OUT_DIR/pop_generated.rs`, which `src/subs.rs` includes: the
//!   typed `Config` of the crate's options, and `register`, which first calls
//!   `register` of every pop crate this crate depends on (found through Cargo
//!   `links` metadata, so one line in `Cargo.toml` is all app merging needs),
//!   then hands the hub this crate's subs, plugins, hooks and options;
//! * refuses to build against a runtime other than the one the crate was
//!   made for (one runtime serves an app and every pop crate it depends on).
//!
//! A new file in a sub's directory is picked up on the next build: the build
//! script asks Cargo to rerun whenever those directories change.
//!
//! `pop-create` uses the same functions to write `src/subs.rs` as it adds
//! subs and plugins, so a project is complete before its first build.

use std::fmt;
use std::path::{Path, PathBuf};

mod codegen;
mod compat;
pub mod contracts;
pub mod declaration;
pub mod model;
pub mod module_tree;
pub mod names;
mod scan;
mod source;
mod syntax;

pub use codegen::CrateFacts;
pub use compat::{Version, compatible};
pub use declaration::Declaration;
pub use model::{Dir, File, Layout, PluginFn, Signature, Sub};
pub use source::{Disk, Source};

/// The version of the pop runtime this helper belongs to.
pub const RUNTIME_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Something in a pop crate that stops its build, with a fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    hint: Option<String>,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<declaration::ConfError> for Error {
    fn from(err: declaration::ConfError) -> Self {
        Error {
            message: err.to_string(),
            hint: err.hint,
        }
    }
}

/// A pop crate as its files declare it: `src/conf.rs` and the sub directories.
#[derive(Debug)]
pub struct Crate {
    /// What `src/conf.rs` declares.
    pub declaration: Declaration,
    /// What the directories of its subs hold.
    pub layout: Layout,
}

impl Crate {
    /// Reads the crate at `root` from disk.
    pub fn read(root: &Path) -> Result<Crate, Error> {
        Crate::read_from(root, &Disk)
    }

    /// Reads the crate at `root` from `source`.
    pub fn read_from(root: &Path, source: &dyn Source) -> Result<Crate, Error> {
        let conf = root.join(declaration::FILE);
        let text = source
            .read(&conf)
            .map_err(|err| Error::new(format!("cannot read {}: {err}", declaration::FILE)))?;
        let declaration = Declaration::parse(&text)?;
        let layout = Layout::read(root, &declaration, source)?;
        Ok(Crate {
            declaration,
            layout,
        })
    }

    /// The text `src/subs.rs` should have.
    pub fn subs_rs(&self) -> String {
        module_tree::render(&self.layout)
    }
}

/// Writes `src/subs.rs` (when its modules changed) and
/// `$OUT_DIR/pop_generated.rs` for the crate being built. Call it from
/// `build.rs`.
///
/// A problem (a DYNE entry naming a missing directory, a plugin file whose
/// name is not a Rust identifier, a runtime the crate was not made for, …)
/// fails the build with one `error:` line naming the file and the fix.
pub fn generate() {
    if let Err(err) = build_script() {
        let line = match err.hint_text() {
            Some(hint) => format!("{}; {hint}", err.message()),
            None => err.message().to_owned(),
        };
        println!("cargo::error={}", line.replace('\n', " "));
    }
}

fn build_script() -> Result<(), Error> {
    let env = |name: &str| {
        std::env::var(name)
            .map_err(|_| Error::new(format!("{name} is not set; is this a build script?")))
    };
    let root = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let facts = CrateFacts {
        name: names::crate_name(&env("CARGO_PKG_NAME")?),
        version: env("CARGO_PKG_VERSION")?,
        dependencies: compat::pop_dependencies(std::env::vars())?,
    };
    println!("cargo::rerun-if-changed={}", declaration::FILE);
    println!("cargo::rerun-if-changed={}", module_tree::FILE);
    let made_for = compat::check_self(&root, &facts.name)?;
    let krate = Crate::read(&root)?;
    for dir in &krate.layout.dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }

    let subs_path = root.join(module_tree::FILE);
    let wanted = krate.subs_rs();
    let current = std::fs::read_to_string(&subs_path).unwrap_or_default();
    if !module_tree::same_modules(&current, &wanted) {
        std::fs::write(&subs_path, &wanted).map_err(|err| {
            Error::new(format!("{} is out of date and cannot be written: {err}", module_tree::FILE))
                .hint("build the crate in its own directory once, so its build script can update the file")
        })?;
    }

    let code = codegen::generate(&facts, &krate.declaration, &krate.layout);
    let out_file = PathBuf::from(env("OUT_DIR")?).join("pop_generated.rs");
    // Writing only on change keeps rebuilds from recompiling for nothing.
    if std::fs::read_to_string(&out_file).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&out_file, &code)
            .map_err(|err| Error::new(format!("cannot write {}: {err}", out_file.display())))?;
    }
    if std::env::var_os("CARGO_MANIFEST_LINKS").is_some() {
        // Crates that depend on this one find it through these, call its
        // `register`, and check that it was made for their runtime.
        println!("cargo::metadata=pop_crate={}", facts.name);
        println!("cargo::metadata=pop_runtime={made_for}");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
