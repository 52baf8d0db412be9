//! One pop-create command at a time per project: an advisory lock held from
//! planning to the last rename, so two commands started together never
//! plan from the same files and lose one's edit.
//!
//! The lock is the operating system's file lock on the project's directory
//! itself (which no command renames or deletes, unlike any file in it), so
//! it is released when the process ends, however it ends. Beside it, the
//! holder writes which command it is into `.pop-create.lock`, so that a
//! command that gives up waiting can say who holds the project.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt as _;

use crate::error::{Error, Result};

/// The file naming the command that holds the lock.
pub const HOLDER_FILE: &str = ".pop-create.lock";

/// How long a command waits for another to finish before it gives up.
const WAIT: Duration = Duration::from_secs(20);

/// The lock on one project, released when dropped.
#[derive(Debug)]
pub struct ProjectLock {
    root: PathBuf,
    _handle: std::fs::File,
}

impl ProjectLock {
    /// Takes the lock on the project at `root` for `command` (as the user
    /// typed it), waiting a while for a command that holds it.
    pub fn acquire(root: &Path, command: &str) -> Result<ProjectLock> {
        let handle = open_dir(root)?;
        let started = Instant::now();
        loop {
            match handle.try_lock_exclusive() {
                Ok(true) => break,
                Ok(false) if started.elapsed() < wait() => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Ok(false) => {
                    let holder = std::fs::read_to_string(root.join(HOLDER_FILE))
                        .ok()
                        .map(|text| text.lines().next().unwrap_or_default().trim().to_owned())
                        .filter(|line| !line.is_empty())
                        .unwrap_or_else(|| "another pop-create command".to_owned());
                    return Err(Error::failure(format!(
                        "{} is busy: {holder} is still working on it; nothing was written",
                        root.display()
                    ))
                    .hint("wait for it to finish, then run the command again"));
                }
                Err(err) => return Err(Error::io("lock", root, err)),
            }
        }
        note_holder(root, command);
        Ok(ProjectLock {
            root: root.to_path_buf(),
            _handle: handle,
        })
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.root.join(HOLDER_FILE));
    }
}

/// The wait, shorter in tests that want to see the refusal.
fn wait() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("POP_CREATE_TEST_LOCK_WAIT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        return Duration::from_millis(ms);
    }
    WAIT
}

#[cfg(unix)]
fn open_dir(root: &Path) -> Result<std::fs::File> {
    std::fs::File::open(root).map_err(|err| Error::io("open", root, err))
}

#[cfg(not(unix))]
fn open_dir(root: &Path) -> Result<std::fs::File> {
    // Windows cannot lock a directory handle: lock the holder file instead.
    let path = root.join(HOLDER_FILE);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|err| Error::io("open", &path, err))
}

/// Writes who holds the lock. A planted link in its place is removed, never
/// written through.
fn note_holder(root: &Path, command: &str) {
    let path = root.join(HOLDER_FILE);
    #[cfg(unix)]
    let _ = std::fs::remove_file(&path);
    let text = format!("`{command}` (process {})\n", std::process::id());
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(cfg!(unix))
        .create(true)
        .truncate(true)
        .open(&path)
    {
        use std::io::Write as _;
        let _ = file.write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = ProjectLock::acquire(dir.path(), "pop-create add-sub rpc").unwrap();
        let started = Instant::now();
        let handle = open_dir(dir.path()).unwrap();
        assert!(matches!(
            handle.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(handle);
        let holder = std::fs::read_to_string(dir.path().join(HOLDER_FILE)).unwrap();
        assert!(holder.contains("pop-create add-sub rpc"), "{holder}");
        drop(first);
        assert!(!dir.path().join(HOLDER_FILE).exists());
        let again = ProjectLock::acquire(dir.path(), "pop-create update");
        assert!(again.is_ok());
        assert!(started.elapsed() < WAIT);
    }
}
