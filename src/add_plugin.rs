//! `pop-create add-plugin`: a plugin file, with a test, in a sub.

use std::path::PathBuf;

use crate::changes::{Changes, Verb};
use crate::cli::AddPluginArgs;
use crate::conf_edit::ConfFile;
use crate::error::{Error, Result};
use crate::names::{self, NameKind};
use crate::project::{self, Project};
use crate::record;
use crate::templates;
use crate::ui::Ui;

/// Adds the plugin, or says it exists; an existing file is never overwritten.
pub fn run(args: AddPluginArgs, ui: &Ui) -> Result<()> {
    let cwd = project::current_dir()?;
    let project = Project::find(&cwd)?;
    let validate_sub = |sub: &str| {
        // A path is refused as a path, before `.` splits it into nested subs.
        if sub.contains(['/', '\\']) || sub.contains("..") {
            return names::validate(NameKind::Sub, sub);
        }
        sub.split('.')
            .try_for_each(|part| names::validate(NameKind::Sub, part))
    };
    let sub = match args.sub {
        Some(sub) => sub,
        None => ui.ask("Sub", "the SUB to add the plugin to", validate_sub)?,
    };
    validate_sub(&sub)?;
    let name = match args.name {
        Some(name) => name,
        None => ui.ask("Plugin name", "the plugin NAME", |name| {
            names::validate(NameKind::Plugin, name)
        })?,
    };
    names::validate(NameKind::Plugin, &name)?;
    ui.project(&project);

    let conf = ConfFile::parse(&project.read("src/conf.rs")?)?;
    let mut parts = sub.split('.');
    let top = parts.next().expect("validated: not empty");
    let dyne = conf.dyne()?;
    let Some((_, dirs)) = dyne.iter().find(|(name, _)| name == top) else {
        let known: Vec<&str> = dyne.iter().map(|(name, _)| name.as_str()).collect();
        return Err(Error::usage(format!(
            "the project has no sub `{top}` (its subs: {})",
            known.join(", ")
        ))
        .hint(format!("add it first with `pop-create add-sub {top}`")));
    };
    let mut dir = PathBuf::from("src").join(dirs.first().map(String::as_str).unwrap_or(top));
    for nested in parts {
        dir.push(nested);
    }
    let path = dir.join(format!("{name}.rs"));
    let reference = format!("{sub}.{name}");
    if project.root.join(&path).exists() {
        ui.note(format!(
            "plugin `{reference}` already exists ({}); nothing to do",
            path.display()
        ));
        return Ok(());
    }

    let mut context = crate::new::context(&project.name, &project.crate_name());
    context.insert("sub", &sub);
    context.insert("top_sub", top);
    context.insert("plugin", &name);
    let (record_before, document) = record::open(&project.root)?;
    let mut changes = Changes::new(&project.root, document, record_before);
    for mut file in templates::render("plugin", &context)? {
        file.path = dir.join(file.path.file_name().expect("a file"));
        changes.create(file);
    }
    record::add_plugin(changes.record(), &reference);
    if changes.finish(ui, &args.write, Verb::Add, &format!("plugin `{reference}`"))? {
        ui.status("Next", "cargo test, or pop-create run");
    }
    Ok(())
}
