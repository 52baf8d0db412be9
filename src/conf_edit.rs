//! Editing a user's `src/conf.rs` in place: entries are spliced into (or cut
//! out of) its lists and nothing else changes, comments and layout included.
//!
//! What the file declares, and where, is read by pop-build's grammar
//! ([`pop_build::declaration`]); this module only splices and lays out.

use std::ops::Range;

use pop_build::declaration::{Declaration, List};

use crate::error::{Error, Result};

/// rustfmt's `max_width`.
const MAX_WIDTH: usize = 100;
/// rustfmt's `array_width` (60% of max_width).
const ARRAY_WIDTH: usize = 60;
/// rustfmt's `fn_call_width` (60% of max_width), which also bounds tuples.
const TUPLE_WIDTH: usize = 60;

/// A `src/conf.rs`, parsed.
pub struct ConfFile {
    text: String,
    declaration: Declaration,
}

impl ConfFile {
    /// Parses the text of a `src/conf.rs`.
    pub fn parse(text: &str) -> Result<ConfFile> {
        let declaration = Declaration::parse(text).map_err(pop_build::Error::from)?;
        Ok(ConfFile {
            text: text.to_owned(),
            declaration,
        })
    }

    /// What the file declares.
    pub fn declaration(&self) -> &Declaration {
        &self.declaration
    }

    /// The places of one list's entries, its brackets and whether its layout is the user's.
    fn list(&self, name: &str) -> (Vec<Range<usize>>, usize, usize, bool) {
        fn parts<T>(list: &List<T>) -> (Vec<Range<usize>>, usize, usize, bool) {
            let ranges = list.entries.iter().map(|(_, r)| r.clone()).collect();
            (ranges, list.open, list.close, list.keep_layout)
        }
        match name {
            "CONFIG" => parts(&self.declaration.config),
            "CLI_CONFIG" => parts(&self.declaration.cli_config),
            "SUBCOMMANDS" => parts(&self.declaration.subcommands),
            "DYNE" => parts(&self.declaration.dyne),
            other => unreachable!("src/conf.rs has no list {other}"),
        }
    }

    /// The text with `items` appended to the list `name`.
    pub fn append(&self, name: &str, items: &[String]) -> Result<String> {
        if items.is_empty() {
            return Ok(self.text.clone());
        }
        let (entries, open, close, keep_layout) = self.list(name);
        let edited = if keep_layout || self.has_comments(open, close) {
            self.insert_keeping_layout(&entries, open, close, items)
        } else {
            let line_start = self.text[..open].rfind('\n').map_or(0, |i| i + 1);
            let prefix_width = self.text[line_start..open].chars().count();
            let all: Vec<String> = entries
                .iter()
                .map(|range| one_line(&self.text[range.clone()]))
                .chain(items.iter().cloned())
                .collect();
            format!(
                "{}{}{}",
                &self.text[..open],
                layout(&all, prefix_width),
                &self.text[close + 1..]
            )
        };
        self.checked(edited, name)
    }

    /// Whether the list may hold a comment, between its entries or inside
    /// one (which only an edit that moves nothing keeps where the user put
    /// it). A `//` inside a string counts too: keeping a layout is never wrong.
    fn has_comments(&self, open: usize, close: usize) -> bool {
        let inside = &self.text[open + 1..close];
        inside.contains("//") || inside.contains("/*")
    }

    /// Inserts `items` after the list's last entry without moving a single
    /// character of the user's: each on its own line before a `]` that sits
    /// on a line of its own, otherwise right after the last entry.
    fn insert_keeping_layout(
        &self,
        entries: &[Range<usize>],
        open: usize,
        close: usize,
        items: &[String],
    ) -> String {
        let text = &self.text;
        let close_line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
        let close_on_own_line =
            close_line_start > open && text[close_line_start..close].trim().is_empty();
        let after_last = entries.last().map_or(open + 1, |range| range.end);
        // A comma already after the last entry (comments may come first) is kept.
        let comma_at = skip_trivia(text, after_last, close);
        let has_comma = text[comma_at..close].starts_with(',');
        let mut out = String::with_capacity(text.len() + 64);
        if close_on_own_line {
            let indent = match entries.last() {
                Some(range) => {
                    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
                    text[start..range.start].to_owned()
                }
                None => format!("{}    ", &text[close_line_start..close]),
            };
            let indent = if indent.trim().is_empty() {
                indent
            } else {
                "    ".to_owned()
            };
            out.push_str(&text[..after_last]);
            if !entries.is_empty() && !has_comma {
                out.push(',');
            }
            out.push_str(&text[after_last..close_line_start]);
            for item in items {
                out.push_str(&format!("{indent}{item},\n"));
            }
            out.push_str(&text[close_line_start..]);
        } else {
            out.push_str(&text[..after_last]);
            let mut joined = String::new();
            for item in items {
                if !joined.is_empty() || !entries.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(item);
            }
            if has_comma && !entries.is_empty() {
                // `a, /* c */]` becomes `a, b, /* c */]`: the new items follow the comma.
                let comma = comma_at;
                out.push_str(&text[after_last..=comma]);
                out.push(' ');
                out.push_str(joined.trim_start_matches(", "));
                out.push(',');
                out.push_str(&text[comma + 1..]);
                return out;
            }
            out.push_str(&joined);
            out.push_str(&text[after_last..]);
        }
        out
    }

    /// The text with the entries of list `name` at `indices` cut out:
    /// an entry on a line of its own goes with its line (and a comment at its
    /// end); one sharing a line goes with its comma. Nothing else moves.
    pub fn remove(&self, name: &str, indices: &[usize]) -> Result<String> {
        let (entries, open, close, keep_layout) = self.list(name);
        if !keep_layout && !self.has_comments(open, close) {
            // Laid out afresh, as rustfmt would lay out what is left.
            let line_start = self.text[..open].rfind('\n').map_or(0, |i| i + 1);
            let prefix_width = self.text[line_start..open].chars().count();
            let kept: Vec<String> = entries
                .iter()
                .enumerate()
                .filter(|(index, _)| !indices.contains(index))
                .map(|(_, range)| one_line(&self.text[range.clone()]))
                .collect();
            let edited = format!(
                "{}{}{}",
                &self.text[..open],
                layout(&kept, prefix_width),
                &self.text[close + 1..]
            );
            return self.checked(edited, name);
        }
        let text = &self.text;
        // What to cut: each doomed entry, and the one comma that separated it
        // from its neighbours; never a comment.
        let mut cuts: Vec<Range<usize>> = Vec::new();
        for (index, range) in entries.iter().enumerate() {
            if !indices.contains(&index) {
                continue;
            }
            let (start, end) = (range.start, range.end);
            let spaces = |from: usize| {
                let rest = &text[from..close];
                rest.len() - rest.trim_start_matches([' ', '\t']).len()
            };
            let comma = skip_trivia(text, end, close);
            let comma_after = text[comma..close].starts_with(',');
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end_of =
                |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
            let after_entry = if comma_after { comma + 1 } else { end };
            let line_end = line_end_of(after_entry);
            let rest_of_line = text[after_entry..line_end].trim();
            let alone = line_start > open
                && line_end < close
                && text[line_start..start].trim().is_empty()
                && text[end..after_entry]
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .is_empty()
                && (rest_of_line.is_empty() || rest_of_line.starts_with("//"));
            if alone {
                // The entry's line goes, with a comment that ends it.
                cuts.push(line_start..line_end + 1);
            } else if comma_after && text[end..comma].trim().is_empty() {
                cuts.push(start..comma + 1 + spaces(comma + 1));
            } else if comma_after {
                // `a /* c */, b`: the entry and its comma go, the comment stays.
                cuts.push(start..end);
                cuts.push(comma..comma + 1);
            } else {
                // The last entry: the comma before it goes instead.
                let before = index
                    .checked_sub(1)
                    .map(|previous| skip_trivia(text, entries[previous].end, start))
                    .filter(|&at| text[at..start].starts_with(','));
                match before {
                    Some(comma) if text[comma + 1..start].trim().is_empty() => {
                        cuts.push(comma..end)
                    }
                    Some(comma) => {
                        cuts.push(comma..comma + 1);
                        cuts.push(start..end);
                    }
                    None => cuts.push(start..end),
                }
            }
        }
        cuts.sort_by_key(|cut| cut.start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for cut in cuts {
            out.push_str(&text[at..cut.start.max(at)]);
            at = cut.end.max(at);
        }
        out.push_str(&text[at..]);
        self.checked(out, name)
    }

    /// An edit must leave a file that still parses; if it does not, the fault
    /// is pop-create's, and nothing is written.
    fn checked(&self, edited: String, name: &str) -> Result<String> {
        match Declaration::parse(&edited) {
            Ok(_) => Ok(edited),
            Err(err) => Err(Error::failure(format!(
                "pop-create could not edit `{name}` in src/conf.rs without breaking it ({err}); nothing was written"
            ))
            .hint("edit src/conf.rs by hand, or lay the list out one entry per line, and run the command again")),
        }
    }
}

/// Where the next token after `from` is (at most `limit`): past spaces,
/// line comments and (nested) block comments.
fn skip_trivia(text: &str, from: usize, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < limit {
        match bytes[at] {
            b' ' | b'\t' | b'\n' | b'\r' => at += 1,
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = text[at..limit].find('\n').map_or(limit, |i| at + i + 1);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while at < limit {
                    // Bytes, not text: a comment may hold any character.
                    if bytes[at..].starts_with(b"/*") {
                        depth += 1;
                        at += 2;
                    } else if bytes[at..].starts_with(b"*/") {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            _ => break,
        }
    }
    at.min(limit)
}

/// Lays out `[a, b]` as rustfmt does with its default options: on one line
/// when it fits (a list of several within `array_width`), a lone tuple that
/// does not fit opened up in place, otherwise one entry per line, with a
/// tuple that does not fit on its line opened up.
fn layout(items: &[String], prefix_width: usize) -> String {
    let inner = items.join(", ");
    let width = |text: &str| text.chars().count();
    let too_wide_tuple = |item: &str| tuple_parts(item).is_some() && width(item) > TUPLE_WIDTH;
    let fits = !inner.contains('\n')
        && prefix_width + width(&inner) + "[];".len() <= MAX_WIDTH
        && !items.iter().any(|item| too_wide_tuple(item));
    if fits && (items.len() == 1 || width(&inner) <= ARRAY_WIDTH) {
        return format!("[{inner}]");
    }
    if let [item] = items {
        if let Some(parts) = tuple_parts(item) {
            let mut out = String::from("[(\n");
            for part in parts {
                out.push_str(&format!("    {part},\n"));
            }
            out.push_str(")]");
            return out;
        }
    }
    let mut out = String::from("[\n");
    for item in items {
        match tuple_parts(item) {
            Some(parts) if too_wide_tuple(item) || width(item) + "    ,".len() > MAX_WIDTH => {
                out.push_str("    (\n");
                for part in parts {
                    out.push_str(&format!("        {part},\n"));
                }
                out.push_str("    ),\n");
            }
            // Later lines of an existing entry keep their own indentation.
            _ => out.push_str(&format!("    {item},\n")),
        }
    }
    out.push(']');
    out
}

/// The parts of a one-line tuple of literals such as a DYNE entry
/// `("rpc", &["rpc"])`; `None` for anything else.
fn tuple_parts(item: &str) -> Option<Vec<String>> {
    let syn::Expr::Tuple(tuple) = syn::parse_str::<syn::Expr>(item).ok()? else {
        return None;
    };
    let parts: Vec<String> = tuple
        .elems
        .iter()
        .map(|elem| quote_source(item, elem))
        .collect::<Option<_>>()?;
    let one_line = parts.len() > 1 && !parts.iter().any(|part| part.contains('\n'));
    one_line.then_some(parts)
}

/// The source text of `elem` within `item`.
fn quote_source(item: &str, elem: &syn::Expr) -> Option<String> {
    use syn::spanned::Spanned;
    let span = elem.span();
    let (start, end) = (span.start(), span.end());
    let offset = |at: proc_macro2::LineColumn| -> Option<usize> {
        let line_start = item
            .split_inclusive('\n')
            .take(at.line - 1)
            .map(str::len)
            .sum::<usize>();
        let line = item[line_start..].split('\n').next()?;
        Some(
            line_start
                + line
                    .char_indices()
                    .nth(at.column)
                    .map_or(line.len(), |(i, _)| i),
        )
    };
    Some(item[offset(start)?..offset(end)?].to_owned())
}

/// A tuple entry rustfmt opened up over several lines, back on one line, so
/// the array can be laid out afresh. Only the space between its tokens may
/// change: an entry whose text would change otherwise (a string literal
/// spanning lines, or holding `( `) stays as it is.
fn one_line(item: &str) -> String {
    let compact = item
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(", )", ")")
        .replace(",)", ")");
    match tuple_parts(&compact) {
        Some(parts) if same_tokens(item, &compact) => format!("({})", parts.join(", ")),
        _ => item.to_owned(),
    }
}

/// True when `a` and `b` are the same tokens, spelled the same, whatever
/// the space between them (a trailing comma aside).
fn same_tokens(a: &str, b: &str) -> bool {
    let tokens = |text: &str| {
        let tokens = text.parse::<proc_macro2::TokenStream>().ok()?.to_string();
        Some(tokens.replace(", )", ")").replace(",)", ")"))
    };
    tokens(a).is_some_and(|a| Some(a) == tokens(b))
}

/// The edited file as rustfmt would write it, when the project formats with
/// rustfmt: if rustfmt is installed and leaves `original` as it is, its
/// formatting of `edited` only touches the edit, and respects the project's
/// own rustfmt settings. Otherwise `edited` stays as laid out here.
pub fn rustfmt_in(
    root: &std::path::Path,
    edition: &str,
) -> impl Fn(&str) -> Option<String> + use<> {
    let root = root.to_path_buf();
    let edition = edition.to_owned();
    move |text: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new("rustfmt")
            .args(["--edition", &edition, "--emit", "stdout"])
            .current_dir(&root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(text.as_bytes()).ok()?;
        let output = child.wait_with_output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).ok())
            .flatten()
    }
}

/// The `DYNE` entry for a sub in its own directory.
pub fn dyne_entry(sub: &str) -> String {
    format!("({sub:?}, &[{sub:?}])")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = r#"//! Config.

use pop::conf::{Dyne, Flag, Opt, Subcommand};

/// Options.
pub const CONFIG: &[Opt] = &[];

/// Flags.
pub const CLI_CONFIG: &[Flag] = &[];

/// Sub-commands.
pub const SUBCOMMANDS: &[Subcommand] = &[];

/// Subs.
pub const DYNE: Dyne = &[("poppy", &["poppy"])];
"#;

    fn rustfmt_check(text: &str) {
        crate::test_support::assert_rustfmt_clean("src/conf.rs", text.as_bytes());
    }

    fn subs(text: &str) -> Vec<String> {
        ConfFile::parse(text)
            .unwrap()
            .declaration()
            .dyne
            .iter()
            .map(|e| e.sub.clone())
            .collect()
    }

    #[test]
    fn adds_subs_as_rustfmt_lays_them_out() {
        let mut text = CONF.to_owned();
        for sub in ["rpc", "grains", "a_much_longer_sub_name", "x"] {
            text = ConfFile::parse(&text)
                .unwrap()
                .append("DYNE", &[dyne_entry(sub)])
                .unwrap();
            rustfmt_check(&text);
        }
        assert_eq!(
            subs(&text),
            ["poppy", "rpc", "grains", "a_much_longer_sub_name", "x"]
        );
        assert!(text.starts_with("//! Config.\n\nuse pop::conf"));
        assert!(
            text.contains("/// Subs.\npub const DYNE: Dyne = &[\n    (\"poppy\", &[\"poppy\"]),\n")
        );
    }

    /// The smallest inputs the property tests (`src/properties.rs`) found
    /// losing a comment or refusing a valid file.
    #[test]
    fn comments_anywhere_in_a_list_survive_its_edits() {
        let with_dyne = |dyne: &str| CONF.replace(r#"&[("poppy", &["poppy"])]"#, dyne);
        let appended = |dyne: &str| {
            ConfFile::parse(&with_dyne(dyne))
                .unwrap()
                .append("DYNE", &[dyne_entry("z")])
                .unwrap()
        };
        let removed = |dyne: &str, index| {
            ConfFile::parse(&with_dyne(dyne))
                .unwrap()
                .remove("DYNE", &[index])
                .unwrap()
        };

        let text = appended(r#"&[("a", /* x */ &["a"])]"#);
        assert!(
            text.contains(r#"&[("a", /* x */ &["a"]), ("z", &["z"])]"#),
            "{text}"
        );
        let text = appended("&[\n    (\"a\", &[\"a\"]) /* c */,\n]");
        assert!(
            text.contains("&[\n    (\"a\", &[\"a\"]) /* c */,\n    (\"z\", &[\"z\"]),\n]"),
            "{text}"
        );

        let text = removed(
            "&[\n    (\"a\", /* x */ &[\"a\"]),\n    (\"b\", &[\"b\"]),\n]",
            1,
        );
        assert!(
            text.contains("&[\n    (\"a\", /* x */ &[\"a\"]),\n]"),
            "{text}"
        );
        let text = removed(
            "&[\n    (\"a\", &[\"a\"]), // x,\n    (\"b\", &[\"b\"]) /* c */\n]",
            1,
        );
        assert!(
            text.contains("(\"a\", &[\"a\"]) // x,\n") && text.contains("/* c */"),
            "{text}"
        );
        assert_eq!(subs(&text), ["a"]);
        let text = removed(r#"&[("a", &["a"]) /* c */,]"#, 0);
        assert!(text.contains("/* c */") && subs(&text).is_empty(), "{text}");
    }

    /// Found by the conf_edit fuzz target: removing a sub re-laid out the
    /// list and rewrote another entry's directory, a string literal that
    /// spans lines (`"ev\n\nents"` became `"ev ents"`); `( ` inside a
    /// string was taken for rustfmt's space too.
    #[test]
    fn relaying_a_list_keeps_every_other_entry_as_written() {
        for (entry, dirs) in [
            ("(\"events\", &[\"ev\n\n    ents\"])", "ev\n\n    ents"),
            ("(\"events\", &[\"ev( ents, )\"])", "ev( ents, )"),
            (
                "(\n    \"events\",\n    &[\"ev\\\n     ents\"],\n)",
                "events",
            ),
        ] {
            let text = CONF.replace(
                r#"&[("poppy", &["poppy"])]"#,
                &format!("&[(\"poppy\", &[\"poppy\"]), {entry}, (\"pipe\", &[\"pipe\"])]"),
            );
            let conf = ConfFile::parse(&text).unwrap();
            assert_eq!(conf.declaration().dyne.entries[1].0.dirs, [dirs]);
            for edited in [
                conf.remove("DYNE", &[2]).unwrap(),
                conf.append("DYNE", &[dyne_entry("rpc")]).unwrap(),
            ] {
                let after = ConfFile::parse(&edited).unwrap();
                assert_eq!(
                    after.declaration().sub("events").unwrap().dirs,
                    [dirs],
                    "{edited}"
                );
            }
        }
    }

    #[test]
    fn dyne_layout_matches_rustfmt_for_every_name_length() {
        for length in [1, 5, 10, 17, 18, 19, 20, 25, 26, 27, 30, 35, 40, 45, 50, 64] {
            let name = "s".repeat(length);
            let mut text = CONF.replace(r#"&[("poppy", &["poppy"])]"#, "&[]");
            for count in 0..3 {
                let conf = ConfFile::parse(&text).unwrap();
                text = conf
                    .append("DYNE", &[dyne_entry(&format!("{name}{count}"))])
                    .unwrap();
                rustfmt_check(&text);
            }
        }
    }

    #[test]
    fn adds_router_options_and_flags() {
        let conf = ConfFile::parse(CONF).unwrap();
        let text = conf
            .append(
                "CONFIG",
                &[
                    r#"Opt::ip("addr", "127.0.0.1").help("The address to present the rpc server on")"#.into(),
                    r#"Opt::u16("port", 8888).help("The port to bind to")"#.into(),
                ],
            )
            .unwrap();
        let text = ConfFile::parse(&text)
            .unwrap()
            .append(
                "CLI_CONFIG",
                &[
                    "Flag::new(\"addr\").short('a')".into(),
                    "Flag::new(\"port\").short('p')".into(),
                ],
            )
            .unwrap();
        rustfmt_check(&text);
        let conf = ConfFile::parse(&text).unwrap();
        let options: Vec<&str> = conf
            .declaration()
            .config
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(options, ["addr", "port"]);
        let shorts: Vec<Option<char>> = conf
            .declaration()
            .cli_config
            .iter()
            .map(|f| f.short)
            .collect();
        assert_eq!(shorts, [Some('a'), Some('p')]);
    }

    #[test]
    fn user_comments_and_entries_survive() {
        let text = CONF.replace(
            "pub const DYNE: Dyne = &[(\"poppy\", &[\"poppy\"])];",
            "pub const DYNE: Dyne = &[\n    // the spine\n    (\"poppy\", &[\"poppy\"]), /* keep */\n    (\"extra\", &[\"extra\", \"more/extra\"])\n];",
        );
        let edited = ConfFile::parse(&text)
            .unwrap()
            .append("DYNE", &[dyne_entry("rpc")])
            .unwrap();
        assert!(edited.contains("    // the spine\n    (\"poppy\", &[\"poppy\"]), /* keep */\n"));
        assert!(
            edited.contains(
                "    (\"extra\", &[\"extra\", \"more/extra\"]),\n    (\"rpc\", &[\"rpc\"]),\n];"
            ),
            "{edited}"
        );
        assert_eq!(subs(&edited), ["poppy", "extra", "rpc"]);
    }

    /// The forms that once broke the edit (issue 13): a one-line array with a
    /// comment, with and without a trailing comma; `static`; rustfmt::skip.
    #[test]
    fn one_line_arrays_with_comments_static_and_rustfmt_skip() {
        let cases = [
            r#"pub const DYNE: Dyne = &[("poppy", &["poppy"]) /* the spine */];"#,
            r#"pub const DYNE: Dyne = &[("poppy", &["poppy"]), /* the spine */];"#,
            r#"pub const DYNE: Dyne = &[/* none yet */];"#,
            r#"pub static DYNE: Dyne = &[("poppy", &["poppy"])];"#,
            "#[rustfmt::skip]\npub const DYNE: Dyne = &[ (\"poppy\",&[\"poppy\"]) ];",
            "pub const DYNE: Dyne = &[ // subs\n    (\"poppy\", &[\"poppy\"])];",
        ];
        for dyne in cases {
            let text = CONF.replace(r#"pub const DYNE: Dyne = &[("poppy", &["poppy"])];"#, dyne);
            let edited = ConfFile::parse(&text)
                .unwrap()
                .append("DYNE", &[dyne_entry("rpc")])
                .unwrap();
            let names = subs(&edited);
            assert_eq!(
                names.last().map(String::as_str),
                Some("rpc"),
                "{dyne}\n{edited}"
            );
            for comment in [
                "/* the spine */",
                "/* none yet */",
                "// subs",
                "#[rustfmt::skip]",
            ] {
                assert_eq!(
                    dyne.contains(comment),
                    edited.contains(comment),
                    "{dyne}\n{edited}"
                );
            }
            if dyne.contains("rustfmt::skip") {
                assert!(
                    edited.contains("&[ (\"poppy\",&[\"poppy\"])"),
                    "the user's layout stays: {edited}"
                );
            }
        }
    }

    #[test]
    fn entries_are_removed_with_their_lines_and_nothing_else() {
        let text = CONF.replace(
            "pub const DYNE: Dyne = &[(\"poppy\", &[\"poppy\"])];",
            "pub const DYNE: Dyne = &[\n    // the spine\n    (\"poppy\", &[\"poppy\"]),\n    (\"rpc\", &[\"rpc\"]),\n    (\"web\", &[\"web\"]), // mine\n];",
        );
        let conf = ConfFile::parse(&text).unwrap();
        let edited = conf.remove("DYNE", &[1]).unwrap();
        assert_eq!(
            edited,
            text.replace("    (\"rpc\", &[\"rpc\"]),\n", ""),
            "only the line of the entry goes"
        );
        let one_line = CONF.replace(
            "&[(\"poppy\", &[\"poppy\"])]",
            "&[(\"poppy\", &[\"poppy\"]), (\"rpc\", &[\"rpc\"])]",
        );
        let edited = ConfFile::parse(&one_line)
            .unwrap()
            .remove("DYNE", &[1])
            .unwrap();
        assert_eq!(edited, CONF);
        let first = ConfFile::parse(&one_line)
            .unwrap()
            .remove("DYNE", &[0])
            .unwrap();
        assert!(first.contains("&[(\"rpc\", &[\"rpc\"])]"), "{first}");
    }

    #[test]
    fn broken_files_are_reported_with_their_position() {
        let err = ConfFile::parse("pub const DYNE: Dyne = &[(\"poppy\", &[\"poppy\"]);\n")
            .err()
            .unwrap();
        assert!(
            err.message().starts_with("src/conf.rs:1:"),
            "{}",
            err.message()
        );
        let err = ConfFile::parse(&CONF.replace("&[(\"poppy\", &[\"poppy\"])]", "DIRS"))
            .err()
            .unwrap();
        assert!(
            err.message().contains("not an array literal"),
            "{}",
            err.message()
        );
        let err = ConfFile::parse("").err().unwrap();
        assert!(
            err.message().contains("no `pub const CONFIG`"),
            "{}",
            err.message()
        );
    }
}
