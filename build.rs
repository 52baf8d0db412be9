//! Embedding needs two things cargo cannot see on its own: a rebuild when a
//! template or runtime file is added (include_dir only tracks files it already
//! embeds), and the executable bits of template files (include_dir does not
//! carry modes).

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=templates");
    println!("cargo::rerun-if-changed=crates");
    println!("cargo::rerun-if-changed=Cargo.lock");
    let mut executable = Vec::new();
    collect(Path::new("templates"), &mut executable);
    executable.sort();
    let list: String = executable
        .iter()
        .map(|path| format!("    {path:?},\n"))
        .collect();
    let code = format!(
        "/// Template files that are executable.\npub const EXECUTABLE: &[&str] = &[\n{list}];\n"
    );
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set for build scripts"))
        .join("executable.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, into: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo::rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, into);
        } else if is_executable(&path) {
            let relative = path.strip_prefix("templates").expect("under templates");
            into.push(relative.display().to_string());
        }
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}
