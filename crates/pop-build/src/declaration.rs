//! The grammar of a crate's `src/conf.rs`, in one place.
//!
//! `src/conf.rs` declares four lists, each a `pub const` (or `pub static`)
//! array literal:
//!
//! ```text
//! pub const CONFIG: &[Opt] = &[Opt::u16("port", 8888).help("The port to bind to")];
//! pub const CLI_CONFIG: &[Flag] = &[Flag::new("port").short('p')];
//! pub const SUBCOMMANDS: &[Subcommand] = &[Subcommand::new("serve").help("Serve")];
//! pub const DYNE: Dyne = &[("rpc", &["rpc"])];
//! ```
//!
//! [`Declaration::parse`] reads them into typed entries, each with its place
//! in the text, so the build script can generate code from them and
//! `pop-create` can edit them in place without disturbing anything else.

use std::fmt;
use std::ops::Range;

use syn::spanned::Spanned;

use crate::names;

/// The file, for messages.
pub const FILE: &str = "src/conf.rs";

/// The four lists, in the order a fresh `conf.rs` declares them.
pub const LISTS: [&str; 4] = ["CONFIG", "CLI_CONFIG", "SUBCOMMANDS", "DYNE"];

/// A problem in `src/conf.rs`, at a line and column (both from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfError {
    /// The line.
    pub line: usize,
    /// The column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub hint: Option<String>,
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{FILE}:{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ConfError {}

/// The type of an option's value: the `Opt` constructor that declares it and
/// the Rust type of its field in the generated `Config`.
///
/// This table is the one list of option types; the runtime's `Opt`
/// constructors are checked against it by its tests.
pub const OPTION_TYPES: &[(&str, &str, &str)] = &[
    // (constructor, `Kind` variant, Rust type)
    ("string", "String", "::std::string::String"),
    ("path", "Path", "::std::path::PathBuf"),
    ("bool", "Bool", "bool"),
    ("ip", "Ip", "::std::net::IpAddr"),
    ("u16", "U16", "u16"),
    ("u32", "U32", "u32"),
    ("u64", "U64", "u64"),
    ("i64", "I64", "i64"),
    ("f64", "F64", "f64"),
];

/// One entry of `CONFIG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionDecl {
    /// The option's name: its field, flag and environment variable.
    pub name: String,
    /// The constructor it was declared with (`u16`, `string`, … or `new`).
    pub constructor: String,
    /// The Rust type of its value in the generated `Config`.
    pub rust_type: String,
    /// Its help text.
    pub help: String,
}

/// One entry of `CLI_CONFIG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagDecl {
    /// The option it sets.
    pub name: String,
    /// Its short form, if any.
    pub short: Option<char>,
    /// Its long form, when not derived from the name.
    pub long: Option<String>,
}

/// One entry of `SUBCOMMANDS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubcommandDecl {
    /// The sub-command's name.
    pub name: String,
}

/// One entry of `DYNE`: a sub and its directories under `src/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DyneEntry {
    /// The sub's name.
    pub sub: String,
    /// Its directories, relative to `src/`, in order.
    pub dirs: Vec<String>,
}

/// One list of `src/conf.rs` and where it is in the text.
#[derive(Clone, Debug)]
pub struct List<T> {
    /// The entries, each with its byte range in the text.
    pub entries: Vec<(T, Range<usize>)>,
    /// The byte offset of the array's `[`.
    pub open: usize,
    /// The byte offset of the array's `]`.
    pub close: usize,
    /// True when the item is marked `#[rustfmt::skip]`: its layout is the user's.
    pub keep_layout: bool,
}

impl<T> List<T> {
    /// The entries without their places.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(entry, _)| entry)
    }
}

/// Everything `src/conf.rs` declares.
#[derive(Clone, Debug)]
pub struct Declaration {
    /// `CONFIG`.
    pub config: List<OptionDecl>,
    /// `CLI_CONFIG`.
    pub cli_config: List<FlagDecl>,
    /// `SUBCOMMANDS`.
    pub subcommands: List<SubcommandDecl>,
    /// `DYNE`.
    pub dyne: List<DyneEntry>,
}

impl Declaration {
    /// Reads `src/conf.rs`.
    pub fn parse(text: &str) -> Result<Declaration, ConfError> {
        let lines = LineIndex::new(text);
        let file = syn::parse_file(text).map_err(|err| {
            let at = err.span().start();
            ConfError {
                line: at.line,
                column: at.column + 1,
                message: format!("{err}"),
                hint: Some("fix the Rust syntax, then run the command again".into()),
            }
        })?;
        let list = |name: &str| -> Result<(&syn::ExprArray, bool), ConfError> {
            let Some((expr, keep_layout)) = find_item(&file, name) else {
                return Err(ConfError {
                    line: 1,
                    column: 1,
                    message: format!("no `pub const {name}` is declared"),
                    hint: Some(format!(
                        "a pop crate's src/conf.rs declares {}",
                        LISTS.join(", ")
                    )),
                });
            };
            let array = array_literal(expr).ok_or_else(|| {
                at(
                    expr.span(),
                    format!("`{name}` is not an array literal (`&[…]`)"),
                    Some("write it as `&[ … ]` so the build script and pop-create can read it"),
                )
            })?;
            Ok((array, keep_layout))
        };
        let declaration = Declaration {
            config: read_list(&lines, list("CONFIG")?, option)?,
            cli_config: read_list(&lines, list("CLI_CONFIG")?, flag)?,
            subcommands: read_list(&lines, list("SUBCOMMANDS")?, subcommand)?,
            dyne: read_list(&lines, list("DYNE")?, dyne_entry)?,
        };
        for (index, (entry, range)) in declaration.dyne.entries.iter().enumerate() {
            let earlier = &declaration.dyne.entries[..index];
            if earlier.iter().any(|(known, _)| known.sub == entry.sub) {
                let (line, column) = lines.position(range.start);
                return Err(ConfError {
                    line,
                    column,
                    message: format!("DYNE lists the sub `{}` twice", entry.sub),
                    hint: Some("keep one entry and list all its directories there".into()),
                });
            }
        }
        Ok(declaration)
    }

    /// A sub of `DYNE`, by name.
    pub fn sub(&self, name: &str) -> Option<&DyneEntry> {
        self.dyne.iter().find(|entry| entry.sub == name)
    }
}

/// The value of `pub const NAME` or `pub static NAME`, and whether it is
/// marked `#[rustfmt::skip]`.
fn find_item<'a>(file: &'a syn::File, name: &str) -> Option<(&'a syn::Expr, bool)> {
    file.items.iter().find_map(|item| {
        let (ident, expr, attrs) = match item {
            syn::Item::Const(item) => (&item.ident, &*item.expr, &item.attrs),
            syn::Item::Static(item) => (&item.ident, &*item.expr, &item.attrs),
            _ => return None,
        };
        let skip = attrs.iter().any(|attr| {
            let path = attr.path();
            path.segments.len() == 2
                && path.segments[0].ident == "rustfmt"
                && path.segments[1].ident == "skip"
        });
        (ident == name).then_some((expr, skip))
    })
}

/// Looks through `&`, parentheses and invisible groups.
fn strip(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(reference) => strip(&reference.expr),
        syn::Expr::Group(group) => strip(&group.expr),
        syn::Expr::Paren(paren) => strip(&paren.expr),
        other => other,
    }
}

fn array_literal(expr: &syn::Expr) -> Option<&syn::ExprArray> {
    match strip(expr) {
        syn::Expr::Array(array) => Some(array),
        _ => None,
    }
}

fn string_literal(expr: &syn::Expr) -> Option<String> {
    match strip(expr) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

fn read_list<T>(
    lines: &LineIndex<'_>,
    (array, keep_layout): (&syn::ExprArray, bool),
    read: impl Fn(&syn::Expr) -> Result<T, ConfError>,
) -> Result<List<T>, ConfError> {
    let mut entries = Vec::with_capacity(array.elems.len());
    for element in &array.elems {
        let span = element.span();
        let range = lines.offset(span.start())..lines.offset(span.end());
        entries.push((read(element)?, range));
    }
    Ok(List {
        entries,
        open: lines.offset(array.bracket_token.span.open().start()),
        close: lines.offset(array.bracket_token.span.close().start()),
        keep_layout,
    })
}

/// A builder chain `Type::new(args).method(args)…`: the constructor call and
/// the method calls, innermost first.
fn chain(expr: &syn::Expr) -> (&syn::Expr, Vec<&syn::ExprMethodCall>) {
    let mut methods = Vec::new();
    let mut current = strip(expr);
    while let syn::Expr::MethodCall(call) = current {
        methods.push(call);
        current = strip(&call.receiver);
    }
    methods.reverse();
    (current, methods)
}

/// `Ty::constructor(args)`: the constructor's name and its arguments.
fn constructor<'a>(expr: &'a syn::Expr, ty: &str) -> Option<(String, Vec<&'a syn::Expr>)> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(path) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let [.., owner, name] = segments.as_slice() else {
        return None;
    };
    (owner == ty).then(|| (name.clone(), call.args.iter().collect()))
}

fn option(expr: &syn::Expr) -> Result<OptionDecl, ConfError> {
    let shape = || {
        at(
            expr.span(),
            "a CONFIG entry must be `Opt::<type>(\"name\", default)` or `Opt::new(\"name\", Kind::<Type>)`".into(),
            Some(&format!(
                "e.g. `Opt::u16(\"port\", 8888).help(\"The port\")`; the types are {}",
                OPTION_TYPES.iter().map(|(c, ..)| *c).collect::<Vec<_>>().join(", ")
            )),
        )
    };
    let (call, methods) = chain(expr);
    let (ctor, args) = constructor(call, "Opt").ok_or_else(shape)?;
    let name = args
        .first()
        .and_then(|a| string_literal(a))
        .ok_or_else(shape)?;
    let rust_type = if ctor == "new" {
        let kind = match args.get(1).map(|a| strip(a)) {
            Some(syn::Expr::Path(kind)) => kind.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let inner = kind
            .and_then(|kind| OPTION_TYPES.iter().find(|(_, variant, _)| *variant == kind))
            .map(|(_, _, ty)| *ty)
            .ok_or_else(shape)?;
        format!("::core::option::Option<{inner}>")
    } else {
        OPTION_TYPES
            .iter()
            .find(|(c, ..)| *c == ctor)
            .map(|(_, _, ty)| (*ty).to_owned())
            .ok_or_else(shape)?
    };
    if !names::is_identifier(&name) {
        return Err(at(
            expr.span(),
            format!("the option name `{name}` is not a Rust identifier"),
            Some(
                "use letters, digits and `_`, not a keyword: it is a field of the generated `Config`",
            ),
        ));
    }
    let help = methods
        .iter()
        .filter(|m| m.method == "help")
        .find_map(|m| m.args.first().and_then(string_literal))
        .unwrap_or_default();
    Ok(OptionDecl {
        name,
        constructor: ctor,
        rust_type,
        help,
    })
}

fn flag(expr: &syn::Expr) -> Result<FlagDecl, ConfError> {
    let shape = || {
        at(
            expr.span(),
            "a CLI_CONFIG entry must be `Flag::new(\"option\")`, optionally with `.short('x')`, `.long(\"name\")` or `.subcommands(&[…])`".into(),
            None,
        )
    };
    let (call, methods) = chain(expr);
    let (ctor, args) = constructor(call, "Flag").ok_or_else(shape)?;
    if ctor != "new" {
        return Err(shape());
    }
    let name = args
        .first()
        .and_then(|a| string_literal(a))
        .ok_or_else(shape)?;
    let mut decl = FlagDecl {
        name,
        short: None,
        long: None,
    };
    for method in methods {
        match method.method.to_string().as_str() {
            "short" => match method.args.first().map(strip) {
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Char(c),
                    ..
                })) => decl.short = Some(c.value()),
                _ => return Err(shape()),
            },
            "long" => {
                decl.long = Some(
                    method
                        .args
                        .first()
                        .and_then(string_literal)
                        .ok_or_else(shape)?,
                )
            }
            _ => {}
        }
    }
    Ok(decl)
}

fn subcommand(expr: &syn::Expr) -> Result<SubcommandDecl, ConfError> {
    let shape = || {
        at(
            expr.span(),
            "a SUBCOMMANDS entry must be `Subcommand::new(\"name\")`, optionally with `.help(\"…\")`".into(),
            None,
        )
    };
    let (call, _) = chain(expr);
    let (ctor, args) = constructor(call, "Subcommand").ok_or_else(shape)?;
    let name = args.first().and_then(|a| string_literal(a));
    match (ctor.as_str(), name) {
        ("new", Some(name)) => Ok(SubcommandDecl { name }),
        _ => Err(shape()),
    }
}

fn dyne_entry(expr: &syn::Expr) -> Result<DyneEntry, ConfError> {
    let shape = |span: proc_macro2::Span| {
        at(
            span,
            "a DYNE entry must be `(\"sub\", &[\"directory\", …])` with string literals".into(),
            Some("directories are relative to src/, e.g. `(\"rpc\", &[\"rpc\"])`"),
        )
    };
    let syn::Expr::Tuple(tuple) = strip(expr) else {
        return Err(shape(expr.span()));
    };
    let parts: Vec<&syn::Expr> = tuple.elems.iter().collect();
    let [sub, dirs] = parts.as_slice() else {
        return Err(shape(expr.span()));
    };
    let sub_name = string_literal(sub).ok_or_else(|| shape(sub.span()))?;
    let array = array_literal(dirs).ok_or_else(|| shape(dirs.span()))?;
    let mut dir_names = Vec::new();
    for dir in &array.elems {
        let text = string_literal(dir).ok_or_else(|| shape(dir.span()))?;
        let escapes = text.is_empty()
            || text.starts_with('/')
            || text.contains('\\')
            || text
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if escapes {
            return Err(at(
                dir.span(),
                format!("`{text}` must be a directory inside src/, like \"{sub_name}\""),
                None,
            ));
        }
        dir_names.push(text);
    }
    if dir_names.is_empty() {
        return Err(at(
            dirs.span(),
            format!("the sub `{sub_name}` lists no directory"),
            Some(&format!("e.g. `(\"{sub_name}\", &[\"{sub_name}\"])`")),
        ));
    }
    if let Err(err) = names::validate(names::NameKind::Sub, &sub_name) {
        return Err(at(
            sub.span(),
            format!("the sub `{sub_name}` cannot be used: {}", err.reason),
            Some(&format!("rename it in DYNE; {}", err.hint)),
        ));
    }
    Ok(DyneEntry {
        sub: sub_name,
        dirs: dir_names,
    })
}

fn at(span: proc_macro2::Span, message: String, hint: Option<&str>) -> ConfError {
    let start = span.start();
    ConfError {
        line: start.line,
        column: start.column + 1,
        message,
        hint: hint.map(str::to_owned),
    }
}

/// Turns syn's (line, column-in-chars) positions into byte offsets.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The line and column (both from 1, the column in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset.min(self.text.len())]
            .chars()
            .count();
        (line, column + 1)
    }

    pub(crate) fn offset(&self, at: proc_macro2::LineColumn) -> usize {
        let Some(&start) = self.starts.get(at.line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        start
            + line
                .char_indices()
                .nth(at.column)
                .map_or(line.len(), |(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = r#"//! Config.

use pop::conf::{Dyne, Flag, Kind, Opt, Subcommand};

/// Options.
pub const CONFIG: &[Opt] = &[
    Opt::string("addr", "127.0.0.1").help("The address"),
    Opt::u16("port", 8888).help("The port"),
    Opt::new("token", Kind::String),
];

/// Flags.
pub static CLI_CONFIG: &[Flag] = &[Flag::new("port").short('p').long("listen")];

/// Sub-commands.
pub const SUBCOMMANDS: &[Subcommand] = &[Subcommand::new("serve").help("Serve")];

/// Subs.
#[rustfmt::skip]
pub const DYNE: pop::Dyne = (&[("poppy", &["poppy"]), ("rpc", &["rpc", "more/rpc"])]);
"#;

    #[test]
    fn reads_every_list_with_its_place() {
        let decl = Declaration::parse(CONF).unwrap();
        let options: Vec<(&str, &str)> = decl
            .config
            .iter()
            .map(|o| (o.name.as_str(), o.rust_type.as_str()))
            .collect();
        assert_eq!(
            options,
            [
                ("addr", "::std::string::String"),
                ("port", "u16"),
                ("token", "::core::option::Option<::std::string::String>")
            ]
        );
        assert_eq!(decl.config.entries[1].0.help, "The port");
        let flag = &decl.cli_config.entries[0].0;
        assert_eq!(
            (flag.short, flag.long.as_deref()),
            (Some('p'), Some("listen"))
        );
        assert_eq!(decl.subcommands.entries[0].0.name, "serve");
        assert_eq!(
            decl.sub("rpc").unwrap().dirs,
            ["rpc", "more/rpc"],
            "parentheses are looked through"
        );
        assert!(decl.dyne.keep_layout && !decl.config.keep_layout);
        let (_, range) = &decl.dyne.entries[0];
        assert_eq!(&CONF[range.clone()], r#"("poppy", &["poppy"])"#);
        assert_eq!(&CONF[decl.dyne.open..=decl.dyne.open], "[");
        assert_eq!(&CONF[decl.dyne.close..=decl.dyne.close], "]");
    }

    #[test]
    fn refusals_name_the_line_and_what_is_wrong() {
        let with_dyne = |dyne: &str| {
            CONF.replace(
                r#"(&[("poppy", &["poppy"]), ("rpc", &["rpc", "more/rpc"])])"#,
                dyne,
            )
        };
        let cases = [
            (with_dyne("DIRS"), "not an array literal"),
            (with_dyne(r#"&[("rpc", &[RPC_DIR])]"#), "string literals"),
            (with_dyne(r#"&[("rpc", &["../x"])]"#), "inside src/"),
            (with_dyne(r#"&[("rpc", &[])]"#), "lists no directory"),
            (
                with_dyne(r#"&[("conf", &["conf"])]"#),
                "configuration module",
            ),
            (with_dyne(r#"&[("rpc", &["a"]), ("rpc", &["b"])]"#), "twice"),
            (
                CONF.replace("Opt::u16(\"port\", 8888)", "Opt::u128(\"port\", 8888)"),
                "CONFIG entry",
            ),
            (
                CONF.replace("\"token\"", "\"type\""),
                "not a Rust identifier",
            ),
            (
                CONF.replace("pub const SUBCOMMANDS", "pub const SUBS"),
                "no `pub const SUBCOMMANDS`",
            ),
            (
                "pub const DYNE: Dyne = &[(\"poppy\", &[\"poppy\"]);\n".to_owned(),
                "src/conf.rs:1:",
            ),
        ];
        for (text, needle) in cases {
            let err = Declaration::parse(&text).unwrap_err();
            let shown = format!("{err} {:?}", err.hint);
            assert!(shown.contains(needle), "{needle}: {shown}");
        }
        let err = Declaration::parse(&with_dyne(r#"&[("rpc", &[RPC_DIR])]"#)).unwrap_err();
        assert_eq!((err.line, err.column), (20, 41), "{err}");
    }
}
