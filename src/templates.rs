//! The files pop-create writes, embedded in the binary: Tera templates for
//! projects, subs and plugins, the runtime's own source and licences, and
//! the lockfiles it was tested with.
//!
//! Only files ending in `.tera` are rendered (the suffix is dropped); every
//! other file is copied byte for byte, so binary files and text that happens
//! to contain `{{ }}` (GitHub Actions, say) survive. Paths may use Tera too:
//! `src/{{ crate_name }}/init.rs.tera`. A path component `dot-x` is written
//! as `.x`: a `.gitignore` or `.github` inside this repository would be read
//! by git or GitHub as the repository's own.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::{Error, Result};
use crate::model::ProjectPath;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static RUNTIME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/crates");

/// The runtime's licence texts, which are also this repository's.
const RUNTIME_LICENSES: &[(&str, &str)] = &[
    ("LICENSE-MIT", include_str!("../LICENSE-MIT")),
    ("LICENSE-APACHE", include_str!("../LICENSE-APACHE")),
];

include!(concat!(env!("OUT_DIR"), "/executable.rs"));

/// Where the runtime's crates go inside a project.
pub const RUNTIME_DIR: &str = "runtime";

/// The runtime crates a project vendors, in the order Cargo.toml names them.
pub const RUNTIME_CRATES: &[&str] = &["pop-hub", "pop-macros", "pop-build"];

/// One file ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the project root.
    pub path: ProjectPath,
    /// Its contents.
    pub contents: Vec<u8>,
    /// Whether it is executable.
    pub executable: bool,
}

impl File {
    /// A text file pop-create writes at `path` (a path of its own making).
    pub fn text(path: &str, contents: impl Into<String>) -> Self {
        File {
            path: ProjectPath::parse(path).expect("pop-create's own paths are inside the project"),
            contents: contents.into().into_bytes(),
            executable: false,
        }
    }
}

/// Renders every file of one template set (`app`, `sub/router`, …).
pub fn render(set: &str, context: &tera::Context) -> Result<Vec<File>> {
    render_from(&TEMPLATES, set, context)
}

/// This version's embedded templates.
pub fn embedded() -> &'static Dir<'static> {
    &TEMPLATES
}

/// Renders a template set of another embedded template tree (an earlier
/// version's, for `update`).
pub fn render_from(
    templates: &Dir<'static>,
    set: &str,
    context: &tera::Context,
) -> Result<Vec<File>> {
    let dir = templates
        .get_dir(set)
        .ok_or_else(|| Error::failure(format!("pop-create has no template set `{set}`")))?;
    let mut files = Vec::new();
    collect(dir, &mut |file| {
        let source = file.path();
        let relative = source.strip_prefix(set).expect("inside the set");
        let executable = std::ptr::eq(templates, &TEMPLATES)
            && EXECUTABLE.iter().any(|exe| Path::new(exe) == source);
        files.push(render_file(
            &TemplateFile {
                relative: &relative.display().to_string(),
                contents: file.contents(),
                executable,
                source: &source.display().to_string(),
            },
            context,
        )?);
        Ok(())
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One file of a template layer, before rendering.
pub struct TemplateFile<'a> {
    /// Its path within the layer (`src/{{ crate_name }}/init.rs.tera`).
    pub relative: &'a str,
    /// Its contents.
    pub contents: &'a [u8],
    /// Whether it is executable.
    pub executable: bool,
    /// Where it comes from, for messages.
    pub source: &'a str,
}

/// Renders one template file: its path always (Tera may name parts of it),
/// its contents only when it ends in `.tera` (the suffix is dropped), and a
/// path component `dot-x` becomes `.x`. A path that would leave the project
/// is refused, naming the template.
pub fn render_file(file: &TemplateFile<'_>, context: &tera::Context) -> Result<File> {
    let source = Path::new(file.source);
    let mut path = render_text(file.relative, context, source)?;
    let mut contents = file.contents.to_vec();
    if let Some(stripped) = path.strip_suffix(".tera") {
        let text = std::str::from_utf8(file.contents)
            .map_err(|_| Error::failure(format!("template {} is not UTF-8", file.source)))?;
        contents = render_text(text, context, source)?.into_bytes();
        path = stripped.to_owned();
    }
    let path: PathBuf = Path::new(&path)
        .components()
        .map(|part| {
            let part = part.as_os_str().to_string_lossy();
            match part.strip_prefix("dot-") {
                Some(rest) => format!(".{rest}"),
                None => part.into_owned(),
            }
        })
        .collect();
    let path = ProjectPath::from_path(&path).map_err(|err| {
        Error::failure(format!(
            "template {} renders to a path outside the project: {}",
            file.source,
            err.message()
        ))
    })?;
    Ok(File {
        path,
        contents,
        executable: file.executable,
    })
}

/// The raw text of one embedded template file (`lock/hub.lock`).
pub fn raw(path: &str) -> &'static str {
    TEMPLATES
        .get_file(path)
        .and_then(|file| file.contents_utf8())
        .unwrap_or_else(|| panic!("the template {path} is embedded"))
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
            "template {} does not render: {}",
            source.display(),
            tera_error(
                &err.to_string(),
                "__tera_one_off",
                &source.display().to_string()
            )
        ))
    })
}

/// Tera's report on one line: where (`FILE:LINE:COLUMN`), then what.
pub fn tera_error(report: &str, tera_name: &str, file: &str) -> String {
    let what = report
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
        .trim_start_matches("error: ");
    let at = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("-->"))
        .map(|at| at.trim().replacen(tera_name, file, 1));
    match at {
        Some(at) => format!("{at}: {what}"),
        None => what.to_owned(),
    }
}

/// The source of the runtime crates a project builds on, under `runtime/`:
/// each crate's `Cargo.toml` and `src/`, exactly as this repository tests
/// them, and the runtime's licence texts.
pub fn runtime() -> Vec<File> {
    let mut files = Vec::new();
    for name in RUNTIME_CRATES {
        let dir = RUNTIME
            .get_dir(name)
            .unwrap_or_else(|| panic!("runtime crate {name} is embedded"));
        let _ = collect(dir, &mut |file| {
            let relative = file.path().strip_prefix(name).expect("inside the crate");
            // Its README too: the manifest names it for `cargo package`.
            let wanted = relative == Path::new("Cargo.toml")
                || relative == Path::new("README.md")
                || relative.starts_with("src");
            if wanted {
                files.push(File {
                    path: ProjectPath::from_path(&Path::new(RUNTIME_DIR).join(file.path()))
                        .expect("the runtime's files are inside the project"),
                    contents: file.contents().to_vec(),
                    executable: false,
                });
            }
            Ok(())
        });
    }
    for (name, text) in RUNTIME_LICENSES {
        files.push(File::text(&format!("{RUNTIME_DIR}/{name}"), *text));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The Apache License 2.0, as the runtime carries it and projects may choose it.
pub const APACHE_LICENSE: &str = RUNTIME_LICENSES[1].1;

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
    fn runtime_files_are_the_crates_sources_and_licences() {
        let files = runtime();
        let paths: Vec<String> = files.iter().map(|f| f.path.to_string()).collect();
        for path in [
            "runtime/pop-hub/Cargo.toml",
            "runtime/pop-hub/src/lib.rs",
            "runtime/pop-hub/src/router/mod.rs",
            "runtime/pop-macros/src/lib.rs",
            "runtime/pop-build/src/lib.rs",
            "runtime/LICENSE-MIT",
            "runtime/LICENSE-APACHE",
        ] {
            assert!(paths.contains(&path.to_owned()), "{path} in {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.contains("/tests/")), "{paths:?}");
        let lib = files
            .iter()
            .find(|f| f.path.as_str().ends_with("pop-hub/src/lib.rs"))
            .unwrap();
        assert_eq!(
            lib.contents,
            std::fs::read("crates/pop-hub/src/lib.rs").unwrap()
        );
    }

    #[test]
    fn only_tera_files_are_rendered_and_dot_names_are_restored() {
        let context = crate::generation::Context::for_tests().tera();
        let common = render("common", &context).unwrap();
        let build = common
            .iter()
            .find(|f| f.path.as_str() == "build.rs")
            .unwrap();
        assert_eq!(
            build.contents,
            TEMPLATES.get_file("common/build.rs").unwrap().contents()
        );
        assert!(common.iter().any(|f| f.path.as_str() == ".gitignore"));
        let files = render("app", &context).unwrap();
        assert!(files.iter().any(|f| f.path.as_str() == "src/poppy/init.rs"));
        assert!(!files.iter().any(|f| f.path.as_str().contains("tera")));
        let ci = render("ci/github", &context).unwrap();
        assert_eq!(ci[0].path.as_str(), ".github/workflows/ci.yml");
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
