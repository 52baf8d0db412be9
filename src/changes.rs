//! What a command writes, recorded as it is planned: each file goes into the
//! [`Plan`] and its hash into `.pop-create.toml`, then everything is checked,
//! shown, and written together.

use std::path::Path;

use crate::cli::WriteOptions;
use crate::error::Result;
use crate::model::ProjectPath;
use crate::plan::{Checked, Outcome, Plan};
use crate::record::{self, Record};
use crate::templates::File;
use crate::ui::Ui;

/// The files one command writes into one project, and its record.
pub struct Changes {
    plan: Plan,
    /// The project's directory, relative to the plan's root (`None`: the root).
    project: Option<ProjectPath>,
    record: Record,
}

impl Changes {
    /// Changes to the project at `root`, updating its record.
    pub fn new(root: &Path, record: Record) -> Self {
        Changes {
            plan: Plan::new(root),
            project: None,
            record,
        }
    }

    /// Changes to the project in `project` (relative to `root`), written
    /// together with edits of files around it, such as the workspace's
    /// `Cargo.toml` when a new crate joins the workspace at `root`.
    pub fn within(root: &Path, project: ProjectPath, record: Record) -> Self {
        Changes {
            plan: Plan::new(root),
            project: Some(project),
            record,
        }
    }

    /// A path of the project, relative to the plan's root.
    fn in_project(&self, path: &ProjectPath) -> ProjectPath {
        match &self.project {
            Some(project) => project.join(path),
            None => path.clone(),
        }
    }

    /// A file of the project to create, tracked in its record.
    pub fn create(&mut self, file: File) {
        self.record.hash_file(&file.path, &file.contents);
        let path = self.in_project(&file.path);
        self.plan.create(path, file.contents, file.executable);
    }

    /// A file of the project to create that pop-create does not track:
    /// Cargo (`Cargo.lock`) or the build (`src/subs.rs`) keep it afterwards.
    pub fn create_untracked(&mut self, path: &ProjectPath, contents: impl Into<Vec<u8>>) {
        let path = self.in_project(path);
        self.plan.create(path, contents, false);
    }

    /// An edit of an existing file of the project, tracked in its record.
    pub fn edit(
        &mut self,
        path: &ProjectPath,
        before: &[u8],
        after: Vec<u8>,
        summary: impl Into<String>,
    ) {
        self.record.hash_file(path, &after);
        let path = self.in_project(path);
        self.plan.edit(path, before.to_vec(), after, summary);
    }

    /// An edit of a file pop-create does not track (`Cargo.lock`, `src/subs.rs`).
    pub fn edit_untracked(
        &mut self,
        path: &ProjectPath,
        before: &[u8],
        after: Vec<u8>,
        summary: impl Into<String>,
    ) {
        let path = self.in_project(path);
        self.plan.edit(path, before.to_vec(), after, summary);
    }

    /// A file of the project to delete, forgotten by its record.
    pub fn delete(&mut self, path: &ProjectPath, before: Vec<u8>) {
        self.record.forget_file(path);
        let path = self.in_project(path);
        self.plan.delete(path, before);
    }

    /// An edit of a file outside the project (relative to the plan's root), not tracked.
    pub fn edit_around(
        &mut self,
        path: &ProjectPath,
        before: &str,
        after: String,
        summary: impl Into<String>,
    ) {
        self.plan.edit(
            path.clone(),
            before.as_bytes().to_vec(),
            after.into_bytes(),
            summary,
        );
    }

    /// True when writing would change nothing, the record included.
    pub fn is_empty(&self) -> bool {
        self.record.before.as_deref() == Some(self.record.render().as_str()) && self.plan.is_noop()
    }

    /// The record, to note answers, subs and plugins.
    pub fn record(&mut self) -> &mut Record {
        &mut self.record
    }

    /// Adds the record to the plan and surveys what would happen.
    fn checked(mut self) -> Result<Checked> {
        let record_text = self.record.render();
        let record_path = self.in_project(&ProjectPath::known(record::FILE));
        match self.record.before.take() {
            Some(before) => self.plan.edit(
                record_path,
                before.into_bytes(),
                record_text.into_bytes(),
                "",
            ),
            None => self.plan.create(record_path, record_text, false),
        }
        self.plan.survey()
    }

    /// Checks the plan, then prints it (`--dry-run`) or writes it, and says
    /// what happened: "Created app `poppy` in …", "Added plugin `rpc.math` in …".
    /// Returns whether anything was written.
    pub fn finish(self, ui: &Ui, options: &WriteOptions, verb: Verb, object: &str) -> Result<bool> {
        let root = self.plan.root().to_path_buf();
        let checked = self.checked()?;
        if options.dry_run {
            let listing = checked.describe(options.force);
            ui.out(&format!(
                "Would {} {object} in {}:\n{listing}",
                verb.infinitive(),
                root.display()
            ));
            ui.note("--dry-run: nothing was written");
            return checked.refusal(options.force).map_or(Ok(false), Err);
        }
        if let Some(refusal) = checked.refusal(options.force) {
            return Err(refusal);
        }
        for path in checked.overwritten() {
            ui.warn(format!("overwriting {path} (--force)"));
        }
        let mut counts = vec![
            format!("{} created", checked.count(Outcome::Create)),
            format!("{} edited", checked.count(Outcome::Edit)),
            format!("{} overwritten", checked.count(Outcome::Overwrite)),
        ];
        let deleted = checked.count(Outcome::Delete);
        if deleted > 0 {
            counts.push(format!("{deleted} deleted"));
        }
        let listing = checked.describe(options.force);
        checked.apply()?;
        ui.status(
            verb.past(),
            format!("{object} in {} ({}):", root.display(), counts.join(", ")),
        );
        ui.listing(&listing);
        Ok(true)
    }
}

/// What a command does to its object, for its messages.
#[derive(Clone, Copy, Debug)]
pub enum Verb {
    /// `new`.
    Create,
    /// `add-sub`, `add-plugin`.
    Add,
    /// `remove-sub`, `remove-plugin`.
    Remove,
    /// `update`.
    Update,
}

impl Verb {
    fn infinitive(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Add => "add",
            Verb::Remove => "remove",
            Verb::Update => "update",
        }
    }

    fn past(self) -> &'static str {
        match self {
            Verb::Create => "Created",
            Verb::Add => "Added",
            Verb::Remove => "Removed",
            Verb::Update => "Updated",
        }
    }
}
