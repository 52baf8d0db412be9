//! `src/subs.rs` as the project will be once a command's plan is written:
//! pop-build reads the project through an overlay of the planned files, so
//! a project is complete (and every tool sees every module) before its
//! first build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pop_build::{Crate, Source, module_tree};

use crate::changes::Changes;
use crate::error::Result;
use crate::model::ProjectPath;

/// The project's files as a plan will leave them.
pub struct Planned {
    root: PathBuf,
    /// Files written (`Some`) or deleted (`None`), by absolute path.
    overlay: BTreeMap<PathBuf, Option<String>>,
}

impl Planned {
    /// The project at `root`, before any planned change.
    pub fn new(root: &Path) -> Self {
        Planned {
            root: root.to_path_buf(),
            overlay: BTreeMap::new(),
        }
    }

    /// A file the plan writes (relative to the project root).
    pub fn write(&mut self, path: &ProjectPath, contents: &[u8]) {
        let text = String::from_utf8_lossy(contents).into_owned();
        self.overlay
            .insert(self.root.join(path.to_path()), Some(text));
    }

    /// A file the plan deletes.
    pub fn delete(&mut self, path: &ProjectPath) {
        self.overlay.insert(self.root.join(path.to_path()), None);
    }

    /// Adds `src/subs.rs` to `changes`, as pop-build would write it for the
    /// planned project, unless it is up to date already.
    pub fn plan_subs_rs(&self, changes: &mut Changes) -> Result<()> {
        let wanted = Crate::read_from(&self.root, self)?.subs_rs();
        let file = ProjectPath::known(module_tree::FILE);
        file.check_no_links(&self.root)?;
        match std::fs::read_to_string(self.root.join(file.to_path())) {
            Ok(current) if module_tree::same_modules(&current, &wanted) => {}
            Ok(current) => changes.edit_untracked(
                &file,
                current.as_bytes(),
                wanted.into_bytes(),
                "the modules of the subs",
            ),
            Err(_) => changes.create_untracked(&file, wanted),
        }
        Ok(())
    }
}

impl Source for Planned {
    fn list(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        let mut entries: BTreeMap<String, bool> = match std::fs::read_dir(dir) {
            Ok(listing) => listing
                .flatten()
                .map(|entry| {
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    (entry.file_name().to_string_lossy().into_owned(), is_dir)
                })
                .collect(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(err) => return Err(err),
        };
        for (path, contents) in &self.overlay {
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let mut parts = relative.components();
            let Some(first) = parts.next() else {
                continue;
            };
            let name = first.as_os_str().to_string_lossy().into_owned();
            let is_dir = parts.next().is_some();
            match (contents, is_dir) {
                (Some(_), _) => {
                    entries.insert(name, is_dir);
                }
                (None, false) => {
                    entries.remove(&name);
                }
                (None, true) => {}
            }
        }
        Ok(entries.into_iter().collect())
    }

    fn read(&self, file: &Path) -> std::io::Result<String> {
        match self.overlay.get(file) {
            Some(Some(text)) => Ok(text.clone()),
            Some(None) => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
            None => std::fs::read_to_string(file),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
            || self.overlay.iter().any(|(file, contents)| {
                contents.is_some() && file.starts_with(path) && file != path
            })
    }
}
