//! Template sets: a team's own templates over pop-create's built-in ones.
//!
//! A set is a directory (or a git repository, cloned with the system git)
//! holding `pop-create-template.toml` (`name`, `version`, optional
//! `description`) and any of four layers, each laid over the built-in one
//! of the same name: `app/` and `vertical/` (project files), `sub/<PATTERN>/`
//! (a sub's files: a new pattern, or files over a built-in pattern's) and
//! `plugin/<PATTERN>/` (the plugin file `add-plugin` writes in a sub of that
//! pattern). A file replaces the built-in file it renders to, or adds one.
//!
//! A set is data, never code: nothing in it runs. It is read whole and
//! checked before anything is written: no symbolic link, templates that
//! parse, a manifest that says what it is, and (when rendered) no path that
//! leaves the project or touches what pop-create owns (the runtime copy, the
//! lockfile, the record, `src/subs.rs`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::Pattern;
use crate::names::PatternName;
use crate::record::FileHash;
use crate::templates::{self, File, TemplateFile};

/// The manifest's file name, at the set's root.
pub const MANIFEST: &str = "pop-create-template.toml";

/// The most a set may hold: far more than any house style needs.
const MAX_FILES: usize = 2_000;
const MAX_BYTES: u64 = 32 * 1024 * 1024;

/// Paths a set may not write: pop-create (or Cargo, or the build) owns them.
const OWNED: &[&str] = &[
    crate::templates::RUNTIME_DIR,
    "Cargo.lock",
    crate::record::FILE,
    crate::journal::FILE,
    crate::journal::TEMP_FILE,
    crate::lock::HOLDER_FILE,
    "src/subs.rs",
];

/// Where a set comes from, as the user gave it and the record keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A directory (an absolute path once resolved).
    Dir(PathBuf),
    /// A git repository anything `git clone` takes, with the revision to
    /// check out (`#<rev>`), or its default branch.
    Git {
        /// The repository.
        url: String,
        /// A branch, tag or commit.
        rev: Option<String>,
    },
}

impl Source {
    /// Reads `--template SOURCE`: a directory holding a set, or a git
    /// repository (a URL, `user@host:path`, or a local repository),
    /// optionally with `#<rev>`. Relative directories are resolved against
    /// `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<Source> {
        let (location, rev) = match Source::check(text)? {
            Written::Url { url, rev } => {
                return Ok(Source::Git {
                    url: url.to_owned(),
                    rev: rev.map(str::to_owned),
                });
            }
            Written::Local { path, rev } => (path, rev),
        };
        let refuse = |why: &str| refusal(text, why);
        let dir = std::fs::canonicalize(cwd.join(location))
            .map_err(|_| refuse("there is no such directory"))?;
        match rev {
            Some(rev) => Ok(Source::Git {
                url: dir.display().to_string(),
                rev: Some(rev.to_owned()),
            }),
            None if dir.join(MANIFEST).is_file() => Ok(Source::Dir(dir)),
            None if dir.join(".git").exists() => Ok(Source::Git {
                url: dir.display().to_string(),
                rev: None,
            }),
            None => Err(refuse(&format!("the directory has no {MANIFEST}"))),
        }
    }

    /// What `text` says, checked as text alone (nothing is read): a URL
    /// with an allowed scheme, or a local path, and a plain `#<rev>`.
    fn check(text: &str) -> Result<Written<'_>> {
        let refuse = |why: &str| refusal(text, why);
        if text.is_empty() || text.starts_with('-') || text.contains(|c: char| c.is_control()) {
            return Err(refuse(
                "it is empty, starts with `-` or has a control character",
            ));
        }
        let (location, rev) = match text.rsplit_once('#') {
            Some((location, rev)) => (location, Some(rev)),
            None => (text, None),
        };
        if let Some(rev) = rev {
            let plain = !rev.is_empty()
                && !rev.starts_with('-')
                && rev
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
            if !plain {
                return Err(refuse("its #<rev> is not a branch, tag or commit name"));
            }
        }
        // `transport::address` would run a git remote helper (`ext::sh -c …`).
        if location.contains("::") {
            return Err(refuse(
                "git transports written `name::address` are not taken",
            ));
        }
        let url_like = location.contains("://")
            || location
                .split_once(':')
                .is_some_and(|(host, _)| !host.contains('/') && host.len() > 1);
        if !url_like {
            return Ok(Written::Local {
                path: location,
                rev,
            });
        }
        let scheme = location.split("://").next().unwrap_or_default();
        let allowed =
            !location.contains("://") || ["https", "http", "ssh", "git", "file"].contains(&scheme);
        if !allowed {
            return Err(refuse("only https, http, ssh, git and file URLs are taken"));
        }
        Ok(Written::Url { url: location, rev })
    }

    /// The source without its revision, as the record keeps it.
    pub fn location(&self) -> String {
        match self {
            Source::Dir(dir) => dir.display().to_string(),
            Source::Git { url, .. } => url.clone(),
        }
    }

    /// The same source at `rev` (for a git source).
    pub fn at(&self, rev: Option<&str>) -> Source {
        match self {
            Source::Dir(dir) => Source::Dir(dir.clone()),
            Source::Git { url, .. } => Source::Git {
                url: url.clone(),
                rev: rev.map(str::to_owned),
            },
        }
    }

    /// Whether earlier versions of the set can be had again (a git
    /// repository keeps them; a directory does not).
    pub fn keeps_history(&self) -> bool {
        matches!(self, Source::Git { .. })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Dir(dir) => write!(f, "{}", dir.display()),
            Source::Git { url, rev: None } => f.write_str(url),
            Source::Git {
                url,
                rev: Some(rev),
            } => write!(f, "{url}#{rev}"),
        }
    }
}

/// A source as written, before a local path is looked up.
enum Written<'a> {
    /// A repository URL (or `user@host:path`), maybe with a revision.
    Url { url: &'a str, rev: Option<&'a str> },
    /// A directory or a local repository, maybe with a revision.
    Local { path: &'a str, rev: Option<&'a str> },
}

/// `text` refused as a source, and why.
fn refusal(text: &str, why: &str) -> Error {
    Error::usage(format!(
        "`{}` is not a template set source: {why}",
        text.escape_debug()
    ))
    .hint(
        "give a directory holding pop-create-template.toml, or a git URL (with an optional #<rev>)",
    )
}

/// `pop-create-template.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    version: String,
    description: Option<String>,
}

/// A set's files by path within the set (`app/README.md.tera`): contents,
/// and whether executable.
type SetFiles = BTreeMap<String, (Vec<u8>, bool)>;

/// A set, read and checked.
#[derive(Clone)]
pub struct TemplateSet {
    /// Where it came from.
    pub source: Source,
    /// Its name, from its manifest.
    pub name: String,
    /// Its version, from its manifest (`major.minor.patch`).
    pub version: String,
    /// What it is, from its manifest.
    pub description: Option<String>,
    /// The git commit it was read at, or a hash of a directory's files.
    pub revision: String,
    /// Every file of its layers, by path within the set (`app/README.md.tera`).
    files: SetFiles,
}

impl TemplateSet {
    /// Reads a set from its source, checking all of it.
    pub fn load(source: &Source) -> Result<TemplateSet> {
        match source {
            Source::Dir(dir) => {
                let (manifest, files) = read_set(dir)?;
                let revision = directory_hash(&files);
                TemplateSet::checked(source.clone(), manifest, files, revision)
            }
            Source::Git { url, rev } => {
                let (_checkout, dir) = clone(url, rev.as_deref())?;
                let revision = git_output(&dir, &["rev-parse", "HEAD"])?;
                let (manifest, files) = read_set(&dir)?;
                TemplateSet::checked(source.clone(), manifest, files, revision)
            }
        }
    }

    fn checked(
        source: Source,
        manifest: Manifest,
        files: SetFiles,
        revision: String,
    ) -> Result<TemplateSet> {
        let bad = |why: String| {
            Err(Error::failure(format!(
                "{MANIFEST} of the template set at {source}: {why}"
            )))
        };
        if let Err(why) = check_set_name(&manifest.name) {
            return bad(format!("`name = {:?}` {why}", manifest.name));
        }
        if let Err(why) = check_set_version(&manifest.version) {
            return bad(format!("`version = {:?}` {why}", manifest.version));
        }
        Ok(TemplateSet {
            source,
            name: manifest.name,
            version: manifest.version,
            description: manifest.description,
            revision,
            files,
        })
    }

    /// The patterns the set adds (its `sub/<NAME>/` that are not pop's).
    pub fn patterns(&self) -> Vec<PatternName> {
        let mut found: Vec<PatternName> = self
            .files
            .keys()
            .filter_map(|path| path.strip_prefix("sub/")?.split('/').next())
            .filter(|name| Pattern::builtin(name).is_none())
            .filter_map(|name| PatternName::parse(name).ok())
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Whether the set has files in `layer` (`sub/worker`, `plugin/flow`).
    pub fn has_layer(&self, layer: &str) -> bool {
        let prefix = format!("{layer}/");
        self.files.keys().any(|path| path.starts_with(&prefix))
    }

    /// The set's files of `layer`, rendered with `context`.
    pub fn render(&self, layer: &str, context: &tera::Context) -> Result<Vec<File>> {
        let prefix = format!("{layer}/");
        let mut rendered = Vec::new();
        for (path, (contents, executable)) in &self.files {
            let Some(relative) = path.strip_prefix(&prefix) else {
                continue;
            };
            let source = format!("{path} (template set `{}`)", self.name);
            let file = templates::render_file(
                &TemplateFile {
                    relative,
                    contents,
                    executable: *executable,
                    source: &source,
                },
                context,
            )?;
            if let Some(owned) = OWNED.iter().find(|owned| file.path.is_under(owned)) {
                return Err(Error::failure(format!(
                    "template {source} would write {}, which pop-create keeps itself ({owned}); nothing was written",
                    file.path
                ))
                .hint("remove that file from the set"));
            }
            rendered.push(file);
        }
        Ok(rendered)
    }

    /// Lays the set's `layer` over `files` (the built-in layer's): a file
    /// of the set replaces the one it renders to, or joins them.
    pub fn overlay(
        &self,
        layer: &str,
        context: &tera::Context,
        files: &mut Vec<File>,
    ) -> Result<()> {
        for file in self.render(layer, context)? {
            match files.iter_mut().find(|f| f.path == file.path) {
                Some(existing) => *existing = file,
                None => files.push(file),
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// The set's record: what the project keeps of it.
    pub fn record(&self) -> SetRecord {
        SetRecord {
            source: self.source.location(),
            name: self.name.clone(),
            version: self.version.clone(),
            revision: self.revision.clone(),
            patterns: self.patterns(),
        }
    }
}

/// What a project records of its template set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetRecord {
    /// The directory or repository, without a revision.
    pub source: String,
    /// The set's name.
    pub name: String,
    /// The set's version.
    pub version: String,
    /// The git commit, or `sha256:` of a directory's files.
    pub revision: String,
    /// The patterns it adds, for help.
    pub patterns: Vec<PatternName>,
}

impl SetRecord {
    /// The source to read the set from again: the recorded revision of a
    /// repository (`at_recorded`), or its newest; a directory as it is.
    pub fn source(&self, at_recorded: bool) -> Result<Source> {
        let source = Source::parse(&self.source, Path::new("/"))?;
        Ok(source.at(at_recorded.then_some(self.revision.as_str())))
    }

    /// The set read again from [`SetRecord::source`]; when it cannot be,
    /// an error naming it, with the way out.
    pub fn load(&self, at_recorded: bool) -> Result<TemplateSet> {
        self.source(at_recorded)
            .and_then(|source| TemplateSet::load(&source))
            .map_err(|err| {
                Error::failure(format!(
                    "cannot read the project's template set `{}` from {}: {}",
                    self.name,
                    self.source,
                    err.message()
                ))
                .hint("make the set reachable again, or move the project to another with `pop-create update --template <SOURCE>`")
            })
    }

    /// Checks a recorded set's fields (the record is input like any other).
    pub fn check(&self) -> Result<()> {
        if let Err(why) = check_set_name(&self.name) {
            return Err(Error::usage(format!(
                "the template set's name `{}` {why}",
                self.name.escape_debug()
            )));
        }
        let is_commit =
            self.revision.len() == 40 && self.revision.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_commit && FileHash::parse(&self.revision).is_err() {
            return Err(Error::usage(format!(
                "the template set's revision `{}` is neither a git commit nor a hash",
                self.revision.escape_debug()
            )));
        }
        if let Err(why) = check_set_version(&self.version) {
            return Err(Error::usage(format!(
                "the template set's version `{}` {why}",
                self.version.escape_debug()
            )));
        }
        // As text only: a record stays readable when its set is not here.
        Source::check(&self.source).map(|_| ())
    }
}

/// Reads every file of a set's layers, refusing links, unknown layers and
/// oversized sets; and its manifest.
fn read_set(root: &Path) -> Result<(Manifest, SetFiles)> {
    let manifest_path = root.join(MANIFEST);
    let manifest_text = match std::fs::symlink_metadata(&manifest_path) {
        Ok(meta) if meta.is_file() => std::fs::read_to_string(&manifest_path)
            .map_err(|err| Error::io("read", &manifest_path, err))?,
        Ok(_) => {
            return Err(Error::failure(format!(
                "{} is not a regular file",
                manifest_path.display()
            )));
        }
        Err(_) => {
            return Err(Error::failure(format!(
                "{} is not a template set: it has no {MANIFEST}",
                root.display()
            ))
            .hint(format!(
                "a set starts with {MANIFEST}: name = \"…\", version = \"1.0.0\""
            )));
        }
    };
    let manifest: Manifest = toml::from_str(&manifest_text).map_err(|err| {
        Error::failure(format!(
            "{}: {}",
            manifest_path.display(),
            crate::error::toml_problem(&manifest_text, err.span(), err.message())
        ))
        .hint("it holds name = \"…\", version = \"1.0.0\" and an optional description")
    })?;
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    let entries = std::fs::read_dir(root).map_err(|err| Error::io("read", root, err))?;
    let mut layers = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map_err(|err| Error::io("read", &entry.path(), err))?;
        if kind.is_symlink() {
            return Err(link_refused(&entry.path()));
        }
        if name.starts_with('.') || !kind.is_dir() {
            continue; // the set's own README, licence, .git, CI…
        }
        match name.as_str() {
            "app" | "vertical" => layers.push(name),
            "sub" | "plugin" => {
                for pattern in std::fs::read_dir(entry.path())
                    .map_err(|err| Error::io("read", &entry.path(), err))?
                    .flatten()
                {
                    let pattern_name = pattern.file_name().to_string_lossy().into_owned();
                    let kind = pattern
                        .file_type()
                        .map_err(|err| Error::io("read", &pattern.path(), err))?;
                    if kind.is_symlink() {
                        return Err(link_refused(&pattern.path()));
                    }
                    if !kind.is_dir() {
                        return Err(Error::failure(format!(
                            "{} is a file where a set keeps one directory per pattern",
                            pattern.path().display()
                        )));
                    }
                    if pattern_name != "default" && Pattern::parse(&pattern_name).is_err() {
                        return Err(Error::failure(format!(
                            "{}: `{pattern_name}` is not a pattern name",
                            pattern.path().display()
                        ))
                        .hint("patterns are named with lower-case letters, digits, `-` and `_`"));
                    }
                    layers.push(format!("{name}/{pattern_name}"));
                }
            }
            other => {
                return Err(Error::failure(format!(
                    "{}: `{other}/` is not a layer of a template set",
                    entry.path().display()
                ))
                .hint("a set has app/, vertical/, sub/<PATTERN>/ and plugin/<PATTERN>/"));
            }
        }
    }
    for layer in layers {
        let mut pending = vec![root.join(&layer)];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir)
                .map_err(|err| Error::io("read", &dir, err))?
                .flatten()
            {
                let path = entry.path();
                let kind = entry
                    .file_type()
                    .map_err(|err| Error::io("read", &path, err))?;
                if kind.is_symlink() {
                    return Err(link_refused(&path));
                }
                if kind.is_dir() {
                    if entry.file_name() != ".git" {
                        pending.push(path);
                    }
                    continue;
                }
                if !kind.is_file() {
                    return Err(Error::failure(format!(
                        "{} is not a regular file",
                        path.display()
                    )));
                }
                let relative = path.strip_prefix(root).map_err(|_| {
                    Error::failure(format!("{} is outside the set", path.display()))
                })?;
                let relative = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let meta = entry
                    .metadata()
                    .map_err(|err| Error::io("read", &path, err))?;
                total += meta.len();
                if files.len() >= MAX_FILES || total > MAX_BYTES {
                    return Err(Error::failure(format!(
                        "the template set at {} holds more than {MAX_FILES} files or {} MiB",
                        root.display(),
                        MAX_BYTES / (1024 * 1024)
                    )));
                }
                let contents = std::fs::read(&path).map_err(|err| Error::io("read", &path, err))?;
                if relative.ends_with(".tera") {
                    check_template(&relative, &contents)?;
                }
                files.insert(relative, (contents, is_executable(&meta)));
            }
        }
    }
    Ok((manifest, files))
}

/// A set's name: 1 to 64 letters, digits, `-`, `_` or `.`.
/// A set's name, in its manifest and in a record: why it is refused, if it is.
fn check_set_name(name: &str) -> std::result::Result<(), &'static str> {
    let plain = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match plain {
        true => Ok(()),
        false => Err("is not 1 to 64 letters, digits, `-`, `_` or `.`"),
    }
}

/// A set's version, in its manifest and in a record: why it is refused, if
/// it is.
fn check_set_version(version: &str) -> std::result::Result<(), &'static str> {
    match version.len() <= 32 && pop_build::Version::parse(version).is_some() {
        true => Ok(()),
        false => Err("is not a version like \"1.0.0\""),
    }
}

fn link_refused(path: &Path) -> Error {
    Error::failure(format!(
        "{} is a symbolic link: a template set holds files only; nothing was written",
        path.display()
    ))
    .hint("replace the link with the file it points to")
}

/// A template that does not parse is refused when the set is read, with
/// its line, before any is rendered.
fn check_template(path: &str, contents: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(contents)
        .map_err(|_| Error::failure(format!("template {path} is not UTF-8")))?;
    let mut tera = tera::Tera::default();
    tera.add_raw_template(path, text).map_err(|err| {
        Error::failure(format!(
            "template {path} of the set does not parse: {}; nothing was written",
            templates::tera_error(&err.to_string(), path, path)
        ))
    })?;
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// A hash of a directory set's files: its revision, which changes when any
/// file does.
fn directory_hash(files: &SetFiles) -> String {
    let mut all = Vec::new();
    for (path, (contents, executable)) in files {
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(FileHash::of(contents).as_str().as_bytes());
        all.push(u8::from(*executable));
    }
    FileHash::of(&all).as_str().to_owned()
}

/// `git clone` of `url` into a fresh temporary directory, at `rev`: with
/// the transports that run commands turned off, and never a prompt.
/// Returns the directory (removed when dropped) and the checkout in it.
fn clone(url: &str, rev: Option<&str>) -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new()
        .prefix("pop-create-set-")
        .tempdir()
        .map_err(|err| Error::failure(format!("cannot make a directory to clone into: {err}")))?;
    let checkout = dir.path().join("set");
    let output = git()
        .args(["clone", "--quiet", "--no-checkout", "--", url])
        .arg(&checkout)
        .output()
        .map_err(|err| {
            Error::failure(format!("cannot run git to clone the template set: {err}"))
                .hint("install git, or give the set as a directory")
        })?;
    if !output.status.success() {
        return Err(Error::failure(format!(
            "cannot clone the template set {url}: {}",
            first_line(&output.stderr)
        )));
    }
    let rev = rev.unwrap_or("HEAD");
    let output = git()
        .current_dir(&checkout)
        .args([
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "--quiet",
            "--detach",
            rev,
            "--",
        ])
        .output()
        .map_err(|err| Error::failure(format!("cannot run git: {err}")))?;
    if !output.status.success() {
        return Err(Error::failure(format!(
            "the template set {url} has no revision `{rev}`: {}",
            first_line(&output.stderr)
        )));
    }
    Ok((dir, checkout))
}

/// git, with no prompt and no transport that runs a command.
fn git() -> Command {
    let mut command = Command::new("git");
    command
        .args([
            "-c",
            "protocol.ext.allow=never",
            "-c",
            "protocol.fd.allow=never",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    command
}

fn git_output(dir: &Path, args: &[&str]) -> Result<String> {
    let output = git()
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|err| Error::failure(format!("cannot run git: {err}")))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("git failed")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_directories_or_git_repositories_and_nothing_that_runs() {
        let cwd = Path::new("/");
        let git = |text: &str| Source::parse(text, cwd).unwrap();
        assert_eq!(
            git("https://git.example/acme/templates.git#v1.2.0"),
            Source::Git {
                url: "https://git.example/acme/templates.git".into(),
                rev: Some("v1.2.0".into())
            }
        );
        assert!(matches!(
            git("git@git.example:acme/templates.git"),
            Source::Git { rev: None, .. }
        ));
        assert!(matches!(git("file:///srv/templates"), Source::Git { .. }));
        for bad in [
            "",
            "-c core.sshCommand=touch",
            "--upload-pack=touch x",
            "ext::sh -c touch% x",
            "fd::3",
            "ftp://example/x",
            "https://example/x#-b",
            "https://example/x#a b",
            "https://example/x\n",
            "/no/such/directory/anywhere",
        ] {
            let err = Source::parse(bad, cwd).expect_err(bad);
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn a_recorded_set_is_checked_like_the_record() {
        let good = SetRecord {
            source: "https://git.example/acme/templates.git".into(),
            name: "acme".into(),
            version: "1.2.0".into(),
            revision: "0123456789abcdef0123456789abcdef01234567".into(),
            patterns: Vec::new(),
        };
        assert!(good.check().is_ok());
        for bad in [
            SetRecord {
                name: "../x".into(),
                ..good.clone()
            },
            SetRecord {
                version: "latest".into(),
                ..good.clone()
            },
            SetRecord {
                revision: "HEAD".into(),
                ..good.clone()
            },
            SetRecord {
                source: "ext::sh -c x".into(),
                ..good.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_recorded_directory_that_is_gone_leaves_the_record_readable() {
        let gone = SetRecord {
            source: "/nowhere/pop-create-test/templates".into(),
            name: "acme".into(),
            version: "1.0.0".into(),
            revision: format!("sha256:{}", "0".repeat(64)),
            patterns: Vec::new(),
        };
        assert!(gone.check().is_ok(), "checking a record reads no disk");
        let err = gone.load(true).err().expect("the set cannot be read");
        assert!(
            err.message()
                .starts_with("cannot read the project's template set `acme`"),
            "{}",
            err.message()
        );
        assert!(
            err.hint_text()
                .is_some_and(|hint| hint.contains("update --template")),
            "the way out is named"
        );
    }
}
