//! `.pop-create.toml`: what a project was generated with.
//!
//! It records the pop-create version, the answers `new` was given, the subs
//! (in the order they were added, with their patterns) and plugins added
//! since, and a SHA-256 of each file as pop-create last wrote it. With the
//! version and the history, `update` can render what that version generated
//! (the base of a three-way merge); with the hashes it can tell the files
//! nobody touched from edited ones.

use std::path::Path;

use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::cli::{Ci, License};
use crate::error::{Error, Result};

/// The record's file name, at the project root.
pub const FILE: &str = ".pop-create.toml";

const HEADER: &str = "\
# Written by pop-create: the version and answers this project was generated
# with, the subs and plugins added since, and a hash of each file as
# pop-create last wrote it, so `pop-create update` can tell untouched files
# from edited ones. Keep it in version control.
";

/// The answers `new` was given: everything a template may depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// The project name (a Cargo package name).
    pub name: String,
    /// A vertical crate (no entry point)?
    pub vertical: bool,
    /// A member of an app's workspace (it uses the app's runtime)?
    pub member: bool,
    /// Extra dynes asked for at `new`.
    pub dynes: Vec<String>,
    /// `git` or `none`.
    pub vcs: String,
    /// The licence.
    pub license: License,
    /// The CI provider.
    pub ci: Ci,
    /// The author, for the licence and the manifest, if known.
    pub author: Option<String>,
    /// The year the project was made, for the licence.
    pub year: u32,
}

/// The record of one project.
#[derive(Debug)]
pub struct Record {
    /// The text read, `None` for a project without a record yet.
    pub before: Option<String>,
    document: DocumentMut,
}

impl Record {
    /// A fresh record for a project `new` is about to generate.
    pub fn new(answers: &Answers) -> Record {
        let mut document = DocumentMut::new();
        document["pop-create"] = value(env!("CARGO_PKG_VERSION"));
        let mut table = Table::new();
        table["name"] = value(&answers.name);
        table["vertical"] = value(answers.vertical);
        if answers.member {
            table["member"] = value(true);
        }
        table["dynes"] = value(answers.dynes.iter().collect::<Array>());
        table["vcs"] = value(&answers.vcs);
        table["license"] = value(answers.license.spdx());
        table["ci"] = value(answers.ci.name());
        if let Some(author) = &answers.author {
            table["author"] = value(author);
        }
        table["year"] = value(i64::from(answers.year));
        document["answers"] = Item::Table(table);
        document["plugins"] = value(Array::new());
        document["subs"] = Item::Table(Table::new());
        document["files"] = Item::Table(Table::new());
        Record {
            before: None,
            document,
        }
    }

    /// Reads the record of the project at `root`, if it has one.
    pub fn read(root: &Path) -> Result<Option<Record>> {
        let path = root.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::io("read", &path, err)),
        };
        let document = text.parse().map_err(|err| {
            Error::toml(&path, &text, &err)
                .hint("fix it, or delete it to let pop-create start a new record")
        })?;
        Ok(Some(Record {
            before: Some(text),
            document,
        }))
    }

    /// The record of the project at `root`, or a fresh one when it has none
    /// (a project made by hand).
    pub fn open(root: &Path) -> Result<Record> {
        Ok(Record::read(root)?.unwrap_or_else(|| {
            let mut document = DocumentMut::new();
            document["pop-create"] = value(env!("CARGO_PKG_VERSION"));
            Record {
                before: None,
                document,
            }
        }))
    }

    /// The pop-create version that last wrote the project.
    pub fn version(&self) -> Option<&str> {
        self.document.get("pop-create").and_then(Item::as_str)
    }

    /// Notes that this pop-create version now wrote the project.
    pub fn set_version(&mut self) {
        self.document["pop-create"] = value(env!("CARGO_PKG_VERSION"));
    }

    /// The answers `new` was given; a record of an earlier version lacks the
    /// later questions, whose answers are then what that version did (no
    /// licence, no CI).
    pub fn answers(&self) -> Result<Answers> {
        let table = self.document.get("answers").ok_or_else(|| {
            Error::failure(format!("{FILE} has no [answers] table"))
                .hint("restore it from version control")
        })?;
        let text = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_owned);
        let flag = |key: &str| table.get(key).and_then(Item::as_bool).unwrap_or(false);
        let name = text("name").ok_or_else(|| {
            Error::failure(format!("{FILE}: [answers] has no `name`"))
                .hint("restore it from version control")
        })?;
        let license = match text("license") {
            Some(spdx) => License::from_spdx(&spdx).ok_or_else(|| {
                Error::failure(format!(
                    "{FILE}: the licence `{spdx}` is not one pop-create knows"
                ))
                .hint("use MIT, Apache-2.0, MIT OR Apache-2.0 or none")
            })?,
            None => License::None,
        };
        let ci = match text("ci") {
            Some(name) => Ci::from_name(&name).ok_or_else(|| {
                Error::failure(format!(
                    "{FILE}: the CI `{name}` is not one pop-create knows"
                ))
                .hint("use github, gitlab or none")
            })?,
            None => Ci::None,
        };
        let dynes = table
            .get("dynes")
            .and_then(Item::as_array)
            .map(|array| {
                array
                    .iter()
                    .filter_map(|d| d.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Answers {
            name,
            vertical: flag("vertical"),
            member: flag("member"),
            dynes,
            vcs: text("vcs").unwrap_or_else(|| "none".into()),
            license,
            ci,
            author: text("author"),
            year: table
                .get("year")
                .and_then(Item::as_integer)
                .and_then(|year| u32::try_from(year).ok())
                .unwrap_or(2026),
        })
    }

    /// The subs pop-create made, in order, with their patterns.
    pub fn subs(&self) -> Vec<(String, String)> {
        self.document
            .get("subs")
            .and_then(Item::as_table_like)
            .map(|subs| {
                subs.iter()
                    .filter_map(|(sub, pattern)| {
                        Some((sub.to_owned(), pattern.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Notes a sub made with `new` or `add-sub`.
    pub fn add_sub(&mut self, sub: &str, pattern: &str) {
        let subs = self
            .document
            .entry("subs")
            .or_insert_with(|| Item::Table(Table::new()));
        subs[sub] = value(pattern);
    }

    /// Forgets a sub (`remove-sub`).
    pub fn remove_sub(&mut self, sub: &str) {
        if let Some(subs) = self
            .document
            .get_mut("subs")
            .and_then(Item::as_table_like_mut)
        {
            subs.remove(sub);
        }
    }

    /// The plugins pop-create made, as `sub.plugin` references.
    pub fn plugins(&self) -> Vec<String> {
        self.document
            .get("plugins")
            .and_then(Item::as_array)
            .map(|array| {
                array
                    .iter()
                    .filter_map(|p| p.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Notes a plugin made with `add-plugin`.
    pub fn add_plugin(&mut self, reference: &str) {
        let plugins = self
            .document
            .entry("plugins")
            .or_insert_with(|| value(Array::new()));
        if let Some(array) = plugins.as_array_mut() {
            if !array.iter().any(|v| v.as_str() == Some(reference)) {
                array.push(reference);
            }
        }
    }

    /// Forgets a plugin (`remove-plugin`).
    pub fn remove_plugin(&mut self, reference: &str) {
        if let Some(array) = self
            .document
            .get_mut("plugins")
            .and_then(Item::as_array_mut)
        {
            array.retain(|v| v.as_str() != Some(reference));
        }
    }

    /// The hash recorded for a file, if pop-create wrote it.
    pub fn hash(&self, path: &str) -> Option<&str> {
        self.document.get("files")?.get(path)?.as_str()
    }

    /// Every file pop-create wrote, with its recorded hash.
    pub fn files(&self) -> Vec<(String, String)> {
        self.document
            .get("files")
            .and_then(Item::as_table_like)
            .map(|files| {
                files
                    .iter()
                    .filter_map(|(path, hash)| Some((path.to_owned(), hash.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records the hash of a file pop-create writes.
    pub fn hash_file(&mut self, path: &Path, contents: &[u8]) {
        let files = self
            .document
            .entry("files")
            .or_insert_with(|| Item::Table(Table::new()));
        files[portable(path).as_str()] = value(sha256(contents));
    }

    /// Forgets a file pop-create deleted.
    pub fn forget_file(&mut self, path: &Path) {
        if let Some(files) = self
            .document
            .get_mut("files")
            .and_then(Item::as_table_like_mut)
        {
            files.remove(&portable(path));
        }
    }

    /// True when `contents` is what pop-create last wrote at `path`.
    pub fn untouched(&self, path: &Path, contents: &[u8]) -> bool {
        self.hash(&portable(path)) == Some(sha256(contents).as_str())
    }

    /// The record as text, starting with the comment that says what it is.
    pub fn render(&self) -> String {
        let text = self.document.to_string();
        if text.starts_with(HEADER) {
            text
        } else {
            format!("{HEADER}{text}")
        }
    }
}

/// A relative path as the record spells it on every platform.
pub fn portable(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `sha256:<hex>` of `contents`.
pub fn sha256(contents: &[u8]) -> String {
    let hex: String = Sha256::digest(contents)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            name: "poppy".into(),
            vertical: false,
            member: false,
            dynes: vec!["rpc".into()],
            vcs: "git".into(),
            license: License::MitOrApache,
            ci: Ci::Github,
            author: Some("Ada <ada@example.com>".into()),
            year: 2026,
        }
    }

    #[test]
    fn records_answers_subs_plugins_and_hashes() {
        let mut record = Record::new(&answers());
        record.hash_file(Path::new("src/main.rs"), b"fn main() {}\n");
        record.add_sub("poppy", "spine");
        record.add_sub("rpc", "router");
        record.add_plugin("rpc.math");
        record.add_plugin("rpc.math");
        let text = record.render();
        assert!(text.starts_with("# Written by pop-create"));
        let parsed = Record {
            before: Some(text.clone()),
            document: text.parse().unwrap(),
        };
        assert_eq!(parsed.render(), text, "the header is written once");
        assert_eq!(parsed.version(), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(parsed.answers().unwrap(), answers());
        assert_eq!(
            parsed.subs(),
            [
                ("poppy".into(), "spine".into()),
                ("rpc".into(), "router".into())
            ]
        );
        assert_eq!(parsed.plugins(), ["rpc.math"]);
        assert!(parsed.untouched(Path::new("src/main.rs"), b"fn main() {}\n"));
        assert!(!parsed.untouched(Path::new("src/main.rs"), b"fn main() { edited }\n"));
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_record_of_0_1_0_reads_with_the_answers_it_lacks() {
        let text = "pop-create = \"0.1.0\"\nplugins = []\n\n[answers]\nname = \"poppy\"\nvertical = false\ndynes = []\nvcs = \"none\"\n\n[subs]\npoppy = \"spine\"\n";
        let record = Record {
            before: Some(text.into()),
            document: text.parse().unwrap(),
        };
        let answers = record.answers().unwrap();
        assert_eq!((answers.license, answers.ci), (License::None, Ci::None));
        assert_eq!(record.version(), Some("0.1.0"));
    }
}
