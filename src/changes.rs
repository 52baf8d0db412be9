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

    /// Checks the plan, then prints it (`--dry-run`) or writes it. Returns
    /// whether anything was written.
    /// `what` names the change for "Would …" and "Done: …", e.g. "create app `poppy`".
    pub fn finish(mut self, ui: &Ui, options: &WriteOptions, what: &str) -> Result<bool> {
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
        let checked = self.plan.check(options.force)?;
        if options.dry_run {
            ui.out(&format!(
                "Would {what} in {}:\n{}",
                root.display(),
                checked.describe()
            ));
            ui.note("--dry-run: nothing was written");
            return Ok(false);
        }
        for path in checked.overwritten() {
            ui.warn(format!("overwriting {} (--force)", path.display()));
        }
        let created = checked.count(Outcome::Create);
        let edited = checked.count(Outcome::Edit) + checked.count(Outcome::Overwrite);
        let listing = checked.describe();
        checked.apply()?;
        ui.status("Done", format!("{what} in {}", root.display()));
        ui.status("Wrote", format!("{created} new file(s), {edited} changed:"));
        eprint!("{listing}");
        Ok(true)
    }
}
