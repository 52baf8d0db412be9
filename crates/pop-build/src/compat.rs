//! One runtime serves an app and every pop crate it depends on. Cargo is
//! asked for the runtime by a version requirement any release meets, so it
//! always builds one copy; whether each crate was made for that copy is
//! checked here, where the message can name both versions and the fix.

use std::fmt;
use std::path::Path;

use crate::{Error, RUNTIME_VERSION};

/// The record `pop-create` keeps at a crate's root.
const RECORD: &str = ".pop-create.toml";

/// A `major.minor.patch` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl Version {
    /// Reads `1.2.3` (a pre-release or build suffix is ignored).
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|part| part.parse::<u64>().ok());
        let version = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next().unwrap_or(Some(0))?,
        };
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// True when code made for `made_for` builds against `runtime`, by semver:
/// the same major version, and for 0.x the same minor version.
pub fn compatible(made_for: Version, runtime: Version) -> bool {
    match (made_for.major, runtime.major) {
        (0, 0) => made_for.minor == runtime.minor,
        (a, b) => a == b,
    }
}

fn runtime() -> Version {
    Version::parse(RUNTIME_VERSION).expect("the runtime's own version parses")
}

/// The pop-create version a crate's record names, if it has a record.
fn recorded(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(RECORD)).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "pop-create").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Checks that the crate at `root` was made for this runtime; returns the
/// version it was made for (this runtime's, for a crate without a record).
pub(crate) fn check_self(root: &Path, name: &str) -> Result<String, Error> {
    if root.join(RECORD).is_file() {
        println!("cargo::rerun-if-changed={RECORD}");
    }
    let Some(text) = recorded(root) else {
        return Ok(RUNTIME_VERSION.to_owned());
    };
    let made_for = Version::parse(&text).ok_or_else(|| {
        Error::new(format!(
            "{RECORD}: `pop-create = \"{text}\"` is not a version"
        ))
        .hint("restore the version pop-create wrote there")
    })?;
    let runtime = runtime();
    if compatible(made_for, runtime) {
        return Ok(text);
    }
    Err(if made_for < runtime {
        Error::new(format!(
            "`{name}` was made for pop runtime {made_for}, but this build uses the runtime {runtime} (one runtime serves an app and every pop crate it depends on)"
        ))
        .hint(format!(
            "bring `{name}` to {runtime} with `pop-create update` in {}",
            root.display()
        ))
    } else {
        Error::new(format!(
            "`{name}` was made for pop runtime {made_for}, newer than the runtime {runtime} this build uses (one runtime serves an app and every pop crate it depends on)"
        ))
        .hint(format!(
            "bring the app to {made_for} with `pop-create update` (pop-create {made_for} or later) in its directory"
        ))
    })
}

/// The direct dependencies that are pop crates, sorted. Their build scripts
/// publish `pop_crate` and `pop_runtime`, which Cargo hands to this one as
/// `DEP_<LINKS>_POP_CRATE` and `DEP_<LINKS>_POP_RUNTIME`.
pub(crate) fn pop_dependencies(
    vars: impl Iterator<Item = (String, String)>,
) -> Result<Vec<String>, Error> {
    let vars: Vec<(String, String)> = vars.filter(|(key, _)| key.starts_with("DEP_")).collect();
    let mut crates = Vec::new();
    for (key, name) in &vars {
        let Some(links) = key.strip_suffix("_POP_CRATE") else {
            continue;
        };
        let runtime_key = format!("{links}_POP_RUNTIME");
        let made_for = vars
            .iter()
            .find(|(key, _)| *key == runtime_key)
            .and_then(|(_, value)| Version::parse(value));
        match made_for {
            Some(version) if compatible(version, runtime()) => crates.push(name.clone()),
            Some(version) => {
                return Err(Error::new(format!(
                    "the pop crate `{name}` was made for pop runtime {version}, but this build uses the runtime {}",
                    runtime()
                ))
                .hint("bring both to one pop-create version with `pop-create update` in each"));
            }
            None => {
                return Err(Error::new(format!(
                    "the pop crate `{name}` was made by an earlier pop-create (0.1), whose runtime cannot serve beside the runtime {} this build uses",
                    runtime()
                ))
                .hint(format!("bring `{name}` up to date with `pop-create update` in its directory")));
            }
        }
    }
    crates.sort();
    crates.dedup();
    Ok(crates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn versions_parse_and_compare_by_semver() {
        assert_eq!(
            v("0.2.1"),
            Version {
                major: 0,
                minor: 2,
                patch: 1
            }
        );
        assert_eq!(v("1.4"), v("1.4.0"));
        assert_eq!(v("0.3.0-beta.1"), v("0.3.0"));
        assert!(Version::parse("x").is_none() && Version::parse("1.2.3.4").is_none());
        assert!(compatible(v("0.2.0"), v("0.2.9")));
        assert!(!compatible(v("0.1.0"), v("0.2.0")));
        assert!(compatible(v("1.0.0"), v("1.7.0")));
        assert!(!compatible(v("1.0.0"), v("2.0.0")));
    }

    #[test]
    fn dependencies_must_publish_a_compatible_runtime() {
        let vars = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let ok = pop_dependencies(vars(&[
            ("DEP_POP_EXT_POP_CRATE", "ext"),
            ("DEP_POP_EXT_POP_RUNTIME", RUNTIME_VERSION),
            ("DEP_POP_ABC_POP_CRATE", "abc"),
            ("DEP_POP_ABC_POP_RUNTIME", RUNTIME_VERSION),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(ok, ["abc", "ext"]);
        let old = pop_dependencies(vars(&[("DEP_POP_EXT_POP_CRATE", "ext")])).unwrap_err();
        assert!(old.message().contains("earlier pop-create"), "{old}");
        assert!(old.hint_text().unwrap().contains("pop-create update"));
        let other = pop_dependencies(vars(&[
            ("DEP_POP_EXT_POP_CRATE", "ext"),
            ("DEP_POP_EXT_POP_RUNTIME", "9.0.0"),
        ]))
        .unwrap_err();
        assert!(other.message().contains("9.0.0"), "{other}");
    }

    #[test]
    fn a_crate_made_for_another_runtime_names_both_versions_and_the_fix() {
        let root = std::env::temp_dir().join(format!("pop-build-compat-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join(RECORD), "pop-create = \"0.1.0\"\n").unwrap();
        let err = check_self(&root, "ext").unwrap_err();
        assert!(
            err.message().contains("0.1.0") && err.message().contains(RUNTIME_VERSION),
            "{err}"
        );
        assert!(err.hint_text().unwrap().contains("pop-create update"));
        std::fs::write(root.join(RECORD), "pop-create = \"99.0.0\"\n").unwrap();
        let err = check_self(&root, "ext").unwrap_err();
        assert!(err.message().contains("newer"), "{err}");
        std::fs::write(
            root.join(RECORD),
            format!("pop-create = \"{RUNTIME_VERSION}\"\n"),
        )
        .unwrap();
        assert_eq!(check_self(&root, "ext").unwrap(), RUNTIME_VERSION);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
