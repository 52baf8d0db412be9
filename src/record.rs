//! `.pop-create.toml`: what a project was generated with.
//!
//! It records the pop-create version, the answers given, the subs and
//! plugins added, and a SHA-256 of each file as pop-create last wrote it, so
//! that a later `update` can tell files nobody touched from edited ones.

use std::path::Path;

use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::error::{Error, Result};

/// The record's file name, at the project root.
pub const FILE: &str = ".pop-create.toml";

const HEADER: &str = "\
# Written by pop-create: the version and answers this project was generated
# with, and a hash of each file as pop-create last wrote it, so a later
# `pop-create update` can tell untouched files from edited ones. Keep it in
# version control.
";

/// The answers `new` was given.
pub struct Answers<'a> {
    /// The project name.
    pub name: &'a str,
    /// Whether it is a vertical crate (no entry point).
    pub vertical: bool,
    /// Extra dynes asked for.
    pub dynes: &'a [String],
    /// `git` or `none`.
    pub vcs: &'a str,
}

/// A new record for a project `new` just generated.
pub fn new(answers: &Answers<'_>, subs: &[(&str, &str)]) -> DocumentMut {
    let mut document = DocumentMut::new();
    document["pop-create"] = value(env!("CARGO_PKG_VERSION"));
    let mut table = Table::new();
    table["name"] = value(answers.name);
    table["vertical"] = value(answers.vertical);
    table["dynes"] = value(answers.dynes.iter().collect::<Array>());
    table["vcs"] = value(answers.vcs);
    document["answers"] = Item::Table(table);
    document["subs"] = Item::Table(Table::new());
    for (sub, pattern) in subs {
        document["subs"][*sub] = value(*pattern);
    }
    document["plugins"] = value(Array::new());
    document["files"] = Item::Table(Table::new());
    document
}

/// Reads the record of an existing project; a project without one gets a fresh record.
pub fn open(root: &Path) -> Result<(Option<String>, DocumentMut)> {
    let path = root.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let document = text.parse().map_err(|err| {
                Error::toml(&path, &text, &err)
                    .hint("fix it, or delete it to let pop-create start a new record")
            })?;
            Ok((Some(text), document))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut document = DocumentMut::new();
            document["pop-create"] = value(env!("CARGO_PKG_VERSION"));
            Ok((None, document))
        }
        Err(err) => Err(Error::io("read", &path, err)),
    }
}

/// The record as text, starting with the comment that says what it is.
pub fn render(document: &DocumentMut) -> String {
    let text = document.to_string();
    if text.starts_with(HEADER) {
        text
    } else {
        format!("{HEADER}{text}")
    }
}

/// Records the hash of a file pop-create writes.
pub fn hash_file(document: &mut DocumentMut, path: &Path, contents: &[u8]) {
    let files = document
        .entry("files")
        .or_insert_with(|| Item::Table(Table::new()));
    files[path.to_string_lossy().as_ref()] = value(format!("sha256:{}", sha256(contents)));
}

/// Records a sub added with `add-sub`.
pub fn add_sub(document: &mut DocumentMut, sub: &str, pattern: &str) {
    let subs = document
        .entry("subs")
        .or_insert_with(|| Item::Table(Table::new()));
    subs[sub] = value(pattern);
}

/// Records a plugin added with `add-plugin`.
pub fn add_plugin(document: &mut DocumentMut, reference: &str) {
    let plugins = document
        .entry("plugins")
        .or_insert_with(|| value(Array::new()));
    if let Some(array) = plugins.as_array_mut() {
        if !array.iter().any(|v| v.as_str() == Some(reference)) {
            array.push(reference);
        }
    }
}

fn sha256(contents: &[u8]) -> String {
    Sha256::digest(contents)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_answers_subs_plugins_and_hashes() {
        let dynes = vec!["rpc".to_owned()];
        let mut record = new(
            &Answers {
                name: "poppy",
                vertical: false,
                dynes: &dynes,
                vcs: "git",
            },
            &[("poppy", "spine")],
        );
        hash_file(&mut record, Path::new("src/main.rs"), b"fn main() {}\n");
        add_sub(&mut record, "rpc", "router");
        add_plugin(&mut record, "rpc.math");
        add_plugin(&mut record, "rpc.math");
        let text = render(&record);
        assert_eq!(
            render(&text.parse().unwrap()),
            text,
            "the header is written once"
        );
        assert!(text.starts_with("# Written by pop-create"));
        let parsed: DocumentMut = text.parse().unwrap();
        assert_eq!(
            parsed["pop-create"].as_str(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(parsed["answers"]["name"].as_str(), Some("poppy"));
        assert_eq!(parsed["answers"]["dynes"].as_array().unwrap().len(), 1);
        assert_eq!(parsed["subs"]["rpc"].as_str(), Some("router"));
        assert_eq!(parsed["plugins"].as_array().unwrap().len(), 1);
        let hash = format!("sha256:{}", sha256(b"fn main() {}\n"));
        assert_eq!(parsed["files"]["src/main.rs"].as_str(), Some(hash.as_str()));
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_broken_record_is_reported_on_one_line() {
        let root = std::env::temp_dir().join(format!("pop-create-record-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join(FILE), "pop-create = \"0.1.0\"\nx = [\n").unwrap();
        let err = open(&root).unwrap_err();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(err.exit_code(), 1);
        assert!(!err.message().contains('\n'), "{}", err.message());
        assert!(
            err.message().contains("line 2, column 6"),
            "{}",
            err.message()
        );
        assert!(err.hint_text().is_some());
    }
}
