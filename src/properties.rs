//! Property tests of editing `src/conf.rs` (written by a helper).
//!
//! `add-sub` and `remove-sub` edit a file the user owns and may have laid out
//! and commented any way Rust allows, so the edits are checked against
//! random valid files rather than only the layouts pop-create writes itself.

use std::fmt::Write as _;
use std::ops::Range;

use pop_build::declaration::Declaration;
use pop_build::names::{self, NameKind};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use crate::conf_edit::{ConfFile, dyne_entry};
use crate::generation::Templates;

/// Enough cases to find the corners, few enough to stay quick on a slow
/// machine; nothing is written to disk, since the sources are shared.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

/// What fills the space between two tokens of a list.
#[derive(Clone, Debug)]
enum Piece {
    Space,
    /// A line break, then this many spaces.
    Newline(usize),
    /// `/* text */`.
    Block(String),
    /// `// text`, always followed by a line break.
    Line(String),
}

/// How a list is laid out: the shapes users write, and anything else Rust allows.
#[derive(Clone, Copy, Debug)]
enum Layout {
    OneLine,
    PerLine,
    Free,
}

/// Comment text with what could be mistaken for structure: commas,
/// brackets, quotes, slashes and stars, and characters wider than a byte;
/// often ending in a comma, as a list's separator does.
fn comment_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9 ,;:()\\[\\]&\"'#!?_*/\\\\é日🦀\t-]{0,12}",
        1 => "[a-z ]{0,6}, ?",
    ]
}

/// `/* */` text; it cannot hold `*/` (which ends it) or `/*` (which nests).
fn block_text() -> impl Strategy<Value = String> {
    prop_oneof![comment_text(), "[a-z ,\\]\n]{0,8}"]
        .prop_filter("a comment that ends where it should", |text| {
            !text.contains("*/") && !text.contains("/*") && !text.ends_with('/')
        })
}

fn block() -> impl Strategy<Value = Piece> {
    block_text().prop_map(Piece::Block)
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        Just(Piece::Space),
        prop::sample::select(vec![0, 4, 8]).prop_map(Piece::Newline),
        block(),
        comment_text().prop_map(Piece::Line),
    ]
}

/// The pieces between two tokens of a list in `layout`; `newline` ends them
/// with a line break indented by that much, as one entry per line needs.
fn gap(layout: Layout, newline: Option<usize>) -> BoxedStrategy<Vec<Piece>> {
    let pieces = match layout {
        Layout::OneLine => {
            prop::collection::vec(prop_oneof![Just(Piece::Space), block()], 0..3).boxed()
        }
        Layout::PerLine | Layout::Free => prop::collection::vec(piece(), 0..3).boxed(),
    };
    pieces
        .prop_map(move |mut pieces| {
            pieces.extend(newline.map(Piece::Newline));
            pieces
        })
        .boxed()
}

/// Between an entry and its comma: spaces and block comments only, since a
/// comma at the start of the next line is not how anyone writes Rust.
fn before_comma() -> impl Strategy<Value = Vec<Piece>> {
    prop::collection::vec(prop_oneof![Just(Piece::Space), block()], 0..2)
}

/// A sub name the naming rules accept, sometimes long enough to make
/// rustfmt open its DYNE entry up.
fn sub_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,30}".prop_filter("a valid sub name", |name| {
        names::validate(NameKind::Sub, name).is_ok()
    })
}

/// A string literal holding anything, comment markers and brackets included.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        comment_text(),
        any::<String>(),
        Just("a, b // c /* d */ ]".to_owned())
    ]
    .prop_map(|text| format!("{text:?}"))
}

/// An entry's text and the places of the comments inside it.
#[derive(Clone, Debug, Default)]
struct Entry {
    text: String,
    comments: Vec<Range<usize>>,
}

impl Entry {
    fn plain(text: String) -> Entry {
        Entry {
            text,
            comments: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn comment(&mut self, comment: &str) {
        let start = self.text.len();
        self.text.push_str(comment);
        self.comments.push(start..self.text.len());
    }
}

/// A DYNE entry as users write it: compact, spaced out, or opened up as
/// rustfmt does when it is long; with extra directories or not; and, when
/// `inner` allows, with a comment inside it.
fn dyne_text(sub: String, inner: bool) -> impl Strategy<Value = Entry> {
    let comment = if inner {
        prop::option::of((0..3u8, block_text(), any::<bool>())).boxed()
    } else {
        Just(None).boxed()
    };
    (
        prop::collection::vec("[a-zé_ ]{1,5}(/[a-z]{1,4})?", 0..2),
        0..3u8,
        comment,
    )
        .prop_map(move |(more, form, comment)| {
            let dirs: Vec<String> = std::iter::once(format!("{sub:?}"))
                .chain(more.iter().map(|dir| format!("{dir:?}")))
                .collect();
            let (dirs, sub) = (dirs.join(", "), format!("{sub:?}"));
            let opened = form == 2;
            // Where the comment goes: after the sub's comma, after the
            // directories inside their brackets, or before the `)`.
            let (at, text, line) = comment.unwrap_or((u8::MAX, String::new(), false));
            let comment = |entry: &mut Entry, here: u8| {
                if at != here {
                    return;
                }
                // A line comment only where a line break follows anyway.
                if line && opened && here == 0 {
                    entry.push(" ");
                    entry.comment(&format!("// {}", text.replace('\n', " ")));
                } else {
                    entry.push(" ");
                    entry.comment(&format!("/* {text} */"));
                    entry.push(" ");
                }
            };
            let mut entry = Entry::default();
            match form {
                0 => {
                    entry.push(&format!("({sub},"));
                    comment(&mut entry, 0);
                    entry.push(&format!(" &[{dirs}"));
                    comment(&mut entry, 1);
                    entry.push("]");
                    comment(&mut entry, 2);
                    entry.push(")");
                }
                1 => {
                    entry.push(&format!("( {sub} ,"));
                    comment(&mut entry, 0);
                    entry.push(&format!("&[ {}", dirs.replace(", ", " , ")));
                    comment(&mut entry, 1);
                    entry.push(" ]");
                    comment(&mut entry, 2);
                    entry.push(" )");
                }
                _ => {
                    entry.push(&format!("(\n        {sub},"));
                    comment(&mut entry, 0);
                    entry.push(&format!("\n        &[{dirs}"));
                    comment(&mut entry, 1);
                    entry.push("],");
                    comment(&mut entry, 2);
                    entry.push("\n    )");
                }
            }
            entry
        })
}

fn dyne_entries(inner: bool) -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(sub_name(), 0..5).prop_flat_map(move |mut subs| {
        let mut seen = std::collections::HashSet::new();
        subs.retain(|sub| seen.insert(sub.clone()));
        subs.into_iter()
            .map(|sub| dyne_text(sub, inner))
            .collect::<Vec<_>>()
    })
}

fn option_text() -> impl Strategy<Value = String> {
    let constructor = prop::sample::select(vec![
        "u16(NAME, 8888)",
        "string(NAME, \"127.0.0.1\")",
        "bool(NAME, false)",
        "f64(NAME, 0.5)",
        "path(NAME, \"a/b\")",
        "new(NAME, Kind::String)",
    ]);
    (
        "[a-z][a-z0-9_]{0,8}",
        constructor,
        prop::option::of(literal()),
        any::<bool>(),
    )
        .prop_map(|(name, constructor, help, broken)| {
            let mut text = format!(
                "Opt::{}",
                constructor.replace("NAME", &format!("\"opt_{name}\""))
            );
            if let Some(help) = help {
                let indent = if broken { "\n        " } else { "" };
                let _ = write!(text, "{indent}.help({help})");
            }
            text
        })
}

fn flag_text() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9_]{0,8}",
        prop::option::of("[a-zA-Z]"),
        prop::option::of("[a-z][a-z-]{0,8}"),
    )
        .prop_map(|(name, short, long)| {
            let mut text = format!("Flag::new(\"opt_{name}\")");
            if let Some(short) = short {
                let _ = write!(text, ".short('{short}')");
            }
            if let Some(long) = long {
                let _ = write!(text, ".long({long:?})");
            }
            text
        })
}

fn subcommand_text() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9-]{0,8}", prop::option::of(literal())).prop_map(|(name, help)| {
        let mut text = format!("Subcommand::new({name:?})");
        if let Some(help) = help {
            let _ = write!(text, ".help({help})");
        }
        text
    })
}

/// One of the four lists, as declared.
#[derive(Clone, Debug)]
struct ListDecl {
    name: &'static str,
    ty: &'static str,
    doc: Option<String>,
    skip: bool,
    is_static: bool,
    parens: usize,
    /// After `[`.
    open: Vec<Piece>,
    /// Each entry, the pieces before its comma, and those after it.
    entries: Vec<(Entry, Vec<Piece>, Vec<Piece>)>,
    trailing_comma: bool,
}

fn list(
    name: &'static str,
    types: Vec<&'static str>,
    entries: BoxedStrategy<Vec<Entry>>,
) -> impl Strategy<Value = ListDecl> {
    let layout = prop_oneof![
        Just(Layout::OneLine),
        Just(Layout::PerLine),
        Just(Layout::Free)
    ];
    (
        layout,
        entries,
        prop::sample::select(types),
        prop::option::of(comment_text()),
        any::<bool>(),
        any::<bool>(),
        0..3usize,
        any::<bool>(),
    )
        .prop_flat_map(
            move |(layout, entries, ty, doc, skip, is_static, parens, trailing_comma)| {
                let count = entries.len();
                let line = |last: bool| match layout {
                    Layout::PerLine => Some(if last { 0 } else { 4 }),
                    Layout::OneLine | Layout::Free => None,
                };
                let after: Vec<_> = (0..count)
                    .map(|i| (before_comma(), gap(layout, line(i + 1 == count))))
                    .collect();
                (gap(layout, line(count == 0)), after).prop_map(move |(open, gaps)| ListDecl {
                    name,
                    ty,
                    doc: doc.clone(),
                    skip,
                    is_static,
                    parens,
                    open,
                    entries: entries
                        .iter()
                        .cloned()
                        .zip(gaps)
                        .map(|(entry, (before, after))| (entry, before, after))
                        .collect(),
                    trailing_comma: trailing_comma && count > 0,
                })
            },
        )
}

/// Something between the lists: a comment, or an item that looks like them.
#[derive(Clone, Debug)]
enum Filler {
    Comment(Piece),
    Item(u8),
}

fn filler() -> impl Strategy<Value = Filler> {
    prop_oneof![
        block().prop_map(Filler::Comment),
        comment_text().prop_map(|text| Filler::Comment(Piece::Line(text))),
        (0..7u8).prop_map(Filler::Item),
    ]
}

/// A random valid `src/conf.rs`.
#[derive(Clone, Debug)]
struct Conf {
    inner_doc: Option<String>,
    lists: Vec<ListDecl>,
    /// Before each list, and after the last.
    fillers: Vec<Vec<Filler>>,
}

/// A random valid `src/conf.rs`; `inner` also puts comments inside DYNE entries.
fn conf(inner: bool) -> impl Strategy<Value = Conf> {
    let plain = |entries: BoxedStrategy<String>, most: usize| {
        prop::collection::vec(entries.prop_map(Entry::plain), 0..most).boxed()
    };
    let lists = (
        list(
            "CONFIG",
            vec!["&[Opt]", "&'static [Opt]"],
            plain(option_text().boxed(), 4),
        ),
        list("CLI_CONFIG", vec!["&[Flag]"], plain(flag_text().boxed(), 4)),
        list(
            "SUBCOMMANDS",
            vec!["&[Subcommand]"],
            plain(subcommand_text().boxed(), 3),
        ),
        list(
            "DYNE",
            vec!["Dyne", "pop::Dyne", "&[(&str, &[&str])]"],
            dyne_entries(inner).boxed(),
        ),
    )
        .prop_map(|(a, b, c, d)| vec![a, b, c, d])
        .prop_shuffle();
    (
        prop::option::of(comment_text()),
        lists,
        prop::collection::vec(prop::collection::vec(filler(), 0..3), 5),
    )
        .prop_map(|(inner_doc, lists, fillers)| Conf {
            inner_doc,
            lists,
            fillers,
        })
}

/// The text being built, and where its comments are.
#[derive(Default)]
struct Writer {
    text: String,
    comments: Vec<Range<usize>>,
}

impl Writer {
    fn comment(&mut self, comment: &str) {
        let start = self.text.len();
        self.text.push_str(comment);
        self.comments.push(start..self.text.len());
    }

    fn pieces(&mut self, pieces: &[Piece]) {
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Space => self.text.push(' '),
                Piece::Newline(indent) => {
                    self.text.push('\n');
                    self.text.push_str(&" ".repeat(*indent));
                }
                Piece::Block(text) => self.comment(&format!("/* {text} */")),
                Piece::Line(text) => {
                    self.comment(&format!("// {text}"));
                    if !matches!(pieces.get(i + 1), Some(Piece::Newline(_))) {
                        self.text.push_str("\n    ");
                    }
                }
            }
        }
    }

    fn filler(&mut self, filler: &Filler, index: usize) {
        let item = match filler {
            Filler::Comment(Piece::Line(text)) => {
                self.comment(&format!("// {text}"));
                self.text.push('\n');
                return;
            }
            Filler::Comment(piece) => {
                self.pieces(std::slice::from_ref(piece));
                self.text.push('\n');
                return;
            }
            Filler::Item(0) => "use pop::conf::{Dyne, Flag, Kind, Opt, Subcommand};".to_owned(),
            Filler::Item(1) => format!("const LIMIT_{index}: usize = {index};"),
            Filler::Item(2) => format!(
                "static NAMES_{index}: &[&str] = \
                 &[\"a, b\", \"]\", \"// no comment\", \"/* nor */\"];"
            ),
            Filler::Item(3) => {
                format!("pub const DYNE_{index}: Dyne = &[(\"shadow\", &[\"shadow\"])];")
            }
            Filler::Item(4) => format!(
                "fn helper_{index}() -> &'static str {{\n    \"pub const DYNE: Dyne = &[];\"\n}}"
            ),
            Filler::Item(5) => {
                format!("mod inner_{index} {{\n    pub const DYNE: &[u8] = &[1, 2];\n}}")
            }
            Filler::Item(_) => format!("#[allow(dead_code)]\nconst UNUSED_{index}: () = ();"),
        };
        self.text.push_str(&item);
        self.text.push_str("\n\n");
    }

    fn list(&mut self, list: &ListDecl) {
        if let Some(doc) = &list.doc {
            self.comment(&format!("/// {doc}"));
            self.text.push('\n');
        }
        if list.skip {
            self.text.push_str("#[rustfmt::skip]\n");
        }
        let keyword = if list.is_static { "static" } else { "const" };
        let _ = write!(
            self.text,
            "pub {keyword} {}: {} = {}&[",
            list.name,
            list.ty,
            "(".repeat(list.parens)
        );
        self.pieces(&list.open);
        for (i, (entry, before, after)) in list.entries.iter().enumerate() {
            let start = self.text.len();
            self.text.push_str(&entry.text);
            let inside = entry.comments.iter();
            self.comments
                .extend(inside.map(|range| start + range.start..start + range.end));
            if i + 1 < list.entries.len() || list.trailing_comma {
                self.pieces(before);
                self.text.push(',');
            }
            self.pieces(after);
        }
        let _ = writeln!(self.text, "]{};", ")".repeat(list.parens));
        self.text.push('\n');
    }
}

/// The text of `conf`, and the places of its comments.
fn render(conf: &Conf) -> (String, Vec<Range<usize>>) {
    let mut out = Writer::default();
    if let Some(doc) = &conf.inner_doc {
        out.comment(&format!("//! {doc}"));
        out.text.push_str("\n\n");
    }
    let mut index = 0;
    for (i, list) in conf.lists.iter().enumerate() {
        for filler in &conf.fillers[i] {
            out.filler(filler, index);
            index += 1;
        }
        out.list(list);
    }
    for filler in &conf.fillers[conf.lists.len()] {
        out.filler(filler, index);
        index += 1;
    }
    out.comments.sort_by_key(|range| range.start);
    (out.text, out.comments)
}

fn list_index(name: &str) -> usize {
    pop_build::declaration::LISTS
        .iter()
        .position(|list| *list == name)
        .expect("one of the four lists")
}

/// The brackets of list `name`.
fn brackets(declaration: &Declaration, name: &str) -> (usize, usize) {
    match name {
        "CONFIG" => (declaration.config.open, declaration.config.close),
        "CLI_CONFIG" => (declaration.cli_config.open, declaration.cli_config.close),
        "SUBCOMMANDS" => (declaration.subcommands.open, declaration.subcommands.close),
        _ => (declaration.dyne.open, declaration.dyne.close),
    }
}

/// What `items` declare, read by the grammar as the only entries of `name`.
fn declared(name: &str, items: &[String]) -> Vec<String> {
    let mut text = String::new();
    for list in pop_build::declaration::LISTS {
        let entries = if list == name {
            items.join(", ")
        } else {
            String::new()
        };
        let _ = writeln!(text, "pub const {list}: &[()] = &[{entries}];");
    }
    let declaration = Declaration::parse(&text).expect("the new entries are valid");
    crate::fuzzing::entries(&declaration)[list_index(name)].clone()
}

/// Fails unless `comments` of `original` appear in `edited`, verbatim and
/// in their order.
fn comments_kept(
    original: &str,
    comments: &[Range<usize>],
    edited: &str,
) -> Result<(), TestCaseError> {
    let mut at = 0;
    for range in comments {
        let comment = &original[range.clone()];
        match edited[at..].find(comment) {
            Some(found) => at += found + comment.len(),
            None => {
                return Err(TestCaseError::fail(format!(
                    "the comment {comment:?} was lost:\n{original}\n--- became ---\n{edited}"
                )));
            }
        }
    }
    Ok(())
}

/// A generated file, parsed: generating an invalid one is this test's bug.
fn parsed(text: &str) -> Result<ConfFile, TestCaseError> {
    ConfFile::parse(text).map_err(|err| {
        TestCaseError::fail(format!(
            "generated an invalid file ({}):\n{text}",
            err.message()
        ))
    })
}

/// The outcome of one edit: refused with a one-line message, or a file that
/// parses, in which only `name` changed, from `expected` entries, and only
/// between its brackets, keeping the comments in `kept`.
fn check_edit(
    original: &str,
    kept: &[Range<usize>],
    name: &str,
    expected: Vec<String>,
    outcome: crate::error::Result<String>,
) -> Result<Option<String>, TestCaseError> {
    let edited = match outcome {
        Ok(edited) => edited,
        Err(err) => {
            prop_assert!(!err.message().contains('\n'), "{:?}", err.message());
            return Ok(None);
        }
    };
    let before = Declaration::parse(original).expect("checked by the caller");
    let after = Declaration::parse(&edited);
    prop_assert!(after.is_ok(), "{:?}\n{}", after.err(), edited);
    let after = after.expect("checked above");
    let (mut want, got) = (
        crate::fuzzing::entries(&before),
        crate::fuzzing::entries(&after),
    );
    want[list_index(name)] = expected;
    prop_assert_eq!(&want, &got, "\n{}\n--- became ---\n{}", original, edited);
    let (open, close) = brackets(&before, name);
    prop_assert!(
        edited.starts_with(&original[..=open]),
        "before `[` changed:\n{}",
        edited
    );
    prop_assert!(
        edited.ends_with(&original[close..]),
        "after `]` changed:\n{}",
        edited
    );
    comments_kept(original, kept, &edited)?;
    Ok(Some(edited))
}

/// Appends `items` to `name` and checks the outcome.
fn append(
    text: &str,
    comments: &[Range<usize>],
    name: &str,
    items: &[String],
) -> Result<Option<String>, TestCaseError> {
    let conf = parsed(text)?;
    let mut expected = crate::fuzzing::entries(conf.declaration())[list_index(name)].clone();
    expected.extend(declared(name, items));
    check_edit(text, comments, name, expected, conf.append(name, items))
}

/// Which entry to remove: the last one half the time, since removing it
/// takes the comma before it instead of the one after.
#[derive(Clone, Debug)]
struct Which(Option<prop::sample::Index>);

impl Which {
    fn of(&self, count: usize) -> usize {
        self.0
            .as_ref()
            .map_or(count - 1, |index| index.index(count))
    }
}

fn which() -> impl Strategy<Value = Which> {
    prop::option::of(any::<prop::sample::Index>()).prop_map(Which)
}

/// A conf, and a sub it does not declare yet.
fn conf_and_fresh_sub(inner: bool) -> impl Strategy<Value = (Conf, String)> {
    (conf(inner), sub_name()).prop_filter("a sub not declared yet", |(conf, sub)| {
        let quoted = format!("{sub:?}");
        !conf.lists[..].iter().any(|list| {
            list.name == "DYNE"
                && list.entries.iter().any(|(entry, ..)| {
                    let text = &entry.text;
                    text.contains(&format!("{quoted},")) || text.contains(&format!("{quoted} "))
                })
        })
    })
}

/// What `add-sub` appends for a router: its options, then their flags.
fn add_router(text: &str, comments: &[Range<usize>]) -> Result<Option<String>, TestCaseError> {
    let options = Templates::Current.router_options();
    let entries: Vec<String> = options
        .iter()
        .map(|(_, entry, _)| (*entry).to_owned())
        .collect();
    let Some(edited) = append(text, comments, "CONFIG", &entries)? else {
        return Ok(None);
    };
    // Comments moved with the edit: find them again in the edited text.
    let moved = relocate(text, comments, &edited);
    let flags = parsed(&edited)?.declaration().cli_config.clone();
    let new_flags: Vec<String> = options
        .iter()
        .map(|(name, _, short)| match short {
            Some(short) if !flags.iter().any(|f| f.short == Some(*short)) => {
                format!("Flag::new({name:?}).short({short:?})")
            }
            _ => format!("Flag::new({name:?})"),
        })
        .collect();
    append(&edited, &moved, "CLI_CONFIG", &new_flags)
}

/// Where `comments` of `original` are in `edited`, which keeps them in order.
fn relocate(original: &str, comments: &[Range<usize>], edited: &str) -> Vec<Range<usize>> {
    let mut at = 0;
    comments
        .iter()
        .map(|range| {
            let comment = &original[range.clone()];
            let start = at
                + edited[at..]
                    .find(comment)
                    .expect("checked by comments_kept");
            at = start + comment.len();
            start..at
        })
        .collect()
}

/// Removes DYNE entry `index` and checks the outcome: every comment stays
/// but those on the lines of the removed entry (and not inside another).
fn remove(
    text: &str,
    comments: &[Range<usize>],
    index: usize,
) -> Result<Option<String>, TestCaseError> {
    let conf = parsed(text)?;
    let dyne = &conf.declaration().dyne;
    let (_, range) = &dyne.entries[index];
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    let in_other_entry = |comment: &Range<usize>| {
        dyne.entries.iter().enumerate().any(|(i, (_, entry))| {
            i != index && entry.start <= comment.start && comment.end <= entry.end
        })
    };
    let kept: Vec<Range<usize>> = comments
        .iter()
        .filter(|comment| {
            comment.end <= line_start || comment.start > line_end || in_other_entry(comment)
        })
        .cloned()
        .collect();
    let mut expected = crate::fuzzing::entries(conf.declaration())[list_index("DYNE")].clone();
    expected.remove(index);
    check_edit(text, &kept, "DYNE", expected, conf.remove("DYNE", &[index]))
}

proptest! {
    #![proptest_config(config())]

    /// The generator itself: every file it makes is valid, and declares what
    /// it was made with; otherwise the properties below prove nothing.
    #[test]
    fn generated_files_are_valid(conf in conf(true)) {
        let (text, comments) = render(&conf);
        let file = parsed(&text)?;
        let got = crate::fuzzing::entries(file.declaration());
        for list in &conf.lists {
            let entries: Vec<String> =
                list.entries.iter().map(|(entry, ..)| entry.text.clone()).collect();
            prop_assert_eq!(&got[list_index(list.name)], &declared(list.name, &entries));
        }
        for range in comments {
            let comment = &text[range];
            prop_assert!(comment.starts_with("//") || comment.starts_with("/*"), "{:?}", comment);
        }
    }

    /// Adding a sub appends its DYNE entry last and changes nothing else:
    /// every entry and every comment around them stays. A refusal is one line.
    #[test]
    fn appending_a_sub_keeps_entries_and_comments((conf, sub) in conf_and_fresh_sub(false)) {
        let (text, comments) = render(&conf);
        append(&text, &comments, "DYNE", &[dyne_entry(&sub)])?;
    }

    /// Adding a router appends its options and flags the same way.
    #[test]
    fn appending_router_options_keeps_entries_and_comments(conf in conf(true)) {
        let (text, comments) = render(&conf);
        add_router(&text, &comments)?;
    }
}

// Comments in awkward places: the inputs that broke these (each noted with
// its property) are rarer, so these try more cases.
proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        max_shrink_iters: 512,
        max_shrink_time: 15_000,
        ..config()
    })]

    /// Adding a sub keeps the comments inside the DYNE entries too.
    #[test]
    // Found once: loses comments: appending `z` to `pub const DYNE: Dyne = &[("a", /* x */
    //   &["a"])];` (the other lists empty) gives `&[("a", &["a"]), ("z", &["z"])]`: a list
    //   re-laid out rebuilds each tuple from its elements, dropping comments between them
    fn appending_a_sub_keeps_comments_inside_entries((conf, sub) in conf_and_fresh_sub(true)) {
        let (text, comments) = render(&conf);
        append(&text, &comments, "DYNE", &[dyne_entry(&sub)])?;
    }

    /// Removing a sub keeps the other entries, and every comment that was
    /// not on the removed entry's own lines, whatever the comments say.
    #[test]
    // Found once: loses comments: removing entry 1 from `pub const DYNE: Dyne = &[\n    ("a",
    //   &["a"]), // x,\n    ("b", &["b"]) /* c */\n];` gives `("a", &["a"]), // x /* c */`:
    //   the comma before the last entry is looked for in the text, and found at the end of the
    //   `//` comment
    fn removing_a_sub_keeps_other_entries_and_comments(
        conf in conf(false),
        index in which(),
    ) {
        let (text, comments) = render(&conf);
        let count = parsed(&text)?.declaration().dyne.entries.len();
        prop_assume!(count > 0);
        remove(&text, &comments, index.of(count))?;
    }

    /// Removing a sub keeps the comments inside the entries that stay.
    #[test]
    // Found once: loses comments: removing entry 1 from `pub const DYNE: Dyne = &[\n    ("a",
    //   /* x */ &["a"]),\n    ("b", &["b"]),\n];` gives `&[("a", &["a"])]`: the kept entry is
    //   rebuilt without its comment
    fn removing_a_sub_keeps_comments_inside_other_entries(
        conf in conf(true),
        index in which(),
    ) {
        let (text, comments) = render(&conf);
        let count = parsed(&text)?.declaration().dyne.entries.len();
        prop_assume!(count > 0);
        remove(&text, &comments, index.of(count))?;
    }

    /// A valid file is never refused a new sub: the refusal exists for
    /// pop-create's own bugs, and each one leaves a user editing by hand.
    #[test]
    // Found once: refuses a valid file: appending `z` to `pub const DYNE: Dyne = &[\n    ("a",
    //   &["a"]) /* c */,\n];` inserts a second comma after the entry (`("a", &["a"]), /* c
    //   */,`): a comment before the trailing comma hides it
    fn appending_a_sub_to_a_valid_file_is_never_refused(
        (conf, sub) in conf_and_fresh_sub(false),
    ) {
        let (text, comments) = render(&conf);
        let appended = append(&text, &comments, "DYNE", &[dyne_entry(&sub)])?;
        prop_assert!(appended.is_some(), "appending {:?} was refused:\n{}", sub, text);
    }

    /// Nor its router options.
    #[test]
    // Found once: refuses a valid file: adding the router options to `pub const CONFIG: &[Opt]
    //   = &[\n    Opt::u16("opt_a", 8888) /* c */,\n];` (or the flags to such a CLI_CONFIG)
    //   inserts a second comma after the entry, as for DYNE
    fn adding_router_options_to_a_valid_file_is_never_refused(conf in conf(false)) {
        let (text, comments) = render(&conf);
        let router = add_router(&text, &comments)?;
        prop_assert!(router.is_some(), "adding router options was refused:\n{}", text);
    }

    /// Nor the removal of a sub it declares.
    #[test]
    // Found once: refuses a valid file: removing entry 0 from `pub const DYNE: Dyne = &[("a",
    //   &["a"]) /* c */,];` cuts the entry but not its comma, leaving `&[ /* c */,]`
    fn removing_a_sub_from_a_valid_file_is_never_refused(
        conf in conf(false),
        index in which(),
    ) {
        let (text, comments) = render(&conf);
        let count = parsed(&text)?.declaration().dyne.entries.len();
        prop_assume!(count > 0);
        let index = index.of(count);
        let removed = remove(&text, &comments, index)?;
        prop_assert!(removed.is_some(), "removing entry {} was refused:\n{}", index, text);
    }
}
