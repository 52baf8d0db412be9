//! Build-script helper of the pop runtime.
//!
//! A pop crate's `build.rs` is one line, `pop_build::generate();`. It reads
//! the DYNE map in `src/conf.rs`, walks each sub's directories, and writes
//! `$OUT_DIR/pop_subs.rs`, which the crate includes with
//! `pop::include_subs!()`:
//!
//! * one module per sub and per plugin file (`rpc::math` for `src/rpc/math.rs`),
//!   and one per nested sub directory (`rpc::admin::users`), files sorted;
//! * `Config`, the typed values of the crate's `CONFIG`;
//! * `register`, which first calls `register` of every pop crate this crate
//!   depends on (found through Cargo `links` metadata, so one line in
//!   `Cargo.toml` is all app merging needs), then hands the hub this crate's
//!   subs, plugins, hooks and options.
//!
//! A new file in a sub's directory is picked up on the next build: the build
//! script asks Cargo to rerun whenever those directories change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes `$OUT_DIR/pop_subs.rs` for the crate being built. Call it from `build.rs`.
///
/// On a problem (a DYNE entry naming a missing directory, a plugin file whose
/// name is not a Rust identifier, …) it prints `error: …` and fails the build.
pub fn generate() {
    let env = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| fail(&format!("{name} is not set; is this a build script?")))
    };
    let input = Input {
        manifest_dir: PathBuf::from(env("CARGO_MANIFEST_DIR")),
        crate_name: env("CARGO_PKG_NAME").replace('-', "_"),
        version: env("CARGO_PKG_VERSION"),
        dependencies: pop_dependencies(std::env::vars()),
    };
    let output = match generate_code(&input) {
        Ok(output) => output,
        Err(message) => fail(&message),
    };
    let out_file = PathBuf::from(env("OUT_DIR")).join("pop_subs.rs");
    // Writing only on change keeps rebuilds from recompiling for nothing.
    if std::fs::read_to_string(&out_file).ok().as_deref() != Some(output.code.as_str()) {
        if let Err(err) = std::fs::write(&out_file, &output.code) {
            fail(&format!("cannot write {}: {err}", out_file.display()));
        }
    }
    for path in &output.watched {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    if std::env::var_os("CARGO_MANIFEST_LINKS").is_some() {
        // Crates that depend on this one find it through this, and call its `register`.
        println!("cargo::metadata=pop_crate={}", input.crate_name);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

/// What the build script knows about the crate being built.
#[derive(Debug, Clone)]
pub struct Input {
    /// The crate's root directory.
    pub manifest_dir: PathBuf,
    /// The crate's name with `_` for `-`: its Rust name and its config namespace.
    pub crate_name: String,
    /// The crate's version.
    pub version: String,
    /// The pop crates this crate depends on directly, sorted.
    pub dependencies: Vec<String>,
}

/// The generated code and the paths whose changes must rerun the build script.
#[derive(Debug)]
pub struct Output {
    /// The contents of `pop_subs.rs`.
    pub code: String,
    /// `src/conf.rs` and every sub directory.
    pub watched: Vec<PathBuf>,
}

/// The direct dependencies that are pop crates: their build scripts publish
/// `pop_crate`, which Cargo hands to this one as `DEP_<LINKS>_POP_CRATE`.
pub fn pop_dependencies(vars: impl Iterator<Item = (String, String)>) -> Vec<String> {
    let mut crates: Vec<String> = vars
        .filter(|(key, _)| key.starts_with("DEP_") && key.ends_with("_POP_CRATE"))
        .map(|(_, value)| value)
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

/// One sub (or nested sub) as found on disk.
#[derive(Debug, Default)]
struct SubTree {
    modules: Vec<Module>,
    nested: BTreeMap<String, SubTree>,
}

#[derive(Debug)]
struct Module {
    name: String,
    file: PathBuf,
    plugins: Vec<String>,
    load_hook: bool,
    run_hook: bool,
}

/// Generates the code for one crate.
pub fn generate_code(input: &Input) -> Result<Output, String> {
    let conf_path = input.manifest_dir.join("src").join("conf.rs");
    let conf_text = std::fs::read_to_string(&conf_path)
        .map_err(|err| format!("cannot read {}: {err}", conf_path.display()))?;
    let conf = syn::parse_file(&conf_text).map_err(|err| {
        let at = err.span().start();
        format!("src/conf.rs:{}:{}: {err}", at.line, at.column + 1)
    })?;
    for name in ["CONFIG", "CLI_CONFIG", "SUBCOMMANDS", "DYNE"] {
        if find_const(&conf, name).is_none() {
            return Err(format!("src/conf.rs must declare `pub const {name}`"));
        }
    }
    let dyne = parse_dyne(find_const(&conf, "DYNE").expect("checked above"))?;
    let options = parse_config(find_const(&conf, "CONFIG").expect("checked above"))?;

    let mut watched = vec![conf_path];
    // Subs in DYNE order; each sub's directories in the order listed.
    let mut subs: Vec<(String, Vec<(String, SubTree)>)> = Vec::new();
    for (sub, dirs) in &dyne {
        check_ident(
            sub,
            &format!("the sub `{sub}` in the DYNE map of src/conf.rs"),
        )?;
        if matches!(sub.as_str(), "conf" | "pop") {
            return Err(format!(
                "a sub cannot be called `{sub}`: that name is taken by the crate's `{sub}` module; rename it in DYNE"
            ));
        }
        let mut trees = Vec::new();
        for dir in dirs {
            let path = input.manifest_dir.join("src").join(dir);
            if !path.is_dir() {
                return Err(format!(
                    "the DYNE map in src/conf.rs maps sub `{sub}` to src/{dir}, which is not a directory"
                ));
            }
            trees.push((format!("src/{dir}"), scan(&path, &mut watched)?));
        }
        subs.push((sub.clone(), trees));
    }

    let mut code = String::new();
    code.push_str(
        "// @generated by pop-build from src/conf.rs and the directories of its DYNE map.\n\n",
    );
    for (sub, trees) in &subs {
        let _ = writeln!(code, "pub mod {sub} {{");
        for (index, (_, tree)) in trees.iter().enumerate() {
            if index == 0 {
                write_modules(&mut code, tree, 1);
            } else {
                // A second directory of the same sub gets its own Rust module;
                // its plugins still hang on the hub under the sub.
                let _ = writeln!(code, "    pub mod __dir{index} {{");
                write_modules(&mut code, tree, 2);
                code.push_str("    }\n");
            }
        }
        code.push_str("}\n\n");
    }
    write_config(&mut code, &input.crate_name, &options);
    write_register(&mut code, input, &subs);
    Ok(Output { code, watched })
}

fn find_const<'a>(file: &'a syn::File, name: &str) -> Option<&'a syn::Expr> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Const(item) if item.ident == name => Some(&*item.expr),
        _ => None,
    })
}

fn strip(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(reference) => strip(&reference.expr),
        syn::Expr::Group(group) => strip(&group.expr),
        syn::Expr::Paren(paren) => strip(&paren.expr),
        other => other,
    }
}

fn string_literal(expr: &syn::Expr) -> Option<String> {
    match strip(expr) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

fn array_elements(expr: &syn::Expr) -> Option<Vec<&syn::Expr>> {
    match strip(expr) {
        syn::Expr::Array(array) => Some(array.elems.iter().collect()),
        _ => None,
    }
}

/// `&[("rpc", &["rpc"]), ...]` as (sub, directories) pairs.
fn parse_dyne(expr: &syn::Expr) -> Result<Vec<(String, Vec<String>)>, String> {
    let shape = "DYNE in src/conf.rs must look like &[(\"rpc\", &[\"rpc\"]), ...]";
    let mut entries = Vec::new();
    for element in array_elements(expr).ok_or(shape)? {
        let syn::Expr::Tuple(tuple) = strip(element) else {
            return Err(shape.into());
        };
        let parts: Vec<&syn::Expr> = tuple.elems.iter().collect();
        let [name, dirs] = parts.as_slice() else {
            return Err(shape.into());
        };
        let name = string_literal(name).ok_or(shape)?;
        let dirs = array_elements(dirs)
            .ok_or(shape)?
            .into_iter()
            .map(|dir| string_literal(dir).ok_or(shape))
            .collect::<Result<Vec<_>, _>>()?;
        for dir in &dirs {
            if dir.is_empty()
                || dir.split('/').any(|part| part == ".." || part.is_empty())
                || dir.starts_with('/')
            {
                return Err(format!(
                    "DYNE in src/conf.rs: `{dir}` must be a directory inside src/, like \"{name}\""
                ));
            }
        }
        if entries
            .iter()
            .any(|(known, _): &(String, Vec<String>)| *known == name)
        {
            return Err(format!("DYNE in src/conf.rs lists the sub `{name}` twice"));
        }
        entries.push((name, dirs));
    }
    Ok(entries)
}

/// One option of `CONFIG`: its name, help and Rust type.
#[derive(Debug)]
struct OptionField {
    name: String,
    help: String,
    rust_type: String,
}

/// Reads the name, type and help of each `Opt::<type>("name", ..).help("..")`.
fn parse_config(expr: &syn::Expr) -> Result<Vec<OptionField>, String> {
    let shape = "each CONFIG entry in src/conf.rs must start with Opt::<type>(\"name\", …), e.g. Opt::u16(\"port\", 8888)";
    let mut fields = Vec::new();
    for element in array_elements(expr).ok_or(shape)? {
        let mut help = String::new();
        let mut current = strip(element);
        while let syn::Expr::MethodCall(call) = current {
            if call.method == "help" {
                if let Some(text) = call.args.first().and_then(string_literal) {
                    help = text;
                }
            }
            current = strip(&call.receiver);
        }
        let syn::Expr::Call(call) = current else {
            return Err(shape.into());
        };
        let syn::Expr::Path(path) = &*call.func else {
            return Err(shape.into());
        };
        let constructor = path.path.segments.last().ok_or(shape)?.ident.to_string();
        let mut args = call.args.iter();
        let name = args.next().and_then(string_literal).ok_or(shape)?;
        let rust_type = match constructor.as_str() {
            "new" => {
                let kind = match args.next().map(strip) {
                    Some(syn::Expr::Path(kind)) => {
                        kind.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                };
                let inner = kind.as_deref().and_then(kind_type).ok_or(shape)?;
                format!("::core::option::Option<{inner}>")
            }
            other => constructor_type(other).ok_or(shape)?.to_owned(),
        };
        check_ident(&name, &format!("the option `{name}` in CONFIG"))?;
        fields.push(OptionField {
            name,
            help,
            rust_type,
        });
    }
    Ok(fields)
}

fn constructor_type(constructor: &str) -> Option<&'static str> {
    Some(match constructor {
        "string" => "::std::string::String",
        "path" => "::std::path::PathBuf",
        "bool" => "bool",
        "u16" => "u16",
        "u32" => "u32",
        "u64" => "u64",
        "i64" => "i64",
        "f64" => "f64",
        _ => return None,
    })
}

fn kind_type(kind: &str) -> Option<&'static str> {
    constructor_type(&kind.to_ascii_lowercase())
}

fn is_keyword(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
        "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
        "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
        "gen",
    ];
    KEYWORDS.contains(&name)
}

fn check_ident(name: &str, what: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_";
    if !valid {
        return Err(format!(
            "{what}: `{name}` is not a Rust identifier (use letters, digits and `_`)"
        ));
    }
    if is_keyword(name) {
        return Err(format!(
            "{what}: `{name}` is a Rust keyword; rename it (e.g. `{name}_`)"
        ));
    }
    Ok(())
}

/// Reads one sub directory: `.rs` files are plugin modules, directories nested subs.
fn scan(dir: &Path, watched: &mut Vec<PathBuf>) -> Result<SubTree, String> {
    watched.push(dir.to_path_buf());
    let mut tree = SubTree::default();
    let entries = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
    for entry in entries {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        // As in pop, names starting with `_` (and hidden files) are not plugins.
        if file_name.starts_with('_') || file_name.starts_with('.') {
            continue;
        }
        if entry.file_type().is_dir() {
            check_ident(
                &file_name,
                &format!("the nested sub directory {}", path.display()),
            )?;
            tree.nested.insert(file_name, scan(path, watched)?);
        } else if let Some(name) = file_name.strip_suffix(".rs") {
            check_ident(name, &format!("the plugin file {}", path.display()))?;
            tree.modules.push(read_module(name, path)?);
        }
    }
    for module in &tree.modules {
        if tree.nested.contains_key(&module.name) {
            return Err(format!(
                "{} and the directory beside it both define `{}`; rename one",
                module.file.display(),
                module.name
            ));
        }
    }
    Ok(tree)
}

/// Finds a file's `#[plugin]` functions, or for `init.rs` its hooks.
fn read_module(name: &str, path: &Path) -> Result<Module, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let mut module = Module {
        name: name.to_owned(),
        file: path.to_path_buf(),
        plugins: Vec::new(),
        load_hook: false,
        run_hook: false,
    };
    // A file that does not parse registers nothing: rustc reports its error better.
    let Ok(file) = syn::parse_file(&text) else {
        return Ok(module);
    };
    for item in &file.items {
        let syn::Item::Fn(function) = item else {
            continue;
        };
        let ident = function.sig.ident.to_string();
        let ident = ident.strip_prefix("r#").unwrap_or(&ident);
        if name == "init" {
            // init.rs is the sub's lifecycle, never called by reference.
            module.load_hook |= ident == "init";
            module.run_hook |= ident == "run";
        } else if function.attrs.iter().any(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "plugin")
        }) {
            module.plugins.push(ident.to_owned());
        }
    }
    Ok(module)
}

fn write_modules(code: &mut String, tree: &SubTree, depth: usize) {
    let indent = "    ".repeat(depth);
    for module in &tree.modules {
        let _ = writeln!(
            code,
            "{indent}#[path = {:?}]",
            module.file.display().to_string()
        );
        let _ = writeln!(code, "{indent}pub mod {};", module.name);
    }
    for (name, nested) in &tree.nested {
        let _ = writeln!(code, "{indent}pub mod {name} {{");
        write_modules(code, nested, depth + 1);
        let _ = writeln!(code, "{indent}}}");
    }
}

fn write_config(code: &mut String, namespace: &str, options: &[OptionField]) {
    code.push_str("/// The typed values of this crate's options (`CONFIG` in `src/conf.rs`),\n");
    code.push_str("/// read from the hub once the configuration is loaded.\n");
    code.push_str("#[derive(Clone, Debug, PartialEq)]\n#[allow(dead_code)]\npub struct Config {\n");
    for option in options {
        for line in option.help.lines() {
            let _ = writeln!(code, "    /// {line}");
        }
        let _ = writeln!(code, "    pub {}: {},", option.name, option.rust_type);
    }
    code.push_str("}\n\n#[allow(dead_code)]\nimpl Config {\n");
    code.push_str("    /// Reads this crate's options from the hub (after `Hub::load_config`).\n");
    code.push_str("    pub fn from_hub(hub: &::pop::Hub) -> ::pop::Result<Self> {\n");
    if options.is_empty() {
        code.push_str("        let _ = hub;\n        Ok(Config {})\n    }\n}\n\n");
        return;
    }
    let _ = writeln!(code, "        let values = &hub.opt()[{namespace:?}];");
    code.push_str("        Ok(Config {\n");
    for option in options {
        let _ = writeln!(
            code,
            "            {name}: ::pop::__private::typed_option(values, {namespace:?}, {name:?})?,",
            name = option.name
        );
    }
    code.push_str("        })\n    }\n}\n\n");
}

fn write_register(code: &mut String, input: &Input, subs: &[(String, Vec<(String, SubTree)>)]) {
    code.push_str("/// Hands this crate's subs, plugins, hooks and options to the hub, after\n");
    code.push_str("/// those of the pop crates it depends on.\n");
    code.push_str("pub fn register(registry: &mut ::pop::Registry) {\n");
    for dependency in &input.dependencies {
        let _ = writeln!(code, "    ::{dependency}::register(registry);");
    }
    let _ = writeln!(
        code,
        "    let ::core::option::Option::Some(mut krate) = registry.krate(::pop::CrateInfo {{\n        \
         name: {:?},\n        version: {:?},\n        config: crate::conf::CONFIG,\n        \
         cli_config: crate::conf::CLI_CONFIG,\n        subcommands: crate::conf::SUBCOMMANDS,\n        \
         dyne: crate::conf::DYNE,\n    }}) else {{\n        return;\n    }};",
        input.crate_name, input.version
    );
    for (sub, trees) in subs {
        for (index, (dir, tree)) in trees.iter().enumerate() {
            let rust = if index == 0 {
                sub.clone()
            } else {
                format!("{sub}::__dir{index}")
            };
            write_registrations(code, &input.manifest_dir, &[sub.as_str()], &rust, dir, tree);
        }
    }
    code.push_str("}\n");
}

fn write_registrations(
    code: &mut String,
    root: &Path,
    path: &[&str],
    rust: &str,
    dir: &str,
    tree: &SubTree,
) {
    let hub_path = path
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(code, "    krate.sub(&[{hub_path}], {dir:?});");
    for module in &tree.modules {
        let rust_module = format!("self::{rust}::{}", module.name);
        if module.load_hook {
            let _ = writeln!(
                code,
                "    krate.load_hook(&[{hub_path}], {rust_module}::init);"
            );
        }
        if module.run_hook {
            let _ = writeln!(
                code,
                "    krate.run_hook(&[{hub_path}], {rust_module}::run);"
            );
        }
        if module.name == "init" {
            continue;
        }
        let file = module
            .file
            .strip_prefix(root)
            .unwrap_or(&module.file)
            .display()
            .to_string();
        let plugins: Vec<String> = module
            .plugins
            .iter()
            .map(|name| format!("{rust_module}::__pop_plugin_{name}()"))
            .collect();
        let _ = writeln!(
            code,
            "    krate.module(&[{hub_path}], {:?}, {file:?}, &[{}]);",
            module.name,
            plugins.join(", ")
        );
    }
    for (name, nested) in &tree.nested {
        let mut nested_path = path.to_vec();
        nested_path.push(name);
        write_registrations(
            code,
            root,
            &nested_path,
            &format!("{rust}::{name}"),
            &format!("{dir}/{name}"),
            nested,
        );
    }
}

#[cfg(test)]
mod tests;
