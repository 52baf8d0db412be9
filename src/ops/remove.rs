//! The `remove-sub` and `remove-plugin` operations: undo `add-sub` and
//! `add-plugin`, deleting only what the user left as pop-create wrote it.

use std::path::{Path, PathBuf};

use crate::changes::Changes;
use crate::cli::Pattern;
use crate::conf_edit::{self, ConfFile};
use crate::error::{Error, Result};
use crate::generation;
use crate::names::{PluginName, SubName, SubPath};
use crate::project::Project;
use crate::record::{self, Record};
use crate::subs_file::Planned;

/// The files a removal deletes, and those in its way.
struct Doomed {
    files: Vec<(PathBuf, Vec<u8>)>,
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
    fn add(&mut self, record: &Record, relative: &Path, contents: Vec<u8>) {
        let shown = record::portable(relative);
        if record.hash(&shown).is_none() {
            self.in_the_way
                .push(format!("{shown} (not made by pop-create)"));
        } else if !record.untouched(relative, &contents) {
            self.in_the_way.push(format!("{shown} (edited)"));
        }
        self.files.push((relative.to_path_buf(), contents));
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

/// Every file under `dir` (relative to `root`), sorted.
fn files_under(root: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.join(dir)];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else {
                found.push(
                    path.strip_prefix(root)
                        .expect("under the root")
                        .to_path_buf(),
                );
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
    let conf_before = project.read("src/conf.rs")?;
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
    if project.is_app && sub == project.crate_name() {
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
    let pattern = record
        .subs()
        .into_iter()
        .find(|(s, _)| s == sub)
        .and_then(|(_, p)| Pattern::from_name(&p));

    let mut doomed = Doomed::new();
    for dir in &entry.dirs {
        for path in files_under(&project.root, &Path::new("src").join(dir))? {
            let contents = std::fs::read(project.root.join(&path))
                .map_err(|err| Error::io("read", &project.root.join(&path), err))?;
            doomed.add(&record, &path, contents);
        }
    }
    // Files of the sub's template outside its directory (a router's test).
    if let Some(pattern) = pattern {
        let subs = super::add_sub::recorded_subs(&record);
        for file in generation::sub_files(&answers, sub, pattern, &subs)? {
            if file.path.starts_with("src") {
                continue;
            }
            if let Some(contents) = project.read_optional(&record::portable(&file.path))? {
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
        .expect("found above");
    let mut conf_after = conf.remove("DYNE", &[index])?;
    let formatter = conf_edit::rustfmt_in(&project.root, project.manifest()?.edition());
    if formatter(&conf_before).as_deref() == Some(conf_before.as_str()) {
        conf_after = formatter(&conf_after).unwrap_or(conf_after);
    }
    planned.write(Path::new("src/conf.rs"), conf_after.as_bytes());
    changes.edit(
        "src/conf.rs",
        conf_before.as_bytes(),
        conf_after.into_bytes(),
        format!("take `{sub}` out of DYNE"),
    );
    for (path, contents) in doomed.files {
        planned.delete(&path);
        changes.delete(&record::portable(&path), contents);
    }
    let routers_left = changes
        .record()
        .subs()
        .iter()
        .any(|(s, p)| s != sub && p == Pattern::Router.name());
    if pattern == Some(Pattern::Router) && !routers_left {
        drop_router(project, &mut changes)?;
    }
    planned.plan_subs_rs(&mut changes)?;
    let record = changes.record();
    record.remove_sub(sub);
    for plugin in record.plugins() {
        if plugin == sub || plugin.starts_with(&format!("{sub}.")) {
            record.remove_plugin(&plugin);
        }
    }
    Ok(changes)
}

/// The router feature, its lockfile entries and the Dockerfile go when the
/// last router does (the Dockerfile only if it is as pop-create wrote it).
fn drop_router(project: &Project, changes: &mut Changes) -> Result<()> {
    let mut manifest = project.manifest()?;
    if manifest.set_router(false)? {
        changes.edit(
            "Cargo.toml",
            project.manifest_text.as_bytes(),
            manifest.text().into_bytes(),
            "turn off the runtime's router feature",
        );
        super::edit_lockfile(project, changes, "drop the router's packages", |lockfile| {
            lockfile.remove_router(&project.name)
        })?;
    }
    for path in ["Dockerfile", ".dockerignore"] {
        if let Some(contents) = project.read_optional(path)? {
            if changes.record().untouched(Path::new(path), &contents) {
                changes.delete(path, contents);
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
        let Ok(conf) = ConfFile::parse(&other.read("src/conf.rs")?) else {
            continue;
        };
        if conf.declaration().sub(sub).is_some() {
            return Ok(Some(format!(
                "crate `{}` ({})",
                other.name,
                record::portable(&root.join("src/conf.rs"))
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
    let conf = ConfFile::parse(&project.read("src/conf.rs")?)?;
    let top = sub.top().as_str();
    let entry = generation::dyne_entry_of(conf.declaration(), top)?;
    let path =
        generation::sub_dir(&entry.dirs, top, sub.nested()).join(format!("{}.rs", name.as_str()));
    let reference = format!("{sub}.{}", name.as_str());
    let Some(contents) = project.read_optional(&record::portable(&path))? else {
        return Err(Error::usage(format!(
            "there is no plugin `{reference}` ({} does not exist)",
            record::portable(&path)
        ))
        .hint(format!(
            "its sub's plugins are the .rs files in {}",
            record::portable(path.parent().unwrap_or(&path))
        )));
    };
    let mut doomed = Doomed::new();
    doomed.add(&record, &path, contents);
    doomed.check(&format!("plugin `{reference}`"), force)?;
    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    for (path, contents) in doomed.files {
        planned.delete(&path);
        changes.delete(&record::portable(&path), contents);
    }
    planned.plan_subs_rs(&mut changes)?;
    changes.record().remove_plugin(&reference);
    Ok(changes)
}
