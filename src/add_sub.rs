//! `pop-create add-sub`: a new sub in the project around the current directory.

use std::path::Path;

use crate::changes::{Changes, Verb};
use crate::cli::{AddSubArgs, Pattern};
use crate::conf_edit::{ConfFile, dyne_entry, formatted_like_the_original};
use crate::error::Result;
use crate::names::{self, NameKind};
use crate::project::{self, Project};
use crate::record;
use crate::templates;
use crate::ui::Ui;

/// The options a router reads, with their flags.
const ROUTER_OPTIONS: &[(&str, &str, char)] = &[
    (
        "addr",
        r#"Opt::string("addr", "127.0.0.1").help("The address to present the rpc server on")"#,
        'a',
    ),
    (
        "port",
        r#"Opt::u16("port", 8888).help("The port to bind to")"#,
        'p',
    ),
];

/// Adds the sub, or says it exists.
pub fn run(args: AddSubArgs, ui: &Ui) -> Result<()> {
    let cwd = project::current_dir()?;
    let project = Project::find(&cwd)?;
    let name = match args.name {
        Some(name) => name,
        None => ui.ask("Sub name", "the sub NAME", |name| {
            names::validate(NameKind::Sub, name)
        })?,
    };
    names::validate(NameKind::Sub, &name)?;
    ui.project(&project);

    let conf_before = project.read("src/conf.rs")?;
    let mut conf = ConfFile::parse(&conf_before)?;
    let dyne = conf.dyne()?;
    let in_dyne = dyne.iter().any(|(sub, _)| *sub == name);
    let dir = project.root.join("src").join(&name);
    let (record_before, document) = record::open(&project.root)?;
    if in_dyne && dir.is_dir() {
        let recorded = document
            .get("subs")
            .and_then(|subs| subs.get(&name))
            .and_then(|p| p.as_str());
        let note = match recorded {
            Some(pattern) if pattern != args.pattern.name() => format!(
                "sub `{name}` already exists as a {pattern} sub (src/{name}); nothing to do: \
                 pop-create does not change the pattern of an existing sub"
            ),
            _ => format!("sub `{name}` already exists (src/{name}); nothing to do"),
        };
        ui.note(note);
        return Ok(());
    }

    let mut changes = Changes::new(&project.root, document, record_before);
    let mut context = crate::new::context(&project.name, &project.crate_name());
    context.insert("sub", &name);
    for file in templates::render(&format!("sub/{}", args.pattern.name()), &context)? {
        changes.create(file);
    }

    let mut summary = Vec::new();
    if !in_dyne {
        conf = ConfFile::parse(&conf.append("DYNE", &[dyne_entry(&name)])?)?;
        summary.push(format!("add `{name}` to DYNE"));
    }
    if args.pattern == Pattern::Router {
        add_router_options(&mut conf, &mut summary)?;
        add_router_dependency(&project, &mut changes)?;
    }
    if conf.text() != conf_before {
        let edited = formatted_like_the_original(
            &project.root,
            &project.edition(),
            &conf_before,
            conf.text().to_owned(),
        );
        changes.edit("src/conf.rs", &conf_before, edited, summary.join(", "));
    }
    record::add_sub(changes.record(), &name, args.pattern.name());
    let object = format!("{} sub `{name}`", args.pattern.name());
    if changes.finish(ui, &args.write, Verb::Add, &object)? {
        let next = match args.pattern {
            Pattern::Router => format!("pop-create add-plugin {name} NAME, then pop-create run"),
            Pattern::Spine | Pattern::Library => format!("pop-create add-plugin {name} NAME"),
        };
        ui.status("Next", next);
    }
    Ok(())
}

/// `addr` and `port` in CONFIG and CLI_CONFIG, where missing.
fn add_router_options(conf: &mut ConfFile, summary: &mut Vec<String>) -> Result<()> {
    let options = conf.entry_names("CONFIG")?;
    let missing: Vec<String> = ROUTER_OPTIONS
        .iter()
        .filter(|(name, _, _)| !options.iter().any(|o| o == name))
        .map(|(_, entry, _)| (*entry).to_owned())
        .collect();
    if !missing.is_empty() {
        *conf = ConfFile::parse(&conf.append("CONFIG", &missing)?)?;
    }
    let flags = conf.entry_names("CLI_CONFIG")?;
    let shorts = conf.short_flags()?;
    let new_flags: Vec<String> = ROUTER_OPTIONS
        .iter()
        .filter(|(name, _, _)| !flags.iter().any(|f| f == name))
        .map(|(name, _, short)| match shorts.contains(short) {
            true => format!("Flag::new({name:?})"),
            false => format!("Flag::new({name:?}).short({short:?})"),
        })
        .collect();
    if !new_flags.is_empty() {
        *conf = ConfFile::parse(&conf.append("CLI_CONFIG", &new_flags)?)?;
    }
    if !missing.is_empty() || !new_flags.is_empty() {
        summary.push("add the addr and port options".into());
    }
    Ok(())
}

/// The `pop-router` crate in the project's runtime directory and its dependency line.
fn add_router_dependency(project: &Project, changes: &mut Changes) -> Result<()> {
    let runtime_dir = project.runtime_dir()?;
    for mut file in templates::runtime(&["pop-router"]) {
        let inside = file
            .path
            .strip_prefix(templates::RUNTIME_DIR)
            .expect("runtime files are under runtime/");
        file.path = runtime_dir.join(inside);
        // A runtime crate already there (shared with another crate) stays as it is.
        if !project.root.join(&file.path).exists() {
            changes.create(file);
        }
    }
    let path = Path::new(&runtime_dir)
        .join("pop-router")
        .display()
        .to_string();
    if let Some(manifest) = project::add_path_dependency(&project.manifest, "pop-router", &path)? {
        changes.edit(
            "Cargo.toml",
            &project.manifest,
            manifest,
            "add the pop-router dependency",
        );
    }
    Ok(())
}
