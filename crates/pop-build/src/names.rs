//! The naming rules of pop crates, in one place: what a project, a sub, a
//! plugin file and an option may be called, and the names derived from them.
//!
//! `pop-create` checks names with these rules before it writes anything, and
//! the build script checks what it finds on disk with the same rules, so a
//! name one accepts the other never refuses.

use std::fmt;

/// Rust's strict and reserved keywords (2024 edition): none can name a module.
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crates every Rust program can name: a module of the same name would make
/// paths like `core::…` ambiguous.
const SYSROOT_CRATES: &[&str] = &["alloc", "core", "proc_macro", "std", "test"];

/// The runtime's crates, as generated code and user code name them.
const RUNTIME_CRATES: &[&str] = &["pop", "pop_hub", "pop_macros", "pop_build"];

/// Names Windows cannot give a file or directory.
const WINDOWS_DEVICES: &[&str] = &[
    "aux", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "con", "lpt1",
    "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "nul", "prn",
];

/// Names Cargo refuses for a binary: they are directories of its target dir.
const CARGO_TARGET_DIRS: &[&str] = &["build", "deps", "examples", "incremental"];

/// What a name is for; the rules differ a little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A project: a Cargo package, whose Rust name is its config namespace.
    Project,
    /// A sub: a directory under `src/` and a module at the crate's root.
    Sub,
    /// A plugin: a `.rs` file in a sub's directory, and a module.
    Plugin,
    /// A directory inside a sub's directory: a nested sub.
    NestedSub,
    /// An option in `CONFIG`: a field of the generated `Config`.
    Option,
}

impl NameKind {
    /// The noun for messages: `project`, `sub`, …
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Project => "project",
            NameKind::Sub => "sub",
            NameKind::Plugin => "plugin",
            NameKind::NestedSub => "nested sub",
            NameKind::Option => "option",
        }
    }

    fn example(self) -> &'static str {
        match self {
            NameKind::Project => "poppy",
            NameKind::Sub | NameKind::NestedSub => "rpc",
            NameKind::Plugin => "math",
            NameKind::Option => "port",
        }
    }
}

/// Why a name was refused, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    /// What the name is for.
    pub kind: NameKind,
    /// The name as given.
    pub name: String,
    /// Why it is refused, e.g. "it is a Rust keyword".
    pub reason: String,
    /// A fix, e.g. "try `fn_`".
    pub hint: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "the {} name cannot be empty", self.kind.noun())
        } else {
            write!(
                f,
                "invalid {} name `{}`: {}",
                self.kind.noun(),
                self.name,
                self.reason
            )
        }
    }
}

impl std::error::Error for NameError {}

/// Checks a name for `kind`.
pub fn validate(kind: NameKind, name: &str) -> Result<(), NameError> {
    let refuse = |reason: &str, hint: String| {
        Err(NameError {
            kind,
            name: name.to_owned(),
            reason: reason.to_owned(),
            hint,
        })
    };
    let noun = kind.noun();
    if name.is_empty() {
        return refuse("", format!("give a name like `{}`", kind.example()));
    }
    if name.contains(['/', '\\']) || name.contains("..") || name == "." {
        let hint = match kind {
            NameKind::Project => {
                "run pop-create in the directory that should hold the project, and give a plain name"
                    .to_owned()
            }
            _ => format!(
                "a {noun} name is a plain name like `{}`, not a path",
                kind.example()
            ),
        };
        return refuse(
            "it is a path, and could write outside the target directory",
            hint,
        );
    }
    if !name.is_ascii() {
        return refuse(
            "it contains non-ASCII characters",
            format!(
                "use ASCII letters, digits and `_`, e.g. `{}`",
                kind.example()
            ),
        );
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return refuse(
            "it starts with a digit, which a Rust identifier cannot",
            format!(
                "put a letter first, e.g. `{}_{name}`",
                noun.replace(' ', "_")
            ),
        );
    }
    let dash_allowed = kind == NameKind::Project;
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || (c == '-' && dash_allowed);
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        let allowed_text = match dash_allowed {
            true => "letters, digits, `_` and `-`",
            false => "letters, digits and `_`",
        };
        return refuse(
            &format!("the character `{bad}` is not allowed (use {allowed_text})"),
            format!("try `{}`", suggestion(name, dash_allowed)),
        );
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        // pop skips files and directories starting with `_`, so such a plugin would vanish.
        let trimmed = name.trim_start_matches(['_', '-']);
        let hint = match trimmed.is_empty() {
            true => kind.example().to_owned(),
            false => trimmed.to_owned(),
        };
        return refuse("it must start with a letter", format!("try `{hint}`"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return refuse(
            "Rust modules are snake_case, and an upper-case name would fail `cargo clippy -D warnings`",
            format!("try `{}`", suggestion(name, dash_allowed)),
        );
    }
    let ident = name.replace('-', "_");
    if ident.trim_matches('_').contains("__") {
        return refuse(
            "it has two separators in a row, and rustc warns that such a module name is not snake_case",
            format!("try `{}`", suggestion(name, dash_allowed)),
        );
    }
    if is_keyword(&ident) {
        return refuse(
            "it is a Rust keyword",
            format!("try `{ident}_` or `my_{ident}`"),
        );
    }
    if WINDOWS_DEVICES.contains(&name) {
        return refuse(
            "it is a reserved device name on Windows",
            format!("try `{name}_{}`", noun.replace(' ', "_")),
        );
    }
    if let Some(reason) = reserved(kind, &ident) {
        return refuse(&reason, format!("try `my_{ident}`"));
    }
    if kind == NameKind::Project && name.len() > 64 {
        return refuse(
            "it is longer than 64 characters, which crates.io refuses",
            "choose a shorter name".to_owned(),
        );
    }
    Ok(())
}

/// A plugin file's name must also differ from its sub's: a module inside a
/// module of the same name fails clippy's `module_inception`.
pub fn validate_plugin_in(sub: &str, plugin: &str) -> Result<(), NameError> {
    validate(NameKind::Plugin, plugin)?;
    let last = sub.rsplit('.').next().unwrap_or(sub);
    if plugin == last {
        return Err(NameError {
            kind: NameKind::Plugin,
            name: plugin.to_owned(),
            reason: format!(
                "it is the name of its sub, and `{last}::{plugin}` fails clippy's module_inception lint"
            ),
            hint: format!("try `{plugin}_api` or `{plugin}_fns`"),
        });
    }
    Ok(())
}

fn reserved(kind: NameKind, ident: &str) -> Option<String> {
    if SYSROOT_CRATES.contains(&ident) {
        return Some(format!("`{ident}` is the name of a crate Rust ships with"));
    }
    if RUNTIME_CRATES.contains(&ident) {
        return Some(format!(
            "`{ident}` is a crate of the pop runtime every project depends on"
        ));
    }
    match (kind, ident) {
        (NameKind::Project, dir) if CARGO_TARGET_DIRS.contains(&dir) => Some(format!(
            "Cargo refuses `{dir}` as a binary name: it is a directory of the build output"
        )),
        (NameKind::Sub, "conf") => {
            Some("`conf` is the project's configuration module (src/conf.rs)".into())
        }
        (NameKind::Sub, "subs") => {
            Some("`subs` is the module of the project's subs (src/subs.rs)".into())
        }
        (NameKind::Sub, "runtime") => {
            Some("`runtime` would be confused with the runtime's directory".into())
        }
        (NameKind::Sub | NameKind::NestedSub, "init") => Some(
            "a sub's lifecycle file is `init.rs`, and a sub `init` would hold `init::init`, which fails clippy's module_inception lint".into(),
        ),
        (NameKind::NestedSub | NameKind::Plugin, "contracts") => {
            Some("a sub's `contracts/` directory holds its contracts, not plugins".into())
        }
        (NameKind::Plugin, "init") => {
            Some("`init.rs` is the sub's lifecycle file, not a plugin".into())
        }
        (NameKind::Plugin, "mod" | "lib" | "main") => {
            Some(format!("`{ident}.rs` has a special meaning in Rust"))
        }
        (NameKind::Plugin, "tests") => Some(
            "a plugin's unit tests live in its own `mod tests`, so `tests::tests` would fail clippy's module_inception lint".into(),
        ),
        _ => None,
    }
}

/// A fix for a name with characters Rust modules cannot have: `My-App` → `my_app`.
fn suggestion(name: &str, dash_allowed: bool) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous: Option<char> = None;
    for c in name.chars() {
        let mapped = if c.is_ascii_uppercase() {
            // A capital starts a word, unless a separator already did.
            let starts_word =
                previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if starts_word {
                out.push('_');
            }
            c.to_ascii_lowercase()
        } else if c.is_ascii_alphanumeric() || c == '_' || (c == '-' && dash_allowed) {
            c
        } else {
            '_'
        };
        // `-` and `_` next to another separator collapse into one `_`.
        let is_separator = |c: char| c == '_' || c == '-';
        if is_separator(mapped) && out.ends_with(is_separator) {
            out.pop();
            out.push('_');
        } else {
            out.push(mapped);
        }
        previous = Some(c);
    }
    let trimmed = out.trim_matches(|c| c == '_' || c == '-');
    if trimmed.is_empty() {
        "poppy".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// True for Rust's keywords (strict and reserved), which cannot name a module.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// True for a plain (non-raw) Rust identifier that may name a module or a field.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && !is_keyword(name)
}

/// The Rust name of a package: `my-app` → `my_app`. It is also the crate's
/// configuration namespace (`hub.opt()["my_app"]`).
pub fn crate_name(package: &str) -> String {
    package.replace('-', "_")
}

/// The prefix of a crate's environment variables: `my_app` → `MY_APP`, so
/// its option `port` is read from `MY_APP_PORT`.
pub fn env_prefix(crate_name: &str) -> String {
    crate_name.replace('-', "_").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(kind: NameKind, name: &str) -> NameError {
        validate(kind, name).expect_err(name)
    }

    #[test]
    fn good_names_pass() {
        for name in [
            "poppy", "my-app", "my_app", "app2", "a", "builder", "test_app",
        ] {
            validate(NameKind::Project, name).unwrap();
        }
        for name in ["rpc", "math", "fib_2", "admin_users"] {
            validate(NameKind::Sub, name).unwrap();
            validate(NameKind::Plugin, name).unwrap();
        }
        validate_plugin_in("rpc", "math").unwrap();
    }

    #[test]
    fn bad_names_say_why_and_how_to_fix() {
        let cases: &[(NameKind, &str, &str, &str)] = &[
            (NameKind::Project, "", "cannot be empty", "poppy"),
            (NameKind::Project, "fn", "Rust keyword", "fn_"),
            (NameKind::Sub, "async", "Rust keyword", "async_"),
            (NameKind::Sub, "Self", "snake_case", "self"),
            (
                NameKind::Project,
                "2fast",
                "starts with a digit",
                "project_2fast",
            ),
            (NameKind::Project, "my app", "character ` `", "my_app"),
            (NameKind::Project, "My-App", "snake_case", "`my-app`"),
            (NameKind::Project, "MyApp", "snake_case", "`my_app`"),
            (NameKind::Sub, "my-sub", "character `-`", "my_sub"),
            (NameKind::Project, "a--b", "two separators", "`a_b`"),
            (NameKind::Plugin, "a__b", "two separators", "`a_b`"),
            (NameKind::Plugin, "math.rs", "character `.`", "math_rs"),
            (
                NameKind::Project,
                "test",
                "crate Rust ships with",
                "my_test",
            ),
            (NameKind::Project, "std", "crate Rust ships with", "my_std"),
            (NameKind::Sub, "core", "crate Rust ships with", "my_core"),
            (NameKind::Project, "pop", "pop runtime", "my_pop"),
            (NameKind::Project, "pop-hub", "pop runtime", "my_pop_hub"),
            (
                NameKind::Project,
                "con",
                "device name on Windows",
                "con_project",
            ),
            (
                NameKind::Plugin,
                "nul",
                "device name on Windows",
                "nul_plugin",
            ),
            (NameKind::Project, "../evil", "it is a path", "plain name"),
            (NameKind::Project, "a/b", "it is a path", "plain name"),
            (NameKind::Sub, "..", "it is a path", "not a path"),
            (NameKind::Project, "café", "non-ASCII", "poppy"),
            (NameKind::Sub, "conf", "configuration module", "my_conf"),
            (
                NameKind::Sub,
                "subs",
                "module of the project's subs",
                "my_subs",
            ),
            (NameKind::Sub, "init", "module_inception", "my_init"),
            (NameKind::Plugin, "init", "lifecycle file", "my_init"),
            (NameKind::Plugin, "tests", "module_inception", "my_tests"),
            (
                NameKind::Plugin,
                "contracts",
                "holds its contracts",
                "my_contracts",
            ),
            (NameKind::Project, "-x", "must start with a letter", "`x`"),
            (NameKind::Project, "build", "Cargo refuses", "my_build"),
            (NameKind::Project, "deps", "Cargo refuses", "my_deps"),
            (
                NameKind::Project,
                "examples",
                "Cargo refuses",
                "my_examples",
            ),
            (
                NameKind::Project,
                "incremental",
                "Cargo refuses",
                "my_incremental",
            ),
        ];
        for (kind, name, why, fix) in cases {
            let err = refused(*kind, name);
            assert!(err.to_string().contains(why), "{name}: {err}");
            assert!(err.hint.contains(fix), "{name}: {}", err.hint);
        }
        let long = "a".repeat(65);
        assert!(
            refused(NameKind::Project, &long)
                .reason
                .contains("64 characters")
        );
        let inception = validate_plugin_in("rpc.admin", "admin").unwrap_err();
        assert!(inception.reason.contains("module_inception"), "{inception}");
    }

    #[test]
    fn identifiers_and_derived_names() {
        assert!(is_identifier("fib_2") && is_identifier("_x"));
        for bad in ["2x", "_", "x-y", "type", "Self", ""] {
            assert!(!is_identifier(bad), "{bad}");
        }
        assert_eq!(crate_name("my-app"), "my_app");
        assert_eq!(env_prefix("my_app"), "MY_APP");
    }
}
