//! The `add-plugin` operation: a plugin file with its test, and its module.

use crate::changes::Changes;
use crate::conf_edit::ConfFile;
use crate::error::Result;
use crate::generation;
use crate::names::{PluginName, SubPath};
use crate::project::Project;
use crate::record::{self, Record};
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
    let conf = ConfFile::parse(&project.read("src/conf.rs")?)?;
    let top = sub.top().as_str();
    let entry = generation::dyne_entry_of(conf.declaration(), top)?;
    let dir = generation::sub_dir(&entry.dirs, top, sub.nested());
    let reference = format!("{sub}.{}", name.as_str());
    // A top-level sub's pattern decides what its plugins define; a nested
    // sub has none of its own.
    let pattern = if sub.nested().is_empty() {
        super::add_sub::recorded_subs(&record)
            .into_iter()
            .find(|(recorded, _)| recorded == sub.top().as_str())
            .map(|(_, pattern)| pattern)
    } else {
        None
    };
    let file = generation::plugin_file(&answers, &sub.to_string(), pattern, name.as_str(), &dir)?;
    if project.root.join(&file.path).exists() {
        return Ok(AddPlugin::Exists(format!(
            "plugin `{reference}` already exists ({}); nothing to do",
            record::portable(&file.path)
        )));
    }
    let mut changes = Changes::new(&project.root, record);
    let mut planned = Planned::new(&project.root);
    planned.write(&file.path, &file.contents);
    let shown = record::portable(&file.path);
    changes.create(file);
    planned.plan_subs_rs(&mut changes)?;
    changes.record().add_plugin(&reference);
    Ok(AddPlugin::Plan(Box::new(changes), shown))
}
