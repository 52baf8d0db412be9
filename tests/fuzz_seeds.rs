//! The fuzz targets' seeds (`fuzz/seeds/<target>`, every crash the fuzzers
//! found among them) run on stable through the targets' own entry points:
//! CI keeps the entry points compiled and the findings fixed without
//! nightly or cargo-fuzz (`scripts/fuzz.sh` runs the fuzzers themselves).

use std::path::Path;

// The kwargs harness registers its plugins by hand: none has contracts.
pop::no_sites!();

#[path = "../fuzz/harness/kwargs.rs"]
mod kwargs;

#[path = "../fuzz/harness/router.rs"]
mod router;

/// The seed inputs of `target`, each with its file name, in name order.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 5, "{} has too few seeds", dir.display());
    seeds
}

/// Runs `check` on every seed of `target` that is text, as the target does.
fn each_text_seed(target: &str, check: impl Fn(&str)) {
    for (name, bytes) in seeds(target) {
        eprintln!("{target}/{name}");
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check(text);
        }
    }
}

#[test]
fn record_seeds() {
    each_text_seed("record", pop_create::fuzzing::record);
}

#[test]
fn conf_edit_seeds() {
    each_text_seed("conf_edit", pop_create::fuzzing::conf_edit_input);
}

#[test]
fn kwargs_seeds() {
    for (name, bytes) in seeds("kwargs") {
        eprintln!("kwargs/{name}");
        kwargs::check(&bytes);
    }
}

#[test]
fn router_seeds() {
    for (name, bytes) in seeds("router") {
        eprintln!("router/{name}");
        router::check(&bytes);
    }
}
