//! `pop-create new`: a new app (or vertical crate) in `./<NAME>`.

use std::path::Path;

use crate::changes::Changes;
use crate::cli::{NewArgs, Vcs};
use crate::conf_edit::{ConfFile, dyne_entry};
use crate::error::{Error, Result};
use crate::names::{self, NameKind};
use crate::record::{self, Answers};
use crate::templates;
use crate::ui::Ui;

/// Creates the project.
pub fn run(args: NewArgs, ui: &Ui) -> Result<()> {
    let name = match args.name {
        Some(name) => name,
        None => ui.ask("Project name", "the project NAME", |name| {
            names::validate(NameKind::Project, name)
        })?,
    };
    names::validate(NameKind::Project, &name)?;
    let crate_name = names::crate_name(&name);
    let mut dynes: Vec<String> = Vec::new();
    for dyne in &args.dyne {
        names::validate(NameKind::Sub, dyne)?;
        if *dyne == crate_name && !args.vertical {
            return Err(Error::usage(format!(
                "`{dyne}` is the spine sub, which every app has already"
            ))
            .hint("leave it out of --dyne"));
        }
        if !dynes.contains(dyne) {
            dynes.push(dyne.clone());
        }
    }
    if args.vertical && dynes.is_empty() {
        return Err(Error::usage(
            "a vertical crate extends the dynes of other apps, so it needs at least one --dyne",
        )
        .hint(format!(
            "e.g. `pop-create new {name} --vertical --dyne rpc`"
        )));
    }
    let cwd = std::env::current_dir()
        .map_err(|err| Error::failure(format!("cannot read the current directory: {err}")))?;
    let root = cwd.join(&name);
    if root.exists() && !root.is_dir() {
        return Err(
            Error::failure(format!("{} exists and is not a directory", root.display()))
                .hint("choose another name, or move the file away"),
        );
    }
    let vcs = args
        .vcs
        .unwrap_or(if git_available() { Vcs::Git } else { Vcs::None });

    let context = context(&name, &crate_name);
    let set = if args.vertical { "vertical" } else { "app" };
    let mut files = templates::render("common", &context)?;
    files.extend(templates::render(set, &context)?);
    // DYNE is laid out the way add-sub lays it out: the spine (of an app) first, then the extra dynes.
    let spine = (!args.vertical).then_some(&crate_name);
    let entries: Vec<String> = spine
        .into_iter()
        .chain(&dynes)
        .map(|sub| dyne_entry(sub))
        .collect();
    let conf = files
        .iter_mut()
        .find(|f| f.path == Path::new("src/conf.rs"))
        .expect("every template set has src/conf.rs");
    let text = String::from_utf8(conf.contents.clone()).expect("templates are UTF-8");
    conf.contents = ConfFile::parse(&text)?
        .append("DYNE", &entries)?
        .into_bytes();
    let mut subs: Vec<(&str, &str)> = Vec::new();
    if !args.vertical {
        subs.push((&crate_name, "spine"));
    }
    for dyne in &dynes {
        let mut context = context.clone();
        context.insert("sub", dyne);
        files.extend(templates::render("sub/library", &context)?);
        subs.push((dyne, "library"));
    }
    files.extend(templates::runtime(&["pop", "pop-macros", "pop-build"]));

    let vcs_name = if vcs == Vcs::Git { "git" } else { "none" };
    let answers = Answers {
        name: &name,
        vertical: args.vertical,
        dynes: &dynes,
        vcs: vcs_name,
    };
    let mut changes = Changes::new(&root, record::new(&answers, &subs), None);
    for file in files {
        changes.create(file);
    }
    changes.create_untracked("Cargo.lock", templates::LOCKFILE);
    let kind = if args.vertical {
        "vertical crate"
    } else {
        "app"
    };
    if !changes.finish(ui, &args.write, &format!("create {kind} `{name}`"))? {
        return Ok(());
    }
    if vcs == Vcs::Git {
        init_git(&root, ui);
    }
    let next = if args.vertical {
        format!("add `{name} = {{ path = \"{name}\" }}` to an app's [dependencies]")
    } else {
        format!("cd {name} && pop-create run")
    };
    ui.status("Next", next);
    Ok(())
}

/// The values every template sees.
pub fn context(name: &str, crate_name: &str) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("name", name);
    context.insert("crate_name", crate_name);
    context.insert("env_prefix", &crate_name.to_ascii_uppercase());
    context.insert("version", env!("CARGO_PKG_VERSION"));
    context
}

fn git_available() -> bool {
    std::process::Command::new("git")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `git init`, unless the project is inside a repository already (as cargo does).
fn init_git(root: &Path, ui: &Ui) {
    let parent = root.parent().unwrap_or(root);
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(parent)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if inside {
        ui.note("the project is inside a git repository already; no new repository was made");
        return;
    }
    let status = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => ui.status("Initialized", "a git repository"),
        _ => ui.warn("`git init` failed; the project was created without a repository"),
    }
}
