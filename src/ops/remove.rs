//! The `remove-sub` and `remove-plugin` operations: undo `add-sub` and
//! `add-plugin`, deleting only what the user left as pop-create wrote it.

use std::path::{Path, PathBuf};

use crate::changes::Changes;
use crate::conf_edit::{self, ConfFile};
use crate::error::{Error, Result};
use crate::generation;
use crate::model::{Pattern, PluginRef, ProjectPath};
use crate::names::{PluginName, SubName, SubPath};
use crate::project::Project;
use crate::record::Record;
use crate::subs_file::Planned;

/// The files a removal deletes, and those in its way.
struct Doomed {
    files: Vec<(ProjectPath, Vec<u8>)>,
    in_the_way: Vec<String>,
}

impl Doomed {
    fn new() -> Self {
        Doomed {
            files: Vec::new(),
            in_the_way: Vec::new(),
        }
    }

    /// A file to delete: one the user edited or added is in the way.
    fn add(&mut self, record: &Record, relative: &ProjectPath, contents: Vec<u8>) {
        if record.hash(relative).is_none() {
            self.in_the_way
                .push(format!("{relative} (not made by pop-create)"));
        } else if !record.untouched(relative, &contents) {
            self.in_the_way.push(format!("{relative} (edited)"));
        }
        self.files.push((relative.clone(), contents));
    }

    /// Refuses when something is in the way, unless `force`.
    fn check(&self, what: &str, force: bool) -> Result<()> {
        if self.in_the_way.is_empty() || force {
            return Ok(());
        }
        let list: String = self.in_the_way.iter().map(|p| format!("\n  {p}")).collect();
        Err(Error::failure(format!(
            "{} file(s) of {what} are not as pop-create wrote them; nothing was changed:{list}",
            self.in_the_way.len()
        ))
        .hint("move your work out of them, or pass --force to delete them too"))
    }
}

/// Every file under `dir` (relative to `root`), sorted; a symbolic link
/// on the way to `dir` is refused, and one inside it is listed as a file
/// (so that it is in the way, never followed).
fn files_under(root: &Path, dir: &ProjectPath) -> Result<Vec<ProjectPath>> {
    dir.check_no_links(root)?;
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root.join(dir.to_path())];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(ProjectPath::from_path(relative)?);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Plans `remove-sub`.
pub fn remove_sub(project: &Project, name: &SubName, force: bool) -> Result<Changes> {
    let sub = name.as_str();
    let record = Record::open(&project.root)?;
    super::require_current(project, &record)?;
    let answers = super::answers_of(project, &record)?;
    let conf_path = ProjectPath::known("src/conf.rs");
    let conf_before = project.read(&conf_path)?;
    let conf = ConfFile::parse(&conf_before)?;
    let Some(entry) = conf.declaration().sub(sub).cloned() else {
        let known: Vec<&str> = conf
            .declaration()
            .dyne
            .iter()
            .map(|e| e.sub.as_str())
            .collect();
        return Err(Error::usage(format!(
            "the project has no sub `{sub}` (its subs: {})",
            known.join(", ")
        ))
        .hint("`pop-create remove-sub` takes a sub of DYNE in src/conf.rs"));
    };
    if project.is_app && *name == project.name.spine() {
        return Err(Error::usage(format!(
            "`{sub}` is the spine sub: `main` adds it to start the app"
        ))
        .hint("remove the other subs you do not need; the spine stays"));
    }
    if let Some(extender) = extended_by(project, sub)? {
        return Err(
            Error::usage(format!("sub `{sub}` is extended by {extender}")).hint(format!(
                "remove `{sub}` from that crate's DYNE first, or keep the sub"
            )),
        );
    }
    let recorded = record.subs().iter().find(|s| s.name == *name).cloned();

    let mut doomed = Doomed::new();
    for dir in &entry.dirs {
        let dir = ProjectPath::parse(&format!("src/{dir}"))?;
        for path in files_under(&project.root, &dir)? {
            let contents = project.read_optional(&path)?.unwrap_or_default();
            doomed.add(&record, &path, contents);
        }
    }
    // Files of the sub's template outside its directory (a router's test).
    if let Some(recorded) = &recorded {
        let set = super::recorded_set(&record)?;
        for file in generation::sub_files(set.as_ref(), &answers, recorded, record.subs())? {
            if file.path.is_under("src") {
                continue;
            }
            if let Some(contents) = project.read_optional(&file.path)? {
                doomed.add(&record, &file.path, contents);
            }
        }
    }
    doomed.check(&format!("sub `{sub}`"), force)?;

    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    let index = conf
        .declaration()
        .dyne
        .iter()
        .position(|e| e.sub == sub)
        .ok_or_else(|| Error::failure(format!("`{sub}` left DYNE while it was being read")))?;
    let mut conf_after = conf.remove("DYNE", &[index])?;
    let formatter = conf_edit::rustfmt_in(&project.root, project.manifest()?.edition());
    if formatter(&conf_before).as_deref() == Some(conf_before.as_str()) {
        conf_after = formatter(&conf_after).unwrap_or(conf_after);
    }
    planned.write(&conf_path, conf_after.as_bytes());
    changes.edit(
        &conf_path,
        conf_before.as_bytes(),
        conf_after.into_bytes(),
        format!("take `{sub}` out of DYNE"),
    );
    for (path, contents) in doomed.files {
        planned.delete(&path);
        changes.delete(&path, contents);
    }
    let routers_left = changes
        .record()
        .subs()
        .iter()
        .any(|s| s.name != *name && s.pattern == Pattern::Router);
    let was_router = recorded.is_some_and(|r| r.pattern == Pattern::Router);
    if was_router && !routers_left {
        drop_router(project, &mut changes)?;
    }
    planned.plan_subs_rs(&mut changes)?;
    changes.record().remove_sub(name);
    Ok(changes)
}

/// The router feature, its lockfile entries and the Dockerfile go when the
/// last router does (the Dockerfile only if it is as pop-create wrote it).
fn drop_router(project: &Project, changes: &mut Changes) -> Result<()> {
    let mut manifest = project.manifest()?;
    if manifest.set_router(false)? {
        changes.edit(
            &ProjectPath::known("Cargo.toml"),
            project.manifest_text.as_bytes(),
            manifest.text().into_bytes(),
            "turn off the runtime's router feature",
        );
        super::edit_lockfile(project, changes, "drop the router's packages", |lockfile| {
            lockfile.remove_router(project.name.as_str())
        })?;
    }
    for path in ["Dockerfile", ".dockerignore"] {
        let path = ProjectPath::known(path);
        if let Some(contents) = project.read_optional(&path)? {
            if changes.record().untouched(&path, &contents) {
                changes.delete(&path, contents);
            }
        }
    }
    Ok(())
}

/// Another pop crate of the build whose DYNE extends `sub`: a member of this
/// app's workspace, or a path dependency.
fn extended_by(project: &Project, sub: &str) -> Result<Option<String>> {
    let manifest = project.manifest()?;
    let mut roots: Vec<PathBuf> = manifest
        .workspace_members()
        .iter()
        .map(|member| project.root.join(member))
        .collect();
    roots.extend(
        manifest
            .path_dependencies()
            .into_iter()
            .map(|path| project.root.join(path)),
    );
    for root in roots {
        let Ok(Some(other)) = Project::open(&root) else {
            continue;
        };
        let Ok(text) = other.read(&ProjectPath::known("src/conf.rs")) else {
            continue;
        };
        let Ok(conf) = ConfFile::parse(&text) else {
            continue;
        };
        if conf.declaration().sub(sub).is_some() {
            return Ok(Some(format!(
                "crate `{}` ({})",
                other.name,
                root.join("src").join("conf.rs").display()
            )));
        }
    }
    Ok(None)
}

/// Plans `remove-plugin`.
pub fn remove_plugin(
    project: &Project,
    sub: &SubPath,
    name: &PluginName,
    force: bool,
) -> Result<Changes> {
    let record = Record::open(&project.root)?;
    super::require_current(project, &record)?;
    let conf = ConfFile::parse(&project.read(&ProjectPath::known("src/conf.rs"))?)?;
    let entry = generation::dyne_entry_of(conf.declaration(), sub.top().as_str())?;
    let dir = generation::sub_dir(&entry.dirs, sub)?;
    let path = dir.join(&ProjectPath::parse(&format!("{}.rs", name.as_str()))?);
    let plugin = PluginRef {
        sub: sub.clone(),
        name: name.clone(),
    };
    let Some(contents) = project.read_optional(&path)? else {
        return Err(Error::usage(format!(
            "there is no plugin `{plugin}` ({path} does not exist)"
        ))
        .hint(format!("its sub's plugins are the .rs files in {dir}")));
    };
    let mut doomed = Doomed::new();
    doomed.add(&record, &path, contents);
    doomed.check(&format!("plugin `{plugin}`"), force)?;
    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    for (path, contents) in doomed.files {
        planned.delete(&path);
        changes.delete(&path, contents);
    }
    planned.plan_subs_rs(&mut changes)?;
    changes.record().remove_plugin(&plugin);
    Ok(changes)
}
