//! What pop-create generates for a project: the template context, built in
//! one place from the recorded answers, and the files of a project, a sub
//! and a plugin.
//!
//! The same functions serve `new`, `add-sub` and `add-plugin` (what to write
//! now) and `update` (what this version generates for a recorded project,
//! and what the version that made it generated: the base of the merge).

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::cli::{Ci, License, Pattern};
use crate::conf_edit::{self, ConfFile};
use crate::error::{Error, Result};
use crate::record::Answers;
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

    fn render(self, set: &str, context: &tera::Context) -> Result<Vec<File>> {
        match self {
            Templates::Current => templates::render(set, context),
            Templates::V0_1_0 => templates::render_from(&V0_1_0, set, context),
            Templates::V0_2_0 => templates::render_from(&V0_2_0, set, context),
        }
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

/// The values templates see, built in one place.
#[derive(Clone, Debug)]
pub struct Context {
    answers: Answers,
    version: &'static str,
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
    pub fn sub_among(&self, sub: &str, subs: &[(String, Pattern)]) -> Self {
        let before = subs
            .iter()
            .position(|(s, _)| s == sub)
            .unwrap_or(subs.len());
        let upstream = subs[..before]
            .iter()
            .rev()
            .find(|(_, pattern)| pattern.has_queue())
            .map(|(s, _)| s.clone());
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
        let crate_name = pop_build::names::crate_name(&answers.name);
        let mut context = tera::Context::new();
        context.insert("name", &answers.name);
        context.insert("env_prefix", &pop_build::names::env_prefix(&crate_name));
        context.insert("crate_name", &crate_name);
        context.insert("version", self.version);
        context.insert("rust_version", RUST_VERSION);
        context.insert("ci", answers.ci.name());
        context.insert("license", answers.license.spdx());
        context.insert("year", &answers.year);
        let holder = answers
            .author
            .clone()
            .unwrap_or_else(|| format!("the {} developers", answers.name));
        context.insert("copyright_holder", &holder);
        // pop-create 0.1.0's templates name the runtime's directory.
        context.insert("runtime", templates::RUNTIME_DIR);
        if let Some(sub) = &self.sub {
            context.insert("sub", sub);
            context.insert("top_sub", sub.split('.').next().unwrap_or(sub));
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
        name: name.into(),
        vertical: false,
        member: false,
        dynes: Vec::new(),
        vcs: "none".into(),
        license: License::MitOrApache,
        ci: Ci::Github,
        author: None,
        year: 2026,
    }
}

/// The subs a project starts with: the spine (for an app), then the dynes asked for.
pub fn initial_subs(answers: &Answers) -> Vec<(String, Pattern)> {
    let spine = pop_build::names::crate_name(&answers.name);
    let mut subs = Vec::new();
    if !answers.vertical {
        subs.push((spine, Pattern::Spine));
    }
    for dyne in &answers.dynes {
        subs.push((dyne.clone(), Pattern::Library));
    }
    subs
}

/// Every file pop-create generates and keeps up to date for a project with
/// these answers and subs, as `templates` generate them: the files `update`
/// merges. Plugins (the user's) and the files Cargo or the build own
/// (`Cargo.toml`, `Cargo.lock`, `src/subs.rs`) are not among them.
pub fn managed_files(
    templates: Templates,
    answers: &Answers,
    subs: &[(String, Pattern)],
    formatter: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<File>> {
    let context = Context::new(answers, templates);
    let mut files = templates.render("common", &context.tera())?;
    let set = if answers.vertical { "vertical" } else { "app" };
    files.extend(
        templates
            .render(set, &context.tera())?
            .into_iter()
            .filter(|file| file.path != Path::new("Cargo.toml")),
    );
    let initial = initial_subs(answers);
    for (sub, pattern) in subs {
        if *pattern == Pattern::Spine && !answers.vertical && *sub == context_spine(answers) {
            continue;
        }
        files.extend(templates.render(
            &format!("sub/{}", pattern.name()),
            &context.sub_among(sub, subs).tera(),
        )?);
    }
    // src/conf.rs: the template, then each command's edit, replayed in order.
    let conf = files
        .iter_mut()
        .find(|f| f.path == Path::new("src/conf.rs"))
        .expect("every project template set has src/conf.rs");
    let mut text = String::from_utf8(conf.contents.clone()).expect("templates are UTF-8");
    let (from_new, added): (Vec<_>, Vec<_>) =
        subs.iter().partition(|entry| initial.contains(entry));
    let entries: Vec<String> = from_new
        .iter()
        .map(|(sub, _)| conf_edit::dyne_entry(sub))
        .collect();
    text = ConfFile::parse(&text)?.append("DYNE", &entries)?;
    for (sub, pattern) in added {
        text = add_sub_to_conf(templates, &text, sub, *pattern, formatter)?.0;
    }
    conf.contents = text.into_bytes();
    // pop-create 0.1.0 wrote no licence, CI or Dockerfile.
    if templates != Templates::V0_1_0 {
        files.extend(extras(templates, answers, subs, &context)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn context_spine(answers: &Answers) -> String {
    pop_build::names::crate_name(&answers.name)
}

/// What this version adds beyond the templates of a project set: the
/// vendored runtime, licences, CI, and a Dockerfile for a router app.
fn extras(
    templates: Templates,
    answers: &Answers,
    subs: &[(String, Pattern)],
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
                    file.path = Path::new(templates::RUNTIME_DIR).join(&file.path);
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
    let serves = subs.iter().any(|(_, pattern)| *pattern == Pattern::Router);
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
    answers: &Answers,
    sub: &str,
    pattern: Pattern,
    subs: &[(String, Pattern)],
) -> Result<Vec<File>> {
    let context = Context::new(answers, Templates::Current).sub_among(sub, subs);
    templates::render(&format!("sub/{}", pattern.name()), &context.tera())
}

/// The Dockerfile and `.dockerignore` a router app gets.
pub fn docker_files(answers: &Answers) -> Result<Vec<File>> {
    let context = Context::new(answers, Templates::Current);
    templates::render("docker", &context.tera())
}

/// The plugin file (with its test) `add-plugin` writes into `dir`, for a
/// sub following `pattern`: a beacon's plugin has a `listen`, a
/// collection's a `gather`, a flow's a `process`, as their contracts ask.
pub fn plugin_file(
    answers: &Answers,
    sub: &str,
    pattern: Option<Pattern>,
    plugin: &str,
    dir: &Path,
) -> Result<File> {
    let context = Context::new(answers, Templates::Current).plugin(sub, plugin);
    let set = match pattern {
        Some(pattern @ (Pattern::Beacon | Pattern::Collection | Pattern::Flow)) => {
            format!("plugin/{}", pattern.name())
        }
        _ => "plugin/default".to_owned(),
    };
    let mut files = templates::render(&set, &context.tera())?;
    let mut file = files.pop().expect("the plugin set has one file");
    file.path = dir.join(file.path.file_name().expect("a file"));
    Ok(file)
}

/// `src/conf.rs` after adding a sub as `add-sub` does: its DYNE entry, and
/// for a router the `addr` and `port` options and flags where missing.
/// Returns the text and what changed, for the plan.
pub fn add_sub_to_conf(
    templates: Templates,
    text: &str,
    sub: &str,
    pattern: Pattern,
    formatter: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>)> {
    let mut summary = Vec::new();
    let mut edited = text.to_owned();
    let conf = ConfFile::parse(&edited)?;
    if conf.declaration().sub(sub).is_none() {
        edited = conf.append("DYNE", &[conf_edit::dyne_entry(sub)])?;
        summary.push(format!("add `{sub}` to DYNE"));
    }
    if pattern == Pattern::Router {
        let options = templates.router_options();
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
/// directories DYNE maps the top sub to.
pub fn sub_dir(dirs: &[String], top: &str, nested: &[String]) -> PathBuf {
    let mut dir = PathBuf::from("src").join(dirs.first().map(String::as_str).unwrap_or(top));
    for part in nested {
        dir.push(part);
    }
    dir
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

    fn subs(spine: &str) -> Vec<(String, Pattern)> {
        vec![
            (spine.to_owned(), Pattern::Spine),
            ("a_long_sub_name_here".into(), Pattern::Router),
            ("tools".into(), Pattern::Library),
            ("ticker".into(), Pattern::Spine),
            ("a_long_beacon_sub_name".into(), Pattern::Beacon),
            ("a_long_collection_sub".into(), Pattern::Collection),
            ("a_long_flow_stage_name".into(), Pattern::Flow),
        ]
    }

    /// Every Rust file pop-create generates is rustfmt-clean, for short and
    /// long names, apps and vertical crates.
    #[test]
    fn generated_rust_is_rustfmt_clean() {
        for name in ["poppy", "a-rather-long-project-name"] {
            for vertical in [false, true] {
                let mut answers = answers_for_tests(name);
                answers.vertical = vertical;
                let spine = pop_build::names::crate_name(name);
                let files =
                    managed_files(Templates::Current, &answers, &subs(&spine), &|_| None).unwrap();
                let plugins: Vec<File> = [
                    None,
                    Some(Pattern::Beacon),
                    Some(Pattern::Collection),
                    Some(Pattern::Flow),
                ]
                .into_iter()
                .map(|pattern| {
                    let sub = "a_long_sub_name_here.and_nested";
                    plugin_file(
                        &answers,
                        sub,
                        pattern,
                        "a_long_plugin_name",
                        Path::new("src/x"),
                    )
                    .unwrap()
                })
                .collect();
                for file in files.iter().chain(&plugins) {
                    if file.path.extension().is_some_and(|ext| ext == "rs") {
                        let what =
                            format!("{name} (vertical: {vertical}): {}", file.path.display());
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
            assert_eq!(record.version(), Some(version));
            let answers = record.answers().unwrap();
            let subs: Vec<(String, Pattern)> = record
                .subs()
                .into_iter()
                .map(|(sub, pattern)| (sub, Pattern::from_name(&pattern).unwrap()))
                .collect();
            let rustfmt = crate::conf_edit::rustfmt_in(&fixture, "2024");
            let files = managed_files(templates, &answers, &subs, &rustfmt).unwrap();
            assert!(files.len() >= at_least, "{version}: {files:?}");
            for file in files {
                let on_disk = std::fs::read(fixture.join(&file.path)).unwrap();
                assert!(
                    file.contents == on_disk,
                    "{} differs from what {version} wrote:\n{}",
                    file.path.display(),
                    String::from_utf8_lossy(&file.contents)
                );
                assert!(
                    record.untouched(&file.path, &file.contents),
                    "{version}: {}",
                    file.path.display()
                );
            }
        }
    }
}
