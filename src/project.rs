//! Finding the project a command runs in, as cargo finds its manifest.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::journal;
use crate::lock::ProjectLock;
use crate::manifest::Manifest;
use crate::model::ProjectPath;
use crate::names::ProjectName;

/// A pop crate on disk: a `Cargo.toml` beside a `src/conf.rs` with a DYNE map.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `Cargo.toml`.
    pub root: PathBuf,
    /// The package name, checked as `new` checks names.
    pub name: ProjectName,
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
        // Only regular files are read: a FIFO or device would block or never end.
        let conf = read_regular(&root.join("src").join("conf.rs")).unwrap_or_default();
        let declares_dyne = conf.contains("const DYNE") || conf.contains("static DYNE");
        if !is_regular(&manifest_path) || !declares_dyne {
            return Ok(None);
        }
        let manifest_text = read_regular(&manifest_path)
            .ok_or_else(|| Error::failure(format!("cannot read {}", manifest_path.display())))?;
        let manifest = Manifest::parse(&manifest_path, &manifest_text)?;
        let name = manifest.package_name().ok_or_else(|| {
            Error::failure(format!("{} has no [package] name", manifest_path.display()))
        })?;
        let name = ProjectName::parse(name).map_err(|err| {
            Error::failure(format!("{}: {}", manifest_path.display(), err.message())).hint(
                "pop-create works on packages named as `pop-create new` names them; rename the package",
            )
        })?;
        Ok(Some(Project {
            root: root.to_path_buf(),
            name,
            manifest_text,
            is_app: root.join("src").join("main.rs").is_file(),
        }))
    }

    /// The project at `root` once a write an earlier command was stopped in
    /// is finished or undone there: its `Cargo.toml` or `src/conf.rs` may be
    /// set aside in the middle of that write. Notes on what was recovered go
    /// to `notes`.
    fn open_recovered(root: &Path, notes: &mut Vec<String>) -> Result<Option<Project>> {
        if std::fs::symlink_metadata(root.join(journal::FILE)).is_ok() {
            let _lock = ProjectLock::acquire(root, "pop-create (finishing a stopped command)")?;
            notes.extend(journal::recover(root)?);
        }
        Project::open(root)
    }

    /// The nearest project at or above `start`; what was recovered on the
    /// way goes to `notes`.
    pub fn find(start: &Path, notes: &mut Vec<String>) -> Result<Project> {
        for dir in start.ancestors() {
            if let Some(project) = Project::open_recovered(dir, notes)? {
                return Ok(project);
            }
        }
        Err(not_in_project(start))
    }

    /// The nearest app (a project with an entry point) at or above `start`;
    /// what was recovered on the way goes to `notes`.
    pub fn find_app(start: &Path, notes: &mut Vec<String>) -> Result<Project> {
        let mut nearest = None;
        for dir in start.ancestors() {
            if let Some(project) = Project::open_recovered(dir, notes)? {
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

    /// Takes the project's lock for `command`, then finishes (or undoes) a
    /// write that an earlier command was stopped in: every command that
    /// changes the project holds it from planning to the last rename.
    /// Returns the lock and notes on what was recovered.
    pub fn lock(&self, command: &str) -> Result<(ProjectLock, Vec<String>)> {
        let lock = ProjectLock::acquire(&self.root, command)?;
        let notes = journal::recover(&self.root)?;
        Ok((lock, notes))
    }

    /// Reads a text file of the project.
    pub fn read(&self, relative: &ProjectPath) -> Result<String> {
        let path = self.root.join(relative.to_path());
        let bytes = self
            .read_optional(relative)?
            .ok_or_else(|| Error::failure(format!("{} does not exist", path.display())))?;
        String::from_utf8(bytes)
            .map_err(|_| Error::failure(format!("{} is not UTF-8 text", path.display())))
    }

    /// Reads a file of the project if it exists. A symbolic link on the way
    /// or a file that is not a regular one is refused: pop-create reads only
    /// inside the project, and a planted link or FIFO could point anywhere
    /// or never end.
    pub fn read_optional(&self, relative: &ProjectPath) -> Result<Option<Vec<u8>>> {
        relative.check_no_links(&self.root)?;
        let path = self.root.join(relative.to_path());
        match std::fs::symlink_metadata(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
            Err(err) => return Err(Error::io("read", &path, err)),
            Ok(meta) if !meta.is_file() => {
                return Err(
                    Error::failure(format!("{} is not a regular file", path.display()))
                        .hint("move it out of the way, then run the command again"),
                );
            }
            Ok(_) => {}
        }
        std::fs::read(&path)
            .map(Some)
            .map_err(|err| Error::io("read", &path, err))
    }
}

/// Whether `path` is a regular file (not a link, FIFO, device or directory).
fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file())
}

/// A regular file's text.
fn read_regular(path: &Path) -> Option<String> {
    is_regular(path)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
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
