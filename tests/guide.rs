//! The user guide (`docs/guide/`), executed: every command a page shows is
//! run and every file it shows is written, page after page in the order of
//! the README's page list, in one scratch directory, so that the guide's
//! app is built and its tests are run for real.
//!
//! How a page is read:
//!
//! * a `console` block: each line starting with `$ ` is a command, run in
//!   the current directory. `cd DIR` changes it; `pop-create …` and
//!   `cargo …` must succeed; `curl …` lines show a running router and are
//!   not run. Other lines are example output, not checked;
//! * a `rust` block whose first line is `// PATH`: the rest is written to
//!   PATH, relative to the current directory. A `rust,ignore` block is a
//!   fragment of a file shown in full elsewhere; a plain `rust` block
//!   without a path is an error;
//! * any block whose info string holds `file=PATH` (`toml file=…`,
//!   `text file=…`): its lines are written to PATH;
//! * any other block (`text`, `toml`, `sh`, …) is only shown.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use support::*;

/// The guide's directory.
const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide");

/// The pages, in the order they build the app. The README lists them too,
/// and the test checks that both agree.
const PAGES: [&str; 13] = [
    "hub.md",
    "subs-and-patterns.md",
    "plugins.md",
    "calls.md",
    "configuration.md",
    "contracts.md",
    "conditional-loading.md",
    "merging.md",
    "testing.md",
    "loop.md",
    "operating.md",
    "events.md",
    "template-sets.md",
];

/// One fenced block of a page.
struct Block {
    /// The info string after the opening fence: `console`, `rust,ignore`, ….
    info: String,
    /// The line of the opening fence, from 1.
    line: usize,
    /// The lines between the fences.
    lines: Vec<String>,
}

/// What a page asks for, in order.
enum Step {
    /// A command: its words, and its line in the page.
    Command(Vec<String>, usize),
    /// A file to write: its path and contents, and the line of its block.
    Write(String, String, usize),
}

fn read_page(page: &str) -> String {
    let path = Path::new(GUIDE).join(page);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The fenced blocks of a page.
fn blocks(page: &str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, open.take()) {
            (Some(info), None) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    line: index + 1,
                    lines: Vec::new(),
                });
            }
            (Some(rest), Some(block)) => {
                assert!(
                    rest.trim().is_empty(),
                    "{page}:{}: a block opens inside the block of line {}",
                    index + 1,
                    block.line
                );
                blocks.push(block);
            }
            (None, Some(mut block)) => {
                block.lines.push(line.to_owned());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    if let Some(block) = open {
        panic!("{page}:{}: the block is never closed", block.line);
    }
    blocks
}

/// A command line split into words; `"…"` keeps spaces in one word.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    assert!(!quoted, "an unclosed quote in `{line}`");
    if started {
        words.push(word);
    }
    words
}

/// The steps of a page, checked for the guide's rules.
fn steps(page: &str) -> Vec<Step> {
    let text = read_page(page);
    let mut steps = Vec::new();
    for block in blocks(page, &text) {
        // Any block marked `file=PATH` (a set's TOML or Tera files) is written.
        // (The path is the rest of the info string: Tera paths hold spaces.)
        if let Some((_, path)) = block.info.split_once("file=") {
            assert!(
                Path::new(path).is_relative() && !path.split('/').any(|part| part == ".."),
                "{page}:{}: `{path}` must be relative",
                block.line
            );
            let mut contents = block.lines.join("\n");
            contents.push('\n');
            steps.push(Step::Write(path.to_owned(), contents, block.line));
            continue;
        }
        let lang = block.info.split([',', ' ']).next().unwrap_or_default();
        match lang {
            "console" => {
                for (offset, line) in block.lines.iter().enumerate() {
                    let Some(command) = line.strip_prefix("$ ") else {
                        continue;
                    };
                    let line = block.line + 1 + offset;
                    let words = words(command);
                    match words.first().map(String::as_str) {
                        Some("cd" | "pop-create" | "cargo") => {
                            steps.push(Step::Command(words, line));
                        }
                        // Shown against a running router; its protocol is
                        // tested end to end elsewhere.
                        Some("curl") => {}
                        _ => panic!("{page}:{line}: the guide cannot run `{command}`"),
                    }
                }
            }
            "rust" if block.info == "rust,ignore" => {}
            "rust" => {
                let path = block
                    .lines
                    .first()
                    .and_then(|first| first.strip_prefix("// "))
                    .filter(|path| path.ends_with(".rs") && !path.contains(' '))
                    .unwrap_or_else(|| {
                        panic!(
                            "{page}:{}: a rust block starts with `// PATH`, or is `rust,ignore`",
                            block.line
                        )
                    });
                assert!(
                    Path::new(path).is_relative() && !path.split('/').any(|part| part == ".."),
                    "{page}:{}: `{path}` must be relative, inside the project",
                    block.line
                );
                let mut contents = block.lines[1..].join("\n");
                contents.push('\n');
                steps.push(Step::Write(path.to_owned(), contents, block.line));
            }
            _ => {}
        }
    }
    steps
}

/// The pages the README lists under `## Pages`, in order.
fn listed_pages() -> Vec<String> {
    let readme = read_page("README.md");
    let list = readme
        .split_once("\n## Pages\n")
        .map(|(_, rest)| rest)
        .expect("the README has a `## Pages` section");
    let list = list.split("\n## ").next().unwrap_or_default();
    list.lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|line| {
            let (_, target) = line.split_once("](")?;
            Some(target.split_once(')')?.0.to_owned())
        })
        .collect()
}

/// Runs one command of a page in `dir`, and returns the directory the
/// next command runs in.
fn run(page: &str, line: usize, words: &[String], dir: &Path) -> PathBuf {
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let output: Output = match words[0].as_str() {
        "cd" => {
            let [to] = args.as_slice() else {
                panic!("{page}:{line}: `cd` takes one directory");
            };
            let next = dir.join(to);
            assert!(next.is_dir(), "{page}:{line}: no directory {to}");
            return next;
        }
        "pop-create" => command(env!("CARGO_BIN_EXE_pop-create"), dir, &args)
            .output()
            .expect("pop-create runs"),
        "cargo" => {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            command(cargo, dir, &args).output().expect("cargo runs")
        }
        other => unreachable!("`{other}` was checked when the page was read"),
    };
    assert!(
        output.status.success(),
        "{page}:{line}: `{}` failed with {:?} in {}\n--- stdout\n{}\n--- stderr\n{}",
        words.join(" "),
        output.status.code(),
        dir.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    dir.to_path_buf()
}

#[test]
fn the_readme_lists_every_page_in_order() {
    assert_eq!(listed_pages(), PAGES, "the page list of README.md");
    let mut on_disk: Vec<String> = std::fs::read_dir(GUIDE)
        .expect("docs/guide exists")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md") && name != "README.md")
        .collect();
    on_disk.sort();
    let mut listed = PAGES.map(str::to_owned).to_vec();
    listed.sort();
    assert_eq!(on_disk, listed, "every page is listed, and only pages");
}

#[test]
fn every_page_that_writes_code_then_tests_it() {
    for page in PAGES {
        let steps = steps(page);
        let Some(last_write) = steps
            .iter()
            .rposition(|step| matches!(step, Step::Write(..)))
        else {
            continue;
        };
        let tested = steps[last_write..].iter().any(|step| {
            matches!(step, Step::Command(words, _) if words.len() > 1 && words[0] == "cargo" && words[1] == "test")
        });
        assert!(tested, "{page}: no `$ cargo test` after its last file");
    }
}

#[test]
fn the_guide_builds_its_app_page_by_page() {
    let scratch = Scratch::new("guide");
    let mut dir = scratch.path.clone();
    let (mut commands, mut files) = (0, 0);
    for page in PAGES {
        let started = Instant::now();
        for step in steps(page) {
            match step {
                Step::Command(words, line) => {
                    dir = run(page, line, &words, &dir);
                    commands += 1;
                }
                Step::Write(path, contents, line) => {
                    let target = dir.join(&path);
                    let parent = target.parent().expect("a file has a directory");
                    std::fs::create_dir_all(parent)
                        .unwrap_or_else(|err| panic!("{page}:{line}: {path}: {err}"));
                    std::fs::write(&target, contents)
                        .unwrap_or_else(|err| panic!("{page}:{line}: {path}: {err}"));
                    files += 1;
                }
            }
        }
        eprintln!("{page}: {:.1?}", started.elapsed());
    }
    assert!(commands > 0, "the guide ran no command");
    assert!(files > 0, "the guide wrote no file");
    // The app the guide describes is the one that was built.
    let project = scratch.join("shop");
    for path in [
        "src/inventory/stock.rs",
        "src/rpc/contracts/math.rs",
        "extras/src/rpc/gifts.rs",
    ] {
        assert!(project.join(path).is_file(), "{path} was not written");
    }
}
