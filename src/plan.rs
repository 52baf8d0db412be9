//! Plan, then write: every command renders all it will write into a [`Plan`],
//! checks it, and only then writes it, all or nothing.
//!
//! A new project is staged in a directory beside its target, created
//! exclusively under an unpredictable name with only its owner's access (as
//! the `tempfile` crate makes them), and renamed into place in one step.
//! Changes inside an existing project go through the journal
//! ([`crate::journal`]): written beside their targets, then renamed over
//! them, so that a failure or a kill at any instant leaves the project as it
//! was or as planned, never in between.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::journal;
use crate::model::ProjectPath;

/// The marker in the names of pop-create's temporary files and directories.
pub const TEMP_MARK: &str = ".pop-create-";

/// One path the plan writes or deletes.
#[derive(Debug, Clone)]
pub struct Change {
    /// Relative to the plan's root.
    pub path: ProjectPath,
    /// The file's new contents (empty for a deletion).
    pub contents: Vec<u8>,
    /// Whether the file is executable.
    pub executable: bool,
    /// What the change is.
    pub kind: ChangeKind,
}

/// A new file, an edit of an existing one, or a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A file pop-create creates; an existing different file there is a conflict.
    Create,
    /// An edit of an existing file, planned from `before`; says what it does.
    Edit { before: Vec<u8>, summary: String },
    /// A deletion of a file, planned from `before`.
    Delete { before: Vec<u8> },
}

/// What happened (or would happen) to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new file.
    Create,
    /// An existing file, edited as planned.
    Edit,
    /// An existing, different file, replaced because of `--force`.
    Overwrite,
    /// An existing file with exactly the planned contents: left alone.
    Identical,
    /// A file deleted as planned.
    Delete,
    /// A file to delete that is gone already.
    Gone,
    /// Something that cannot be replaced by a file, even with `--force`.
    Blocked(&'static str),
}

impl Outcome {
    fn verb(self) -> &'static str {
        match self {
            Outcome::Create => "create",
            Outcome::Edit => "edit",
            Outcome::Overwrite => "overwrite",
            Outcome::Identical => "identical",
            Outcome::Delete => "delete",
            Outcome::Gone => "gone",
            Outcome::Blocked(_) => "blocked",
        }
    }
}

/// Everything one command writes, relative to one root directory.
#[derive(Debug)]
pub struct Plan {
    root: PathBuf,
    changes: Vec<Change>,
}

/// The checked plan: what will happen to each path.
#[derive(Debug)]
pub struct Checked {
    plan: Plan,
    outcomes: Vec<Outcome>,
    /// Tests make the write fail after this many files are in place.
    #[cfg(test)]
    fail_after: Option<usize>,
}

impl Plan {
    /// An empty plan for files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Plan {
            root: root.into(),
            changes: Vec::new(),
        }
    }

    /// The directory everything is relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Adds a file to create.
    pub fn create(&mut self, path: ProjectPath, contents: impl Into<Vec<u8>>, executable: bool) {
        self.changes.push(Change {
            path,
            contents: contents.into(),
            executable,
            kind: ChangeKind::Create,
        });
    }

    /// Adds an edit of an existing file, planned from its current contents.
    pub fn edit(
        &mut self,
        path: ProjectPath,
        before: Vec<u8>,
        after: Vec<u8>,
        summary: impl Into<String>,
    ) {
        self.changes.push(Change {
            path,
            contents: after,
            executable: false,
            kind: ChangeKind::Edit {
                before,
                summary: summary.into(),
            },
        });
    }

    /// Adds the deletion of a file, planned from its current contents.
    pub fn delete(&mut self, path: ProjectPath, before: Vec<u8>) {
        self.changes.push(Change {
            path,
            contents: Vec::new(),
            executable: false,
            kind: ChangeKind::Delete { before },
        });
    }

    /// True when writing the plan would change nothing on disk.
    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|change| {
            let current = std::fs::read(self.root.join(change.path.to_path())).ok();
            match change.kind {
                ChangeKind::Delete { .. } => current.is_none(),
                _ => current.as_deref() == Some(change.contents.as_slice()),
            }
        })
    }

    /// What would happen to each path, conflicts included, without refusing
    /// anything yet (for `--dry-run`, which shows conflicts in the plan).
    pub fn survey(self) -> Result<Checked> {
        let mut outcomes = Vec::with_capacity(self.changes.len());
        for change in &self.changes {
            let target = self.root.join(change.path.to_path());
            if let Some(why) = blocked(&self.root, &change.path) {
                outcomes.push(Outcome::Blocked(why));
                continue;
            }
            let current = match std::fs::read(&target) {
                Ok(bytes) => Some(bytes),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) if target.is_dir() => {
                    outcomes.push(Outcome::Blocked("a directory is in the way"));
                    continue;
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotADirectory => {
                    outcomes.push(Outcome::Blocked("a file is in the way of its directory"));
                    continue;
                }
                Err(err) => return Err(Error::io("read", &target, err)),
            };
            let changed_meanwhile = || {
                Error::failure(format!(
                    "{} changed while pop-create was planning its edit; nothing was written",
                    change.path
                ))
                .hint("run the command again")
            };
            let outcome = match (&change.kind, current) {
                (ChangeKind::Delete { .. }, None) => Outcome::Gone,
                (ChangeKind::Delete { before }, Some(current)) if current == *before => {
                    Outcome::Delete
                }
                (ChangeKind::Delete { .. }, Some(_)) => return Err(changed_meanwhile()),
                (ChangeKind::Create, None) => Outcome::Create,
                (_, Some(current)) if current == change.contents => Outcome::Identical,
                (ChangeKind::Create, Some(_)) => Outcome::Overwrite,
                (ChangeKind::Edit { before, .. }, Some(current)) if current == *before => {
                    Outcome::Edit
                }
                (ChangeKind::Edit { .. }, _) => return Err(changed_meanwhile()),
            };
            outcomes.push(outcome);
        }
        Ok(Checked {
            plan: self,
            outcomes,
            #[cfg(test)]
            fail_after: None,
        })
    }
}

/// A symbolic link on the way to a path is never followed: pop-create writes
/// only inside the project, and a planted link could point anywhere.
fn blocked(root: &Path, relative: &ProjectPath) -> Option<&'static str> {
    relative
        .first_link(root)
        .map(|_| "a symbolic link is in the way, and pop-create does not follow links")
}

impl Checked {
    /// Why the plan cannot be written: every existing file it would replace
    /// (unless `force`) and everything in the way of a file, listed together.
    pub fn refusal(&self, force: bool) -> Option<Error> {
        let mut conflicts = Vec::new();
        let mut forcible = false;
        for (change, outcome) in self.plan.changes.iter().zip(&self.outcomes) {
            match outcome {
                Outcome::Overwrite if !force => {
                    forcible = true;
                    conflicts.push(change.path.to_string());
                }
                Outcome::Blocked(why) => conflicts.push(format!("{} ({why})", change.path)),
                _ => {}
            }
        }
        if conflicts.is_empty() {
            return None;
        }
        let list = conflicts
            .iter()
            .map(|path| format!("\n  {path}"))
            .collect::<String>();
        // --force replaces files, never a link or a directory in the way.
        let hint = match forcible {
            false => "move them out of the way",
            true => "move them out of the way, or pass --force to overwrite exactly these files",
        };
        Some(
            Error::failure(format!(
                "{} file(s) in {} are in the way; nothing was written:{list}",
                conflicts.len(),
                self.plan.root.display()
            ))
            .hint(hint),
        )
    }

    /// The plan as text, one path per line with what happens to it; a file
    /// that is in the way without `force` shows as a `conflict`.
    pub fn describe(&self, force: bool) -> String {
        let mut text = String::new();
        for (change, outcome) in self.plan.changes.iter().zip(&self.outcomes) {
            let verb = match outcome {
                Outcome::Overwrite if !force => "conflict",
                other => other.verb(),
            };
            let _ = write!(text, "  {verb:<9} {}", change.path);
            if let ChangeKind::Edit { summary, .. } = &change.kind {
                if !summary.is_empty() {
                    let _ = write!(text, " ({summary})");
                }
            }
            text.push('\n');
        }
        text
    }

    /// How many paths end in each outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.iter().filter(|o| **o == outcome).count()
    }

    /// The paths that will be replaced because of `--force`.
    pub fn overwritten(&self) -> Vec<&ProjectPath> {
        self.plan
            .changes
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, o)| **o == Outcome::Overwrite)
            .map(|(c, _)| &c.path)
            .collect()
    }

    /// Writes the plan, all or nothing.
    pub fn apply(self) -> Result<()> {
        let root = &self.plan.root;
        let pending: Vec<&Change> = self
            .plan
            .changes
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, outcome)| !matches!(outcome, Outcome::Identical | Outcome::Gone))
            .map(|(change, _)| change)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        if std::fs::symlink_metadata(root).is_err() {
            return stage_new_root(root, &pending);
        }
        #[cfg(test)]
        let fail_after = self.fail_after;
        #[cfg(not(test))]
        let fail_after = None;
        write_in_place(root, &pending, fail_after)
    }
}

/// Writes `contents` into a new file, with the mode a generated file has.
pub(crate) fn write_contents(
    file: &mut std::fs::File,
    contents: &[u8],
    executable: bool,
) -> std::io::Result<()> {
    use std::io::Write;
    file.write_all(contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// A new project: write it all in a fresh staging directory beside it, then
/// rename that into place, so there is never a half-written project at `root`.
fn stage_new_root(root: &Path, changes: &[&Change]) -> Result<()> {
    let parent = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(parent)
        .map_err(|err| Error::io("create the directory", parent, err))?;
    // Made with mkdir (never an existing path, so never a planted link), an
    // unpredictable name and mode 0700.
    let stage = tempfile::Builder::new()
        .prefix(&format!(".{name}{TEMP_MARK}"))
        .tempdir_in(parent)
        .map_err(|err| Error::io("create a staging directory in", parent, err))?;
    for change in changes {
        let path = stage.path().join(change.path.to_path());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|err| Error::io("create the directory", dir, err))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|err| Error::io("write", &path, err))?;
        write_contents(&mut file, &change.contents, change.executable)
            .map_err(|err| Error::io("write", &path, err))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(stage.path(), std::fs::Permissions::from_mode(0o755));
    }
    let staged = stage.keep();
    std::fs::rename(&staged, root).map_err(|err| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::io("move the new project to", root, err)
    })
}

/// Staging directories of earlier runs of `new NAME` that were killed before
/// they could clean up, older than a minute (a younger one may be another
/// run's, at work): returned so they can be reported, and removed.
pub fn leftovers(parent: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}{TEMP_MARK}");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let old = |meta: &std::fs::Metadata| {
        meta.modified()
            .ok()
            .and_then(|at| SystemTime::now().duration_since(at).ok())
            .is_some_and(|age| age > Duration::from_secs(60))
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let is_stage = entry.file_name().to_string_lossy().starts_with(&prefix);
        // Only real directories: a link is never followed, let alone removed through.
        let meta = std::fs::symlink_metadata(entry.path());
        if is_stage && meta.as_ref().is_ok_and(|m| m.is_dir() && old(m)) {
            found.push(entry.path());
        }
    }
    found.sort();
    found
}

/// Inside an existing directory: through the journal, after creating the
/// missing directories; a test can make the write fail after `fail_after`
/// files are in place, to see it undone.
fn write_in_place(root: &Path, changes: &[&Change], fail_after: Option<usize>) -> Result<()> {
    let mut dirs: Vec<ProjectPath> = Vec::new();
    for change in changes {
        if matches!(change.kind, ChangeKind::Delete { .. }) {
            continue;
        }
        let mut dir = change.path.parent();
        while let Some(current) = dir {
            if std::fs::symlink_metadata(root.join(current.to_path())).is_ok() {
                break;
            }
            dir = current.parent();
            if !dirs.contains(&current) {
                dirs.push(current);
            }
        }
    }
    // Outermost first: each is created inside one that exists.
    dirs.sort_by_key(|dir| dir.as_str().matches('/').count());
    let writes: Vec<journal::Write<'_>> = changes
        .iter()
        .map(|change| journal::Write {
            target: &change.path,
            contents: match change.kind {
                ChangeKind::Delete { .. } => None,
                _ => Some((change.contents.as_slice(), change.executable)),
            },
        })
        .collect();
    journal::write(root, &writes, &dirs, fail_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> ProjectPath {
        ProjectPath::parse(path).unwrap()
    }

    /// What a command does: survey, then refuse on conflicts.
    fn check(plan: Plan, force: bool) -> Result<Checked> {
        let checked = plan.survey()?;
        checked.refusal(force).map_or(Ok(checked), Err)
    }

    fn temp_root(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("pop-create-plan-{name}"))
            .tempdir()
            .unwrap()
    }

    fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
        fn walk(root: &Path, dir: &Path, into: &mut Vec<(String, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, into);
                } else {
                    let relative = path.strip_prefix(root).unwrap().display().to_string();
                    into.push((relative, std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut files = Vec::new();
        walk(root, root, &mut files);
        files.sort();
        files
    }

    #[test]
    fn a_new_root_appears_whole() {
        let temp = temp_root("new");
        let root = temp.path().join("project");
        let mut plan = Plan::new(&root);
        plan.create(p("a.txt"), "a", false);
        plan.create(p("src/b/c.txt"), "c", true);
        check(plan, false).unwrap().apply().unwrap();
        assert_eq!(
            snapshot(&root),
            [
                ("a.txt".into(), b"a".to_vec()),
                ("src/b/c.txt".into(), b"c".to_vec())
            ]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&root.join("src/b/c.txt")), 0o755);
            assert_eq!(mode(&root.join("a.txt")), 0o644);
        }
        let entries: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no staging directory is left behind");
    }

    #[test]
    fn conflicts_are_all_listed_and_nothing_is_written() {
        let temp = temp_root("conflict");
        let root = temp.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("a.txt"), "mine").unwrap();
        std::fs::write(root.join("src/b.txt"), "mine too").unwrap();
        std::fs::write(root.join("same.txt"), "same").unwrap();
        let before = snapshot(root);
        let mut plan = Plan::new(root);
        plan.create(p("a.txt"), "theirs", false);
        plan.create(p("src/b.txt"), "theirs", false);
        plan.create(p("same.txt"), "same", false);
        plan.create(p("new.txt"), "new", false);
        let err = check(plan, false).unwrap_err();
        assert!(err.message().contains("2 file(s)"), "{}", err.message());
        assert!(err.message().contains("\n  a.txt") && err.message().contains("\n  src/b.txt"));
        assert!(err.hint_text().unwrap().contains("--force"));
        assert_eq!(snapshot(root), before);

        let mut plan = Plan::new(root);
        plan.create(p("a.txt"), "theirs", false);
        plan.create(p("same.txt"), "same", false);
        let checked = check(plan, true).unwrap();
        assert_eq!(checked.overwritten(), [&p("a.txt")]);
        assert_eq!(checked.count(Outcome::Identical), 1);
        assert!(checked.describe(true).contains("overwrite a.txt"));
        checked.apply().unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("a.txt")).unwrap(),
            "theirs"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("src/b.txt")).unwrap(),
            "mine too"
        );
    }

    #[test]
    fn a_failure_midway_puts_everything_back() {
        let temp = temp_root("rollback");
        let root = temp.path();
        std::fs::write(root.join("conf.rs"), "old").unwrap();
        std::fs::create_dir_all(root.join("gone")).unwrap();
        std::fs::write(root.join("gone/doomed.rs"), "doomed").unwrap();
        let before = snapshot(root);
        let mut plan = Plan::new(root);
        plan.edit(p("conf.rs"), b"old".to_vec(), b"new".to_vec(), "add a sub");
        plan.create(p("fresh/dir/file.rs"), "fresh", false);
        plan.create(p("last.rs"), "x", false);
        plan.delete(p("gone/doomed.rs"), b"doomed".to_vec());
        let mut checked = check(plan, false).unwrap();
        checked.fail_after = Some(2);
        let err = checked.apply().unwrap_err();
        assert!(
            err.message().contains("a test failure"),
            "{}",
            err.message()
        );
        assert_eq!(snapshot(root), before);
        assert!(!root.join("fresh").exists());
        let names: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(TEMP_MARK)), "{names:?}");
    }

    #[test]
    fn deletions_remove_the_emptied_directories() {
        let temp = temp_root("delete");
        let root = temp.path();
        std::fs::create_dir_all(root.join("src/rpc")).unwrap();
        std::fs::write(root.join("src/rpc/init.rs"), "x").unwrap();
        std::fs::write(root.join("src/keep.rs"), "k").unwrap();
        let mut plan = Plan::new(root);
        plan.delete(p("src/rpc/init.rs"), b"x".to_vec());
        check(plan, false).unwrap().apply().unwrap();
        assert!(!root.join("src/rpc").exists());
        assert!(root.join("src/keep.rs").exists());
    }

    #[test]
    fn a_file_or_a_link_in_the_way_is_a_conflict_even_with_force() {
        let temp = temp_root("blocked");
        let root = temp.path();
        std::fs::write(root.join("blocker"), "x").unwrap();
        let mut plan = Plan::new(root);
        plan.create(p("blocker/inside.rs"), "x", false);
        let err = check(plan, false).unwrap_err();
        assert!(
            err.message()
                .contains("blocker/inside.rs (a file is in the way of its directory)")
        );
        #[cfg(unix)]
        {
            let elsewhere = temp_root("elsewhere");
            std::os::unix::fs::symlink(elsewhere.path(), root.join("linked")).unwrap();
            let mut plan = Plan::new(root);
            plan.create(p("linked/file.rs"), "x", false);
            let err = check(plan, false).unwrap_err();
            assert!(err.message().contains("symbolic link"), "{}", err.message());
            assert!(
                !err.hint_text().unwrap().contains("--force"),
                "--force cannot help"
            );
            let mut plan = Plan::new(root);
            plan.create(p("linked/file.rs"), "x", false);
            let err = check(plan, true).unwrap_err();
            assert!(err.message().contains("symbolic link"), "{}", err.message());
            assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn an_edit_of_a_file_that_changed_is_refused() {
        let temp = temp_root("changed");
        let root = temp.path();
        std::fs::write(root.join("conf.rs"), "changed by someone").unwrap();
        let mut plan = Plan::new(root);
        plan.edit(p("conf.rs"), b"old".to_vec(), b"new".to_vec(), "add a sub");
        assert!(
            check(plan, false)
                .unwrap_err()
                .message()
                .contains("changed while")
        );
    }
}
