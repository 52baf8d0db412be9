//! Names checked once, then carried as types: a command (or the reader of
//! a project's record and files) turns text into a [`ProjectName`],
//! [`SubName`], [`SubPath`], [`PluginName`] or [`PatternName`], and nothing
//! past it handles an unchecked name. The rules of Rust-facing names are
//! pop-build's ([`pop_build::names`]), shared with the build; a pattern
//! name, which only pop-create reads, has its rule here.

use std::fmt;

use pop_build::names::{self, NameKind};

use crate::error::Result;

/// A valid project (Cargo package) name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    /// Checks a project name: a package name whose Rust name can also be
    /// the app's spine sub.
    pub fn parse(text: &str) -> Result<Self> {
        names::validate(NameKind::Project, text)?;
        let name = ProjectName(text.to_owned());
        if let Err(err) = names::validate(NameKind::Sub, &name.crate_name()) {
            return Err(crate::error::Error::usage(format!(
                "invalid project name `{text}`: its spine sub `{}` cannot be used: {}",
                name.crate_name(),
                err.reason
            ))
            .hint(err.hint));
        }
        Ok(name)
    }

    /// The package name, as typed (`my-app`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Rust name: the config namespace and the spine sub (`my_app`).
    pub fn crate_name(&self) -> String {
        names::crate_name(&self.0)
    }

    /// The spine sub of an app of this name.
    pub fn spine(&self) -> SubName {
        SubName(self.crate_name())
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid top-level sub name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SubName(String);

impl SubName {
    /// Checks a sub name.
    pub fn parse(text: &str) -> Result<Self> {
        names::validate(NameKind::Sub, text)?;
        Ok(SubName(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sub or nested sub, as a dotted path: `rpc` or `rpc.admin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubPath {
    top: SubName,
    nested: Vec<String>,
}

impl SubPath {
    /// Checks a dotted sub path. A path with `/` or `..` is refused as a path
    /// before `.` splits it.
    pub fn parse(text: &str) -> Result<Self> {
        if text.contains(['/', '\\']) || text.contains("..") {
            SubName::parse(text)?;
        }
        let mut parts = text.split('.');
        let top = SubName::parse(parts.next().unwrap_or_default())?;
        let nested = parts
            .map(|part| {
                names::validate(NameKind::NestedSub, part)?;
                Ok(part.to_owned())
            })
            .collect::<Result<_>>()?;
        Ok(SubPath { top, nested })
    }

    /// The top-level sub: the DYNE entry.
    pub fn top(&self) -> &SubName {
        &self.top
    }

    /// The nested subs below the top one, outermost first.
    pub fn nested(&self) -> &[String] {
        &self.nested
    }
}

impl fmt::Display for SubPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.top.as_str())?;
        for part in &self.nested {
            write!(f, ".{part}")?;
        }
        Ok(())
    }
}

/// A valid plugin name within its sub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginName(String);

impl PluginName {
    /// Checks a plugin name within its sub: it cannot be the sub's own name.
    pub fn parse_in(sub: &SubPath, text: &str) -> Result<Self> {
        names::validate_plugin_in(&sub.to_string(), text)?;
        Ok(PluginName(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a sub pattern a template set adds (`sub/<NAME>/` in the
/// set): lower-case letters, digits, `-` and `_`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatternName(String);

impl PatternName {
    /// The longest pattern name: a directory of a template set.
    const MAX_LEN: usize = 40;

    /// Checks a pattern name.
    pub fn parse(text: &str) -> Result<Self> {
        let well_formed = text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.len() <= PatternName::MAX_LEN
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed {
            return Err(crate::error::Error::usage(format!(
                "`{}` is not a pattern name",
                text.escape_debug()
            ))
            .hint(format!(
                "pop's patterns are {}; a template set's are named with lower-case letters, digits, `-` and `_`",
                crate::model::Pattern::builtin_names()
            )));
        }
        Ok(PatternName(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_once_and_carry_their_forms() {
        let project = ProjectName::parse("my-app").unwrap();
        assert_eq!(
            (project.as_str(), project.crate_name().as_str()),
            ("my-app", "my_app")
        );
        let path = SubPath::parse("rpc.admin").unwrap();
        assert_eq!(
            (path.top().as_str(), path.nested()),
            ("rpc", &["admin".to_owned()][..])
        );
        assert_eq!(path.to_string(), "rpc.admin");
        for bad in ["rpc..x", "rpc/x", "../rpc", "Rpc", "rpc."] {
            let err = SubPath::parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
        assert!(PluginName::parse_in(&path, "admin").is_err());
        assert!(PluginName::parse_in(&path, "users").is_ok());
    }
}
