//! What pop-create generates for a project: the template context, built in
//! one place from the recorded answers, and the files of a project, a sub
//! and a plugin.
//!
//! The same functions serve `new`, `add-sub` and `add-plugin` (what to write
//! now) and `update` (what this version generates for a recorded project,
//! and what the version that made it generated: the base of the merge).

use include_dir::{Dir, include_dir};

use crate::conf_edit::{self, ConfFile};
use crate::error::{Error, Result};
use crate::model::{Answers, Ci, License, Pattern, ProjectPath, SubEntry, Subs as _};
use crate::names::SubPath;
use crate::template_set::TemplateSet;
use crate::templates::{self, File};

/// The Rust version generated projects declare: the newest `rust-version` of
/// any package in their lockfiles (a test keeps it so).
pub const RUST_VERSION: &str = "1.85";

static V0_1_0: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/history/0.1.0/templates");
static V0_2_0: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/history/0.2.0/templates");

/// Whose templates: this version's, or an earlier version's, which `update`
/// renders to know what that version generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Templates {
    /// This pop-create's.
    Current,
    /// pop-create 0.1.0's (projects with the runtime as path packages named `pop`).
    V0_1_0,
    /// pop-create 0.2.0's.
    V0_2_0,
}

impl Templates {
    /// The templates a recorded version generated with, if this pop-create has them.
    pub fn of_version(version: &str) -> Option<Templates> {
        [Templates::Current, Templates::V0_1_0, Templates::V0_2_0]
            .into_iter()
            .find(|templates| templates.version() == version)
    }

    /// The version these templates belong to.
    pub fn version(self) -> &'static str {
        match self {
            Templates::Current => env!("CARGO_PKG_VERSION"),
            Templates::V0_1_0 => "0.1.0",
            Templates::V0_2_0 => "0.2.0",
        }
    }

    fn dir(self) -> &'static Dir<'static> {
        match self {
            Templates::Current => templates::embedded(),
            Templates::V0_1_0 => &V0_1_0,
            Templates::V0_2_0 => &V0_2_0,
        }
    }

    fn render(self, set: &str, context: &tera::Context) -> Result<Vec<File>> {
        templates::render_from(self.dir(), set, context)
    }

    /// Whether these templates have the layer `set` (`sub/router`).
    fn has(self, set: &str) -> bool {
        self.dir().get_dir(set).is_some()
    }

    /// The lockfile a new project of this shape got from these templates'
    /// version (pop-create 0.1.0 kept none).
    pub fn lock_shape(self, router: bool) -> Option<&'static str> {
        let path = if router {
            "lock/router.lock"
        } else {
            "lock/hub.lock"
        };
        match self {
            Templates::Current => Some(templates::raw(path)),
            Templates::V0_1_0 => None,
            Templates::V0_2_0 => V0_2_0.get_file(path).and_then(|f| f.contents_utf8()),
        }
    }

    /// The `CONFIG` entries a beacon or flow sub adds (each also a flag):
    /// the bus, and the subs this process runs. Earlier versions added none.
    pub fn bus_options(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Templates::Current => &[
                (
                    "bus",
                    r#"Opt::string("bus", "").help("Event bus: nats://HOST:PORT (NATS JetStream), empty: in-process")"#,
                ),
                (
                    "only",
                    r#"Opt::string("only", "").help("Run only these subs (comma-separated); empty: all of them")"#,
                ),
            ],
            Templates::V0_1_0 | Templates::V0_2_0 => &[],
        }
    }

    /// The `CONFIG` entries a router sub adds, with their `CLI_CONFIG` short
    /// flags, if any (`log_format` came with 0.3.0).
    pub fn router_options(self) -> Vec<(&'static str, &'static str, Option<char>)> {
        let addr = match self {
            Templates::Current | Templates::V0_2_0 => {
                r#"Opt::ip("addr", "127.0.0.1").help("The address to present the rpc server on")"#
            }
            Templates::V0_1_0 => {
                r#"Opt::string("addr", "127.0.0.1").help("The address to present the rpc server on")"#
            }
        };
        let mut options = vec![
            ("addr", addr, Some('a')),
            (
                "port",
                r#"Opt::u16("port", 8888).help("The port to bind to")"#,
                Some('p'),
            ),
        ];
        if self == Templates::Current {
            options.push((
                "log_format",
                r#"Opt::string("log_format", "text").help("Log lines as text, or json (one object per line)")"#,
                None,
            ));
        }
        options
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The templates a project is generated from: pop-create's own (of this
/// version or an earlier one), and over them the project's template set.
#[derive(Clone, Copy)]
pub struct Layers<'s> {
    /// pop-create's templates.
    pub builtin: Templates,
    /// The team's set, if the project has one.
    pub set: Option<&'s TemplateSet>,
}

impl<'s> Layers<'s> {
    /// This pop-create's templates, with `set` over them.
    pub fn current(set: Option<&'s TemplateSet>) -> Self {
        Layers {
            builtin: Templates::Current,
            set,
        }
    }

    /// One layer (`app`, `sub/router`, `plugin/flow`): the built-in files,
    /// with the set's laid over them.
    fn render(&self, layer: &str, context: &tera::Context) -> Result<Vec<File>> {
        let mut files = match self.builtin.has(layer) {
            true => self.builtin.render(layer, context)?,
            false => Vec::new(),
        };
        if let Some(set) = self.set {
            set.overlay(layer, context, &mut files)?;
        }
        Ok(files)
    }

    /// The layer of a sub of `pattern`: pop's own, or the set's.
    fn sub_layer(&self, pattern: &Pattern) -> Result<String> {
        let layer = format!("sub/{}", pattern.name());
        match pattern {
            Pattern::Custom(_) if !self.set.is_some_and(|set| set.has_layer(&layer)) => {
                Err(unknown_pattern(pattern, self.set))
            }
            _ => Ok(layer),
        }
    }

    /// The values templates see, for a project with these answers.
    pub fn context(&self, answers: &Answers) -> Context {
        Context {
            set: self.set.map(|set| (set.name.clone(), set.version.clone())),
            ..Context::new(answers, self.builtin)
        }
    }
}

/// A pattern that is neither pop's nor one of the project's set.
pub fn unknown_pattern(pattern: &Pattern, set: Option<&TemplateSet>) -> Error {
    let mut known = Pattern::builtin_names();
    let whose = match set {
        Some(set) => {
            for pattern in set.patterns() {
                known.push_str(", ");
                known.push_str(pattern.as_str());
            }
            format!("nor one of the template set `{}`", set.name)
        }
        None => "and the project records no template set that has it".to_owned(),
    };
    Error::usage(format!(
        "unknown pattern `{pattern}`: it is not one of pop's, {whose}"
    ))
    .hint(format!("use one of: {known}"))
}

/// The values templates see, built in one place.
#[derive(Clone, Debug)]
pub struct Context {
    answers: Answers,
    version: &'static str,
    set: Option<(String, String)>,
    sub: Option<String>,
    upstream: Option<String>,
    plugin: Option<String>,
}

impl Context {
    /// The context of a project.
    pub fn new(answers: &Answers, templates: Templates) -> Self {
        Context {
            answers: answers.clone(),
            version: templates.version(),
            set: None,
            sub: None,
            upstream: None,
            plugin: None,
        }
    }

    /// The context of one of its subs (`rpc`, or `rpc.admin`).
    pub fn sub(&self, sub: &str) -> Self {
        Context {
            sub: Some(sub.to_owned()),
            ..self.clone()
        }
    }

    /// The context of a sub of a project whose subs (in the order they were
    /// added, this one included or not yet) are `subs`: a flow sub takes from
    /// the beacon or flow sub added last before it.
    pub fn sub_among(&self, sub: &str, subs: &[SubEntry]) -> Self {
        let before = subs
            .iter()
            .position(|s| s.name.as_str() == sub)
            .unwrap_or(subs.len());
        let upstream = subs[..before]
            .iter()
            .rev()
            .find(|s| s.pattern.has_queue())
            .map(|s| s.name.to_string());
        Context {
            upstream,
            ..self.sub(sub)
        }
    }

    /// The context of a plugin of `sub`.
    pub fn plugin(&self, sub: &str, plugin: &str) -> Self {
        Context {
            sub: Some(sub.to_owned()),
            plugin: Some(plugin.to_owned()),
            ..self.clone()
        }
    }

    /// As Tera wants it.
    pub fn tera(&self) -> tera::Context {
        let answers = &self.answers;
        let crate_name = answers.name.crate_name();
        let mut context = tera::Context::new();
        context.insert("name", answers.name.as_str());
        context.insert("env_prefix", &pop_build::names::env_prefix(&crate_name));
        context.insert("crate_name", &crate_name);
        context.insert("version", self.version);
        context.insert("rust_version", RUST_VERSION);
        context.insert("ci", answers.ci.name());
        context.insert("license", answers.license.name());
        context.insert("year", &answers.year);
        let holder = match &answers.author {
            Some(author) => author.as_str().to_owned(),
            None => format!("the {} developers", answers.name),
        };
        context.insert("copyright_holder", &holder);
        // pop-create 0.1.0's templates name the runtime's directory.
        context.insert("runtime", templates::RUNTIME_DIR);
        if let Some(sub) = &self.sub {
            context.insert("sub", sub);
            context.insert("top_sub", sub.split('.').next().unwrap_or(sub));
            // A plugin file may not share its sub's name (clippy's
            // module_inception): an example file is named otherwise then.
            let leaf = sub.rsplit('.').next().unwrap_or(sub);
            let example = |name: &'static str, other: &'static str| {
                if leaf == name { other } else { name }
            };
            context.insert("beacon_example", example("ticks", "clock"));
            context.insert("flow_example", example("stamp", "mark"));
        }
        // A Rust expression, for `const UPSTREAM: Option<&str>`.
        let upstream = match &self.upstream {
            Some(sub) => format!("Some({sub:?})"),
            None => "None".to_owned(),
        };
        context.insert("upstream", &upstream);
        if let Some(plugin) = &self.plugin {
            context.insert("plugin", plugin);
        }
        if let Some((name, version)) = &self.set {
            context.insert("template_name", name);
            context.insert("template_version", version);
        }
        context
    }

    /// The context `Context::new` gives a project `poppy`, for unit tests.
    #[cfg(test)]
    pub fn for_tests() -> Self {
        Context::new(&answers_for_tests("poppy"), Templates::Current)
    }
}

/// Answers for a plain app, for unit tests.
#[cfg(test)]
pub fn answers_for_tests(name: &str) -> Answers {
    Answers {
        license: License::MitOrApache,
        ci: Ci::Github,
        ..Answers::of_unrecorded(crate::names::ProjectName::parse(name).unwrap(), true)
    }
}

/// Every file pop-create generates and keeps up to date for a project with
/// these answers and subs, as `templates` generate them: the files `update`
/// merges. Plugins (the user's) and the files Cargo or the build own
/// (`Cargo.toml`, `Cargo.lock`, `src/subs.rs`) are not among them.
pub fn managed_files(
    layers: Layers<'_>,
    answers: &Answers,
    subs: &[SubEntry],
    formatter: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<File>> {
    let templates = layers.builtin;
    let context = layers.context(answers);
    let mut files = templates.render("common", &context.tera())?;
    let project_layer = answers.project_layer();
    files.extend(templates.render(project_layer, &context.tera())?);
    // pop-create 0.1.0 wrote no licence, CI or Dockerfile.
    if templates != Templates::V0_1_0 {
        files.extend(extras(templates, answers, subs, &context)?);
    }
    // The set's project files over all of them: its README, licence, CI…
    if let Some(set) = layers.set {
        set.overlay(project_layer, &context.tera(), &mut files)?;
    }
    files.retain(|file| file.path.as_str() != "Cargo.toml");
    let initial = answers.initial_subs();
    for entry in subs {
        let is_spine = entry.pattern == Pattern::Spine && entry.name == answers.spine();
        if is_spine && !answers.vertical {
            continue;
        }
        files.extend(layers.render(
            &layers.sub_layer(&entry.pattern)?,
            &context.sub_among(entry.name.as_str(), subs).tera(),
        )?);
    }
    // src/conf.rs: the template, then each command's edit, replayed in order.
    let conf = files
        .iter_mut()
        .find(|f| f.path.as_str() == "src/conf.rs")
        .ok_or_else(|| Error::failure("the project's templates have no src/conf.rs"))?;
    let mut text = String::from_utf8(conf.contents.clone())
        .map_err(|_| Error::failure("the template of src/conf.rs is not UTF-8"))?;
    let (from_new, added): (Vec<_>, Vec<_>) =
        subs.iter().partition(|entry| initial.contains(entry));
    let entries: Vec<String> = from_new
        .iter()
        .map(|entry| conf_edit::dyne_entry(entry.name.as_str()))
        .collect();
    text = ConfFile::parse(&text)?.append("DYNE", &entries)?;
    for entry in added {
        text = add_sub_to_conf(templates, &text, entry, formatter)?.0;
    }
    conf.contents = text.into_bytes();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The project's `Cargo.toml` as its templates render it, before pop-create
/// wires it to the runtime.
pub fn project_manifest(layers: Layers<'_>, answers: &Answers) -> Result<File> {
    layers
        .render(answers.project_layer(), &layers.context(answers).tera())?
        .into_iter()
        .find(|file| file.path.as_str() == "Cargo.toml")
        .ok_or_else(|| Error::failure("the project's templates have no Cargo.toml"))
}

/// What this version adds beyond the templates of a project set: the
/// vendored runtime, licences, CI, and a Dockerfile for a router app.
fn extras(
    templates: Templates,
    answers: &Answers,
    subs: &[SubEntry],
    context: &Context,
) -> Result<Vec<File>> {
    let mut files = Vec::new();
    // An earlier version's runtime files are not rendered: its runtime is
    // replaced whole, and an edited file of it is kept as it is.
    if !answers.member && templates == Templates::Current {
        files.extend(templates::runtime());
        files.extend(
            templates::render("runtime", &context.tera())?
                .into_iter()
                .map(|mut file| {
                    file.path = ProjectPath::known(templates::RUNTIME_DIR).join(&file.path);
                    file
                }),
        );
    }
    files.extend(license_files(templates, answers.license, context)?);
    // A crate made inside an app's workspace is checked by the app's CI:
    // GitHub and GitLab only run the workflow at a repository's root.
    match answers.ci {
        _ if answers.member => {}
        Ci::Github => files.extend(templates.render("ci/github", &context.tera())?),
        Ci::Gitlab => files.extend(templates.render("ci/gitlab", &context.tera())?),
        Ci::None => {}
    }
    let serves = subs.any_follow(&Pattern::Router);
    if serves && !answers.vertical {
        files.extend(templates.render("docker", &context.tera())?);
    }
    Ok(files)
}

/// The licence texts for `license`.
fn license_files(templates: Templates, license: License, context: &Context) -> Result<Vec<File>> {
    let mit = || -> Result<String> {
        let file = templates
            .render("license", &context.tera())?
            .into_iter()
            .next();
        let file = file.expect("the licence set holds the MIT text");
        Ok(String::from_utf8(file.contents).expect("templates are UTF-8"))
    };
    Ok(match license {
        License::None => Vec::new(),
        License::Mit => vec![File::text("LICENSE", mit()?)],
        License::Apache => vec![File::text("LICENSE", templates::APACHE_LICENSE)],
        License::MitOrApache => vec![
            File::text("LICENSE-MIT", mit()?),
            File::text("LICENSE-APACHE", templates::APACHE_LICENSE),
        ],
    })
}

/// The files `add-sub` writes for a sub, besides its edits of `src/conf.rs`
/// and `Cargo.toml`, in a project whose subs (as recorded) are `subs`.
pub fn sub_files(
    set: Option<&TemplateSet>,
    answers: &Answers,
    sub: &SubEntry,
    subs: &[SubEntry],
) -> Result<Vec<File>> {
    let layers = Layers::current(set);
    let context = layers.context(answers).sub_among(sub.name.as_str(), subs);
    layers.render(&layers.sub_layer(&sub.pattern)?, &context.tera())
}

/// The Dockerfile and `.dockerignore` a router app gets.
pub fn docker_files(answers: &Answers) -> Result<Vec<File>> {
    let context = Layers::current(None).context(answers);
    templates::render("docker", &context.tera())
}

/// The plugin file (with its test) `add-plugin` writes into `dir`, for a
/// sub following `pattern`: a beacon's plugin has a `listen`, a
/// collection's a `gather`, a flow's a `process`, as their contracts ask.
pub fn plugin_file(
    set: Option<&TemplateSet>,
    answers: &Answers,
    sub: &SubPath,
    pattern: Option<&Pattern>,
    plugin: &str,
    dir: &ProjectPath,
) -> Result<File> {
    let layers = Layers::current(set);
    let context = layers.context(answers).plugin(&sub.to_string(), plugin);
    // The set's plugin file for the pattern, else pop's for it, else the default.
    let wanted = pattern.map(|p| format!("plugin/{}", p.name()));
    let layer = match wanted {
        Some(layer) if set.is_some_and(|set| set.has_layer(&layer)) => layer,
        Some(layer) if Templates::Current.has(&layer) => layer,
        _ => "plugin/default".to_owned(),
    };
    let mut files = layers.render(&layer, &context.tera())?;
    if files.len() != 1 {
        return Err(Error::failure(format!(
            "the plugin layer `{layer}` must hold exactly one file (it holds {})",
            files.len()
        )));
    }
    let mut file = files.remove(0);
    file.path = dir.join(&ProjectPath::parse(file.path.file_name())?);
    Ok(file)
}

/// `src/conf.rs` after adding a sub as `add-sub` does: its DYNE entry, and
/// for a router the `addr` and `port` options and flags where missing.
/// Returns the text and what changed, for the plan.
pub fn add_sub_to_conf(
    templates: Templates,
    text: &str,
    entry: &SubEntry,
    formatter: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>)> {
    let (sub, pattern) = (entry.name.as_str(), &entry.pattern);
    let mut summary = Vec::new();
    let mut edited = text.to_owned();
    let conf = ConfFile::parse(&edited)?;
    if conf.declaration().sub(sub).is_none() {
        edited = conf.append("DYNE", &[conf_edit::dyne_entry(sub)])?;
        summary.push(format!("add `{sub}` to DYNE"));
    }
    let options: Vec<(&str, &str, Option<char>)> = match pattern {
        Pattern::Router => templates.router_options(),
        pattern if pattern.has_queue() => templates
            .bus_options()
            .iter()
            .map(|(name, entry)| (*name, *entry, None))
            .collect(),
        _ => Vec::new(),
    };
    if !options.is_empty() {
        let conf = ConfFile::parse(&edited)?;
        let declared: Vec<String> = conf
            .declaration()
            .config
            .iter()
            .map(|o| o.name.clone())
            .collect();
        let missing: Vec<String> = options
            .iter()
            .filter(|(name, ..)| !declared.iter().any(|d| d == name))
            .map(|(_, entry, _)| (*entry).to_owned())
            .collect();
        if !missing.is_empty() {
            edited = conf.append("CONFIG", &missing)?;
        }
        let conf = ConfFile::parse(&edited)?;
        let flags = conf.declaration().cli_config.clone();
        let new_flags: Vec<String> = options
            .iter()
            .filter(|(name, ..)| !flags.iter().any(|f| f.name == *name))
            .map(|(name, _, short)| match short {
                Some(short) if !flags.iter().any(|f| f.short == Some(*short)) => {
                    format!("Flag::new({name:?}).short({short:?})")
                }
                _ => format!("Flag::new({name:?})"),
            })
            .collect();
        if !new_flags.is_empty() {
            edited = conf.append("CLI_CONFIG", &new_flags)?;
        }
        if !missing.is_empty() || !new_flags.is_empty() {
            let names: Vec<&str> = options.iter().map(|(name, ..)| *name).collect();
            summary.push(format!("add the {} options", join_names(&names)));
        }
    }
    // rustfmt lays the edit out as the project's own settings want, when the
    // file was rustfmt-clean before: then it only touches the edit.
    if edited != text && formatter(text).as_deref() == Some(text) {
        if let Some(formatted) = formatter(&edited) {
            edited = formatted;
        }
    }
    Ok((edited, summary))
}

/// `src/<sub>` for a sub path (`rpc.admin` → `src/rpc/admin`), given the
/// directories DYNE maps the top sub to (pop-build has checked that each is
/// a relative path inside `src/`).
pub fn sub_dir(dirs: &[String], sub: &SubPath) -> Result<ProjectPath> {
    let first = dirs
        .first()
        .map(String::as_str)
        .unwrap_or(sub.top().as_str());
    let mut dir = format!("src/{first}");
    for part in sub.nested() {
        dir.push('/');
        dir.push_str(part);
    }
    ProjectPath::parse(&dir)
}

/// The DYNE entry of the top-level sub `sub`, or an error listing the subs there are.
pub fn dyne_entry_of<'d>(
    declaration: &'d pop_build::Declaration,
    sub: &str,
) -> Result<&'d pop_build::declaration::DyneEntry> {
    declaration.sub(sub).ok_or_else(|| {
        let known: Vec<&str> = declaration.dyne.iter().map(|e| e.sub.as_str()).collect();
        Error::usage(format!(
            "the project has no sub `{sub}` (its subs: {})",
            known.join(", ")
        ))
        .hint(format!("add it first with `pop-create add-sub {sub}`"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::SubName;
    use std::path::PathBuf;

    fn subs(spine: &str) -> Vec<SubEntry> {
        [
            (spine, Pattern::Spine),
            ("a_long_sub_name_here", Pattern::Router),
            ("tools", Pattern::Library),
            ("ticker", Pattern::Spine),
            ("a_long_beacon_sub_name", Pattern::Beacon),
            ("a_long_collection_sub", Pattern::Collection),
            ("a_long_flow_stage_name", Pattern::Flow),
        ]
        .into_iter()
        .map(|(sub, pattern)| SubEntry::new(SubName::parse(sub).unwrap(), pattern))
        .collect()
    }

    /// Every Rust file pop-create generates is rustfmt-clean, for short and
    /// long names, apps and vertical crates.
    #[test]
    fn generated_rust_is_rustfmt_clean() {
        for name in ["poppy", "a-rather-long-project-name"] {
            for vertical in [false, true] {
                let mut answers = answers_for_tests(name);
                answers.vertical = vertical;
                let spine = crate::names::ProjectName::parse(name).unwrap().crate_name();
                let files =
                    managed_files(Layers::current(None), &answers, &subs(&spine), &|_| None)
                        .unwrap();
                let plugins: Vec<File> = [
                    None,
                    Some(Pattern::Beacon),
                    Some(Pattern::Collection),
                    Some(Pattern::Flow),
                ]
                .into_iter()
                .map(|pattern| {
                    let sub = SubPath::parse("a_long_sub_name_here.and_nested").unwrap();
                    let dir = ProjectPath::parse("src/x").unwrap();
                    plugin_file(
                        None,
                        &answers,
                        &sub,
                        pattern.as_ref(),
                        "a_long_plugin_name",
                        &dir,
                    )
                    .unwrap()
                })
                .collect();
                for file in files.iter().chain(&plugins) {
                    if file.path.as_str().ends_with(".rs") {
                        let what = format!("{name} (vertical: {vertical}): {}", file.path);
                        crate::test_support::assert_rustfmt_clean(&what, &file.contents);
                    }
                }
            }
        }
    }

    /// What an earlier pop-create generated can be rendered again from the
    /// record it wrote: the base of `update`'s merges. Each fixture is a
    /// project that version made (`new poppy`, `add-sub rpc --pattern
    /// router`, `add-plugin rpc math`).
    #[test]
    fn the_files_earlier_versions_generated_are_rendered_again_from_their_records() {
        for (version, templates, at_least) in [
            ("0.1.0", Templates::V0_1_0, 9),
            ("0.2.0", Templates::V0_2_0, 14),
        ] {
            let fixture = PathBuf::from(format!("tests/fixtures/made-by-{version}/poppy"));
            let record = crate::record::Record::read(&fixture).unwrap().unwrap();
            assert_eq!(record.version(), version);
            let answers = record.answers().unwrap();
            let rustfmt = crate::conf_edit::rustfmt_in(&fixture, "2024");
            let layers = Layers {
                builtin: templates,
                set: None,
            };
            let files = managed_files(layers, answers, record.subs(), &rustfmt).unwrap();
            assert!(files.len() >= at_least, "{version}: {files:?}");
            for file in files {
                let on_disk = std::fs::read(fixture.join(file.path.to_path())).unwrap();
                assert!(
                    file.contents == on_disk,
                    "{} differs from what {version} wrote:\n{}",
                    file.path,
                    String::from_utf8_lossy(&file.contents)
                );
                assert!(
                    record.untouched(&file.path, &file.contents),
                    "{version}: {}",
                    file.path
                );
            }
        }
    }
}
