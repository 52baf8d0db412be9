//! The reader of plugin files: each sub's directories, their plugin files
//! and nested subs, and what each file defines (plugin functions with their
//! signatures, hooks, a load condition, sub aliases). Contract files are
//! read by `contracts`.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::declaration::Declaration;
use crate::model::{Dir, File, Layout, PluginFn, Sub};
use crate::names::{self, NameKind};
use crate::source::Source;
use crate::syntax::{find_fn, is_crate_visible, signature};

impl Layout {
    /// Reads the directories DYNE names, under `root/src`.
    pub fn read(
        root: &Path,
        declaration: &Declaration,
        source: &dyn Source,
    ) -> Result<Layout, Error> {
        let mut layout = Layout {
            subs: Vec::new(),
            dirs: Vec::new(),
        };
        for entry in declaration.dyne.iter() {
            let mut dirs = Vec::new();
            for dir in &entry.dirs {
                let path = root.join("src").join(dir);
                if !source.is_dir(&path) {
                    return Err(Error::new(format!(
                        "src/conf.rs: DYNE maps the sub `{}` to src/{dir}, which is not a directory",
                        entry.sub
                    ))
                    .hint(format!("create src/{dir}, or take the sub out of DYNE")));
                }
                let relative = format!("src/{dir}");
                let tree = read_dir(source, &path, &relative, &mut layout.dirs)?;
                for nested in tree.nested.values() {
                    refuse_aliases(nested)?;
                }
                dirs.push((dir.clone(), tree));
            }
            layout.subs.push(Sub {
                name: entry.sub.clone(),
                dirs,
            });
        }
        Ok(layout)
    }
}

/// Only a top-level sub is reached by name from the hub, so only it has aliases.
fn refuse_aliases(dir: &Dir) -> Result<(), Error> {
    if let Some(init) = dir.files.iter().find(|f| !f.aliases.is_empty()) {
        return Err(Error::new(format!(
            "{}: `ALIASES` names other names of a nested sub; only a top-level sub has them",
            init.path
        ))
        .hint("move `ALIASES` to the init.rs of the sub in DYNE, or remove it"));
    }
    dir.nested.values().try_for_each(refuse_aliases)
}

/// Reads one directory: `.rs` files are plugin modules, directories nested subs.
fn read_dir(
    source: &dyn Source,
    dir: &Path,
    relative: &str,
    watched: &mut Vec<PathBuf>,
) -> Result<Dir, Error> {
    watched.push(dir.to_path_buf());
    let mut found = Dir::default();
    let mut entries = source
        .list(dir)
        .map_err(|err| Error::new(format!("cannot read {relative}: {err}")))?;
    entries.sort();
    for (name, is_dir) in entries {
        let path = dir.join(&name);
        // As in pop, names starting with `_` (and hidden files) are not plugins.
        if name.starts_with(['_', '.']) {
            continue;
        }
        let shown = format!("{relative}/{name}");
        if is_dir {
            if name == "contracts" {
                found.contracts = crate::contracts::read_dir(source, &path, &shown, watched)?;
                continue;
            }
            names::validate(NameKind::NestedSub, &name).map_err(|err| {
                Error::new(format!("{shown}: {err}")).hint(format!(
                    "rename the directory ({}), or start its name with `_` to leave it out",
                    err.hint
                ))
            })?;
            let nested = read_dir(source, &path, &shown, watched)?;
            found.nested.insert(name, nested);
        } else if let Some(module) = name.strip_suffix(".rs") {
            if module != "init" {
                let sub = relative.rsplit('/').next().unwrap_or(relative);
                names::validate_plugin_in(sub, module).map_err(|err| {
                    Error::new(format!("{shown}: {err}")).hint(format!(
                        "rename the file ({}), or start its name with `_` to leave it out",
                        err.hint
                    ))
                })?;
            }
            let text = source
                .read(&path)
                .map_err(|err| Error::new(format!("cannot read {shown}: {err}")))?;
            found.files.push(read_file(module, &text, &shown)?);
        }
    }
    crate::contracts::check(&found, relative)?;
    if let Some(file) = found
        .files
        .iter()
        .find(|f| found.nested.contains_key(&f.module))
    {
        return Err(Error::new(format!(
            "{} and the directory {relative}/{} both define the module `{}`",
            file.path, file.module, file.module
        ))
        .hint("rename one of them"));
    }
    Ok(found)
}

/// Finds a file's `#[plugin]` functions and load condition, or for
/// `init.rs` its hooks, load condition and aliases.
fn read_file(module: &str, text: &str, shown: &str) -> Result<File, Error> {
    let mut file = File {
        module: module.to_owned(),
        path: shown.to_owned(),
        plugins: Vec::new(),
        available: false,
        aliases: Vec::new(),
        load_hook: false,
        start_hook: false,
        run_hook: false,
        run_takes_state: false,
    };
    // A file that does not parse registers nothing: rustc reports its error better.
    let Ok(parsed) = syn::parse_file(text) else {
        return Ok(file);
    };
    for item in &parsed.items {
        if let syn::Item::Const(constant) = item {
            if module == "init" && constant.ident == "ALIASES" {
                file.aliases = read_aliases(shown, constant)?;
            }
            continue;
        }
        let syn::Item::Fn(function) = item else {
            continue;
        };
        let ident = function.sig.ident.to_string();
        if ident == "available" {
            check_hook(shown, function, Hook::Available)?;
            file.available = true;
        } else if module == "init" {
            // init.rs is the sub's lifecycle, never called by reference.
            match ident.as_str() {
                "init" => {
                    check_hook(shown, function, Hook::Load)?;
                    file.load_hook = true;
                }
                "start" => {
                    check_hook(shown, function, Hook::Start)?;
                    file.start_hook = true;
                }
                "run" => {
                    check_hook(shown, function, Hook::Run)?;
                    file.run_hook = true;
                    file.run_takes_state = function.sig.inputs.len() == 2;
                }
                other => check_near_miss(shown, function, other, Hook::IN_INIT)?,
            }
        } else if let Some(attr) = function.attrs.iter().find(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "plugin")
        }) {
            file.plugins.push(read_plugin(function, attr));
        } else {
            check_near_miss(shown, function, &ident, &[Hook::Available])?;
        }
    }
    if let Some(run) = find_fn(&parsed, "run").filter(|_| file.run_takes_state && !file.start_hook)
    {
        let line = run.sig.ident.span().start().line;
        return Err(Error::new(format!(
            "{shown}:{line}: `run` takes a second parameter, what `start` returns, but there is no `start`"
        ))
        .hint("add `pub fn start(hub: &mut Hub) -> Result<T>`, or let `run` take the hub alone"));
    }
    check_exposed_names(&file)?;
    Ok(file)
}

/// A `#[plugin]` function's names and signature.
fn read_plugin(function: &syn::ItemFn, attr: &syn::Attribute) -> PluginFn {
    let name = function
        .sig
        .ident
        .to_string()
        .trim_start_matches("r#")
        .to_owned();
    // `#[plugin(name = "list-all")]`; the macro reports a malformed one.
    let exposed = attr
        .parse_args::<syn::MetaNameValue>()
        .ok()
        .and_then(|meta| match meta.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) if meta.path.is_ident("name") => Some(text.value()),
            _ => None,
        })
        .unwrap_or_else(|| name.clone());
    PluginFn {
        name,
        exposed,
        line: function.sig.ident.span().start().line,
        signature: signature(&function.sig, |arg| {
            arg.attrs.iter().any(|attr| attr.path().is_ident("default"))
        }),
    }
}

/// `pub const ALIASES: &[&str] = &["venv"];`: each alias a valid sub name.
fn read_aliases(shown: &str, constant: &syn::ItemConst) -> Result<Vec<String>, Error> {
    let line = constant.ident.span().start().line;
    let shape = || {
        Error::new(format!(
            "{shown}:{line}: `ALIASES` must list the sub's other names as string literals"
        ))
        .hint("write `pub const ALIASES: &[&str] = &[\"venv\"];`")
    };
    let syn::Expr::Reference(reference) = &*constant.expr else {
        return Err(shape());
    };
    let syn::Expr::Array(array) = &*reference.expr else {
        return Err(shape());
    };
    let mut aliases = Vec::new();
    for element in &array.elems {
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = element
        else {
            return Err(shape());
        };
        let alias = text.value();
        names::validate(NameKind::Sub, &alias).map_err(|err| {
            Error::new(format!("{shown}:{line}: the sub alias `{alias}`: {err}")).hint(err.hint)
        })?;
        aliases.push(alias);
    }
    Ok(aliases)
}

/// Two functions of a file must not answer to one name.
fn check_exposed_names(file: &File) -> Result<(), Error> {
    for (index, plugin) in file.plugins.iter().enumerate() {
        for other in &file.plugins[..index] {
            // A function with an alias no longer answers to its Rust name.
            if plugin.exposed == other.exposed {
                return Err(Error::new(format!(
                    "{}:{}: `{}` is exposed as `{}`, which `{}` already answers to",
                    file.path, plugin.line, plugin.name, plugin.exposed, other.name
                ))
                .hint("give one of them another `#[plugin(name = \"…\")]`"));
            }
        }
    }
    Ok(())
}

/// The hooks a sub's `init.rs` may define.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hook {
    Load,
    Start,
    Run,
    Available,
}

impl Hook {
    /// The hooks `init.rs` may define.
    const IN_INIT: &[Hook] = &[Hook::Load, Hook::Start, Hook::Run, Hook::Available];

    /// The function's name in `init.rs`.
    fn function(self) -> &'static str {
        match self {
            Hook::Load => "init",
            Hook::Start => "start",
            Hook::Run => "run",
            Hook::Available => "available",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hook::Load => "load",
            Hook::Start => "start",
            Hook::Run => "run",
            Hook::Available => "load condition",
        }
    }

    fn shape(self) -> &'static str {
        match self {
            Hook::Load => "`pub fn init(hub: &mut Hub) -> Result<()>`",
            Hook::Start => {
                "`pub fn start(hub: &mut Hub) -> Result<()>`, or `-> Result<T>` to hand `run` a `T`"
            }
            Hook::Run => {
                "`pub async fn run(hub: Arc<Hub>) -> Result<()>`, or `(hub: Arc<Hub>, state: T)` to take what `start` returns"
            }
            Hook::Available => {
                "`pub fn available(hub: &Hub) -> Result<()>`, an `Err` saying why it declines"
            }
        }
    }
}

/// The hooks are called from generated code, so their shape is checked here,
/// where the message can point at the user's function.
fn check_hook(shown: &str, function: &syn::ItemFn, hook: Hook) -> Result<(), Error> {
    let line = function.sig.ident.span().start().line;
    let name = &function.sig.ident;
    let visible =
        matches!(function.vis, syn::Visibility::Public(_)) || is_crate_visible(&function.vis);
    let problem = if !visible {
        Some(format!("`{name}` must be `pub`: the hub calls it"))
    } else if hook == Hook::Run && !matches!(function.sig.inputs.len(), 1 | 2) {
        Some(format!(
            "`run` takes {} parameters; it takes the hub, and maybe what `start` returns",
            function.sig.inputs.len()
        ))
    } else if hook != Hook::Run && function.sig.inputs.len() != 1 {
        Some(format!(
            "`{name}` takes {} parameters; it takes the hub alone",
            function.sig.inputs.len()
        ))
    } else if hook == Hook::Run && function.sig.asyncness.is_none() {
        Some("`run` must be an `async fn`: it runs beside the other subs' run hooks".to_owned())
    } else if hook == Hook::Available && matches!(function.sig.output, syn::ReturnType::Default) {
        Some(
            "`available` returns `Result<()>`: `Ok` loads, an `Err` declines and says why"
                .to_owned(),
        )
    } else if hook != Hook::Run && function.sig.asyncness.is_some() {
        Some(format!(
            "`{name}` must not be `async`: it runs before the hub is shared"
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(
            Error::new(format!("{shown}:{line}: {problem}")).hint(format!(
                "a sub's {} hook is {}",
                hook.name(),
                hook.shape()
            )),
        ),
    }
}

/// A function whose name is one slip from a hook's (`intt`, `strat`, `Run`)
/// would be silently left uncalled: that is refused, with the hook's name.
/// Names starting with `_` are left alone.
fn check_near_miss(
    shown: &str,
    function: &syn::ItemFn,
    name: &str,
    hooks: &[Hook],
) -> Result<(), Error> {
    let name = name.trim_start_matches("r#");
    if name.starts_with('_') {
        return Ok(());
    }
    let Some(hook) = hooks.iter().find(|hook| {
        let wanted = hook.function();
        name != wanted && (name.eq_ignore_ascii_case(wanted) || one_slip_apart(name, wanted))
    }) else {
        return Ok(());
    };
    let line = function.sig.ident.span().start().line;
    Err(Error::new(format!(
        "{shown}:{line}: `{name}` is not a hook of the sub: did you mean `{}`?",
        hook.function()
    ))
    .hint(format!(
        "a sub's {} hook is {}; if `{name}` is not meant as one, give it another name (or start it with `_`)",
        hook.name(),
        hook.shape()
    )))
}

/// True when `a` becomes `b` by one edit: a letter added, dropped or
/// changed, or two neighbours swapped.
fn one_slip_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => false,
        (x, y) if x == y + 1 => a[1..] == *b,
        (x, y) if x + 1 == y => *a == b[1..],
        (x, y) if x == y => {
            a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
        _ => false,
    }
}
