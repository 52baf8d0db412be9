//! Name validation, in the manner of `cargo new`: every refusal says why and
//! how to fix it.

use crate::error::{Error, Result};

/// What a name is for; the rules differ a little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A project (a Cargo package): `-` is allowed and becomes `_` in Rust.
    Project,
    /// A sub: a directory under `src/` and a Rust module.
    Sub,
    /// A plugin: a file in a sub's directory and a Rust module.
    Plugin,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Project => "project",
            NameKind::Sub => "sub",
            NameKind::Plugin => "plugin",
        }
    }
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "super", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Names Windows cannot use for a file or directory.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks a name, returning the error (exit code 2, with a hint) for a bad one.
pub fn validate(kind: NameKind, name: &str) -> Result<()> {
    let noun = kind.noun();
    let refuse = |why: String, hint: String| {
        Err(Error::usage(format!("invalid {noun} name `{name}`: {why}")).hint(hint))
    };
    if name.is_empty() {
        return Err(Error::usage(format!("the {noun} name cannot be empty"))
            .hint(format!("give a name like `{}`", example(kind))));
    }
    if name.contains('/')
        || name.contains('\\')
        || name == "."
        || name == ".."
        || name.contains("..")
    {
        let hint = match kind {
            NameKind::Project => "run pop-create in the directory that should hold the project, and give a plain name".to_owned(),
            _ => format!("a {noun} name is a plain name like `{}`, not a path", example(kind)),
        };
        return refuse(
            "it is a path, and could write outside the target directory".into(),
            hint,
        );
    }
    if !name.is_ascii() {
        return refuse(
            "it contains non-ASCII characters".into(),
            format!(
                "use ASCII letters, digits and `_`, e.g. `{}`",
                example(kind)
            ),
        );
    }
    let first = name.chars().next().expect("not empty");
    if first.is_ascii_digit() {
        return refuse(
            "it starts with a digit, which a Rust identifier cannot".into(),
            format!("put a letter first, e.g. `{noun}_{name}`"),
        );
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || c == '_' || (c == '-' && kind == NameKind::Project);
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        let fixed: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let allowed_text = match kind {
            NameKind::Project => "letters, digits, `_` and `-`",
            _ => "letters, digits and `_`",
        };
        return refuse(
            format!("the character `{bad}` is not allowed (use {allowed_text})"),
            format!("try `{fixed}`"),
        );
    }
    if first == '-' || name.chars().all(|c| c == '_' || c == '-') {
        return refuse(
            "it must start with a letter".into(),
            format!("try `{}`", example(kind)),
        );
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return refuse(
            "Rust modules are snake_case, and an upper-case name would fail `cargo clippy -D warnings`".into(),
            format!("try `{}`", snake_case(name)),
        );
    }
    let ident = name.replace('-', "_");
    if KEYWORDS.contains(&ident.as_str()) {
        return refuse(
            "it is a Rust keyword".into(),
            format!("try `{ident}_` or `my_{ident}`"),
        );
    }
    if WINDOWS_DEVICES.contains(&name) {
        return refuse(
            "it is a reserved device name on Windows".into(),
            format!("try `{name}_{noun}`"),
        );
    }
    if let Some(why) = reserved(kind, &ident) {
        return refuse(why, format!("try `my_{ident}`"));
    }
    if kind == NameKind::Project && name.len() > 64 {
        return refuse(
            "it is longer than 64 characters, which crates.io refuses".into(),
            "choose a shorter name".into(),
        );
    }
    Ok(())
}

fn reserved(kind: NameKind, ident: &str) -> Option<String> {
    let std_crates = ["std", "core", "alloc", "proc_macro", "test"];
    if std_crates.contains(&ident) {
        return Some(format!("`{ident}` is the name of a crate Rust ships with"));
    }
    let runtime = ["pop", "pop_macros", "pop_build", "pop_router"];
    if runtime.contains(&ident) {
        return Some(format!(
            "`{ident}` is a crate of the pop runtime every project depends on"
        ));
    }
    match (kind, ident) {
        (NameKind::Sub, "conf") => {
            Some("`conf` is the project's configuration module (src/conf.rs)".into())
        }
        (NameKind::Sub, "runtime") => {
            Some("`runtime` would be confused with the runtime's directory".into())
        }
        (NameKind::Plugin, "init") => {
            Some("`init.rs` is the sub's lifecycle file, not a plugin".into())
        }
        (NameKind::Plugin, "mod" | "lib" | "main") => {
            Some(format!("`{ident}.rs` has a special meaning in Rust"))
        }
        _ => None,
    }
}

fn example(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Project => "poppy",
        NameKind::Sub => "rpc",
        NameKind::Plugin => "math",
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Rust name of a project: its package name with `_` for `-`.
pub fn crate_name(project: &str) -> String {
    project.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(kind: NameKind, name: &str) -> (String, String) {
        let err = validate(kind, name).expect_err(name);
        assert_eq!(err.exit_code(), 2, "{name}");
        (
            err.message().to_owned(),
            err.hint_text()
                .expect("every refusal has a hint")
                .to_owned(),
        )
    }

    #[test]
    fn good_names_pass() {
        for name in ["poppy", "my-app", "my_app", "app2", "a"] {
            validate(NameKind::Project, name).unwrap();
        }
        for name in ["rpc", "math", "fib_2", "admin_users"] {
            validate(NameKind::Sub, name).unwrap();
            validate(NameKind::Plugin, name).unwrap();
        }
    }

    #[test]
    fn bad_names_say_why_and_how_to_fix() {
        let cases: &[(NameKind, &str, &str, &str)] = &[
            (NameKind::Project, "", "cannot be empty", "poppy"),
            (NameKind::Project, "fn", "Rust keyword", "fn_"),
            (NameKind::Sub, "async", "Rust keyword", "async_"),
            (
                NameKind::Project,
                "2fast",
                "starts with a digit",
                "project_2fast",
            ),
            (NameKind::Project, "my app", "character ` `", "my_app"),
            (NameKind::Sub, "my-sub", "character `-`", "my_sub"),
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
            (NameKind::Project, "Poppy", "snake_case", "poppy"),
            (NameKind::Sub, "MySub", "snake_case", "my_sub"),
            (NameKind::Project, "café", "non-ASCII", "poppy"),
            (NameKind::Sub, "conf", "configuration module", "my_conf"),
            (NameKind::Plugin, "init", "lifecycle file", "my_init"),
            (NameKind::Project, "-x", "must start with a letter", "poppy"),
        ];
        for (kind, name, why, fix) in cases {
            let (message, hint) = refused(*kind, name);
            assert!(message.contains(why), "{name}: {message}");
            assert!(hint.contains(fix), "{name}: {hint}");
        }
        let long = "a".repeat(65);
        assert!(
            refused(NameKind::Project, &long)
                .0
                .contains("64 characters")
        );
    }
}
