//! `pop-create new`: a new app, or a vertical crate, in `./<NAME>`.
//!
//! A vertical crate made inside an existing app becomes a member of the
//! app's Cargo workspace and builds on the app's runtime.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::changes::Verb;
use crate::cli::NewArgs;
use crate::error::{Error, Result};
use crate::model::{Answers, Author, Vcs};
use crate::names::{ProjectName, SubName};
use crate::ops::new::{self, NewOptions};
use crate::plan;
use crate::project::{self, Project};
use crate::template_set::{Source, TemplateSet};
use crate::ui::Ui;

/// Creates the project.
pub fn new(args: NewArgs, ui: &Ui) -> Result<()> {
    let name = match &args.name {
        Some(name) => ProjectName::parse(name)?,
        None => ui.ask("Project name", "the project NAME", ProjectName::parse)?,
    };
    let dynes = dynes(&args, &name)?;
    let cwd = project::current_dir()?;
    let target = cwd.join(name.as_str());
    new::check_target(&target, name.as_str(), args.write.force)?;
    clean_leftovers(&cwd, name.as_str(), ui);
    // A vertical crate made inside an app joins the app's workspace.
    let workspace = match args.vertical {
        true => {
            let mut notes = Vec::new();
            let app = Project::find_app(&cwd, &mut notes).ok();
            notes.into_iter().for_each(|note| ui.note(note));
            app
        }
        false => None,
    };
    let vcs = match (args.vcs, &workspace) {
        (_, Some(_)) => Vcs::None,
        (Some(vcs), None) => vcs,
        (None, None) if git(&["--version"], &cwd) => Vcs::Git,
        (None, None) => Vcs::None,
    };
    let answers = Answers {
        name: name.clone(),
        vertical: args.vertical,
        member: workspace.is_some(),
        dynes,
        vcs,
        license: args.license,
        ci: args.ci,
        author: author(&cwd),
        year: this_year(),
    };
    // A member is written into its app, which no other command may change meanwhile.
    let _lock = match &workspace {
        Some(app) => {
            ui.status(
                "Workspace",
                format!("`{}` at {}", app.name, app.root.display()),
            );
            Some(super::lock(app, ui)?)
        }
        None => None,
    };
    let set = match &args.template {
        Some(text) => {
            let set = TemplateSet::load(&Source::parse(text, &cwd)?)?;
            let about = set
                .description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            ui.status(
                "Template",
                format!(
                    "set `{}` {} from {}{about}",
                    set.name, set.version, set.source
                ),
            );
            Some(set)
        }
        None => None,
    };
    let options = NewOptions {
        answers,
        target,
        workspace,
        set,
    };
    let kind = if args.vertical {
        "vertical crate"
    } else {
        "app"
    };
    let changes = new::plan(&options)?;
    if !changes.finish(
        ui,
        &args.write,
        Verb::Create,
        &format!("{kind} `{name}`", name = name.as_str()),
    )? {
        return Ok(());
    }
    if vcs == Vcs::Git {
        init_git(&options.target, ui);
    }
    ui.status("Next", next_step(&options));
    Ok(())
}

/// The extra dynes asked for, checked and without repeats.
fn dynes(args: &NewArgs, name: &ProjectName) -> Result<Vec<SubName>> {
    let mut dynes: Vec<SubName> = Vec::new();
    for dyne in &args.dyne {
        let dyne = SubName::parse(dyne)?;
        if dyne.as_str() == name.crate_name() && !args.vertical {
            return Err(Error::usage(format!(
                "`{}` is the spine sub, which every app has already",
                dyne.as_str()
            ))
            .hint("leave it out of --dyne"));
        }
        if !dynes.contains(&dyne) {
            dynes.push(dyne);
        }
    }
    if args.vertical && dynes.is_empty() {
        return Err(Error::usage(
            "a vertical crate extends the dynes of other apps, so it needs at least one --dyne",
        )
        .hint(format!(
            "e.g. `pop-create new {} --vertical --dyne rpc`",
            name.as_str()
        )));
    }
    Ok(dynes)
}

/// What to do next, as the last line says it.
fn next_step(options: &NewOptions) -> String {
    let name = &options.answers.name;
    match (&options.workspace, options.answers.vertical) {
        (Some(app), _) => format!(
            "add `{name} = {{ path = \"{}\" }}` to [dependencies] in {}",
            options
                .target
                .strip_prefix(&app.root)
                .unwrap_or(Path::new(name.as_str()))
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            app.root.join("Cargo.toml").display()
        ),
        (None, true) => format!("in an app, `cargo add --path {}`", options.target.display()),
        (None, false) => format!("cd {name} && pop-create run"),
    }
}

/// Staging directories of killed runs of `new NAME`: each is reported, and removed.
fn clean_leftovers(cwd: &Path, name: &str, ui: &Ui) {
    for stage in plan::leftovers(cwd, name) {
        match std::fs::remove_dir_all(&stage) {
            Ok(()) => ui.note(format!(
                "removed {}, left by an earlier `pop-create new` that was stopped",
                stage.display()
            )),
            Err(err) => ui.warn(format!(
                "{} was left by an earlier run and cannot be removed: {err}",
                stage.display()
            )),
        }
    }
}

/// `git <args>` in `dir`, quietly; whether it succeeded.
fn git(args: &[&str], dir: &Path) -> bool {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The author from `git config`, as Python pop-create takes it (one that is
/// not a plain line of text is left out).
fn author(dir: &Path) -> Option<Author> {
    let read = |key: &str| {
        let output = Command::new("git")
            .args(["config", "--get", key])
            .current_dir(dir)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let value = String::from_utf8(output.stdout).ok()?.trim().to_owned();
        (output.status.success() && !value.is_empty()).then_some(value)
    };
    let name = read("user.name")?;
    let author = match read("user.email") {
        Some(email) => format!("{name} <{email}>"),
        None => name,
    };
    Author::parse(&author).ok()
}

fn this_year() -> u32 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days to a civil year (Howard Hinnant's algorithm), good for any date after 1970.
    let days = (seconds / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400 + i64::from(month_index >= 10);
    u32::try_from(year).unwrap_or(2026)
}

/// `git init`, unless the project is inside a repository already (as cargo does).
fn init_git(root: &Path, ui: &Ui) {
    let parent = root.parent().unwrap_or(root);
    if git(&["rev-parse", "--is-inside-work-tree"], parent) {
        ui.note("the project is inside a git repository already; no new repository was made");
        return;
    }
    ui.verbose(format!("git init in {}", root.display()));
    if git(&["init", "--quiet"], root) {
        ui.status("Initialized", "a git repository");
    } else {
        ui.warn("`git init` failed; the project was created without a repository");
    }
}
