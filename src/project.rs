//! Finding the project a command runs in, and reading its manifest.

use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::error::{Error, Result};

/// A pop crate on disk: a `Cargo.toml` beside a `src/conf.rs`.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `Cargo.toml`.
    pub root: PathBuf,
    /// The package name.
    pub name: String,
    /// The package's `Cargo.toml`, as text.
    pub manifest: String,
    /// Whether it has an entry point (`src/main.rs`); a vertical crate has none.
    pub is_app: bool,
}

impl Project {
    /// Reads the project at `root`, if it is one: a `Cargo.toml` beside a
    /// `src/conf.rs` that declares the DYNE map. (The runtime's own crates have
    /// a `src/conf.rs` too, but no DYNE map: they are not projects.)
    pub fn open(root: &Path) -> Result<Option<Project>> {
        let manifest_path = root.join("Cargo.toml");
        let conf = std::fs::read_to_string(root.join("src").join("conf.rs")).unwrap_or_default();
        if !manifest_path.is_file() || !conf.contains("const DYNE") {
            return Ok(None);
        }
        let manifest = std::fs::read_to_string(&manifest_path)
            .map_err(|err| Error::io("read", &manifest_path, err))?;
        let document = parse_manifest(&manifest_path, &manifest)?;
        let name = document
            .get("package")
            .and_then(|package| package.get("name"))
            .and_then(|name| name.as_str())
            .ok_or_else(|| {
                Error::failure(format!("{} has no [package] name", manifest_path.display()))
            })?
            .to_owned();
        Ok(Some(Project {
            root: root.to_path_buf(),
            name,
            manifest,
            is_app: root.join("src").join("main.rs").is_file(),
        }))
    }

    /// The nearest project at or above `start`, as cargo finds its manifest.
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

    /// The package's Rust edition (rustfmt formats by it).
    pub fn edition(&self) -> String {
        let document: DocumentMut = self.manifest.parse().expect("parsed in open");
        let edition = document
            .get("package")
            .and_then(|p| p.get("edition"))
            .and_then(|e| e.as_str());
        edition.unwrap_or("2015").to_owned()
    }

    /// The package's Rust name.
    pub fn crate_name(&self) -> String {
        crate::names::crate_name(&self.name)
    }

    /// Where the runtime's crates are, relative to the project root, read from
    /// the path of its `pop` dependency (`runtime/pop` → `runtime`).
    pub fn runtime_dir(&self) -> Result<PathBuf> {
        let document: DocumentMut = self.manifest.parse().expect("parsed in open");
        let path = document
            .get("dependencies")
            .and_then(|deps| deps.get("pop"))
            .and_then(|pop| pop.get("path"))
            .and_then(|path| path.as_str())
            .ok_or_else(|| {
                Error::failure(format!(
                    "{} has no `pop = {{ path = … }}` dependency, so pop-create cannot find the runtime",
                    self.root.join("Cargo.toml").display()
                ))
            })?;
        Ok(Path::new(path)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf())
    }

    /// Reads a file of the project, relative to its root.
    pub fn read(&self, relative: &str) -> Result<String> {
        let path = self.root.join(relative);
        std::fs::read_to_string(&path).map_err(|err| Error::io("read", &path, err))
    }
}

/// The current directory, where a command starts looking for its project.
pub fn current_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .map_err(|err| Error::failure(format!("cannot read the current directory: {err}")))
}

fn parse_manifest(path: &Path, text: &str) -> Result<DocumentMut> {
    text.parse().map_err(|err| {
        Error::toml(path, text, &err)
            .hint("fix it so cargo can read it, then run the command again")
    })
}

fn not_in_project(start: &Path) -> Error {
    Error::usage(format!(
        "not inside a pop project: no Cargo.toml with src/conf.rs in {} or any parent directory",
        start.display()
    ))
    .hint("create one with `pop-create new <NAME>`, or cd into an existing one")
}

/// Adds `name = { path = … }` to `[dependencies]` of a manifest, keeping
/// everything else as written. `None` when it is already there.
pub fn add_path_dependency(manifest: &str, name: &str, path: &str) -> Result<Option<String>> {
    let mut document = parse_manifest(Path::new("Cargo.toml"), manifest)?;
    let dependencies = document
        .entry("dependencies")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| Error::failure("[dependencies] in Cargo.toml is not a table"))?;
    if dependencies.contains_key(name) {
        return Ok(None);
    }
    let mut table = toml_edit::InlineTable::new();
    table.insert("path", path.into());
    dependencies.insert(name, toml_edit::value(table));
    Ok(Some(document.to_string()))
}

/// Makes `member` a member of the workspace whose root manifest this is,
/// creating the `[workspace]` table if the package has none. The runtime's
/// directory is excluded: its crates are the app's dependencies, not members
/// to lint and test. `None` when `member` is a member already.
pub fn add_workspace_member(
    manifest: &str,
    member: &str,
    runtime_dir: &Path,
) -> Result<Option<String>> {
    let mut document = parse_manifest(Path::new("Cargo.toml"), manifest)?;
    let workspace = document
        .entry("workspace")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| Error::failure("[workspace] in Cargo.toml is not a table"))?;
    let members = workspace
        .entry("members")
        .or_insert_with(|| toml_edit::value(toml_edit::Array::new()))
        .as_array_mut()
        .ok_or_else(|| Error::failure("`workspace.members` in Cargo.toml is not an array"))?;
    if members.iter().any(|m| m.as_str() == Some(member)) {
        return Ok(None);
    }
    members.push(member);
    let runtime = runtime_dir.display().to_string();
    if !runtime.is_empty() && !workspace.contains_key("exclude") {
        let exclude: toml_edit::Array = [runtime].into_iter().collect();
        workspace.insert("exclude", toml_edit::value(exclude));
    }
    Ok(Some(document.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_added_without_disturbing_the_rest() {
        let manifest = "# my app\n[package]\nname = \"poppy\" # the name\n\n[dependencies]\npop = { path = \"runtime/pop\" }\n# serde later\n\n[build-dependencies]\npop-build = { path = \"runtime/pop-build\" }\n";
        let edited = add_path_dependency(manifest, "pop-router", "runtime/pop-router")
            .unwrap()
            .unwrap();
        assert_eq!(
            edited,
            "# my app\n[package]\nname = \"poppy\" # the name\n\n[dependencies]\npop = { path = \"runtime/pop\" }\npop-router = { path = \"runtime/pop-router\" }\n# serde later\n\n[build-dependencies]\npop-build = { path = \"runtime/pop-build\" }\n"
        );
        assert!(
            add_path_dependency(&edited, "pop-router", "x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_member_joins_or_starts_the_workspace() {
        let manifest = "[package]\nname = \"poppy\" # mine\n";
        let edited = add_workspace_member(manifest, "ext", Path::new("runtime"))
            .unwrap()
            .unwrap();
        assert_eq!(
            edited,
            "[package]\nname = \"poppy\" # mine\n\n[workspace]\nmembers = [\"ext\"]\nexclude = [\"runtime\"]\n"
        );
        let again = add_workspace_member(&edited, "other", Path::new("runtime"))
            .unwrap()
            .unwrap();
        assert!(again.contains("members = [\"ext\", \"other\"]"), "{again}");
        assert!(
            add_workspace_member(&again, "ext", Path::new("runtime"))
                .unwrap()
                .is_none()
        );
    }
}
