//! The `add-sub` operation: a sub's files, its DYNE entry, and for a router
//! the options, the runtime feature, the lockfile entries and a Dockerfile.

use pop_build::declaration::Declaration;

use crate::changes::Changes;
use crate::conf_edit;
use crate::error::{Error, Result};
use crate::generation::{self, Templates};
use crate::model::{Pattern, ProjectPath, SubEntry, Subs as _};
use crate::names::SubName;
use crate::project::Project;
use crate::record::Record;
use crate::subs_file::Planned;

/// What `add-sub` adds.
pub struct AddSubOptions {
    /// The project.
    pub project: Project,
    /// The sub's name.
    pub name: SubName,
    /// Its pattern.
    pub pattern: Pattern,
    /// Turn on the runtime's bus feature (beacon and flow subs only).
    pub bus: bool,
}

/// What the operation found.
pub enum AddSub {
    /// The sub exists already: nothing to do; the note says so.
    Exists(String),
    /// The plan of the new sub.
    Plan(Box<Changes>),
}

/// Plans the sub, or finds that it exists.
pub fn plan(options: &AddSubOptions) -> Result<AddSub> {
    let AddSubOptions {
        project,
        name,
        pattern,
        bus,
    } = options;
    let sub = name.as_str();
    if *bus && !pattern.has_queue() {
        return Err(Error::usage(format!(
            "--bus goes with a beacon or flow sub, not a {} sub",
            pattern.name()
        ))
        .hint(format!(
            "pop-create add-sub {sub} --pattern beacon --bus (or flow)"
        )));
    }
    let record = Record::open(&project.root)?;
    super::require_current(project, &record)?;
    let answers = super::answers_of(project, &record)?;
    let conf_path = ProjectPath::known("src/conf.rs");
    let conf_before = project.read(&conf_path)?;
    let declaration = conf_edit::ConfFile::parse(&conf_before)?
        .declaration()
        .clone();
    let in_dyne = declaration.sub(sub).is_some();
    if in_dyne && project.root.join("src").join(sub).is_dir() {
        if *bus && !project.manifest()?.has_bus() {
            return Ok(AddSub::Plan(Box::new(turn_on_bus(project, record)?)));
        }
        return Ok(AddSub::Exists(match record.subs().pattern_of(sub) {
            Some(recorded) if recorded != pattern => format!(
                "sub `{sub}` already exists as a {recorded} sub (src/{sub}); nothing to do: \
                 pop-create does not change the pattern of an existing sub"
            ),
            _ => format!("sub `{sub}` already exists (src/{sub}); nothing to do"),
        }));
    }
    if *pattern == Pattern::Router {
        check_router_options(&declaration)?;
    }

    let set = super::recorded_set(&record)?;
    let mut manifest = project.manifest()?;
    let formatter = conf_edit::rustfmt_in(&project.root, manifest.edition());
    let entry = SubEntry::new(name.clone(), pattern.clone());
    let mut subs = record.subs().to_vec();
    subs.push(entry.clone());
    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    for file in generation::sub_files(set.as_ref(), &answers, &entry, &subs)? {
        planned.write(&file.path, &file.contents);
        changes.create(file);
    }
    let (conf, summary) =
        generation::add_sub_to_conf(Templates::Current, &conf_before, &entry, &formatter)?;
    if conf != conf_before {
        planned.write(&conf_path, conf.as_bytes());
        changes.edit(
            &conf_path,
            conf_before.as_bytes(),
            conf.into_bytes(),
            summary.join(", "),
        );
    }
    if *pattern == Pattern::Router && manifest.set_router(true)? {
        changes.edit(
            &ProjectPath::known("Cargo.toml"),
            project.manifest_text.as_bytes(),
            manifest.text().into_bytes(),
            "turn on the runtime's router feature",
        );
        super::edit_lockfile(project, &mut changes, "the router's packages", |lockfile| {
            lockfile.add_router(project.name.as_str())
        })?;
        if project.is_app && !project.root.join("Dockerfile").exists() {
            for file in generation::docker_files(&answers)? {
                changes.create(file);
            }
        }
    }
    if *bus {
        bus_feature(project, &mut manifest, &mut changes)?;
    }
    planned.plan_subs_rs(&mut changes)?;
    changes.record().add_sub(entry);
    Ok(AddSub::Plan(Box::new(changes)))
}

/// The runtime's bus feature turned on in a project whose beacon or flow
/// sub exists already: `Cargo.toml` and the lockfile, nothing else.
fn turn_on_bus(project: &Project, record: Record) -> Result<Changes> {
    let mut manifest = project.manifest()?;
    let mut changes = Changes::new(&project.root, record);
    bus_feature(project, &mut manifest, &mut changes)?;
    Ok(changes)
}

/// Turns on the runtime's `bus` feature (the NATS JetStream client) and
/// adds its packages to the lockfile, unless it is on.
fn bus_feature(
    project: &Project,
    manifest: &mut crate::manifest::Manifest,
    changes: &mut Changes,
) -> Result<()> {
    if !manifest.set_bus(true)? {
        return Ok(());
    }
    changes.edit(
        &ProjectPath::known("Cargo.toml"),
        project.manifest_text.as_bytes(),
        manifest.text().into_bytes(),
        "turn on the runtime's bus feature (NATS JetStream)",
    );
    super::edit_lockfile(project, changes, "the bus client's packages", |lockfile| {
        lockfile.add_bus()
    })
}

/// The router reads `addr` and `port` with the types its template expects;
/// options of the same names declared otherwise would fail the build.
fn check_router_options(declaration: &Declaration) -> Result<()> {
    let wanted: [(&str, &[&str], &str); 2] = [
        (
            "addr",
            &["ip", "string"],
            "Opt::ip(\"addr\", \"127.0.0.1\")",
        ),
        ("port", &["u16"], "Opt::u16(\"port\", 8888)"),
    ];
    for (name, constructors, example) in wanted {
        let Some(option) = declaration.config.iter().find(|o| o.name == name) else {
            continue;
        };
        if !constructors.contains(&option.constructor.as_str()) {
            return Err(Error::failure(format!(
                "src/conf.rs declares the option `{name}` as `Opt::{}`, but a router reads `{name}` as {}",
                option.constructor,
                match name {
                    "port" => "a port number (u16)",
                    _ => "an IP address",
                }
            ))
            .hint(format!("declare it as `{example}`, or rename your option, then add the router")));
        }
    }
    Ok(())
}
