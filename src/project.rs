//! Finding the project a command runs in, as cargo finds its manifest.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// A pop crate on disk: a `Cargo.toml` beside a `src/conf.rs` with a DYNE map.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `Cargo.toml`.
    pub root: PathBuf,
    /// The package name.
    pub name: String,
    /// The package's `Cargo.toml`, as text.
    pub manifest_text: String,
    /// Whether it has an entry point (`src/main.rs`); a vertical crate has none.
    pub is_app: bool,
}

impl Project {
    /// Reads the project at `root`, if it is one: a `Cargo.toml` beside a
    /// `src/conf.rs` that declares the DYNE map. (The runtime's own crates
    /// have a `src/conf.rs` too, but no DYNE map: they are not projects.)
    pub fn open(root: &Path) -> Result<Option<Project>> {
        let manifest_path = root.join("Cargo.toml");
        let conf = std::fs::read_to_string(root.join("src").join("conf.rs")).unwrap_or_default();
        let declares_dyne = conf.contains("const DYNE") || conf.contains("static DYNE");
        if !manifest_path.is_file() || !declares_dyne {
            return Ok(None);
        }
        let manifest_text = std::fs::read_to_string(&manifest_path)
            .map_err(|err| Error::io("read", &manifest_path, err))?;
        let manifest = Manifest::parse(&manifest_path, &manifest_text)?;
        let name = manifest
            .package_name()
            .ok_or_else(|| {
                Error::failure(format!("{} has no [package] name", manifest_path.display()))
            })?
            .to_owned();
        Ok(Some(Project {
            root: root.to_path_buf(),
            name,
            manifest_text,
            is_app: root.join("src").join("main.rs").is_file(),
        }))
    }

    /// The nearest project at or above `start`.
    pub fn find(start: &Path) -> Result<Project> {
        for dir in start.ancestors() {
            if let Some(project) = Project::open(dir)? {
                return Ok(project);
            }
        }
        Err(not_in_project(start))
    }

    /// The nearest app (a project with an entry point) at or above `start`.
    pub fn find_app(start: &Path) -> Result<Project> {
        let mut nearest = None;
        for dir in start.ancestors() {
            if let Some(project) = Project::open(dir)? {
                if project.is_app {
                    return Ok(project);
                }
                nearest.get_or_insert(project);
            }
        }
        match nearest {
            Some(vertical) => Err(Error::usage(format!(
                "`{}` at {} is a vertical crate: it has no entry point to run",
                vertical.name,
                vertical.root.display()
            ))
            .hint("run it from an app that depends on it")),
            None => Err(not_in_project(start)),
        }
    }

    /// The manifest, parsed.
    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::parse(&self.root.join("Cargo.toml"), &self.manifest_text)
    }

    /// The package's Rust name.
    pub fn crate_name(&self) -> String {
        pop_build::names::crate_name(&self.name)
    }

    /// Reads a file of the project, relative to its root.
    pub fn read(&self, relative: &str) -> Result<String> {
        let path = self.root.join(relative);
        std::fs::read_to_string(&path).map_err(|err| Error::io("read", &path, err))
    }

    /// Reads a file of the project if it exists.
    pub fn read_optional(&self, relative: &str) -> Result<Option<Vec<u8>>> {
        let path = self.root.join(relative);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(Error::io("read", &path, err)),
        }
    }
}

/// The current directory, where a command starts looking for its project.
pub fn current_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .map_err(|err| Error::failure(format!("cannot read the current directory: {err}")))
}

fn not_in_project(start: &Path) -> Error {
    Error::usage(format!(
        "not inside a pop project: no Cargo.toml with src/conf.rs in {} or any parent directory",
        start.display()
    ))
    .hint("create one with `pop-create new <NAME>`, or cd into an existing one")
}
