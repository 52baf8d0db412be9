//! Reading and editing a project's `src/conf.rs` without disturbing what the
//! user wrote there.
//!
//! The file is parsed with syn to find the `DYNE`, `CONFIG` and `CLI_CONFIG`
//! arrays; an edit replaces only the text of one array, keeping each existing
//! entry's text as written and laying the array out as rustfmt would, so the
//! project still passes `cargo fmt --check`. An array with comments inside is
//! never re-laid out: the new entry goes on its own line before the `]`.

use syn::spanned::Spanned;

use crate::error::{Error, Result};

/// rustfmt's defaults: `max_width`, `array_width` and `fn_call_width` (which
/// also bounds a tuple).
const MAX_WIDTH: usize = 100;
const ARRAY_WIDTH: usize = 60;
const TUPLE_WIDTH: usize = 60;

/// A parsed `src/conf.rs`.
pub struct ConfFile {
    text: String,
    file: syn::File,
}

impl ConfFile {
    /// Parses the text of `src/conf.rs`.
    pub fn parse(text: &str) -> Result<Self> {
        let file = syn::parse_file(text).map_err(|err| {
            let at = err.span().start();
            Error::failure(format!("src/conf.rs:{}:{}: {err}", at.line, at.column + 1))
                .hint("fix the file so it compiles, then run the command again")
        })?;
        Ok(ConfFile {
            text: text.to_owned(),
            file,
        })
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn array(&self, name: &str) -> Result<&syn::ExprArray> {
        let expr = self.file.items.iter().find_map(|item| match item {
            syn::Item::Const(item) if item.ident == name => Some(&*item.expr),
            _ => None,
        });
        let Some(expr) = expr else {
            return Err(
                Error::failure(format!("src/conf.rs has no `pub const {name}`"))
                    .hint(format!("declare it, e.g. `pub const {name}: … = &[];`")),
            );
        };
        match expr {
            syn::Expr::Reference(reference) => match &*reference.expr {
                syn::Expr::Array(array) => Ok(array),
                _ => Err(not_an_array(name)),
            },
            _ => Err(not_an_array(name)),
        }
    }

    /// The DYNE map: each sub and its directories under `src/`.
    pub fn dyne(&self) -> Result<Vec<(String, Vec<String>)>> {
        let mut entries = Vec::new();
        for element in &self.array("DYNE")?.elems {
            let syn::Expr::Tuple(tuple) = element else {
                return Err(bad_dyne());
            };
            let mut parts = tuple.elems.iter();
            let name = parts.next().and_then(string).ok_or_else(bad_dyne)?;
            let dirs = match parts.next() {
                Some(syn::Expr::Reference(reference)) => match &*reference.expr {
                    syn::Expr::Array(array) => array.elems.iter().filter_map(string).collect(),
                    _ => return Err(bad_dyne()),
                },
                _ => return Err(bad_dyne()),
            };
            entries.push((name, dirs));
        }
        Ok(entries)
    }

    /// The first string argument of each entry of the array `name`: option
    /// names in `CONFIG`, flag names in `CLI_CONFIG`.
    pub fn entry_names(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .array(name)?
            .elems
            .iter()
            .filter_map(first_string_argument)
            .collect())
    }

    /// The short flags `CLI_CONFIG` already uses.
    pub fn short_flags(&self) -> Result<Vec<char>> {
        let mut shorts = Vec::new();
        for element in &self.array("CLI_CONFIG")?.elems {
            let mut current = element;
            while let syn::Expr::MethodCall(call) = current {
                if call.method == "short" {
                    if let Some(syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Char(c),
                        ..
                    })) = call.args.first()
                    {
                        shorts.push(c.value());
                    }
                }
                current = &call.receiver;
            }
        }
        Ok(shorts)
    }

    /// The text with `items` appended to the array `name`.
    pub fn append(&self, name: &str, items: &[String]) -> Result<String> {
        let array = self.array(name)?;
        let lines = LineIndex::new(&self.text);
        let open = lines.offset(array.bracket_token.span.open().start());
        let close = lines.offset(array.bracket_token.span.close().start());
        let existing: Vec<&str> = array
            .elems
            .iter()
            .map(|elem| {
                let span = elem.span();
                &self.text[lines.offset(span.start())..lines.offset(span.end())]
            })
            .collect();
        let inside = &self.text[open + 1..close];
        let mut rest = inside.to_owned();
        for text in &existing {
            rest = rest.replacen(text, "", 1);
        }
        let has_comments = rest.contains("//") || rest.contains("/*");
        let mut out = String::with_capacity(self.text.len() + 64);
        if has_comments {
            // Keep every character; add each item on its own line before `]`.
            let line_start = self.text[..close].rfind('\n').map_or(0, |i| i + 1);
            let before_close = &self.text[..line_start];
            let needs_comma = match array.elems.last() {
                Some(last) => {
                    let end = lines.offset(last.span().end());
                    !self.text[end..close].contains(',')
                }
                None => false,
            };
            if needs_comma {
                let end = lines.offset(array.elems.last().expect("checked").span().end());
                out.push_str(&self.text[..end]);
                out.push(',');
                out.push_str(&before_close[end..]);
            } else {
                out.push_str(before_close);
            }
            for item in items {
                out.push_str(&format!("    {item},\n"));
            }
            out.push_str(&self.text[line_start..]);
            return Ok(out);
        }
        let line_start = self.text[..open].rfind('\n').map_or(0, |i| i + 1);
        let prefix_width = self.text[line_start..open].chars().count();
        let all: Vec<String> = existing
            .iter()
            .map(|s| one_line(s))
            .chain(items.iter().cloned())
            .collect();
        out.push_str(&self.text[..open]);
        out.push_str(&layout(&all, prefix_width));
        out.push_str(&self.text[close + 1..]);
        Ok(out)
    }
}

fn not_an_array(name: &str) -> Error {
    Error::failure(format!(
        "`{name}` in src/conf.rs is not an array literal (`&[…]`)"
    ))
    .hint("pop-create edits it in place; write it as `&[ … ]`")
}

fn bad_dyne() -> Error {
    Error::failure("DYNE in src/conf.rs must look like &[(\"rpc\", &[\"rpc\"]), …]")
}

fn string(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

fn first_string_argument(expr: &syn::Expr) -> Option<String> {
    let mut current = expr;
    while let syn::Expr::MethodCall(call) = current {
        current = &call.receiver;
    }
    match current {
        syn::Expr::Call(call) => call.args.first().and_then(string),
        _ => None,
    }
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
    let lines = LineIndex::new(item);
    let parts: Vec<String> = tuple
        .elems
        .iter()
        .map(|elem| {
            let span = elem.span();
            item[lines.offset(span.start())..lines.offset(span.end())].to_owned()
        })
        .collect();
    let one_line = parts.len() > 1 && !parts.iter().any(|part| part.contains('\n'));
    one_line.then_some(parts)
}

/// A tuple entry rustfmt opened up over several lines, back on one line, so
/// the array can be laid out afresh.
fn one_line(item: &str) -> String {
    match tuple_parts(item) {
        Some(parts) => format!("({})", parts.join(", ")),
        None => item.to_owned(),
    }
}

/// Turns syn's (line, column-in-chars) positions into byte offsets.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn offset(&self, at: proc_macro2::LineColumn) -> usize {
        let start = self.starts[at.line - 1];
        let line = &self.text[start..];
        start
            + line
                .char_indices()
                .nth(at.column)
                .map_or(line.len(), |(i, _)| i)
    }
}

/// The edited file as rustfmt would write it, when the project formats with
/// rustfmt: if rustfmt is installed and leaves `original` as it is, its
/// formatting of `edited` only touches the edit, and respects the project's
/// own rustfmt settings. Otherwise `edited` stays as laid out here.
pub fn formatted_like_the_original(
    root: &std::path::Path,
    edition: &str,
    original: &str,
    edited: String,
) -> String {
    let rustfmt = |text: &str| -> Option<String> {
        use std::io::Write;
        let mut child = std::process::Command::new("rustfmt")
            .args(["--edition", edition, "--emit", "stdout"])
            .current_dir(root)
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
    };
    match rustfmt(original) {
        Some(formatted) if formatted == original => rustfmt(&edited).unwrap_or(edited),
        _ => edited,
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

    #[test]
    fn adds_subs_as_rustfmt_lays_them_out() {
        let mut text = CONF.to_owned();
        for sub in ["rpc", "grains", "a_much_longer_sub_name", "x"] {
            let conf = ConfFile::parse(&text).unwrap();
            text = conf.append("DYNE", &[dyne_entry(sub)]).unwrap();
            rustfmt_check(&text);
        }
        let conf = ConfFile::parse(&text).unwrap();
        let names: Vec<String> = conf
            .dyne()
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            ["poppy", "rpc", "grains", "a_much_longer_sub_name", "x"]
        );
        assert!(text.starts_with("//! Config.\n\nuse pop::conf"));
        assert!(
            text.contains("/// Subs.\npub const DYNE: Dyne = &[\n    (\"poppy\", &[\"poppy\"]),\n")
        );
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
                    r#"Opt::string("addr", "127.0.0.1").help("The address to present the rpc server on")"#.into(),
                    r#"Opt::u16("port", 8888).help("The port to bind to")"#.into(),
                ],
            )
            .unwrap();
        let conf = ConfFile::parse(&text).unwrap();
        let text = conf
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
        assert_eq!(conf.entry_names("CONFIG").unwrap(), ["addr", "port"]);
        assert_eq!(conf.entry_names("CLI_CONFIG").unwrap(), ["addr", "port"]);
        assert_eq!(conf.short_flags().unwrap(), ['a', 'p']);
    }

    #[test]
    fn user_comments_and_entries_survive() {
        let text = CONF.replace(
            "pub const DYNE: Dyne = &[(\"poppy\", &[\"poppy\"])];",
            "pub const DYNE: Dyne = &[\n    // the spine\n    (\"poppy\", &[\"poppy\"]), /* keep */\n    (\"extra\", &[\"extra\", \"more/extra\"])\n];",
        );
        let conf = ConfFile::parse(&text).unwrap();
        let edited = conf.append("DYNE", &[dyne_entry("rpc")]).unwrap();
        assert!(edited.contains("    // the spine\n    (\"poppy\", &[\"poppy\"]), /* keep */\n"));
        assert!(
            edited.contains(
                "    (\"extra\", &[\"extra\", \"more/extra\"]),\n    (\"rpc\", &[\"rpc\"]),\n];"
            ),
            "{edited}"
        );
        let names: Vec<String> = ConfFile::parse(&edited)
            .unwrap()
            .dyne()
            .unwrap()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(names, ["poppy", "extra", "rpc"]);
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
        let conf = ConfFile::parse("pub const DYNE: Dyne = DIRS;\n").unwrap();
        assert!(conf.append("DYNE", &[dyne_entry("rpc")]).is_err());
        let conf = ConfFile::parse("").unwrap();
        assert!(
            conf.dyne()
                .err()
                .unwrap()
                .message()
                .contains("no `pub const DYNE`")
        );
    }
}
