//! Plan, then write: every command renders all it will write into a [`Plan`],
//! checks it, and only then writes it, all or nothing.
//!
//! A new project is staged in a sibling directory and renamed into place in
//! one step. Changes inside an existing project are first written beside
//! their targets, then renamed over them; if anything fails, every target is
//! put back as it was.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One file the plan writes.
#[derive(Debug, Clone)]
pub struct Change {
    /// Relative to the plan's root.
    pub path: PathBuf,
    /// The file's new contents.
    pub contents: Vec<u8>,
    /// Whether the file is executable.
    pub executable: bool,
    /// What the change is: a new file, or an edit of an existing one.
    pub kind: ChangeKind,
}

/// A new file, or an edit of an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A file pop-create creates; an existing different file there is a conflict.
    Create,
    /// An edit of an existing file, planned from `before`; says what it does.
    Edit { before: Vec<u8>, summary: String },
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
    pub fn create(
        &mut self,
        path: impl Into<PathBuf>,
        contents: impl Into<Vec<u8>>,
        executable: bool,
    ) {
        self.changes.push(Change {
            path: path.into(),
            contents: contents.into(),
            executable,
            kind: ChangeKind::Create,
        });
    }

    /// Adds an edit of an existing file, planned from its current contents.
    pub fn edit(
        &mut self,
        path: impl Into<PathBuf>,
        before: Vec<u8>,
        after: Vec<u8>,
        summary: impl Into<String>,
    ) {
        self.changes.push(Change {
            path: path.into(),
            contents: after,
            executable: false,
            kind: ChangeKind::Edit {
                before,
                summary: summary.into(),
            },
        });
    }

    /// What would happen to each path, conflicts included, without refusing
    /// anything yet (for `--dry-run`, which shows conflicts in the plan).
    pub fn survey(self) -> Result<Checked> {
        let mut outcomes = Vec::with_capacity(self.changes.len());
        for change in &self.changes {
            let target = self.root.join(&change.path);
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
            let outcome = match (&change.kind, current) {
                (ChangeKind::Create, None) => Outcome::Create,
                (_, Some(current)) if current == change.contents => Outcome::Identical,
                (ChangeKind::Create, Some(_)) => Outcome::Overwrite,
                (ChangeKind::Edit { before, .. }, Some(current)) if current == *before => {
                    Outcome::Edit
                }
                (ChangeKind::Edit { .. }, _) => {
                    return Err(Error::failure(format!(
                        "{} changed while pop-create was planning its edit; nothing was written",
                        change.path.display()
                    ))
                    .hint("run the command again"));
                }
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

impl Checked {
    /// Why the plan cannot be written: every existing file it would replace
    /// (unless `force`) and everything in the way of a file, listed together.
    pub fn refusal(&self, force: bool) -> Option<Error> {
        let mut conflicts = Vec::new();
        for (change, outcome) in self.plan.changes.iter().zip(&self.outcomes) {
            match outcome {
                Outcome::Overwrite if !force => conflicts.push(change.path.display().to_string()),
                Outcome::Blocked(why) => {
                    conflicts.push(format!("{} ({why})", change.path.display()))
                }
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
        let hint = match force {
            true => "move them out of the way",
            false => "move them out of the way, or pass --force to overwrite exactly these files",
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
            let _ = write!(text, "  {verb:<9} {}", change.path.display());
            if let ChangeKind::Edit { summary, .. } = &change.kind {
                let _ = write!(text, " ({summary})");
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
    pub fn overwritten(&self) -> Vec<&Path> {
        self.plan
            .changes
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, o)| **o == Outcome::Overwrite)
            .map(|(c, _)| c.path.as_path())
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
            .filter(|(_, outcome)| **outcome != Outcome::Identical)
            .map(|(change, _)| change)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        if !root.exists() {
            return stage_new_root(root, &pending);
        }
        #[cfg(test)]
        let fail_after = self.fail_after;
        #[cfg(not(test))]
        let fail_after = None;
        write_in_place(root, &pending, fail_after)
    }
}

fn write_file(path: &Path, change: &Change) -> std::io::Result<()> {
    std::fs::write(path, &change.contents)?;
    #[cfg(unix)]
    if change.executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// A new project: write it all in a hidden sibling directory, then rename it
/// into place, so there is never a half-written project at `root`.
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
    let stage = parent.join(format!(".{name}.pop-create-{}", std::process::id()));
    let result = (|| -> Result<()> {
        for change in changes {
            let path = stage.join(&change.path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|err| Error::io("create the directory", dir, err))?;
            }
            write_file(&path, change).map_err(|err| Error::io("write", &path, err))?;
        }
        std::fs::rename(&stage, root).map_err(|err| Error::io("move the new project to", root, err))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&stage);
    }
    result
}

/// Inside an existing directory: write every file beside its target first,
/// then rename each over its target, keeping the old file until the end;
/// on any failure, put everything back.
fn write_in_place(root: &Path, changes: &[&Change], fail_after: Option<usize>) -> Result<()> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut undo = Undo::default();
    let result = (|| -> Result<()> {
        for change in changes {
            let target = root.join(&change.path);
            let dir = target.parent().expect("a file inside the root");
            let mut missing = Vec::new();
            let mut probe = dir;
            while !probe.exists() {
                missing.push(probe.to_path_buf());
                probe = probe.parent().expect("the root exists");
            }
            std::fs::create_dir_all(dir)
                .map_err(|err| Error::io("create the directory", dir, err))?;
            created_dirs.extend(missing.into_iter().rev());
            let temp = sibling(&target, "new");
            write_file(&temp, change).map_err(|err| Error::io("write", &temp, err))?;
            temps.push((temp, target));
        }
        for (index, (temp, target)) in temps.iter().enumerate() {
            if fail_after == Some(index) {
                return Err(Error::failure(format!(
                    "cannot write {} (a test failure)",
                    target.display()
                )));
            }
            if target.exists() {
                let backup = sibling(target, "old");
                std::fs::rename(target, &backup)
                    .map_err(|err| Error::io("set aside", target, err))?;
                undo.restored.push((backup, target.clone()));
            } else {
                undo.created.push(target.clone());
            }
            std::fs::rename(temp, target).map_err(|err| Error::io("write", target, err))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            for (backup, _) in &undo.restored {
                let _ = std::fs::remove_file(backup);
            }
            Ok(())
        }
        Err(err) => {
            for (temp, _) in &temps {
                let _ = std::fs::remove_file(temp);
            }
            for created in &undo.created {
                let _ = std::fs::remove_file(created);
            }
            for (backup, target) in &undo.restored {
                let _ = std::fs::rename(backup, target);
            }
            for dir in created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
            Err(err)
        }
    }
}

#[derive(Default)]
struct Undo {
    created: Vec<PathBuf>,
    restored: Vec<(PathBuf, PathBuf)>,
}

fn sibling(target: &Path, tag: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.pop-create-{tag}-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a command does: survey, then refuse on conflicts.
    fn check(plan: Plan, force: bool) -> Result<Checked> {
        let checked = plan.survey()?;
        checked.refusal(force).map_or(Ok(checked), Err)
    }

    fn temp_root(name: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("pop-create-plan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        root
    }

    fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_new_root_appears_whole() {
        let root = temp_root("new");
        let mut plan = Plan::new(&root);
        plan.create("a.txt", "a", false);
        plan.create("src/b/c.txt", "c", true);
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
            let mode = std::fs::metadata(root.join("src/b/c.txt"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn conflicts_are_all_listed_and_nothing_is_written() {
        let root = temp_root("conflict");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("a.txt"), "mine").unwrap();
        std::fs::write(root.join("src/b.txt"), "mine too").unwrap();
        std::fs::write(root.join("same.txt"), "same").unwrap();
        let before = snapshot(&root);
        let mut plan = Plan::new(&root);
        plan.create("a.txt", "theirs", false);
        plan.create("src/b.txt", "theirs", false);
        plan.create("same.txt", "same", false);
        plan.create("new.txt", "new", false);
        let err = check(plan, false).unwrap_err();
        assert!(err.message().contains("2 file(s)"), "{}", err.message());
        assert!(err.message().contains("\n  a.txt") && err.message().contains("\n  src/b.txt"));
        assert!(err.hint_text().unwrap().contains("--force"));
        assert_eq!(snapshot(&root), before);

        let mut plan = Plan::new(&root);
        plan.create("a.txt", "theirs", false);
        plan.create("same.txt", "same", false);
        let checked = check(plan, true).unwrap();
        assert_eq!(checked.overwritten(), [Path::new("a.txt")]);
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
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_failure_midway_puts_everything_back() {
        let root = temp_root("rollback");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("conf.rs"), "old").unwrap();
        let before = snapshot(&root);
        let mut plan = Plan::new(&root);
        plan.edit("conf.rs", b"old".to_vec(), b"new".to_vec(), "add a sub");
        plan.create("fresh/dir/file.rs", "fresh", false);
        plan.create("last.rs", "x", false);
        let mut checked = check(plan, false).unwrap();
        checked.fail_after = Some(2);
        let err = checked.apply().unwrap_err();
        assert!(
            err.message().contains("a test failure"),
            "{}",
            err.message()
        );
        assert_eq!(snapshot(&root), before);
        assert!(!root.join("fresh").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_file_in_the_way_of_a_directory_is_a_conflict() {
        let root = temp_root("blocked");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("blocker"), "x").unwrap();
        let mut plan = Plan::new(&root);
        plan.create("blocker/inside.rs", "x", false);
        let err = check(plan, false).unwrap_err();
        assert!(
            err.message()
                .contains("blocker/inside.rs (a file is in the way of its directory)")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_edit_of_a_file_that_changed_is_refused() {
        let root = temp_root("changed");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("conf.rs"), "changed by someone").unwrap();
        let mut plan = Plan::new(&root);
        plan.edit("conf.rs", b"old".to_vec(), b"new".to_vec(), "add a sub");
        assert!(
            check(plan, false)
                .unwrap_err()
                .message()
                .contains("changed while")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
