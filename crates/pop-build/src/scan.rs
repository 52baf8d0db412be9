//! What is on disk: each sub's directories, their plugin files and nested
//! subs, and the functions and hooks each file defines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::declaration::Declaration;
use crate::names::{self, NameKind};

/// A crate's subs as found on disk, in DYNE order.
#[derive(Debug)]
pub struct Layout {
    /// Each sub of DYNE and its directories, in DYNE order.
    pub subs: Vec<Sub>,
    /// Every directory read, for the build script to watch.
    pub dirs: Vec<PathBuf>,
}

/// One sub of DYNE.
#[derive(Debug)]
pub struct Sub {
    /// Its name.
    pub name: String,
    /// Each of its directories (relative to `src/`) and what is in it.
    pub dirs: Vec<(String, Dir)>,
}

/// One directory of a sub, or of a nested sub.
#[derive(Debug, Default)]
pub struct Dir {
    /// Its `.rs` files, sorted by name.
    pub files: Vec<File>,
    /// Its subdirectories (nested subs), sorted by name.
    pub nested: BTreeMap<String, Dir>,
}

/// One `.rs` file of a sub: a plugin module, or the sub's `init.rs`.
#[derive(Debug)]
pub struct File {
    /// The module name (the file name without `.rs`).
    pub module: String,
    /// The path relative to the crate root, with `/` separators.
    pub path: String,
    /// The `#[plugin]` functions it defines, in file order.
    pub plugins: Vec<String>,
    /// For `init.rs`: whether it defines the load hook `init`.
    pub load_hook: bool,
    /// For `init.rs`: whether it defines the start hook `start`.
    pub start_hook: bool,
    /// For `init.rs`: whether it defines the run hook `run`.
    pub run_hook: bool,
}

/// Where the files are read from: the disk, or what a command is about to write.
pub trait Source {
    /// The entries of a directory: each name, and whether it is a directory.
    fn list(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>>;
    /// The text of a file.
    fn read(&self, file: &Path) -> std::io::Result<String>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
}

/// Files as they are on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl Source for Disk {
    fn list(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        std::fs::read_dir(dir)?
            .map(|entry| {
                let entry = entry?;
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                Ok((entry.file_name().to_string_lossy().into_owned(), is_dir))
            })
            .collect()
    }

    fn read(&self, file: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(file)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

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

/// Finds a file's `#[plugin]` functions, or for `init.rs` its hooks.
fn read_file(module: &str, text: &str, shown: &str) -> Result<File, Error> {
    let mut file = File {
        module: module.to_owned(),
        path: shown.to_owned(),
        plugins: Vec::new(),
        load_hook: false,
        start_hook: false,
        run_hook: false,
    };
    // A file that does not parse registers nothing: rustc reports its error better.
    let Ok(parsed) = syn::parse_file(text) else {
        return Ok(file);
    };
    for item in &parsed.items {
        let syn::Item::Fn(function) = item else {
            continue;
        };
        let ident = function.sig.ident.to_string();
        if module == "init" {
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
                }
                _ => {}
            }
        } else if function.attrs.iter().any(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "plugin")
        }) {
            file.plugins.push(ident.trim_start_matches("r#").to_owned());
        }
    }
    Ok(file)
}

/// The hooks a sub's `init.rs` may define.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hook {
    Load,
    Start,
    Run,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::Load => "load",
            Hook::Start => "start",
            Hook::Run => "run",
        }
    }

    fn shape(self) -> &'static str {
        match self {
            Hook::Load => "`pub fn init(hub: &mut Hub) -> Result<()>`",
            Hook::Start => "`pub fn start(hub: &mut Hub) -> Result<()>`",
            Hook::Run => "`pub async fn run(hub: Arc<Hub>) -> Result<()>`",
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
    } else if function.sig.inputs.len() != 1 {
        Some(format!(
            "`{name}` takes {} parameters; it takes the hub alone",
            function.sig.inputs.len()
        ))
    } else if hook == Hook::Run && function.sig.asyncness.is_none() {
        Some("`run` must be an `async fn`: it runs beside the other subs' run hooks".to_owned())
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

fn is_crate_visible(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Restricted(r) if r.path.is_ident("crate"))
}
