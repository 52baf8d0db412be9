//! The `new` operation: the plan of a new app or vertical crate.

use std::path::{Path, PathBuf};

use crate::changes::Changes;
use crate::error::{Error, Result};
use crate::generation::{self, Layers};
use crate::lockfile::Lockfile;
use crate::manifest::Manifest;
use crate::model::{Answers, ProjectPath};
use crate::project::Project;
use crate::record::Record;
use crate::subs_file::Planned;
use crate::template_set::TemplateSet;
use crate::templates::File;

/// What `new` makes, resolved from the command line and the surroundings.
pub struct NewOptions {
    /// The answers the project is generated with (and recorded).
    pub answers: Answers,
    /// Where the project goes.
    pub target: PathBuf,
    /// The app whose workspace a vertical crate made inside it joins.
    pub workspace: Option<Project>,
    /// The team's template set, over pop-create's templates.
    pub set: Option<TemplateSet>,
}

/// The plan: every file of the project, its record, and for a workspace
/// member the edits of the app's manifest and lockfile.
pub fn plan(options: &NewOptions) -> Result<Changes> {
    let answers = &options.answers;
    let subs = answers.initial_subs();
    let layers = Layers::current(options.set.as_ref());
    let mut files = generation::managed_files(layers, answers, &subs, &|_| None)?;
    files.push(manifest(layers, answers)?);
    let mut record = Record::new(answers);
    for sub in subs {
        record.add_sub(sub);
    }
    record.set_template(options.set.as_ref().map(TemplateSet::record));
    let mut changes = match &options.workspace {
        Some(app) => {
            let member = options
                .target
                .strip_prefix(&app.root)
                .map_err(|_| Error::failure("a member crate must be inside its app"))?;
            let member = ProjectPath::from_path(member)?;
            let mut changes = Changes::within(&app.root, member.clone(), record);
            join_workspace(app, &member, answers.name.as_str(), &mut changes)?;
            changes
        }
        None => {
            let mut changes = Changes::new(&options.target, record);
            let lockfile = Lockfile::for_new_project(answers.name.as_str(), false);
            changes.create_untracked(&ProjectPath::known("Cargo.lock"), lockfile.render());
            changes
        }
    };
    let mut planned = Planned::new(&options.target);
    for file in &files {
        planned.write(&file.path, &file.contents);
    }
    planned.plan_subs_rs(&mut changes)?;
    for file in files {
        changes.create(file);
    }
    Ok(changes)
}

/// `Cargo.toml`: the template (the set's, if it has one), wired to the runtime.
fn manifest(layers: Layers<'_>, answers: &Answers) -> Result<File> {
    let rendered = generation::project_manifest(layers, answers)?;
    let text = String::from_utf8(rendered.contents)
        .map_err(|_| Error::failure("the template of Cargo.toml is not UTF-8"))?;
    let mut manifest = Manifest::parse(Path::new("Cargo.toml"), &text)?;
    manifest.wire_runtime(!answers.member)?;
    manifest.set_license(answers.license.name())?;
    Ok(File::text("Cargo.toml", manifest.text()))
}

/// A vertical crate made inside an app joins its workspace (which the app
/// always has), and the app's lockfile gains its entry.
fn join_workspace(
    app: &Project,
    member: &ProjectPath,
    name: &str,
    changes: &mut Changes,
) -> Result<()> {
    let mut manifest = app.manifest()?;
    if manifest.add_workspace_member(member.as_str())? {
        changes.edit_around(
            &ProjectPath::known("Cargo.toml"),
            &app.manifest_text,
            manifest.text(),
            format!("add `{member}` to the workspace"),
        );
    }
    let lock = ProjectPath::known("Cargo.lock");
    if let Some(before) = app.read_optional(&lock)? {
        let text = String::from_utf8_lossy(&before).into_owned();
        if let Ok(mut lockfile) = Lockfile::parse(&text) {
            lockfile.add_member(name);
            let after = lockfile.render();
            if after != text {
                changes.edit_around(&lock, &text, after, format!("add `{name}`"));
            }
        }
    }
    Ok(())
}

/// Refuses a target that is a link, a file, or a directory with something in
/// it (as `cargo new` does), unless `--force` lets the project be written
/// into a directory that has files.
pub fn check_target(target: &Path, name: &str, force: bool) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        return Err(Error::failure(format!(
            "{} is a symbolic link, and pop-create does not write through links",
            target.display()
        ))
        .hint("choose another name, or remove the link"));
    }
    if !meta.is_dir() {
        return Err(Error::failure(format!(
            "{} exists and is not a directory",
            target.display()
        ))
        .hint("choose another name, or move the file away"));
    }
    let empty = std::fs::read_dir(target)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if !empty && !force {
        return Err(Error::failure(format!(
            "destination `{}` already exists and is not empty",
            target.display()
        ))
        .hint(format!(
            "choose another name, or pass --force to write `{name}` into it (files in the way are listed and overwritten)"
        )));
    }
    Ok(())
}
