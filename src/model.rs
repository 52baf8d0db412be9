//! The project model: what a project is made of, as types. The command line,
//! the record (`.pop-create.toml`) and a project's files are read into it
//! once, through the same checks, and everything past that point (the
//! operations, generation, the record's writer) takes these types, never a
//! string that was not checked.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::names::{PatternName, PluginName, ProjectName, SubName, SubPath};

/// The pattern a sub follows: one of pop's, or one a template set adds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pattern {
    /// A backbone of the app: sets up shared data when added, runs with the app.
    Spine,
    /// Serves the sub's plugins over HTTP JSON (adds the addr, port and log_format options).
    Router,
    /// Plain functions, no load hook.
    Library,
    /// Each plugin is an event source; the sub merges their events onto one queue.
    Beacon,
    /// The sub gathers from every plugin, sync and async, into shared data.
    Collection,
    /// A pipeline stage: takes from an upstream queue, processes, pushes on.
    Flow,
    /// A pattern of the project's template set (`sub/<NAME>/` in the set),
    /// with no behaviour of its own beyond its files.
    Custom(PatternName),
}

impl Pattern {
    /// pop's patterns, in the order help lists them.
    pub const BUILTIN: [Pattern; 6] = [
        Pattern::Spine,
        Pattern::Router,
        Pattern::Library,
        Pattern::Beacon,
        Pattern::Collection,
        Pattern::Flow,
    ];

    /// The pattern's name, as typed and recorded.
    pub fn name(&self) -> &str {
        match self {
            Pattern::Spine => "spine",
            Pattern::Router => "router",
            Pattern::Library => "library",
            Pattern::Beacon => "beacon",
            Pattern::Collection => "collection",
            Pattern::Flow => "flow",
            Pattern::Custom(name) => name.as_str(),
        }
    }

    /// What a built-in pattern is for, for help and listings.
    pub fn about(&self) -> &'static str {
        match self {
            Pattern::Spine => {
                "A backbone of the app: sets up shared data when added, runs with the app"
            }
            Pattern::Router => {
                "Serves the sub's plugins over HTTP JSON (adds the addr, port and log_format options)"
            }
            Pattern::Library => "Plain functions, no load hook",
            Pattern::Beacon => {
                "Each plugin is an event source; the sub merges their events onto one queue"
            }
            Pattern::Collection => {
                "The sub gathers from every plugin, sync and async, into shared data"
            }
            Pattern::Flow => "A pipeline stage: takes from an upstream queue, processes, pushes on",
            Pattern::Custom(_) => "A pattern of the project's template set",
        }
    }

    /// The built-in patterns' names, for messages: `spine, router, …`.
    pub fn builtin_names() -> String {
        Pattern::BUILTIN
            .iter()
            .map(Pattern::name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A built-in pattern by name.
    pub fn builtin(name: &str) -> Option<Pattern> {
        Pattern::BUILTIN.into_iter().find(|p| p.name() == name)
    }

    /// A pattern by name: a built-in one, or any well-formed name (which a
    /// template set must then provide).
    pub fn parse(name: &str) -> Result<Pattern> {
        match Pattern::builtin(name) {
            Some(pattern) => Ok(pattern),
            None => Ok(Pattern::Custom(PatternName::parse(name)?)),
        }
    }

    /// True for the patterns whose sub has a queue a flow can take from.
    pub fn has_queue(&self) -> bool {
        matches!(self, Pattern::Beacon | Pattern::Flow)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Declares a closed set of named choices: the enum, its names, and
/// parsing with a message that lists them.
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal => $about:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every choice, in the order help lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name, as typed and recorded.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// What the choice means, for help.
            pub fn about(self) -> &'static str {
                match self {
                    $($name::$variant => $about,)+
                }
            }

            /// The choice of a name.
            pub fn parse(text: &str) -> Result<$name> {
                Self::ALL.iter().copied().find(|c| c.name() == text).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|c| c.name()).collect();
                    Error::usage(format!(
                        concat!("`{}` is not ", $what, " pop-create knows"),
                        text
                    ))
                    .hint(format!("use one of: {}", known.join(", ")))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

choices! {
    /// A project's licence: the SPDX expressions pop-create writes texts for.
    License, "a licence" {
        /// MIT.
        Mit = "MIT" => "The MIT licence (LICENSE)",
        /// Apache-2.0.
        Apache = "Apache-2.0" => "The Apache License 2.0 (LICENSE)",
        /// Either, at the user's option.
        MitOrApache = "MIT OR Apache-2.0"
            => "Either, at the user's option (LICENSE-MIT and LICENSE-APACHE), as most Rust crates",
        /// None.
        None = "none" => "No licence file and no `license` field",
    }
}

choices! {
    /// The CI provider whose workflow a project gets.
    Ci, "a CI provider" {
        /// GitHub Actions.
        Github = "github" => ".github/workflows/ci.yml",
        /// GitLab CI.
        Gitlab = "gitlab" => ".gitlab-ci.yml",
        /// None.
        None = "none" => "No CI workflow",
    }
}

choices! {
    /// The version control a new project is put under.
    Vcs, "a version-control system" {
        /// git.
        Git = "git" => "git init the new project (unless it is inside a repository already)",
        /// None.
        None = "none" => "No repository",
    }
}

/// Who holds the copyright of a project: one line of plain text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author(String);

impl Author {
    /// The longest author pop-create takes.
    const MAX_LEN: usize = 256;

    /// Checks an author (from `git config` or the record).
    pub fn parse(text: &str) -> Result<Author> {
        if text.trim().is_empty() || text.len() > Author::MAX_LEN || text.contains(char::is_control)
        {
            return Err(Error::usage(format!(
                "the author must be one line of at most {} bytes",
                Author::MAX_LEN
            )));
        }
        Ok(Author(text.to_owned()))
    }

    /// The author, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answers `new` was given: everything a template may depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// The project name (a Cargo package name).
    pub name: ProjectName,
    /// A vertical crate (no entry point)?
    pub vertical: bool,
    /// A member of an app's workspace (it uses the app's runtime)?
    pub member: bool,
    /// Extra dynes asked for at `new`.
    pub dynes: Vec<SubName>,
    /// The version control `new` set up.
    pub vcs: Vcs,
    /// The licence.
    pub license: License,
    /// The CI provider.
    pub ci: Ci,
    /// The author, for the licence, if known.
    pub author: Option<Author>,
    /// The year the project was made, for the licence.
    pub year: u32,
}

impl Answers {
    /// The template layer of the project's own files: `vertical` or `app`.
    pub fn project_layer(&self) -> &'static str {
        if self.vertical { "vertical" } else { "app" }
    }

    /// The year of a project whose record does not say (pop-create 0.1.0
    /// wrote none; a project made by hand has no record).
    pub const UNKNOWN_YEAR: u32 = 2026;

    /// The answers of a project made by hand (no record): what its files say.
    pub fn of_unrecorded(name: ProjectName, is_app: bool) -> Answers {
        Answers {
            name,
            vertical: !is_app,
            member: false,
            dynes: Vec::new(),
            vcs: Vcs::None,
            license: License::None,
            ci: Ci::None,
            author: None,
            year: Answers::UNKNOWN_YEAR,
        }
    }

    /// The spine sub of an app: its crate name.
    pub fn spine(&self) -> SubName {
        self.name.spine()
    }

    /// The subs a project starts with: the spine (for an app), then the
    /// dynes asked for.
    pub fn initial_subs(&self) -> Vec<SubEntry> {
        let mut subs = Vec::new();
        if !self.vertical {
            subs.push(SubEntry::new(self.spine(), Pattern::Spine));
        }
        for dyne in &self.dynes {
            subs.push(SubEntry::new(dyne.clone(), Pattern::Library));
        }
        subs
    }
}

/// A sub pop-create made, with its pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubEntry {
    /// The sub.
    pub name: SubName,
    /// Its pattern.
    pub pattern: Pattern,
}

impl SubEntry {
    /// A sub and its pattern.
    pub fn new(name: SubName, pattern: Pattern) -> SubEntry {
        SubEntry { name, pattern }
    }
}

/// The subs of a project in the order they were added, as recorded.
pub trait Subs {
    /// The pattern of `sub`, if recorded.
    fn pattern_of(&self, sub: &str) -> Option<&Pattern>;
    /// Whether any sub follows `pattern`.
    fn any_follow(&self, pattern: &Pattern) -> bool;
}

impl Subs for [SubEntry] {
    fn pattern_of(&self, sub: &str) -> Option<&Pattern> {
        self.iter()
            .find(|entry| entry.name.as_str() == sub)
            .map(|entry| &entry.pattern)
    }

    fn any_follow(&self, pattern: &Pattern) -> bool {
        self.iter().any(|entry| entry.pattern == *pattern)
    }
}

/// A plugin pop-create made: `sub.plugin` (or `sub.nested.plugin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRef {
    /// Its sub.
    pub sub: SubPath,
    /// Its name.
    pub name: PluginName,
}

impl PluginRef {
    /// Checks a recorded `sub.plugin` reference.
    pub fn parse(text: &str) -> Result<PluginRef> {
        let Some((sub, name)) = text.rsplit_once('.') else {
            return Err(Error::usage(format!(
                "`{text}` is not a plugin reference (`sub.plugin`)"
            )));
        };
        let sub = SubPath::parse(sub)?;
        let name = PluginName::parse_in(&sub, name)?;
        Ok(PluginRef { sub, name })
    }

    /// Whether the plugin belongs to `sub` or a sub nested in it.
    pub fn is_in(&self, sub: &SubName) -> bool {
        self.sub.top() == sub
    }
}

impl fmt::Display for PluginRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.sub, self.name.as_str())
    }
}

/// A path inside a project, relative to its root, as the record spells it
/// (`src/rpc/math.rs`): never absolute, never `..` or `.`, no empty part,
/// no backslash or control character. Joined to the project root it cannot
/// leave the project, except through a symbolic link, which every reader
/// and writer refuses to follow ([`ProjectPath::check_no_links`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectPath(String);

impl ProjectPath {
    /// The longest path pop-create takes.
    const MAX_LEN: usize = 1024;

    /// Checks a relative path in its portable spelling.
    pub fn parse(text: &str) -> Result<ProjectPath> {
        let refuse = |why: &str| {
            Err(Error::usage(format!(
                "`{}` is not a path inside the project: {why}",
                text.escape_debug()
            )))
        };
        if text.is_empty() {
            return refuse("it is empty");
        }
        if text.len() > ProjectPath::MAX_LEN {
            return refuse("it is too long");
        }
        if text.contains(|c: char| c.is_control() || c == '\\' || c == ':') {
            return refuse("it has a backslash, a colon or a control character");
        }
        if text.starts_with('/') {
            return refuse("it is absolute");
        }
        if text
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return refuse("it has an empty, `.` or `..` part");
        }
        Ok(ProjectPath(text.to_owned()))
    }

    /// A path pop-create names itself (`src/conf.rs`, `Cargo.toml`).
    pub fn known(text: &'static str) -> ProjectPath {
        ProjectPath::parse(text).expect("pop-create's own paths are inside the project")
    }

    /// The path of a file pop-create generates (relative, made of normal parts).
    pub fn from_path(path: &Path) -> Result<ProjectPath> {
        let mut parts = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy()),
                _ => {
                    return Err(Error::usage(format!(
                        "`{}` is not a path inside the project",
                        path.display()
                    )));
                }
            }
        }
        ProjectPath::parse(&parts.join("/"))
    }

    /// The portable spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As a relative path of this platform.
    pub fn to_path(&self) -> PathBuf {
        self.0.split('/').collect()
    }

    /// `child` below this directory.
    pub fn join(&self, child: &ProjectPath) -> ProjectPath {
        ProjectPath(format!("{}/{}", self.0, child.0))
    }

    /// The directory holding the path, if it is not at the root.
    pub fn parent(&self) -> Option<ProjectPath> {
        self.0
            .rsplit_once('/')
            .map(|(dir, _)| ProjectPath(dir.to_owned()))
    }

    /// The last part: the file's name.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// Whether the path is `dir` or below it.
    pub fn is_under(&self, dir: &str) -> bool {
        self.0 == dir || self.0.starts_with(&format!("{dir}/"))
    }

    /// Refuses a symbolic link at the path or on the way to it, below `root`:
    /// a planted link could point anywhere, and pop-create never reads,
    /// writes or deletes through one.
    pub fn check_no_links(&self, root: &Path) -> Result<()> {
        match self.first_link(root) {
            Some(link) => Err(Error::failure(format!(
                "{} is a symbolic link, and pop-create does not follow links",
                link.display()
            ))
            .hint("replace the link with the file or directory itself")),
            None => Ok(()),
        }
    }

    /// The first symbolic link at the path or on the way to it, below
    /// `root`; the walk stops where the path does not exist yet.
    pub fn first_link(&self, root: &Path) -> Option<PathBuf> {
        let mut path = root.to_path_buf();
        for part in self.0.split('/') {
            path.push(part);
            let meta = std::fs::symlink_metadata(&path).ok()?;
            if meta.file_type().is_symlink() {
                return Some(path);
            }
        }
        None
    }
}

impl fmt::Display for ProjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_choices_parse_from_their_names() {
        for pattern in Pattern::BUILTIN {
            assert_eq!(Pattern::parse(pattern.name()).unwrap(), pattern);
        }
        assert!(matches!(
            Pattern::parse("worker").unwrap(),
            Pattern::Custom(_)
        ));
        for bad in ["", "Router", "a b", "../x", "x/y"] {
            assert_eq!(Pattern::parse(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
        assert_eq!(
            License::parse("MIT OR Apache-2.0").unwrap(),
            License::MitOrApache
        );
        let err = Ci::parse("jenkins").unwrap_err();
        assert!(err.hint_text().unwrap().contains("github, gitlab, none"));
        assert_eq!(Vcs::parse("git").unwrap().name(), "git");
    }

    #[test]
    fn project_paths_stay_inside_the_project() {
        for good in [
            "src/main.rs",
            ".github/workflows/ci.yml",
            "runtime/pop-hub/src/lib.rs",
        ] {
            assert_eq!(ProjectPath::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "/etc/passwd",
            "../victim.txt",
            "runtime/../../victim.txt",
            "src//x",
            "./x",
            "src/.",
            "C:/x",
            "c:x",
            "src\\..\\x",
            "a\nb",
            "a\0b",
        ] {
            assert!(ProjectPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ProjectPath::from_path(Path::new("../x")).is_err());
        assert!(ProjectPath::from_path(Path::new("/x")).is_err());
        assert_eq!(
            ProjectPath::from_path(Path::new("src/x.rs"))
                .unwrap()
                .as_str(),
            "src/x.rs"
        );
    }

    #[test]
    fn plugin_references_parse_into_sub_and_name() {
        let plugin = PluginRef::parse("rpc.admin.users").unwrap();
        assert_eq!(plugin.sub.to_string(), "rpc.admin");
        assert_eq!(plugin.to_string(), "rpc.admin.users");
        for bad in ["rpc", "rpc.", "../x.y", "rpc.init", "Rpc.x"] {
            assert!(PluginRef::parse(bad).is_err(), "{bad}");
        }
    }
}
