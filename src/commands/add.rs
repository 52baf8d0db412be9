//! `pop-create add-sub` and `add-plugin`: grow the project around the
//! current directory.

use crate::changes::Verb;
use crate::cli::{AddPluginArgs, AddSubArgs};
use crate::error::Result;
use crate::model::Pattern;
use crate::names::{PluginName, SubName, SubPath};
use crate::ops::add_plugin::{self, AddPlugin, AddPluginOptions};
use crate::ops::add_sub::{self, AddSub, AddSubOptions};
use crate::ui::Ui;

/// Adds the sub, or says it exists.
pub fn add_sub(args: AddSubArgs, ui: &Ui) -> Result<()> {
    let project = super::find(ui)?;
    let name = match &args.name {
        Some(name) => SubName::parse(name)?,
        None => ui.ask("Sub name", "the sub NAME", SubName::parse)?,
    };
    ui.project(&project);
    let _lock = super::lock(&project, ui)?;
    let is_app = project.is_app;
    let options = AddSubOptions {
        project,
        name,
        pattern: args.pattern.clone(),
        bus: args.bus,
    };
    let changes = match add_sub::plan(&options)? {
        AddSub::Exists(note) => {
            ui.note(note);
            return Ok(());
        }
        AddSub::Plan(changes) => changes,
    };
    let sub = options.name.as_str();
    let object = format!("{} sub `{sub}`", options.pattern.name());
    if changes.finish(ui, &args.write, Verb::Add, &object)? {
        let next = match (&options.pattern, is_app) {
            (Pattern::Router, true) => {
                format!("pop-create add-plugin {sub} NAME, then pop-create run")
            }
            _ => format!("pop-create add-plugin {sub} NAME"),
        };
        ui.status("Next", next);
    }
    Ok(())
}

/// Adds the plugin, or says it exists; an existing file is never overwritten.
pub fn add_plugin(args: AddPluginArgs, ui: &Ui) -> Result<()> {
    let project = super::find(ui)?;
    let sub = match &args.sub {
        Some(sub) => SubPath::parse(sub)?,
        None => ui.ask("Sub", "the SUB to add the plugin to", SubPath::parse)?,
    };
    let name = match &args.name {
        Some(name) => PluginName::parse_in(&sub, name)?,
        None => ui.ask("Plugin name", "the plugin NAME", |name| {
            PluginName::parse_in(&sub, name)
        })?,
    };
    ui.project(&project);
    let _lock = super::lock(&project, ui)?;
    let is_app = project.is_app;
    let options = AddPluginOptions { project, sub, name };
    let (changes, file) = match add_plugin::plan(&options)? {
        AddPlugin::Exists(note) => {
            ui.note(note);
            return Ok(());
        }
        AddPlugin::Plan(changes, file) => (changes, file),
    };
    let reference = format!("{}.{}", options.sub, options.name.as_str());
    if changes.finish(ui, &args.write, Verb::Add, &format!("plugin `{reference}`"))? {
        let run = if is_app { ", or pop-create run" } else { "" };
        ui.status("Next", format!("edit {file}, then cargo test{run}"));
    }
    Ok(())
}
