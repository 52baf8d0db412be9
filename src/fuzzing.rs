//! What the fuzz targets in `fuzz/` drive: pop-create's readers and editors
//! of input it does not control. Each takes any input and must refuse it or
//! accept it, never panic; a panic here is the finding. Not an API: the
//! functions exist for `fuzz/` and for the test that keeps its seeds green.

use pop_build::declaration::{Declaration, LISTS};

use crate::conf_edit::ConfFile;
use crate::error::Error;
use crate::generation::{Templates, add_sub_to_conf};
use crate::model::{Pattern, SubEntry};
use crate::names::SubName;

/// Reads a `.pop-create.toml`; an accepted record must render and read
/// back to the same record, a refused one gets one clear line.
pub fn record(text: &str) {
    match crate::record::Record::parse(text) {
        Ok(record) => {
            let rendered = record.render();
            let again = crate::record::Record::parse(&rendered)
                .unwrap_or_else(|err| panic!("a rendered record is refused: {}", err.message()));
            assert_eq!(again.render(), rendered, "a record renders the same twice");
        }
        Err(err) => assert_one_line(&err),
    }
}

/// Edits a `src/conf.rs` as `add-sub` and `remove-sub` do. Text that parses
/// must, through every edit, parse again and keep every other entry:
/// removing entry `which` (counted over the four lists in order, modulo
/// their length) takes out that entry alone; adding the router sub `sub`
/// (`add-sub`'s own edit: its DYNE entry, then the `addr` and `port`
/// options and flags it lacks) only appends; removing what was appended
/// gives back the declaration the text had. A refusal is one clear line.
pub fn conf_edit(text: &str, sub: &str, which: usize) {
    check_conf_edit(text, sub, which);
    // proc-macro2 keeps the text of every parse for its spans' positions;
    // a run parses once, a fuzzer millions of times.
    proc_macro2::extra::invalidate_current_thread_spans();
}

fn check_conf_edit(text: &str, sub: &str, which: usize) {
    let conf = match ConfFile::parse(text) {
        Ok(conf) => conf,
        Err(err) => return assert_one_line(&err),
    };
    let before = entries(conf.declaration());
    let count: usize = before.iter().map(Vec::len).sum();
    if count > 0 {
        let (list, index) = position(&before, which % count);
        let edited = edit(conf.remove(LISTS[list], &[index]), "removing an entry");
        let mut expected = before.clone();
        expected[list].remove(index);
        assert_eq!(
            entries(&parsed(&edited)),
            expected,
            "removed {list}/{index}"
        );
        let (open, close) = brackets(conf.declaration(), list);
        assert!(edited.starts_with(&text[..=open]), "before `[` changed");
        assert!(edited.ends_with(&text[close..]), "after `]` changed");
    }
    let Ok(name) = SubName::parse(sub) else {
        return;
    };
    let entry = SubEntry::new(name, Pattern::Router);
    let no_rustfmt = |_: &str| None;
    let (added, _) = edit(
        add_sub_to_conf(Templates::Current, text, &entry, &no_rustfmt),
        "adding a sub",
    );
    let declaration = parsed(&added);
    let after = entries(&declaration);
    for (list, (was, is)) in before.iter().zip(&after).enumerate() {
        assert!(is.starts_with(was), "adding a sub changed {}", LISTS[list]);
    }
    assert!(declaration.sub(sub).is_some(), "the sub is not in DYNE");
    for option in ["addr", "port"] {
        assert!(declaration.config.iter().any(|o| o.name == option));
        assert!(declaration.cli_config.iter().any(|f| f.name == option));
    }
    let mut text = added;
    for (list, (was, is)) in before.iter().zip(&after).enumerate() {
        let appended: Vec<usize> = (was.len()..is.len()).collect();
        if !appended.is_empty() {
            let conf = ConfFile::parse(&text).unwrap_or_else(|err| panic!("{}", err.message()));
            text = edit(
                conf.remove(LISTS[list], &appended),
                "removing what was added",
            );
        }
    }
    assert_eq!(entries(&parsed(&text)), before, "add then remove");
}

/// [`conf_edit`] on one input of the fuzz target: a first line `SUB WHICH`,
/// then the text of `src/conf.rs`.
pub fn conf_edit_input(input: &str) {
    let (header, text) = input.split_once('\n').unwrap_or((input, ""));
    let (sub, which) = header.split_once(' ').unwrap_or((header, ""));
    conf_edit(text, sub, which.trim().parse().unwrap_or(0));
}

/// A refusal is one line of text, however hostile the input: no line
/// break, no terminal escape, no other control character.
fn assert_one_line(err: &Error) {
    for text in std::iter::once(err.message()).chain(err.hint_text()) {
        assert!(
            !text.contains(char::is_control),
            "not one clean line: {text:?}"
        );
    }
}

/// An edit of text that parses must succeed: a refusal means pop-create
/// cannot edit a valid file, which leaves the user editing it by hand.
fn edit<T>(outcome: crate::error::Result<T>, what: &str) -> T {
    outcome.unwrap_or_else(|err| panic!("{what} was refused: {}", err.message()))
}

fn parsed(text: &str) -> Declaration {
    Declaration::parse(text).unwrap_or_else(|err| panic!("an edit does not parse: {err}"))
}

/// What each of the four lists declares, entry by entry, to compare
/// before and after an edit (the property tests too).
pub(crate) fn entries(declaration: &Declaration) -> [Vec<String>; 4] {
    fn each<T: std::fmt::Debug>(list: &pop_build::declaration::List<T>) -> Vec<String> {
        list.iter().map(|entry| format!("{entry:?}")).collect()
    }
    [
        each(&declaration.config),
        each(&declaration.cli_config),
        each(&declaration.subcommands),
        each(&declaration.dyne),
    ]
}

/// The list and index of entry `n`, counted over the lists in order.
fn position(lists: &[Vec<String>; 4], mut n: usize) -> (usize, usize) {
    for (list, entries) in lists.iter().enumerate() {
        if n < entries.len() {
            return (list, n);
        }
        n -= entries.len();
    }
    unreachable!("n is below the number of entries")
}

/// The brackets of list number `list`.
fn brackets(declaration: &Declaration, list: usize) -> (usize, usize) {
    match list {
        0 => (declaration.config.open, declaration.config.close),
        1 => (declaration.cli_config.open, declaration.cli_config.close),
        2 => (declaration.subcommands.open, declaration.subcommands.close),
        _ => (declaration.dyne.open, declaration.dyne.close),
    }
}
