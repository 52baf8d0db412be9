//! Writing many files into an existing project so that a kill at any
//! instant (kill -9, power loss) leaves it as it was, or as the command
//! would have left it, or in a state the next command finishes first.
//!
//! The write goes in steps, each recorded before it is taken:
//!
//! 1. the journal (`.pop-create.journal`) names every target, whether it
//!    is written or deleted and whether it exists now, and the directories
//!    the write creates; it is written whole (a temporary file renamed into
//!    place), and says the write is not yet committed;
//! 2. each new file is written and synced beside its target, under a name
//!    derived from the journal's id;
//! 3. the journal is rewritten as committed: from here on the write is
//!    finished forward, never undone;
//! 4. each existing target is renamed to its backup, and each new file over
//!    its target;
//! 5. the backups are deleted, then the journal.
//!
//! [`recover`] runs before any command touches a project: an uncommitted
//! journal is rolled back (its new files and directories removed), a
//! committed one rolled forward (steps 4 and 5 finished, each one skipped
//! when it is done already), and either way nothing pop-create made stays
//! behind. It also finishes the leftovers of pop-create 0.2.0, which wrote
//! without a journal.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::ProjectPath;
use crate::plan::TEMP_MARK;

/// The journal's file name, at the root a write goes into.
pub const FILE: &str = ".pop-create.journal";

/// The temporary name the journal is written under before it is renamed.
pub const TEMP_FILE: &str = ".pop-create.journal.tmp";

/// One file of a write.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The file, relative to the root.
    pub target: String,
    /// Written (`true`) or deleted (`false`).
    pub write: bool,
    /// Whether the target existed when the write was planned.
    pub existed: bool,
}

/// The journal of one write.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Journal {
    /// What names the write's temporary files.
    id: String,
    /// Whether every new file is in place beside its target.
    committed: bool,
    /// The files.
    entries: Vec<Entry>,
    /// The directories the write creates, outermost first.
    dirs: Vec<String>,
}

/// What a write does to one file: its new contents, or its deletion.
pub struct Write<'a> {
    /// The file, relative to the root.
    pub target: &'a ProjectPath,
    /// The new contents and whether it is executable; `None` deletes it.
    pub contents: Option<(&'a [u8], bool)>,
}

/// A test hook: with `POP_CREATE_TEST_CRASH_AT=N` (debug builds only), the
/// process aborts, as kill -9 would stop it, just before its Nth step that
/// changes the disk.
struct Steps {
    #[cfg(debug_assertions)]
    crash_at: Option<u64>,
    #[cfg(debug_assertions)]
    taken: u64,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            #[cfg(debug_assertions)]
            crash_at: std::env::var("POP_CREATE_TEST_CRASH_AT")
                .ok()
                .and_then(|n| n.parse().ok()),
            #[cfg(debug_assertions)]
            taken: 0,
        }
    }

    fn step(&mut self) {
        #[cfg(debug_assertions)]
        {
            self.taken += 1;
            if self.crash_at == Some(self.taken) {
                std::process::abort();
            }
        }
    }
}

/// Writes `writes` under `root` through the journal, creating `dirs`
/// (relative, outermost first) on the way. On an error before the commit,
/// or one that the write can undo after it, the root is left as it was.
/// (Tests make the write fail once `fail_after` files are in place.)
pub fn write(
    root: &Path,
    writes: &[Write<'_>],
    dirs: &[ProjectPath],
    fail_after: Option<usize>,
) -> Result<()> {
    let mut steps = Steps::new();
    let journal = Journal {
        id: fresh_id(),
        committed: false,
        entries: writes
            .iter()
            .map(|w| Entry {
                target: w.target.as_str().to_owned(),
                write: w.contents.is_some(),
                existed: std::fs::symlink_metadata(root.join(w.target.to_path())).is_ok(),
            })
            .collect(),
        dirs: dirs.iter().map(|d| d.as_str().to_owned()).collect(),
    };
    save(root, &journal, &mut steps)?;
    if let Err(err) = stage(root, &journal, writes, &mut steps) {
        roll_back(root, &journal);
        return Err(err);
    }
    let committed = Journal {
        committed: true,
        ..journal
    };
    if let Err(err) = save(root, &committed, &mut steps) {
        roll_back(root, &committed);
        return Err(err);
    }
    let mut done = Vec::new();
    for (index, entry) in committed.entries.iter().enumerate() {
        let result = match fail_after == Some(index) {
            true => Err(Error::failure(format!(
                "cannot write {} (a test failure)",
                entry.target
            ))),
            false => put_in_place(root, &committed.id, entry, &mut steps),
        };
        if let Err(err) = result {
            undo(root, &committed, &done);
            return Err(err);
        }
        done.push(entry.clone());
    }
    sync_dirs(root, &committed);
    finish(root, &committed, &mut steps);
    Ok(())
}

/// Creates the directories and writes every new file beside its target.
fn stage(root: &Path, journal: &Journal, writes: &[Write<'_>], steps: &mut Steps) -> Result<()> {
    for dir in &journal.dirs {
        steps.step();
        let path = root.join(dir);
        std::fs::create_dir(&path).map_err(|err| Error::io("create the directory", &path, err))?;
    }
    for write in writes {
        let Some((contents, executable)) = write.contents else {
            continue;
        };
        let staged = root.join(sibling(write.target.as_str(), "new", &journal.id));
        steps.step();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
            .map_err(|err| Error::io("write", &staged, err))?;
        write_all(&mut file, contents, executable)
            .map_err(|err| Error::io("write", &staged, err))?;
    }
    Ok(())
}

/// A staged file, on disk before the journal says it is there to use.
fn write_all(file: &mut std::fs::File, contents: &[u8], executable: bool) -> std::io::Result<()> {
    crate::plan::write_contents(file, contents, executable)?;
    file.sync_all()
}

/// Step 4 for one file, skipping what is done already, so that it serves
/// both the write and its recovery.
fn put_in_place(root: &Path, id: &str, entry: &Entry, steps: &mut Steps) -> Result<()> {
    let target = root.join(&entry.target);
    let backup = root.join(sibling(&entry.target, "old", id));
    let staged = root.join(sibling(&entry.target, "new", id));
    let exists = |path: &Path| std::fs::symlink_metadata(path).is_ok();
    let pending = if entry.write {
        exists(&staged)
    } else {
        exists(&target)
    };
    if !pending {
        return Ok(());
    }
    if entry.existed && exists(&target) && !exists(&backup) {
        steps.step();
        std::fs::rename(&target, &backup).map_err(|err| Error::io("set aside", &target, err))?;
    }
    if entry.write {
        steps.step();
        std::fs::rename(&staged, &target).map_err(|err| Error::io("write", &target, err))?;
    }
    Ok(())
}

/// Step 5: the backups, the directories deletions emptied, then the journal.
fn finish(root: &Path, journal: &Journal, steps: &mut Steps) {
    for entry in journal.entries.iter().filter(|e| e.existed) {
        let backup = root.join(sibling(&entry.target, "old", &journal.id));
        if std::fs::symlink_metadata(&backup).is_ok() {
            steps.step();
            let _ = std::fs::remove_file(&backup);
        }
    }
    for entry in journal.entries.iter().filter(|e| !e.write) {
        remove_empty_dirs(root, root.join(&entry.target).parent());
    }
    steps.step();
    let _ = std::fs::remove_file(root.join(FILE));
    sync_dir(root);
}

/// Undoes an uncommitted write: its new files, then its new directories.
fn roll_back(root: &Path, journal: &Journal) {
    for entry in journal.entries.iter().filter(|e| e.write) {
        let _ = std::fs::remove_file(root.join(sibling(&entry.target, "new", &journal.id)));
    }
    for dir in journal.dirs.iter().rev() {
        let _ = std::fs::remove_dir(root.join(dir));
    }
    let _ = std::fs::remove_file(root.join(FILE));
    sync_dir(root);
}

/// Undoes the files put in place by a committed write that failed (an I/O
/// error, not a crash), newest first; then rolls the rest back. If a step
/// of the undo fails, the journal stays, and the next command finishes
/// the write instead.
fn undo(root: &Path, journal: &Journal, done: &[Entry]) {
    for entry in done.iter().rev() {
        let target = root.join(&entry.target);
        let backup = root.join(sibling(&entry.target, "old", &journal.id));
        let staged = root.join(sibling(&entry.target, "new", &journal.id));
        let moved_back = match (entry.write, entry.existed) {
            (true, _) => std::fs::rename(&target, &staged),
            (false, _) => Ok(()),
        }
        .and_then(|()| match entry.existed {
            true => std::fs::rename(&backup, &target),
            false => Ok(()),
        });
        if moved_back.is_err() {
            return;
        }
    }
    // A target set aside but not yet replaced goes back too.
    for entry in journal.entries.iter().filter(|e| e.existed) {
        let target = root.join(&entry.target);
        let backup = root.join(sibling(&entry.target, "old", &journal.id));
        if std::fs::symlink_metadata(&target).is_err() && std::fs::symlink_metadata(&backup).is_ok()
        {
            let _ = std::fs::rename(&backup, &target);
        }
    }
    roll_back(root, journal);
}

/// Finishes or undoes a write that was stopped, and removes what pop-create
/// 0.2.0 left behind when it was stopped mid-write; returns what it did,
/// for the user. Call it with the project lock held.
pub fn recover(root: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let _ = std::fs::remove_file(root.join(TEMP_FILE));
    let path = root.join(FILE);
    match std::fs::symlink_metadata(&path) {
        Err(_) => {}
        Ok(meta) if !meta.is_file() => {
            return Err(Error::failure(format!(
                "{} is not a file pop-create wrote",
                path.display()
            ))
            .hint("remove it, then run the command again"));
        }
        Ok(_) => {
            let text =
                std::fs::read_to_string(&path).map_err(|err| Error::io("read", &path, err))?;
            let journal = parse(&text).ok_or_else(|| {
                Error::failure(format!(
                    "{} is not a journal pop-create wrote",
                    path.display()
                ))
                .hint("remove it, then run the command again")
            })?;
            let mut steps = Steps::new();
            if journal.committed {
                for entry in &journal.entries {
                    put_in_place(root, &journal.id, entry, &mut steps)?;
                }
                sync_dirs(root, &journal);
                finish(root, &journal, &mut steps);
                notes.push(format!(
                    "finished writing {} file(s) that an earlier pop-create command was stopped in the middle of",
                    journal.entries.len()
                ));
            } else {
                roll_back(root, &journal);
                notes.push(
                    "undid the unfinished write of an earlier pop-create command that was stopped before it changed anything".to_owned(),
                );
            }
        }
    }
    notes.extend(sweep_0_2_0(root));
    Ok(notes)
}

/// Reads a journal, refusing one whose paths could leave the root.
fn parse(text: &str) -> Option<Journal> {
    let journal: Journal = serde_json::from_str(text).ok()?;
    let id_ok = !journal.id.is_empty() && journal.id.bytes().all(|b| b.is_ascii_hexdigit());
    let paths_ok = journal
        .entries
        .iter()
        .map(|e| &e.target)
        .chain(&journal.dirs)
        .all(|path| ProjectPath::parse(path).is_ok());
    (id_ok && paths_ok).then_some(journal)
}

/// Writes the journal whole: a temporary file, synced, renamed into place.
fn save(root: &Path, journal: &Journal, steps: &mut Steps) -> Result<()> {
    let temp = root.join(TEMP_FILE);
    let text = serde_json::to_string_pretty(journal).expect("a journal serializes");
    steps.step();
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|err| Error::io("write", &temp, err))?;
    write_all(&mut file, text.as_bytes(), false).map_err(|err| Error::io("write", &temp, err))?;
    steps.step();
    let path = root.join(FILE);
    std::fs::rename(&temp, &path).map_err(|err| Error::io("write", &path, err))?;
    sync_dir(root);
    Ok(())
}

/// The temporary file beside `target` that a write with `id` uses: `new`
/// for its new contents, `old` for its backup.
fn sibling(target: &str, tag: &str, id: &str) -> String {
    let (dir, name) = match target.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), target),
    };
    format!("{dir}.{name}{TEMP_MARK}{tag}-{id}")
}

/// A fresh, unpredictable id for a journal's temporary files.
fn fresh_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    format!("{:016x}", hasher.finish())
}

/// Removes the directories a deletion emptied, up to (not including) `root`.
fn remove_empty_dirs(root: &Path, mut dir: Option<&Path>) {
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || std::fs::remove_dir(current).is_err() {
            return;
        }
        dir = current.parent();
    }
}

/// Makes the renames in every directory the write touched durable.
fn sync_dirs(root: &Path, journal: &Journal) {
    let mut dirs: Vec<PathBuf> = journal
        .entries
        .iter()
        .filter_map(|e| root.join(&e.target).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        sync_dir(&dir);
    }
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// pop-create 0.2.0 moved each target to `.NAME.pop-create-old-*` and its
/// new file from `.NAME.pop-create-new-*` with no journal; a kill between
/// the two moves lost the file to its backup. Each such pair is finished as
/// 0.2.0 would have (the new file in place), a lone backup put back, and
/// what is left removed.
fn sweep_0_2_0(root: &Path) -> Vec<String> {
    let mut notes = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                pending.push(entry.path());
            } else if !is_dir && name.starts_with('.') && name.contains(TEMP_MARK) {
                names.push(name);
            }
        }
        names.sort();
        for name in names {
            let Some((target, rest)) = name[1..].split_once(TEMP_MARK) else {
                continue;
            };
            let path = dir.join(&name);
            let target = dir.join(target);
            let target_exists = std::fs::symlink_metadata(&target).is_ok();
            let ours = rest.starts_with("new-") || rest.starts_with("old-");
            if ours && !target_exists {
                // `new-` sorts first: a new file goes in before its backup would.
                let _ = std::fs::rename(&path, &target);
            } else if ours {
                let _ = std::fs::remove_file(&path);
            } else {
                continue;
            }
            notes.push(format!(
                "cleaned up {} left by a stopped pop-create",
                path.strip_prefix(root).unwrap_or(&path).display()
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> ProjectPath {
        ProjectPath::parse(text).unwrap()
    }

    #[test]
    fn temporary_names_sit_beside_their_targets() {
        assert_eq!(
            sibling("src/rpc/init.rs", "new", "ab12"),
            format!("src/rpc/.init.rs{TEMP_MARK}new-ab12")
        );
        assert_eq!(
            sibling("Cargo.toml", "old", "ab12"),
            format!(".Cargo.toml{TEMP_MARK}old-ab12")
        );
    }

    #[test]
    fn a_journal_whose_paths_leave_the_root_is_refused() {
        let good = r#"{"id":"ab","committed":true,"entries":[{"target":"src/a.rs","write":true,"existed":false}],"dirs":[]}"#;
        assert!(parse(good).is_some());
        for bad in [
            good.replace("src/a.rs", "../a.rs"),
            good.replace("src/a.rs", "/etc/passwd"),
            good.replace("\"ab\"", "\"../x\""),
            good.replace("\"dirs\":[]", "\"dirs\":[\"..\"]"),
        ] {
            assert!(parse(&bad).is_none(), "{bad}");
        }
    }

    /// Stops a write after each of its steps in turn (as a crash would,
    /// without the abort), then recovers: every time, the tree is either
    /// what it was or what the write makes, with no temporary file left.
    #[test]
    fn recovery_after_every_step_ends_on_one_of_the_two_states() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/conf.rs"), "old conf").unwrap();
        std::fs::write(root.join("src/gone.rs"), "gone").unwrap();
        let conf = path("src/conf.rs");
        let gone = path("src/gone.rs");
        let fresh = path("src/rpc/init.rs");
        let writes = [
            Write {
                target: &conf,
                contents: Some((b"new conf", false)),
            },
            Write {
                target: &gone,
                contents: None,
            },
            Write {
                target: &fresh,
                contents: Some((b"fresh", false)),
            },
        ];
        let dirs = [path("src/rpc")];
        let snapshot = |root: &Path| {
            let mut files = Vec::new();
            for entry in walk(root) {
                let relative = entry.strip_prefix(root).unwrap().display().to_string();
                files.push((relative, std::fs::read(&entry).unwrap_or_default()));
            }
            files.sort();
            files
        };
        let before = snapshot(root);
        write(root, &writes, &dirs, None).unwrap();
        let after = snapshot(root);
        assert_ne!(before, after);
        assert!(
            !after
                .iter()
                .any(|(p, _)| p.contains(TEMP_MARK) || p.contains("journal")),
            "{after:?}"
        );

        // Replay the same write, stopping it by hand at each point.
        for stop in 0..20 {
            let scratch = tempfile::tempdir().unwrap();
            let root = scratch.path();
            std::fs::create_dir_all(root.join("src")).unwrap();
            std::fs::write(root.join("src/conf.rs"), "old conf").unwrap();
            std::fs::write(root.join("src/gone.rs"), "gone").unwrap();
            partial_write(root, &writes, &dirs, stop);
            recover(root).unwrap();
            let now = snapshot(root);
            assert!(now == before || now == after, "stop {stop}: {now:?}");
        }
    }

    /// The write's steps up to `stop`, as a crash would leave them.
    fn partial_write(root: &Path, writes: &[Write<'_>], dirs: &[ProjectPath], stop: usize) {
        let journal = Journal {
            id: "00ff".into(),
            committed: false,
            entries: writes
                .iter()
                .map(|w| Entry {
                    target: w.target.as_str().to_owned(),
                    write: w.contents.is_some(),
                    existed: root.join(w.target.to_path()).exists(),
                })
                .collect(),
            dirs: dirs.iter().map(|d| d.as_str().to_owned()).collect(),
        };
        let mut actions: Vec<Box<dyn Fn()>> = Vec::new();
        let j = journal.clone();
        actions.push(Box::new(move || {
            std::fs::write(root.join(FILE), serde_json::to_string(&j).unwrap()).unwrap()
        }));
        for dir in &journal.dirs {
            let dir = root.join(dir);
            actions.push(Box::new(move || std::fs::create_dir(&dir).unwrap()));
        }
        for w in writes {
            if let Some((contents, _)) = w.contents {
                let staged = root.join(sibling(w.target.as_str(), "new", "00ff"));
                let contents = contents.to_vec();
                actions.push(Box::new(move || {
                    std::fs::write(&staged, &contents).unwrap()
                }));
            }
        }
        let committed = Journal {
            committed: true,
            ..journal.clone()
        };
        actions.push(Box::new(move || {
            std::fs::write(root.join(FILE), serde_json::to_string(&committed).unwrap()).unwrap()
        }));
        for entry in &journal.entries {
            let entry = entry.clone();
            actions.push(Box::new(move || {
                let mut steps = Steps::new();
                put_in_place(root, "00ff", &entry, &mut steps).unwrap();
            }));
        }
        for action in actions.iter().take(stop) {
            action();
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                found.extend(walk(&entry.path()));
            } else {
                found.push(entry.path());
            }
        }
        found
    }

    #[test]
    fn leftovers_of_0_2_0_are_finished_and_removed() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        // Killed between its two moves: the target is gone, both temps remain.
        std::fs::write(
            root.join(format!("src/.main.rs{TEMP_MARK}old-x1")),
            "old main",
        )
        .unwrap();
        std::fs::write(
            root.join(format!("src/.main.rs{TEMP_MARK}new-x2")),
            "new main",
        )
        .unwrap();
        // Killed after the move: only the backup is left over.
        std::fs::write(root.join("Cargo.toml"), "new toml").unwrap();
        std::fs::write(
            root.join(format!(".Cargo.toml{TEMP_MARK}old-x3")),
            "old toml",
        )
        .unwrap();
        recover(root).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("src/main.rs")).unwrap(),
            "new main"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("Cargo.toml")).unwrap(),
            "new toml"
        );
        let left: Vec<PathBuf> = walk(root);
        assert_eq!(left.len(), 2, "{left:?}");
    }
}
