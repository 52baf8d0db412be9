//! `pop-create update`: bring the project to this version's runtime and
//! templates; conflicts are marked in their files, listed, and exit 1.

use std::process::ExitCode;

use crate::changes::Verb;
use crate::cli::{UpdateArgs, WriteOptions};
use crate::error::{Error, Result};
use crate::ops::update;
use crate::template_set::Source;
use crate::ui::Ui;

/// Updates the project; exit 1 when a merge left conflicts.
pub fn update(args: UpdateArgs, ui: &Ui) -> Result<ExitCode> {
    let project = super::find(ui)?;
    ui.project(&project);
    let _lock = super::lock(&project, ui)?;
    let to = match &args.template {
        Some(text) => Some(Source::parse(text, &crate::project::current_dir()?)?),
        None => None,
    };
    let plan = update::plan(&project, to.as_ref())?;
    if let Some(change) = &plan.set_change {
        ui.status("Template", change);
    }
    let version = env!("CARGO_PKG_VERSION");
    if plan.changes.is_empty() {
        ui.status(
            "Fresh",
            format!("`{}` is up to date with pop-create {version}", project.name),
        );
        return Ok(ExitCode::SUCCESS);
    }
    for note in &plan.kept {
        ui.note(note);
    }
    let options = WriteOptions {
        dry_run: args.dry_run,
        force: false,
        no_input: true,
    };
    let object = format!(
        "`{}` from pop-create {} to {version}",
        project.name, plan.from
    );
    let written = plan.changes.finish(ui, &options, Verb::Update, &object)?;
    if plan.conflicts.is_empty() {
        if written {
            ui.status("Next", "cargo build && cargo test");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let list: String = plan
        .conflicts
        .iter()
        .map(|path| format!("\n  {path}"))
        .collect();
    let would = if written { "" } else { "would " };
    Err(Error::failure(format!(
        "{} file(s) {would}have conflicts between your edits and pop-create {version}'s:{list}",
        plan.conflicts.len()
    ))
    .hint("resolve the <<<<<<< yours / >>>>>>> markers in each, then build"))
}
