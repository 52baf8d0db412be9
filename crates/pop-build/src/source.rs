//! Where the build reads a crate's files from: the disk, or (for
//! pop-create) what a command is about to write.

use std::path::Path;

/// Where the files are read from: the disk, or what a command is about to write.
pub trait Source {
    /// The entries of a directory: each name, and whether it is a directory.
    fn list(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>>;
    /// The text of a file.
    fn read(&self, file: &Path) -> std::io::Result<String>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
}

/// Files as they are on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl Source for Disk {
    fn list(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        std::fs::read_dir(dir)?
            .map(|entry| {
                let entry = entry?;
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                Ok((entry.file_name().to_string_lossy().into_owned(), is_dir))
            })
            .collect()
    }

    fn read(&self, file: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(file)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}
