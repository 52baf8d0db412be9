//! What a command writes, recorded as it is planned: each file goes into the
//! [`Plan`] and its hash into `.pop-create.toml`, then everything is checked,
//! shown, and written together.

use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::cli::WriteOptions;
use crate::error::Result;
use crate::plan::{Outcome, Plan};
use crate::record;
use crate::templates::File;
use crate::ui::Ui;

/// The files one command writes into one project, and its record.
pub struct Changes {
    plan: Plan,
    /// The project's directory, relative to the plan's root.
    project: PathBuf,
    record: DocumentMut,
    record_before: Option<String>,
}

impl Changes {
    /// Changes to the project at `root`, updating the record read from there
    /// (`None` for a new project).
    pub fn new(root: &Path, record: DocumentMut, record_before: Option<String>) -> Self {
        Changes::within(root, PathBuf::new(), record, record_before)
    }

    /// Changes to the project in `project` (relative to `root`), written
    /// together with edits of files around it, such as the workspace's
    /// `Cargo.toml` when a new crate joins the workspace at `root`.
    pub fn within(
        root: &Path,
        project: PathBuf,
        record: DocumentMut,
        record_before: Option<String>,
    ) -> Self {
        Changes {
            plan: Plan::new(root),
            project,
            record,
            record_before,
        }
    }

    /// A file of the project to create, tracked in its record.
    pub fn create(&mut self, file: File) {
        record::hash_file(&mut self.record, &file.path, &file.contents);
        self.plan
            .create(self.project.join(file.path), file.contents, file.executable);
    }

    /// A file of the project to create that is not tracked: Cargo changes it (the lockfile).
    pub fn create_untracked(&mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) {
        self.plan.create(self.project.join(path), contents, false);
    }

    /// An edit of an existing file of the project, tracked in its record.
    pub fn edit(&mut self, path: &str, before: &str, after: String, summary: impl Into<String>) {
        record::hash_file(&mut self.record, Path::new(path), after.as_bytes());
        let path = self.project.join(path);
        self.plan.edit(
            path,
            before.as_bytes().to_vec(),
            after.into_bytes(),
            summary,
        );
    }

    /// An edit of a file outside the project (relative to the plan's root), not tracked.
    pub fn edit_around(
        &mut self,
        path: &str,
        before: &str,
        after: String,
        summary: impl Into<String>,
    ) {
        self.plan.edit(
            path,
            before.as_bytes().to_vec(),
            after.into_bytes(),
            summary,
        );
    }

    /// The record, to note answers, subs and plugins.
    pub fn record(&mut self) -> &mut DocumentMut {
        &mut self.record
    }

    /// Checks the plan, then prints it (`--dry-run`) or writes it, and says
    /// what happened: "Created app `poppy` in …", "Added plugin `rpc.math` in …".
    /// Returns whether anything was written.
    pub fn finish(
        mut self,
        ui: &Ui,
        options: &WriteOptions,
        verb: Verb,
        object: &str,
    ) -> Result<bool> {
        let record_text = record::render(&self.record);
        let record_path = self.project.join(record::FILE);
        match self.record_before.take() {
            Some(before) => self.plan.edit(
                record_path,
                before.into_bytes(),
                record_text.into_bytes(),
                "record",
            ),
            None => self.plan.create(record_path, record_text, false),
        }
        let root = self.plan.root().to_path_buf();
        let checked = self.plan.survey()?;
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
            ui.warn(format!("overwriting {} (--force)", path.display()));
        }
        let counts = format!(
            "{} created, {} edited, {} overwritten",
            checked.count(Outcome::Create),
            checked.count(Outcome::Edit),
            checked.count(Outcome::Overwrite)
        );
        let listing = checked.describe(options.force);
        checked.apply()?;
        ui.status(
            verb.past(),
            format!("{object} in {} ({counts}):", root.display()),
        );
        eprint!("{listing}");
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
}

impl Verb {
    fn infinitive(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Add => "add",
        }
    }

    fn past(self) -> &'static str {
        match self {
            Verb::Create => "Created",
            Verb::Add => "Added",
        }
    }
}
