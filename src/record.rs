//! `.pop-create.toml`: what a project was generated with.
//!
//! It records the pop-create version, the answers `new` was given, the subs
//! (in the order they were added, with their patterns) and plugins added
//! since, and a SHA-256 of each file as pop-create last wrote it. With the
//! version and the history, `update` can render what that version generated
//! (the base of a three-way merge); with the hashes it can tell the files
//! nobody touched from edited ones.
//!
//! A record travels with the project, so it is input like any other: a
//! cloned repository's record is read into the typed model once, through
//! the same checks as the command line (names as on `new`, paths relative
//! and inside the project, known patterns and choices, a size cap), and a
//! record that fails is refused with its line before anything is written.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::error::{Error, Result};
use crate::model::{Answers, Author, Ci, License, Pattern, PluginRef, ProjectPath, SubEntry, Vcs};
use crate::names::{PatternName, ProjectName, SubName};
use crate::template_set::SetRecord;

/// The record's file name, at the project root.
pub const FILE: &str = ".pop-create.toml";

/// The largest record pop-create reads: far more than any project's, far
/// less than would make reading it a burden.
const MAX_SIZE: u64 = 8 * 1024 * 1024;

const HEADER: &str = "\
# Written by pop-create: the version and answers this project was generated
# with, the subs and plugins added since, and a hash of each file as
# pop-create last wrote it, so `pop-create update` can tell untouched files
# from edited ones. Keep it in version control.
";

/// A SHA-256 of a file's contents, spelled `sha256:<hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHash(String);

impl FileHash {
    /// The hash of `contents`.
    pub fn of(contents: &[u8]) -> FileHash {
        let hex: String = Sha256::digest(contents)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        FileHash(format!("sha256:{hex}"))
    }

    /// Checks a recorded hash.
    pub fn parse(text: &str) -> Result<FileHash> {
        let well_formed = text.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        match well_formed {
            true => Ok(FileHash(text.to_owned())),
            false => Err(Error::usage(format!(
                "`{}` is not a hash pop-create wrote (`sha256:` and 64 hex digits)",
                text.escape_debug()
            ))),
        }
    }

    /// The spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The record of one project.
#[derive(Debug)]
pub struct Record {
    /// The text read, `None` for a project without a record yet.
    pub before: Option<String>,
    version: String,
    answers: Option<Answers>,
    subs: Vec<SubEntry>,
    plugins: Vec<PluginRef>,
    files: BTreeMap<ProjectPath, FileHash>,
    template: Option<SetRecord>,
}

impl Record {
    /// A fresh record for a project `new` is about to generate.
    pub fn new(answers: &Answers) -> Record {
        Record {
            answers: Some(answers.clone()),
            ..Record::empty()
        }
    }

    /// The record of a project made by hand, which has none yet.
    fn empty() -> Record {
        Record {
            before: None,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            answers: None,
            subs: Vec::new(),
            plugins: Vec::new(),
            files: BTreeMap::new(),
            template: None,
        }
    }

    /// Reads the record of the project at `root`, if it has one.
    pub fn read(root: &Path) -> Result<Option<Record>> {
        let path = root.join(FILE);
        match std::fs::symlink_metadata(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::io("read", &path, err)),
            Ok(meta) if !meta.is_file() => {
                return Err(Error::failure(format!(
                    "{FILE} is not a regular file (a link, a directory or a device)"
                ))
                .hint("restore it from version control"));
            }
            Ok(_) => {}
        }
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_SIZE + 1).read_to_string(&mut text))
            .map_err(|err| Error::io("read", &path, err))?;
        if text.len() as u64 > MAX_SIZE {
            return Err(Error::failure(format!(
                "{FILE} is larger than {} MiB, which no record pop-create writes is",
                MAX_SIZE / (1024 * 1024)
            ))
            .hint("restore it from version control"));
        }
        Record::parse(&text).map(Some)
    }

    /// Reads a record's text into the model, refusing it whole (with the
    /// line of the first problem) when anything in it fails its check.
    pub fn parse(text: &str) -> Result<Record> {
        let file: RecordFile = toml::from_str(text).map_err(|err| {
            // A newer pop-create's record may hold what this one does not know.
            if let Some(newer) = newer_version(text) {
                return Error::usage(format!(
                    "this project was made by pop-create {newer}, newer than this one ({})",
                    env!("CARGO_PKG_VERSION")
                ))
                .hint(format!(
                    "use pop-create {newer} or later on it; nothing was written"
                ));
            }
            refusal(text, &err)
        })?;
        Ok(Record {
            before: Some(text.to_owned()),
            version: file.version.0,
            answers: file.answers.map(AnswersFile::into_answers),
            subs: file.subs.0,
            plugins: file.plugins,
            files: file.files,
            template: file.template,
        })
    }

    /// The record of the project at `root`, or a fresh one when it has none
    /// (a project made by hand).
    pub fn open(root: &Path) -> Result<Record> {
        Ok(Record::read(root)?.unwrap_or_else(Record::empty))
    }

    /// The pop-create version that last wrote the project.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Notes that this pop-create version now wrote the project.
    pub fn set_version(&mut self) {
        self.version = env!("CARGO_PKG_VERSION").to_owned();
    }

    /// The answers `new` was given; a record of an earlier version lacks the
    /// later questions, whose answers are then what that version did (no
    /// licence, no CI).
    pub fn answers(&self) -> Result<&Answers> {
        self.answers.as_ref().ok_or_else(|| {
            Error::failure(format!("{FILE} has no [answers] table"))
                .hint("restore it from version control")
        })
    }

    /// The subs pop-create made, in the order they were added.
    pub fn subs(&self) -> &[SubEntry] {
        &self.subs
    }

    /// Notes a sub made with `new` or `add-sub`.
    pub fn add_sub(&mut self, sub: SubEntry) {
        match self.subs.iter_mut().find(|s| s.name == sub.name) {
            Some(entry) => *entry = sub,
            None => self.subs.push(sub),
        }
    }

    /// Forgets a sub (`remove-sub`) and the plugins pop-create made in it.
    pub fn remove_sub(&mut self, sub: &SubName) {
        self.subs.retain(|entry| entry.name != *sub);
        self.plugins.retain(|plugin| !plugin.is_in(sub));
    }

    /// Notes a plugin made with `add-plugin`.
    pub fn add_plugin(&mut self, plugin: PluginRef) {
        if !self.plugins.contains(&plugin) {
            self.plugins.push(plugin);
        }
    }

    /// Forgets a plugin (`remove-plugin`).
    pub fn remove_plugin(&mut self, plugin: &PluginRef) {
        self.plugins.retain(|p| p != plugin);
    }

    /// The template set the project was generated with, if any.
    pub fn template(&self) -> Option<&SetRecord> {
        self.template.as_ref()
    }

    /// Notes the template set the project is now generated with.
    pub fn set_template(&mut self, set: Option<SetRecord>) {
        self.template = set;
    }

    /// The hash recorded for a file, if pop-create wrote it.
    pub fn hash(&self, path: &ProjectPath) -> Option<&FileHash> {
        self.files.get(path)
    }

    /// Every file pop-create wrote, with its recorded hash.
    pub fn files(&self) -> impl Iterator<Item = (&ProjectPath, &FileHash)> {
        self.files.iter()
    }

    /// Records the hash of a file pop-create writes.
    pub fn hash_file(&mut self, path: &ProjectPath, contents: &[u8]) {
        self.files.insert(path.clone(), FileHash::of(contents));
    }

    /// Forgets a file pop-create deleted.
    pub fn forget_file(&mut self, path: &ProjectPath) {
        self.files.remove(path);
    }

    /// True when `contents` is what pop-create last wrote at `path`.
    pub fn untouched(&self, path: &ProjectPath, contents: &[u8]) -> bool {
        self.hash(path) == Some(&FileHash::of(contents))
    }

    /// The record as text, starting with the comment that says what it is.
    pub fn render(&self) -> String {
        let mut document = DocumentMut::new();
        document["pop-create"] = value(&self.version);
        document["plugins"] = value(
            self.plugins
                .iter()
                .map(|p| p.to_string())
                .collect::<Array>(),
        );
        if let Some(answers) = &self.answers {
            let mut table = Table::new();
            table["name"] = value(answers.name.as_str());
            table["vertical"] = value(answers.vertical);
            if answers.member {
                table["member"] = value(true);
            }
            table["dynes"] = value(answers.dynes.iter().map(SubName::as_str).collect::<Array>());
            table["vcs"] = value(answers.vcs.name());
            table["license"] = value(answers.license.name());
            table["ci"] = value(answers.ci.name());
            if let Some(author) = &answers.author {
                table["author"] = value(author.as_str());
            }
            table["year"] = value(i64::from(answers.year));
            document["answers"] = Item::Table(table);
        }
        if let Some(set) = &self.template {
            let mut table = Table::new();
            table["source"] = value(&set.source);
            table["name"] = value(&set.name);
            table["version"] = value(&set.version);
            table["revision"] = value(&set.revision);
            table["patterns"] = value(
                set.patterns
                    .iter()
                    .map(PatternName::as_str)
                    .collect::<Array>(),
            );
            document["template"] = Item::Table(table);
        }
        let mut subs = Table::new();
        for sub in &self.subs {
            subs[sub.name.as_str()] = value(sub.pattern.name());
        }
        document["subs"] = Item::Table(subs);
        let mut files = Table::new();
        for (path, hash) in &self.files {
            files[path.as_str()] = value(hash.as_str());
        }
        document["files"] = Item::Table(files);
        format!("{HEADER}{document}")
    }
}

/// The record's refusal: its line and column, and what is wrong there.
fn refusal(text: &str, err: &toml::de::Error) -> Error {
    let problem = crate::error::toml_problem(text, err.span(), err.message());
    Error::failure(format!("{FILE} cannot be used: {problem}")).hint(
        "restore it from version control (it may not be what pop-create wrote); nothing was written",
    )
}

/// The version a record claims, when it is newer than this pop-create.
fn newer_version(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct VersionOnly {
        #[serde(rename = "pop-create")]
        version: String,
    }
    let claimed = toml::from_str::<VersionOnly>(text).ok()?.version;
    let this = pop_build::Version::parse(env!("CARGO_PKG_VERSION"))?;
    // Shown as written, but on one line: `5.2.0\t` and `5.2.0-<escape>` parse too.
    (pop_build::Version::parse(&claimed)? > this).then(|| crate::error::one_line(claimed.trim()))
}

/// The record as it is stored: every value goes through its type's check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    #[serde(rename = "pop-create")]
    version: RecordVersion,
    #[serde(default)]
    plugins: Vec<PluginRef>,
    answers: Option<AnswersFile>,
    #[serde(default)]
    subs: OrderedSubs,
    #[serde(default)]
    files: BTreeMap<ProjectPath, FileHash>,
    template: Option<SetRecord>,
}

/// `[template]`, checked as the set's own manifest and `--template` are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRecordFile {
    source: String,
    name: String,
    version: String,
    revision: String,
    #[serde(default)]
    patterns: Vec<PatternName>,
}

impl<'de> Deserialize<'de> for SetRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let file = SetRecordFile::deserialize(deserializer)?;
        let set = SetRecord {
            source: file.source,
            name: file.name,
            version: file.version,
            revision: file.revision,
            patterns: file.patterns,
        };
        set.check()
            .map_err(|err| de::Error::custom(err.message()))?;
        Ok(set)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    name: ProjectName,
    #[serde(default)]
    vertical: bool,
    #[serde(default)]
    member: bool,
    #[serde(default)]
    dynes: Vec<SubName>,
    vcs: Option<Vcs>,
    license: Option<License>,
    ci: Option<Ci>,
    author: Option<Author>,
    year: Option<Year>,
}

impl AnswersFile {
    fn into_answers(self) -> Answers {
        Answers {
            name: self.name,
            vertical: self.vertical,
            member: self.member,
            dynes: self.dynes,
            vcs: self.vcs.unwrap_or(Vcs::None),
            // pop-create 0.1.0 asked neither: it wrote no licence and no CI.
            license: self.license.unwrap_or(License::None),
            ci: self.ci.unwrap_or(Ci::None),
            author: self.author,
            year: self.year.map_or(Answers::UNKNOWN_YEAR, |year| year.0),
        }
    }
}

/// The version of pop-create that wrote a record.
struct RecordVersion(String);

/// A year a project was made in.
struct Year(u32);

/// `[subs]`: sub = "pattern", in the order they were added.
#[derive(Default)]
struct OrderedSubs(Vec<SubEntry>);

impl<'de> Deserialize<'de> for OrderedSubs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = OrderedSubs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of `sub = \"pattern\"`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedSubs, A::Error> {
                let mut subs = Vec::new();
                while let Some((name, pattern)) = map.next_entry::<SubName, Pattern>()? {
                    subs.push(SubEntry::new(name, pattern));
                }
                Ok(OrderedSubs(subs))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// Reads a type from its spelling, through the check its `parse` makes.
macro_rules! deserialize_by_parse {
    ($($type:ty => $parse:expr),+ $(,)?) => {$(
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                let parse: fn(&str) -> Result<$type> = $parse;
                parse(&text).map_err(|err| de::Error::custom(err.message()))
            }
        }
    )+};
}

deserialize_by_parse! {
    ProjectName => ProjectName::parse,
    SubName => SubName::parse,
    Pattern => Pattern::parse,
    PluginRef => PluginRef::parse,
    ProjectPath => ProjectPath::parse,
    FileHash => FileHash::parse,
    License => License::parse,
    Ci => Ci::parse,
    Vcs => Vcs::parse,
    Author => Author::parse,
    PatternName => PatternName::parse,
    RecordVersion => |text| {
        pop_build::Version::parse(text)
            .map(|_| RecordVersion(text.to_owned()))
            .ok_or_else(|| Error::usage(format!("`{}` is not a version", text.escape_debug())))
    },
}

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let year = i64::deserialize(deserializer)?;
        match u32::try_from(year) {
            Ok(year) if (1970..=9999).contains(&year) => Ok(Year(year)),
            _ => Err(de::Error::custom(format!("{year} is not a year"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            name: ProjectName::parse("poppy").unwrap(),
            vertical: false,
            member: false,
            dynes: vec![SubName::parse("rpc").unwrap()],
            vcs: Vcs::Git,
            license: License::MitOrApache,
            ci: Ci::Github,
            author: Some(Author::parse("Ada <ada@example.com>").unwrap()),
            year: 2026,
        }
    }

    fn path(text: &str) -> ProjectPath {
        ProjectPath::parse(text).unwrap()
    }

    #[test]
    fn records_answers_subs_plugins_and_hashes() {
        let mut record = Record::new(&answers());
        record.hash_file(&path("src/main.rs"), b"fn main() {}\n");
        record.add_sub(SubEntry::new(
            SubName::parse("poppy").unwrap(),
            Pattern::Spine,
        ));
        record.add_sub(SubEntry::new(
            SubName::parse("rpc").unwrap(),
            Pattern::Router,
        ));
        record.add_plugin(PluginRef::parse("rpc.math").unwrap());
        record.add_plugin(PluginRef::parse("rpc.math").unwrap());
        let text = record.render();
        assert!(text.starts_with("# Written by pop-create"));
        let parsed = Record::parse(&text).unwrap();
        assert_eq!(parsed.render(), text, "the header is written once");
        assert_eq!(parsed.version(), env!("CARGO_PKG_VERSION"));
        assert_eq!(parsed.answers().unwrap(), &answers());
        let subs: Vec<(&str, &str)> = parsed
            .subs()
            .iter()
            .map(|s| (s.name.as_str(), s.pattern.name()))
            .collect();
        assert_eq!(subs, [("poppy", "spine"), ("rpc", "router")]);
        assert_eq!(parsed.plugins, [PluginRef::parse("rpc.math").unwrap()]);
        assert!(parsed.untouched(&path("src/main.rs"), b"fn main() {}\n"));
        assert!(!parsed.untouched(&path("src/main.rs"), b"fn main() { edited }\n"));
        assert_eq!(
            FileHash::of(b"abc").as_str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn subs_keep_the_order_they_were_added_in() {
        let text = "pop-create = \"0.2.0\"\n[subs]\nzeta = \"spine\"\nalpha = \"router\"\nmid = \"flow\"\n";
        let record = Record::parse(text).unwrap();
        let order: Vec<&str> = record.subs().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(order, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn a_record_of_0_1_0_reads_with_the_answers_it_lacks() {
        let text = "pop-create = \"0.1.0\"\nplugins = []\n\n[answers]\nname = \"poppy\"\nvertical = false\ndynes = []\nvcs = \"none\"\n\n[subs]\npoppy = \"spine\"\n";
        let record = Record::parse(text).unwrap();
        let answers = record.answers().unwrap();
        assert_eq!((answers.license, answers.ci), (License::None, Ci::None));
        assert_eq!(record.version(), "0.1.0");
    }

    /// The hostile records of issue 18 and their kin: each is refused whole,
    /// naming the line of the problem.
    #[test]
    fn hostile_records_are_refused_with_their_line() {
        let empty = FileHash::of(b"");
        let cases: &[(&str, &str, usize)] = &[
            (
                "[files]\n\"runtime/../../victim.txt\" = \"HASH\"\n",
                "not a path inside the project",
                3,
            ),
            ("[files]\n\"/etc/passwd\" = \"HASH\"\n", "absolute", 3),
            ("[files]\n\"src/main.rs\" = \"md5:00\"\n", "not a hash", 3),
            (
                "[answers]\nname = \"../../evilname\"\n",
                "invalid project name",
                3,
            ),
            (
                "[answers]\nname = \"x\\\")?; std::process::exit(1); (\\\"\"\n",
                "invalid project name",
                3,
            ),
            (
                "[answers]\nname = \"poppy\"\ndynes = [\"../x\"]\n",
                "invalid sub name",
                4,
            ),
            (
                "[answers]\nname = \"poppy\"\nlicense = \"GPL\"\n",
                "not a licence",
                4,
            ),
            ("[answers]\nname = \"poppy\"\nyear = -3\n", "not a year", 4),
            (
                "[answers]\nname = \"poppy\"\nauthor = \"a\\nb\"\n",
                "one line",
                4,
            ),
            (
                "[answers]\nname = \"poppy\"\nevil = true\n",
                "unknown field",
                4,
            ),
            ("[subs]\nrpc = { x = 1 }\n", "string", 3),
            ("[subs]\n\"../rpc\" = \"router\"\n", "invalid sub name", 3),
            ("[subs]\nrpc = \"Router\"\n", "not a pattern", 3),
            ("plugins = [\"rpc.init\"]\n", "invalid plugin name", 2),
            ("plugins = [\"../x.y\"]\n", "", 2),
        ];
        for (rest, why, line) in cases {
            let text = format!(
                "pop-create = \"0.2.0\"\n{}",
                rest.replace("HASH", empty.as_str())
            );
            let err = Record::parse(&text).expect_err(rest);
            assert!(err.message().contains(why), "{rest}: {}", err.message());
            assert!(
                err.message().contains(&format!("line {line},")),
                "{rest}: {}",
                err.message()
            );
            assert!(!err.message().contains('\n'), "one line: {}", err.message());
        }
        let newer = Record::parse("pop-create = \"99.0.0\"\nfuture = 1\n").unwrap_err();
        assert!(newer.message().contains("newer"), "{}", newer.message());
        assert_eq!(newer.exit_code(), 2);
    }

    /// Found by the record fuzz target: a newer version with a tab or an
    /// escape after it was quoted with them in the refusal.
    #[test]
    fn a_newer_version_is_named_on_one_line() {
        let text = "pop-create = \"5.2.0\t\"\nfuture = 1\n";
        let err = Record::parse(text).unwrap_err();
        assert!(
            err.message().contains("pop-create 5.2.0, newer"),
            "{}",
            err.message()
        );
        let text = "pop-create = \"5.2.0-\\u001b[2J\"\nfuture = 1\n";
        let err = Record::parse(text).unwrap_err();
        assert!(
            err.message().contains("5.2.0-\\u{1b}[2J"),
            "{}",
            err.message()
        );
        let hint = err.hint_text().unwrap_or_default();
        assert!(!hint.contains(char::is_control), "{hint:?}");
    }

    #[test]
    fn an_oversized_record_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("pop-create = \"0.2.0\"\n# ");
        text.push_str(&"x".repeat(MAX_SIZE as usize));
        std::fs::write(dir.path().join(FILE), text).unwrap();
        let err = Record::read(dir.path()).unwrap_err();
        assert!(err.message().contains("larger than"), "{}", err.message());
    }
}
