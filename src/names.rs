//! Names checked once, then carried as types: a command turns the text the
//! user typed into a [`ProjectName`], [`SubName`], [`SubPath`] or
//! [`PluginName`], and nothing past it handles an unchecked name. The rules
//! themselves are pop-build's ([`pop_build::names`]), shared with the build.

use std::fmt;

use pop_build::names::{self, NameKind};

use crate::error::Result;

/// A valid project (Cargo package) name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    /// Checks a project name.
    pub fn parse(text: &str) -> Result<Self> {
        names::validate(NameKind::Project, text)?;
        Ok(ProjectName(text.to_owned()))
    }

    /// The package name, as typed (`my-app`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Rust name: the config namespace and the spine sub (`my_app`).
    pub fn crate_name(&self) -> String {
        names::crate_name(&self.0)
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
