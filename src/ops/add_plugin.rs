//! The `add-plugin` operation: a plugin file with its test, and its module.

use crate::changes::Changes;
use crate::conf_edit::ConfFile;
use crate::error::Result;
use crate::generation;
use crate::model::{PluginRef, ProjectPath, Subs as _};
use crate::names::{PluginName, SubPath};
use crate::project::Project;
use crate::record::Record;
use crate::subs_file::Planned;

/// What `add-plugin` adds.
pub struct AddPluginOptions {
    /// The project.
    pub project: Project,
    /// The sub (or nested sub) it goes in.
    pub sub: SubPath,
    /// The plugin's name.
    pub name: PluginName,
}

/// What the operation found.
pub enum AddPlugin {
    /// The plugin exists already: nothing to do; the note says so.
    Exists(String),
    /// The plan of the new plugin, and the file it writes.
    Plan(Box<Changes>, String),
}

/// Plans the plugin, or finds that it exists.
pub fn plan(options: &AddPluginOptions) -> Result<AddPlugin> {
    let AddPluginOptions { project, sub, name } = options;
    let record = Record::open(&project.root)?;
    super::require_current(project, &record)?;
    let answers = super::answers_of(project, &record)?;
    let conf = ConfFile::parse(&project.read(&ProjectPath::known("src/conf.rs"))?)?;
    let entry = generation::dyne_entry_of(conf.declaration(), sub.top().as_str())?;
    let dir = generation::sub_dir(&entry.dirs, sub)?;
    let plugin = PluginRef {
        sub: sub.clone(),
        name: name.clone(),
    };
    // A top-level sub's pattern decides what its plugins define; a nested
    // sub has none of its own.
    let pattern = match sub.nested().is_empty() {
        true => record.subs().pattern_of(sub.top().as_str()),
        false => None,
    };
    let set = super::recorded_set(&record)?;
    let file = generation::plugin_file(set.as_ref(), &answers, sub, pattern, name.as_str(), &dir)?;
    if project.read_optional(&file.path)?.is_some() {
        return Ok(AddPlugin::Exists(format!(
            "plugin `{plugin}` already exists ({}); nothing to do",
            file.path
        )));
    }
    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    planned.write(&file.path, &file.contents);
    let shown = file.path.to_string();
    changes.create(file);
    planned.plan_subs_rs(&mut changes)?;
    changes.record().add_plugin(plugin);
    Ok(AddPlugin::Plan(Box::new(changes), shown))
}
