//! Operations, as cargo has them: each turns a command's resolved options
//! into a plan of changes ([`crate::changes::Changes`]); the commands
//! (`crate::commands`) resolve arguments and prompts, and report.

pub mod add_plugin;
pub mod add_sub;
pub mod new;
pub mod remove;
pub mod update;

use crate::changes::Changes;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::{Answers, ProjectPath};
use crate::project::Project;
use crate::record::Record;
use crate::template_set::TemplateSet;

/// Plans `edit` of the project's `Cargo.lock`, when it has one and the edit
/// changes it (Cargo keeps the file: it is not tracked in the record).
pub fn edit_lockfile(
    project: &Project,
    changes: &mut Changes,
    summary: &str,
    edit: impl FnOnce(&mut Lockfile),
) -> Result<()> {
    let path = ProjectPath::known("Cargo.lock");
    let Some(before) = project.read_optional(&path)? else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&before).into_owned();
    let mut lockfile = Lockfile::parse(&text)?;
    edit(&mut lockfile);
    let after = lockfile.render();
    if after != text {
        changes.edit_untracked(&path, &before, after.into_bytes(), summary);
    }
    Ok(())
}

/// The answers a project was made with: its record's, or for a project made
/// by hand, what its files say.
pub fn answers_of(project: &Project, record: &Record) -> Result<Answers> {
    if record.before.is_some() {
        return record.answers().cloned();
    }
    Ok(Answers::of_unrecorded(project.name.clone(), project.is_app))
}

/// The template set the project records: a repository's at the recorded
/// revision, a directory's as it is now.
pub fn recorded_set(record: &Record) -> Result<Option<TemplateSet>> {
    record
        .template()
        .map(|recorded| recorded.load(true))
        .transpose()
}

/// Commands that grow or shrink a project work on projects made by a
/// compatible version; an older one is brought up to date first.
pub fn require_current(project: &Project, record: &Record) -> Result<()> {
    let version = record.version();
    let this =
        pop_build::Version::parse(env!("CARGO_PKG_VERSION")).expect("our own version parses");
    let made = pop_build::Version::parse(version);
    if made.is_some_and(|made| pop_build::compatible(made, this)) {
        return Ok(());
    }
    let newer = made.is_some_and(|made| made > this);
    let (why, hint) = if newer {
        (
            "a newer pop-create",
            format!("use pop-create {version} or later on this project"),
        )
    } else {
        (
            "an earlier pop-create",
            "bring it to this version first with `pop-create update`".to_owned(),
        )
    };
    Err(Error::usage(format!(
        "`{}` was made by {why} ({version}); this is pop-create {}",
        project.name,
        env!("CARGO_PKG_VERSION")
    ))
    .hint(hint))
}
