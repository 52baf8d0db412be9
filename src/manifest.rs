//! A project's `Cargo.toml`: how it is wired to the runtime, edited in place
//! with everything the user wrote kept (comments and layout included).
//!
//! One set of functions states the wiring, so `new`, `add-sub`,
//! `remove-sub` and `update` cannot disagree about it.

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value, value};

use crate::error::{Error, Result};
use crate::templates::RUNTIME_DIR;

/// The version requirement generated crates put on the runtime. Any release
/// meets it, so Cargo always builds one runtime for an app and every pop
/// crate it depends on; pop-build then checks that each crate was made for
/// that runtime, and names both versions and the fix when one was not.
pub const RUNTIME_REQUIREMENT: &str = ">=0.2";

/// The runtime feature a router sub needs.
pub const ROUTER_FEATURE: &str = "router";

/// The runtime's feature of beacons and flows over NATS JetStream.
pub const BUS_FEATURE: &str = "bus";

const POP_COMMENT: &str = "\
# The pop runtime, `pop` in code. Cargo may take any release, so that one copy
# serves the app and every pop crate it depends on; the build checks that each
# was made for it, and `pop-create update` brings one that was not.
";

const PATCH_COMMENT: &str = "
# The runtime's crates are not on crates.io yet: the copy in runtime/ stands in
# for them (only the workspace root's patch counts, so it serves every crate
# of the build). Once they are published, delete runtime/ and this table.
";

const WORKSPACE_COMMENT: &str = "
# A workspace of its own, so the project builds wherever it is. Vertical crates
# made inside it become members; the runtime copy is not one.
";

/// A `Cargo.toml`, parsed with its layout, its line endings and its
/// byte-order mark, so that an edit changes only the lines pop-create owns.
#[derive(Debug)]
pub struct Manifest {
    document: DocumentMut,
    /// The file started with a UTF-8 byte-order mark.
    bom: bool,
    /// The file's lines end in CRLF.
    crlf: bool,
}

impl Manifest {
    /// Parses a manifest; `path` is for messages.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(body) => (true, body),
            None => (false, text),
        };
        let document = body.parse().map_err(|err| {
            Error::toml(path, body, &err)
                .hint("fix it so cargo can read it, then run the command again")
        })?;
        Ok(Manifest {
            document,
            bom,
            crlf: body.contains("\r\n"),
        })
    }

    /// The text, as edited, with the file's own line endings and mark.
    pub fn text(&self) -> String {
        let mut text = self.document.to_string();
        if self.crlf {
            text = text.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        text
    }

    /// `[package] name`.
    pub fn package_name(&self) -> Option<&str> {
        self.document.get("package")?.get("name")?.as_str()
    }

    /// `[package] edition` (rustfmt formats by it).
    pub fn edition(&self) -> &str {
        self.document
            .get("package")
            .and_then(|p| p.get("edition"))
            .and_then(Item::as_str)
            .unwrap_or("2015")
    }

    fn table(&mut self, name: &str) -> Result<&mut Table> {
        let item = self
            .document
            .entry(name)
            .or_insert_with(|| Item::Table(Table::new()));
        item.as_table_mut()
            .ok_or_else(|| Error::failure(format!("[{name}] in Cargo.toml is not a table")))
    }

    /// Wires the crate to the runtime by version: `pop` and `pop-build`, and,
    /// where the crate is a workspace root that carries the runtime copy, the
    /// patch that points Cargo at it and the workspace that leaves it out.
    /// pop-create 0.1.0's path dependencies on `runtime/` are replaced (its
    /// `pop-router` becomes the `router` feature). The `pop` line keeps its
    /// features and the user's comments.
    pub fn wire_runtime(&mut self, vendored: bool) -> Result<()> {
        let dependencies = self.table("dependencies")?;
        let old_router = dependencies.remove("pop-router").is_some();
        let mut features: Vec<String> = dependencies
            .get("pop")
            .and_then(|pop| pop.get("features"))
            .and_then(Item::as_array)
            .map(|array| {
                array
                    .iter()
                    .filter_map(|f| f.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let add_router = old_router && !features.iter().any(|f| f == ROUTER_FEATURE);
        if add_router {
            features.push(ROUTER_FEATURE.to_owned());
        }
        match dependencies
            .get_mut("pop")
            .and_then(Item::as_table_like_mut)
        {
            // A table of the user's (inline, `[dependencies.pop]` or dotted
            // keys) keeps every key and comment: only the source changes.
            Some(pop) => {
                pop.remove("path");
                set_keeping_decor(pop, "package", "pop-hub".into());
                set_keeping_decor(pop, "version", RUNTIME_REQUIREMENT.into());
                if add_router {
                    set_keeping_decor(
                        pop,
                        "features",
                        Value::Array(features.iter().collect::<Array>()),
                    );
                }
            }
            None => {
                let mut pop = InlineTable::new();
                pop.insert("package", "pop-hub".into());
                pop.insert("version", RUNTIME_REQUIREMENT.into());
                if !features.is_empty() {
                    pop.insert("features", Value::Array(features.iter().collect::<Array>()));
                }
                match dependencies.get_mut("pop") {
                    // A plain version string: replacing the value keeps the key and its comments.
                    Some(item) => *item = value(pop),
                    None => {
                        dependencies.insert("pop", value(pop));
                        if let Some(mut key) = dependencies.key_mut("pop") {
                            key.leaf_decor_mut().set_prefix(POP_COMMENT);
                        }
                    }
                }
            }
        }
        let build = self.table("build-dependencies")?;
        match build.get_mut("pop-build") {
            Some(item) => match item.as_table_like_mut() {
                Some(table) => {
                    table.remove("path");
                    set_keeping_decor(table, "version", RUNTIME_REQUIREMENT.into());
                }
                None => set_value_keeping_decor(item, RUNTIME_REQUIREMENT.into()),
            },
            None => {
                build.insert("pop-build", value(RUNTIME_REQUIREMENT));
            }
        }
        if vendored {
            let patch = self.table("patch")?;
            patch.set_implicit(true);
            let crates_io = patch
                .entry("crates-io")
                .or_insert_with(|| {
                    let mut table = Table::new();
                    table.decor_mut().set_prefix(PATCH_COMMENT);
                    Item::Table(table)
                })
                .as_table_mut()
                .ok_or_else(|| Error::failure("[patch.crates-io] in Cargo.toml is not a table"))?;
            for krate in ["pop-hub", "pop-build"] {
                let mut path = InlineTable::new();
                path.insert("path", format!("{RUNTIME_DIR}/{krate}").into());
                crates_io.insert(krate, value(path));
            }
            self.exclude_from_workspace(RUNTIME_DIR)?;
        }
        Ok(())
    }

    /// Ensures a `[workspace]` (the crate is a root) that excludes `dir`.
    fn exclude_from_workspace(&mut self, dir: &str) -> Result<()> {
        let fresh = !self.document.contains_key("workspace");
        let workspace = self.table("workspace")?;
        if fresh {
            workspace.decor_mut().set_prefix(WORKSPACE_COMMENT);
        }
        let exclude = workspace
            .entry("exclude")
            .or_insert_with(|| value(Array::new()))
            .as_array_mut()
            .ok_or_else(|| Error::failure("`workspace.exclude` in Cargo.toml is not an array"))?;
        if !exclude.iter().any(|d| d.as_str() == Some(dir)) {
            exclude.push(dir);
        }
        Ok(())
    }

    /// Whether `pop` has the `router` feature.
    pub fn has_router(&self) -> bool {
        self.document
            .get("dependencies")
            .and_then(|d| d.get("pop"))
            .and_then(|pop| pop.get("features"))
            .and_then(Item::as_array)
            .is_some_and(|features| features.iter().any(|f| f.as_str() == Some(ROUTER_FEATURE)))
            || self
                .document
                .get("dependencies")
                .is_some_and(|d| d.get("pop-router").is_some())
    }

    /// Turns the `router` feature of `pop` on or off; true when that changed
    /// the manifest.
    pub fn set_router(&mut self, on: bool) -> Result<bool> {
        if self.has_router() == on {
            return Ok(false);
        }
        self.set_feature(ROUTER_FEATURE, on)
    }

    /// Whether `pop` has the `bus` feature (the NATS JetStream client).
    pub fn has_bus(&self) -> bool {
        self.document
            .get("dependencies")
            .and_then(|d| d.get("pop"))
            .and_then(|pop| pop.get("features"))
            .and_then(Item::as_array)
            .is_some_and(|features| features.iter().any(|f| f.as_str() == Some(BUS_FEATURE)))
    }

    /// Turns the `bus` feature of `pop` on or off; true when that changed
    /// the manifest.
    pub fn set_bus(&mut self, on: bool) -> Result<bool> {
        if self.has_bus() == on {
            return Ok(false);
        }
        self.set_feature(BUS_FEATURE, on)
    }

    /// Adds `feature` to the features of `pop`, or takes it out.
    fn set_feature(&mut self, feature: &str, on: bool) -> Result<bool> {
        let pop = self
            .table("dependencies")?
            .get_mut("pop")
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| {
                Error::failure("Cargo.toml has no `pop = { package = \"pop-hub\", … }` dependency")
                    .hint("restore it, or run `pop-create update`")
            })?;
        let features = pop
            .entry("features")
            .or_insert(value(Array::new()))
            .as_array_mut()
            .ok_or_else(|| {
                Error::failure("the features of `pop` in Cargo.toml are not an array")
            })?;
        if on {
            features.push(feature);
        } else {
            features.retain(|f| f.as_str() != Some(feature));
            if features.is_empty() {
                pop.remove("features");
            }
        }
        if let Some(inline) = self
            .table("dependencies")?
            .get_mut("pop")
            .and_then(Item::as_inline_table_mut)
        {
            // `{ a = 1, b = 2 }` spaced as Cargo writes it, after a key came or went.
            inline.fmt();
        }
        Ok(true)
    }

    /// Makes `member` a member of this workspace root; false when it is one already.
    pub fn add_workspace_member(&mut self, member: &str) -> Result<bool> {
        let workspace = self.table("workspace")?;
        let members = workspace
            .entry("members")
            .or_insert_with(|| value(Array::new()))
            .as_array_mut()
            .ok_or_else(|| Error::failure("`workspace.members` in Cargo.toml is not an array"))?;
        if members.iter().any(|m| m.as_str() == Some(member)) {
            return Ok(false);
        }
        members.push(member);
        Ok(true)
    }

    /// The workspace members this root lists.
    pub fn workspace_members(&self) -> Vec<String> {
        self.document
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `path` of every `[dependencies]` entry that has one.
    pub fn path_dependencies(&self) -> Vec<String> {
        self.document
            .get("dependencies")
            .and_then(Item::as_table_like)
            .map(|deps| {
                deps.iter()
                    .filter_map(|(_, dep)| dep.get("path")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ensures `[package] rust-version`, and for an app that release builds
    /// keep overflow checks (what pop-create 0.1.0 did not write).
    pub fn ensure_safe_defaults(&mut self, rust_version: &str, app: bool) -> Result<()> {
        let package = self.table("package")?;
        if !package.contains_key("rust-version") {
            package.insert("rust-version", value(rust_version));
        }
        if app {
            let profile = self.table("profile")?;
            profile.set_implicit(true);
            let release = profile
                .entry("release")
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_mut()
                .ok_or_else(|| Error::failure("[profile.release] in Cargo.toml is not a table"))?;
            if !release.contains_key("overflow-checks") {
                release.insert("overflow-checks", value(true));
            }
        }
        Ok(())
    }

    /// Gives an app's dependencies line tables only in debug builds, as `new`
    /// does since 0.2.0, unless the app already says something about its
    /// dependencies' dev profile.
    pub fn add_lean_dependency_debug_info(&mut self) -> Result<()> {
        let profile = self.table("profile")?;
        profile.set_implicit(true);
        let mut implicit = Table::new();
        implicit.set_implicit(true);
        let dev = profile
            .entry("dev")
            .or_insert_with(|| Item::Table(implicit.clone()))
            .as_table_mut()
            .ok_or_else(|| Error::failure("[profile.dev] in Cargo.toml is not a table"))?;
        let packages = dev
            .entry("package")
            .or_insert_with(|| Item::Table(implicit))
            .as_table_mut()
            .ok_or_else(|| Error::failure("[profile.dev.package] in Cargo.toml is not a table"))?;
        if !packages.contains_key("*") {
            let mut dependencies = Table::new();
            dependencies.insert("debug", value("line-tables-only"));
            dependencies.decor_mut().set_prefix(
                "\n# Added by pop-create update: dependencies keep file and line for\n# backtraces, not full debug info, so fresh debug builds are faster.\n",
            );
            packages.insert("*", Item::Table(dependencies));
        }
        Ok(())
    }

    /// Sets `[package] license`, or removes it for `none`.
    pub fn set_license(&mut self, spdx: &str) -> Result<()> {
        let package = self.table("package")?;
        if spdx == "none" {
            package.remove("license");
        } else {
            package.insert("license", value(spdx));
        }
        Ok(())
    }
}

/// Sets `key` of a table to `new`, keeping the comments and spacing around
/// the value it replaces.
fn set_keeping_decor(table: &mut dyn toml_edit::TableLike, key: &str, new: Value) {
    match table.get_mut(key) {
        Some(item) => set_value_keeping_decor(item, new),
        None => {
            table.insert(key, value(new));
        }
    }
}

fn set_value_keeping_decor(item: &mut Item, mut new: Value) {
    if let Some(old) = item.as_value() {
        if old.to_string().trim() == new.to_string().trim() {
            return;
        }
        *new.decor_mut() = old.decor().clone();
    }
    *item = Item::Value(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        Manifest::parse(Path::new("Cargo.toml"), text).unwrap()
    }

    #[test]
    fn a_new_app_is_wired_by_version_with_the_patch_and_its_own_workspace() {
        let mut m =
            manifest("[package]\nname = \"poppy\"\n\n[dependencies]\n\n[build-dependencies]\n");
        m.wire_runtime(true).unwrap();
        let text = m.text();
        assert!(text.contains("# The pop runtime"), "{text}");
        assert!(
            text.contains("pop = { package = \"pop-hub\", version = \">=0.2\" }\n"),
            "{text}"
        );
        assert!(
            text.contains("[build-dependencies]\npop-build = \">=0.2\"\n"),
            "{text}"
        );
        assert!(text.contains("[patch.crates-io]\npop-hub = { path = \"runtime/pop-hub\" }\npop-build = { path = \"runtime/pop-build\" }\n"), "{text}");
        assert!(
            text.contains("[workspace]\nexclude = [\"runtime\"]\n"),
            "{text}"
        );
        let mut again = manifest(&text);
        again.wire_runtime(true).unwrap();
        assert_eq!(again.text(), text, "wiring twice changes nothing");
    }

    #[test]
    fn the_router_is_a_feature_turned_on_and_off() {
        let mut m =
            manifest("[package]\nname = \"poppy\"\n[dependencies]\n# mine\nanyhow = \"1\"\n");
        m.wire_runtime(false).unwrap();
        assert!(!m.has_router());
        assert!(m.set_router(true).unwrap());
        assert!(!m.set_router(true).unwrap(), "already on");
        assert!(
            m.text().contains(
                "pop = { package = \"pop-hub\", version = \">=0.2\", features = [\"router\"] }"
            ),
            "{}",
            m.text()
        );
        assert!(m.set_router(false).unwrap());
        assert!(
            m.text()
                .contains("pop = { package = \"pop-hub\", version = \">=0.2\" }"),
            "{}",
            m.text()
        );
        assert!(m.text().contains("# mine\nanyhow = \"1\"\n"));
    }

    #[test]
    fn a_0_1_0_manifest_is_rewired_keeping_the_users_lines() {
        let old = "# my app\n[package]\nname = \"poppy\" # the name\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\npop = { path = \"runtime/pop\" }\npop-router = { path = \"runtime/pop-router\" }\nserde = \"1\" # mine\n\n[build-dependencies]\npop-build = { path = \"runtime/pop-build\" }\n\n[workspace]\nmembers = [\"ext\"]\nexclude = [\"runtime\"]\n";
        let mut m = manifest(old);
        m.wire_runtime(true).unwrap();
        m.ensure_safe_defaults("1.85", true).unwrap();
        m.add_lean_dependency_debug_info().unwrap();
        let text = m.text();
        assert!(
            text.starts_with("# my app\n[package]\nname = \"poppy\" # the name\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "pop = { package = \"pop-hub\", version = \">=0.2\", features = [\"router\"] }"
            ),
            "{text}"
        );
        assert!(
            !text.contains("pop-router") && !text.contains("runtime/pop\""),
            "{text}"
        );
        assert!(text.contains("serde = \"1\" # mine"), "{text}");
        assert!(
            text.contains("members = [\"ext\"]\nexclude = [\"runtime\"]"),
            "{text}"
        );
        assert!(text.contains("rust-version = \"1.85\""), "{text}");
        assert!(
            text.contains("[profile.release]\noverflow-checks = true"),
            "{text}"
        );
        assert!(
            text.contains("backtraces, not full debug info, so fresh debug builds are faster.\n[profile.dev.package.\"*\"]\ndebug = \"line-tables-only\"\n"),
            "{text}"
        );
        assert!(!text.contains("[profile.dev]"), "{text}");
    }

    #[test]
    fn an_apps_own_dependency_dev_profile_is_kept() {
        let mut m =
            manifest("[package]\nname = \"a\"\n\n[profile.dev.package.\"*\"]\nopt-level = 1\n");
        m.add_lean_dependency_debug_info().unwrap();
        assert_eq!(
            m.text(),
            "[package]\nname = \"a\"\n\n[profile.dev.package.\"*\"]\nopt-level = 1\n"
        );
    }

    /// Issue 18: what the user wrote around the `pop` dependency survives
    /// `update`'s rewiring and `remove-sub`'s feature edit.
    #[test]
    fn the_users_keys_comments_styles_line_endings_and_mark_are_kept() {
        let inline = "[package]\nname = \"a\"\n[dependencies]\npop = { package = \"pop-hub\", version = \">=0.2\", default-features = false, optional = true, features = [\"router\"] } # mine\n";
        let mut m = manifest(inline);
        m.wire_runtime(false).unwrap();
        m.set_router(false).unwrap();
        let text = m.text();
        assert!(
            text.contains("default-features = false, optional = true") && text.contains("# mine"),
            "{text}"
        );

        let table = "[package]\nname = \"a\"\n\n# the runtime\n[dependencies.pop]\n# which package\npackage = \"pop-hub\" # kept\nversion = \">=0.2\"\ndefault-features = false\nfeatures = [\"router\"]\n\n[build-dependencies]\npop-build = \">=0.2\" # the build's\n";
        let mut m = manifest(table);
        m.wire_runtime(false).unwrap();
        assert_eq!(m.text(), table, "nothing to change in an up-to-date table");
        m.set_router(false).unwrap();
        let text = m.text();
        assert!(
            text.contains(
                "# the runtime\n[dependencies.pop]\n# which package\npackage = \"pop-hub\" # kept\n"
            ),
            "{text}"
        );
        assert!(text.contains("default-features = false"), "{text}");

        let dotted = "[package]\nname = \"a\"\n[dependencies]\npop.package = \"pop-hub\"\npop.version = \">=0.1\"\npop.default-features = false\n";
        let mut m = manifest(dotted);
        m.wire_runtime(false).unwrap();
        let text = m.text();
        assert!(
            text.contains("pop.version = \">=0.2\"\npop.default-features = false\n"),
            "{text}"
        );

        let crlf =
            "\u{feff}[package]\r\nname = \"a\" # mine\r\n\r\n[dependencies]\r\nserde = \"1\"\r\n";
        let mut m = manifest(crlf);
        m.wire_runtime(true).unwrap();
        m.set_router(true).unwrap();
        let text = m.text();
        assert!(
            text.starts_with("\u{feff}[package]\r\nname = \"a\" # mine\r\n"),
            "{text:?}"
        );
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "every line ends in CRLF: {text:?}"
        );
        assert!(text.contains("features = [\"router\"]"), "{text:?}");
    }
}
