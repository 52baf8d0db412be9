//! `pop-create remove-sub` and `remove-plugin`: undo `add-sub` and
//! `add-plugin`, deleting only what the user left as pop-create wrote it.

use crate::changes::Verb;
use crate::cli::{RemovePluginArgs, RemoveSubArgs};
use crate::error::Result;
use crate::names::{PluginName, SubName, SubPath};
use crate::ops::remove;
use crate::ui::Ui;

/// Removes the sub.
pub fn remove_sub(args: RemoveSubArgs, ui: &Ui) -> Result<()> {
    let project = super::find(ui)?;
    let name = SubName::parse(&args.name)?;
    ui.project(&project);
    let _lock = super::lock(&project, ui)?;
    let changes = remove::remove_sub(&project, &name, args.write.force)?;
    let object = format!("sub `{}`", name.as_str());
    if changes.finish(ui, &args.write, Verb::Remove, &object)? {
        ui.note("options the sub added to src/conf.rs (such as a router's addr and port) were kept: your code may read them");
    }
    Ok(())
}

/// Removes the plugin.
pub fn remove_plugin(args: RemovePluginArgs, ui: &Ui) -> Result<()> {
    let project = super::find(ui)?;
    let sub = SubPath::parse(&args.sub)?;
    let name = PluginName::parse_in(&sub, &args.name)?;
    ui.project(&project);
    let _lock = super::lock(&project, ui)?;
    let changes = remove::remove_plugin(&project, &sub, &name, args.write.force)?;
    let object = format!("plugin `{sub}.{}`", name.as_str());
    changes.finish(ui, &args.write, Verb::Remove, &object)?;
    Ok(())
}
