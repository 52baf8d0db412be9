//! `pop-create new`: a new app, or a vertical crate, in `./<NAME>`.
//!
//! A vertical crate made inside an existing app becomes a member of the
//! app's Cargo workspace (the workspace is created if the app has none, as
//! `cargo new` would add a member) and builds on the app's runtime.

use std::path::{Component, Path, PathBuf};

use crate::changes::{Changes, Verb};
use crate::cli::{NewArgs, Vcs};
use crate::conf_edit::{ConfFile, dyne_entry};
use crate::error::{Error, Result};
use crate::names::{self, NameKind};
use crate::project::{self, Project};
use crate::record::{self, Answers};
use crate::templates::{self, RUNTIME_DIR};
use crate::ui::Ui;

/// Creates the project.
pub fn run(args: NewArgs, ui: &Ui) -> Result<()> {
    let name = match args.name.clone() {
        Some(name) => name,
        None => ui.ask("Project name", "the project NAME", |name| {
            names::validate(NameKind::Project, name)
        })?,
    };
    names::validate(NameKind::Project, &name)?;
    let crate_name = names::crate_name(&name);
    let dynes = dynes(&args, &name, &crate_name)?;
    let cwd = project::current_dir()?;
    let target = cwd.join(&name);
    if target.exists() && !target.is_dir() {
        return Err(Error::failure(format!(
            "{} exists and is not a directory",
            target.display()
        ))
        .hint("choose another name, or move the file away"));
    }
    // A vertical crate made inside an app joins the app's workspace.
    let workspace = match args.vertical {
        true => Project::find_app(&cwd).ok(),
        false => None,
    };

    let mut context = context(&name, &crate_name);
    let member = match &workspace {
        Some(app) => {
            let member = target
                .strip_prefix(&app.root)
                .expect("the target is inside the app")
                .to_path_buf();
            let up: PathBuf = member.components().map(|_| Component::ParentDir).collect();
            context.insert("runtime", &portable(&up.join(app.runtime_dir()?)));
            Some(member)
        }
        None => None,
    };
    let set = if args.vertical { "vertical" } else { "app" };
    let mut files = templates::render("common", &context)?;
    files.extend(templates::render(set, &context)?);
    // DYNE is laid out as add-sub lays it out: the spine (of an app) first, then the extra dynes.
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

    let vcs = match (args.vcs, &workspace) {
        // A member is part of the app's repository, if it has one.
        (_, Some(_)) => Vcs::None,
        (Some(vcs), None) => vcs,
        (None, None) if git_available() => Vcs::Git,
        (None, None) => Vcs::None,
    };
    let vcs_name = if vcs == Vcs::Git { "git" } else { "none" };
    let answers = Answers {
        name: &name,
        vertical: args.vertical,
        dynes: &dynes,
        vcs: vcs_name,
    };
    let record = record::new(&answers, &subs);
    let mut changes = match (&workspace, &member) {
        (Some(app), Some(member)) => {
            let mut changes = Changes::within(&app.root, member.clone(), record, None);
            let manifest = project::add_workspace_member(
                &app.manifest,
                &portable(member),
                &app.runtime_dir()?,
            )?;
            if let Some(manifest) = manifest {
                let summary = format!("add `{}` to the workspace", portable(member));
                changes.edit_around("Cargo.toml", &app.manifest, manifest, summary);
            }
            changes
        }
        _ => {
            let mut changes = Changes::new(&target, record, None);
            // Its own runtime, and the lockfile the runtime was tested with.
            for file in templates::runtime(&["pop", "pop-macros", "pop-build"]) {
                changes.create(file);
            }
            changes.create_untracked("Cargo.lock", templates::LOCKFILE);
            changes
        }
    };
    for file in files {
        changes.create(file);
    }
    let kind = if args.vertical {
        "vertical crate"
    } else {
        "app"
    };
    if let Some(app) = &workspace {
        ui.status(
            "Workspace",
            format!("`{}` at {}", app.name, app.root.display()),
        );
    }
    if !changes.finish(ui, &args.write, Verb::Create, &format!("{kind} `{name}`"))? {
        return Ok(());
    }
    if vcs == Vcs::Git {
        init_git(&target, ui);
    }
    let next = match &workspace {
        Some(app) => format!(
            "add `{name} = {{ path = \"{}\" }}` to [dependencies] in {}",
            portable(member.as_deref().unwrap_or(Path::new(&name))),
            app.root.join("Cargo.toml").display()
        ),
        None if args.vertical => {
            ui.note(format!(
                "`{name}` has its own copy of the runtime, and Cargo refuses two copies in one build: \
                 to merge it into an app, make it inside the app's directory (it then shares the app's \
                 runtime), or point its `pop` and `pop-build` paths at the app's `runtime/`"
            ));
            format!("add `{name} = {{ path = \"…/{name}\" }}` to an app's [dependencies]")
        }
        None => format!("cd {name} && pop-create run"),
    };
    ui.status("Next", next);
    Ok(())
}

/// The extra dynes asked for, checked and without repeats.
fn dynes(args: &NewArgs, name: &str, crate_name: &str) -> Result<Vec<String>> {
    let mut dynes: Vec<String> = Vec::new();
    for dyne in &args.dyne {
        names::validate(NameKind::Sub, dyne)?;
        if dyne == crate_name && !args.vertical {
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
    Ok(dynes)
}

/// A relative path as Cargo.toml spells it on every platform.
fn portable(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The values every template sees.
pub fn context(name: &str, crate_name: &str) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("name", name);
    context.insert("crate_name", crate_name);
    context.insert("env_prefix", &crate_name.to_ascii_uppercase());
    context.insert("version", env!("CARGO_PKG_VERSION"));
    context.insert("runtime", RUNTIME_DIR);
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
