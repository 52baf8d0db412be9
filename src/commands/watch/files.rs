//! What `run --watch` watches, and which file events are changes.
//!
//! Watched: each package built from a local path (the app, its vertical
//! crates and other path dependencies, as `cargo metadata` lists them):
//! its `src/` (all of it), `build.rs` and `Cargo.toml`; the workspace's
//! `Cargo.lock`; and the config file the app was given. Directories are
//! watched rather than files, so that an editor that saves by writing a
//! new file and renaming it over the old one is seen too; `target/` is
//! never under a watched directory. Ignored: editors' temporary and backup
//! files, and `src/subs.rs`, which the build itself keeps.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::Event;
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::project::Project;

/// How long the files must be quiet before a change counts: an editor's
/// save is several events, and a formatter may follow it.
const QUIET: Duration = Duration::from_millis(100);

/// What is watched: the packages' roots, the lockfile, the config file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watched {
    /// Each local package's directory.
    pub packages: Vec<PathBuf>,
    /// The workspace's `Cargo.lock`.
    pub lockfile: PathBuf,
    /// The config file the app reads, if any.
    pub config: Option<PathBuf>,
}

/// A change: the files, and what they are.
#[derive(Debug, Default)]
pub struct Change {
    /// The changed files, sorted.
    pub paths: BTreeSet<PathBuf>,
    /// True when the config file is among them (no build notices that).
    pub config: bool,
    /// True when a manifest is among them (the packages may have changed).
    pub manifest: bool,
}

impl Watched {
    /// The local packages of the project, by `cargo metadata`.
    pub fn of(project: &Project, args: &RunArgs) -> Result<Watched> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(project.root.join("Cargo.toml"))
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        command.args(args.cargo_flags());
        let output = command
            .output()
            .map_err(|err| Error::failure(format!("cannot run cargo metadata: {err}")))?;
        if !output.status.success() {
            return Err(Error::failure(format!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|err| Error::failure(format!("cargo metadata said no JSON: {err}")))?;
        let mut packages: Vec<PathBuf> = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|package| package["source"].is_null())
            .filter_map(|package| {
                Some(
                    Path::new(package["manifest_path"].as_str()?)
                        .parent()?
                        .to_path_buf(),
                )
            })
            .collect();
        packages.sort();
        packages.dedup();
        let workspace = metadata["workspace_root"]
            .as_str()
            .map_or_else(|| project.root.clone(), PathBuf::from);
        Ok(Watched {
            packages,
            lockfile: workspace.join("Cargo.lock"),
            config: None,
        })
    }

    /// The directories to watch, and how.
    fn directories(&self) -> BTreeSet<(PathBuf, bool)> {
        let mut directories = BTreeSet::new();
        for package in &self.packages {
            directories.insert((package.clone(), false));
            if package.join("src").is_dir() {
                directories.insert((package.join("src"), true));
            }
        }
        if let Some(parent) = self.lockfile.parent() {
            directories.insert((parent.to_path_buf(), false));
        }
        if let Some(parent) = self.config.as_deref().and_then(Path::parent) {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            directories.insert((parent.to_path_buf(), false));
        }
        directories
    }

    /// Whether an event on `path` is a change, and of what.
    fn classify(&self, path: &Path, change: &mut Change) {
        if path
            .file_name()
            .is_some_and(|name| is_scratch(&name.to_string_lossy()))
        {
            return;
        }
        if self.config.as_deref() == Some(path) {
            change.config = true;
        } else if path == self.lockfile {
        } else if let Some(package) = self
            .packages
            .iter()
            .filter(|package| path.starts_with(package))
            .max_by_key(|package| package.as_os_str().len())
        {
            let inside = path.strip_prefix(package).unwrap_or(path);
            let counts = match inside.components().next() {
                Some(first) if first.as_os_str() == "src" => inside != Path::new("src/subs.rs"),
                _ => inside == Path::new("build.rs") || inside == Path::new("Cargo.toml"),
            };
            if !counts {
                return;
            }
            change.manifest |= inside == Path::new("Cargo.toml");
        } else {
            return;
        }
        change.paths.insert(path.to_path_buf());
    }
}

/// True for the files editors write beside the ones they edit: swap and
/// lock files, backups, and vim's test of whether it may write.
fn is_scratch(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || [".swp", ".swx", ".tmp", ".bak", ".orig"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// The file watcher: events, gathered until the files are quiet, then sent
/// as one [`Event::Files`].
pub struct Files {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    watched: Watched,
    directories: BTreeSet<(PathBuf, bool)>,
}

impl Files {
    /// Starts watching nothing yet; events go to `events`.
    pub fn start(events: Sender<Event>) -> Result<Files> {
        let debouncer = new_debouncer(QUIET, None, move |result: DebounceEventResult| {
            let event = match result {
                Ok(batch) => Event::Files(
                    batch
                        .into_iter()
                        .filter(|event| {
                            matches!(
                                event.kind,
                                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
                            ) && !matches!(
                                event.kind,
                                EventKind::Modify(notify::event::ModifyKind::Metadata(_))
                            )
                        })
                        .flat_map(|event| event.event.paths)
                        .collect(),
                ),
                Err(errors) => Event::WatchFailed(
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            };
            let _ = events.send(event);
        })
        .map_err(|err| Error::failure(format!("cannot watch files: {err}")))?;
        Ok(Files {
            debouncer,
            watched: Watched::default(),
            directories: BTreeSet::new(),
        })
    }

    /// Watches what `watched` names, and no more.
    pub fn set(&mut self, watched: Watched) -> Result<()> {
        let wanted = watched.directories();
        for (directory, _) in self.directories.difference(&wanted) {
            let _ = self.debouncer.unwatch(directory);
        }
        for (directory, recursive) in wanted.difference(&self.directories) {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            self.debouncer.watch(directory, mode).map_err(|err| {
                Error::failure(format!("cannot watch {}: {err}", directory.display()))
            })?;
        }
        self.directories = wanted;
        self.watched = watched;
        Ok(())
    }

    /// What is watched now.
    pub fn watched(&self) -> &Watched {
        &self.watched
    }

    /// The change `paths` make, if any counts.
    pub fn change(&self, paths: &[PathBuf], into: &mut Change) {
        for path in paths {
            self.watched.classify(path, into);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Watched {
        Watched {
            packages: vec![PathBuf::from("/p"), PathBuf::from("/p/extras")],
            lockfile: PathBuf::from("/p/Cargo.lock"),
            config: Some(PathBuf::from("/etc/app.toml")),
        }
    }

    fn change(paths: &[&str]) -> Change {
        let mut change = Change::default();
        for path in paths {
            watched().classify(Path::new(path), &mut change);
        }
        change
    }

    #[test]
    fn sources_manifests_the_lockfile_and_the_config_file_are_changes() {
        let counted = change(&[
            "/p/src/rpc/math.rs",
            "/p/src/data/table.json",
            "/p/build.rs",
            "/p/Cargo.lock",
            "/p/extras/src/rpc/gifts.rs",
            "/etc/app.toml",
        ]);
        assert_eq!(counted.paths.len(), 6);
        assert!(counted.config);
        assert!(!counted.manifest);
        assert!(change(&["/p/extras/Cargo.toml"]).manifest);
    }

    #[test]
    fn scratch_files_build_output_and_subs_rs_are_not() {
        let ignored = change(&[
            "/p/src/rpc/.math.rs.swp",
            "/p/src/rpc/math.rs~",
            "/p/src/rpc/#math.rs#",
            "/p/src/rpc/4913",
            "/p/src/rpc/.#math.rs",
            "/p/src/subs.rs",
            "/p/README.md",
            "/p/target/debug/poppy",
            "/etc/other.toml",
        ]);
        assert!(ignored.paths.is_empty(), "{:?}", ignored.paths);
    }
}
