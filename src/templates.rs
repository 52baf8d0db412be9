//! The files pop-create writes, embedded in the binary: Tera templates for
//! projects, subs and plugins, and the runtime's own source.
//!
//! Only files ending in `.tera` are rendered (the suffix is dropped); every
//! other file is copied byte for byte, so binary files and text that happens
//! to contain `{{ }}` (GitHub Actions, say) survive. Paths may use Tera too:
//! `src/{{ crate_name }}/init.rs.tera`.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::{Error, Result};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static RUNTIME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/crates");

/// The lockfile this repository tests the runtime with. A new project starts
/// from it, so it builds with exactly the dependency versions tested here;
/// Cargo drops the entries the project does not use.
pub const LOCKFILE: &str = include_str!("../Cargo.lock");

include!(concat!(env!("OUT_DIR"), "/executable.rs"));

/// Where the runtime's crates go inside a project.
pub const RUNTIME_DIR: &str = "runtime";

/// One file ready to write.
#[derive(Debug, Clone)]
pub struct File {
    /// Relative to the project root.
    pub path: PathBuf,
    /// Its contents.
    pub contents: Vec<u8>,
    /// Whether it is executable.
    pub executable: bool,
}

/// Renders every file of one template set (`app`, `sub/router`, …).
pub fn render(set: &str, context: &tera::Context) -> Result<Vec<File>> {
    let dir = TEMPLATES
        .get_dir(set)
        .ok_or_else(|| Error::failure(format!("pop-create has no template set `{set}`")))?;
    let mut files = Vec::new();
    collect(dir, &mut |file| {
        let source = file.path();
        let relative = source.strip_prefix(set).expect("inside the set");
        let mut path = render_text(&relative.display().to_string(), context, source)?;
        let mut contents = file.contents().to_vec();
        if let Some(stripped) = path.strip_suffix(".tera") {
            let text = file.contents_utf8().ok_or_else(|| {
                Error::failure(format!("template {} is not UTF-8", source.display()))
            })?;
            contents = render_text(text, context, source)?.into_bytes();
            path = stripped.to_owned();
        }
        // A file named `.gitignore` inside this repository would be read by git as rules.
        if path == "gitignore" || path.ends_with("/gitignore") {
            path = path.replace("gitignore", ".gitignore");
        }
        let executable = EXECUTABLE.iter().any(|exe| Path::new(exe) == source);
        files.push(File {
            path: PathBuf::from(path),
            contents,
            executable,
        });
        Ok(())
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect(
    dir: &Dir<'static>,
    visit: &mut dyn FnMut(&include_dir::File<'static>) -> Result<()>,
) -> Result<()> {
    for file in dir.files() {
        visit(file)?;
    }
    for sub in dir.dirs() {
        collect(sub, visit)?;
    }
    Ok(())
}

fn render_text(text: &str, context: &tera::Context, source: &Path) -> Result<String> {
    if !text.contains("{{") && !text.contains("{%") {
        return Ok(text.to_owned());
    }
    tera::Tera::one_off(text, context, false).map_err(|err| {
        Error::failure(format!(
            "template {} does not render: {err}",
            source.display()
        ))
    })
}

/// The source of the runtime crates a project builds on, under `runtime/`:
/// each crate's `Cargo.toml` and `src/`, exactly as this repository tests them.
pub fn runtime(crates: &[&str]) -> Vec<File> {
    let mut files = Vec::new();
    for name in crates {
        let dir = RUNTIME
            .get_dir(name)
            .unwrap_or_else(|| panic!("runtime crate {name} is embedded"));
        let _ = collect(dir, &mut |file| {
            let relative = file.path().strip_prefix(name).expect("inside the crate");
            let wanted = relative == Path::new("Cargo.toml") || relative.starts_with("src");
            if wanted {
                files.push(File {
                    path: Path::new(RUNTIME_DIR).join(file.path()),
                    contents: file.contents().to_vec(),
                    executable: false,
                });
            }
            Ok(())
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_build_artefacts_or_stray_files_are_embedded() {
        fn walk(dir: &Dir<'static>, found: &mut Vec<String>) {
            for file in dir.files() {
                found.push(file.path().display().to_string());
            }
            for sub in dir.dirs() {
                found.push(sub.path().display().to_string());
                walk(sub, found);
            }
        }
        let mut found = Vec::new();
        walk(&TEMPLATES, &mut found);
        walk(&RUNTIME, &mut found);
        for path in &found {
            for bad in [
                "target",
                ".DS_Store",
                "__pycache__",
                ".orig",
                ".rej",
                "Cargo.lock",
            ] {
                assert!(
                    !path
                        .split('/')
                        .any(|part| part == bad || part.ends_with(bad)),
                    "{path} is embedded"
                );
            }
        }
    }

    #[test]
    fn runtime_files_are_the_crates_sources() {
        let files = runtime(&["pop", "pop-macros"]);
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert!(paths.contains(&"runtime/pop/Cargo.toml".to_owned()));
        assert!(paths.contains(&"runtime/pop/src/lib.rs".to_owned()));
        assert!(paths.contains(&"runtime/pop-macros/src/lib.rs".to_owned()));
        assert!(!paths.iter().any(|p| p.contains("/tests/")), "{paths:?}");
        let lib = files
            .iter()
            .find(|f| f.path.ends_with("pop/src/lib.rs"))
            .unwrap();
        assert_eq!(
            lib.contents,
            std::fs::read("crates/pop/src/lib.rs").unwrap()
        );
    }

    #[test]
    fn only_tera_files_are_rendered_and_others_are_copied_verbatim() {
        let context = crate::new::context("poppy", "poppy");
        let common = render("common", &context).unwrap();
        let build = common
            .iter()
            .find(|f| f.path == Path::new("build.rs"))
            .unwrap();
        assert_eq!(
            build.contents,
            TEMPLATES.get_file("common/build.rs").unwrap().contents()
        );
        assert!(common.iter().any(|f| f.path == Path::new(".gitignore")));
        let files = render("app", &context).unwrap();
        assert!(
            files
                .iter()
                .any(|f| f.path == Path::new("src/poppy/init.rs"))
        );
        assert!(
            !files
                .iter()
                .any(|f| f.path.display().to_string().contains("tera"))
        );
    }

    /// Every Rust file pop-create renders is rustfmt-clean, for short and long names alike.
    #[test]
    fn rendered_rust_is_rustfmt_clean() {
        for (name, sub, plugin) in [
            ("poppy", "rpc", "math"),
            (
                "a-rather-long-project-name",
                "a_long_sub_name_here",
                "a_long_plugin_name",
            ),
        ] {
            let crate_name = crate::names::crate_name(name);
            let mut context = crate::new::context(name, &crate_name);
            context.insert("sub", sub);
            context.insert("top_sub", sub);
            context.insert("plugin", plugin);
            for set in [
                "common",
                "app",
                "vertical",
                "sub/library",
                "sub/router",
                "sub/spine",
                "plugin",
            ] {
                for mut file in render(set, &context).unwrap() {
                    if file.path.ends_with("src/conf.rs") {
                        // `new` fills DYNE in; an empty `&[]` is trivially clean.
                        let text = String::from_utf8(file.contents).unwrap();
                        let conf = crate::conf_edit::ConfFile::parse(&text).unwrap();
                        file.contents = conf
                            .append("DYNE", &[crate::conf_edit::dyne_entry(sub)])
                            .unwrap()
                            .into_bytes();
                    }
                    if file.path.extension().is_some_and(|ext| ext == "rs") {
                        crate::test_support::assert_rustfmt_clean(
                            &format!("{set}/{}", file.path.display()),
                            &file.contents,
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn executable_bits_match_the_template_files() {
        #[cfg(unix)]
        for path in EXECUTABLE {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(Path::new("templates").join(path))
                .unwrap()
                .permissions()
                .mode();
            assert!(mode & 0o111 != 0, "{path}");
        }
    }
}
