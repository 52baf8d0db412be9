//! A sub's contracts as the build sees them: the files of its `contracts/`
//! directory, the rules they must follow, and the chain of contracts each
//! plugin function gets.
//!
//! `contracts/math.rs` governs the plugin file `math.rs`, `contracts/init.rs`
//! every plugin file of the directory. In each, `pre`, `call` and `post` wrap
//! every function they govern, `pre_fib`, `call_fib` and `post_fib` the
//! function `fib` alone, and `trait Sig` declares the functions each
//! governed file must define (pop's `sig_fib`): the same parameter names and
//! types (more only if callers may leave them out) and return type; an
//! `async fn` there must be async, a plain `fn` may be either kind.
//!
//! The order a function's contracts run in (the runtime's `contract` module
//! documents it for users) is decided here, in [`chain`]: the plugin file's
//! contract file before `init.rs`, and in each the function's own contract
//! before the file-wide one.
//!
//! Everything that can be wrong is refused here, before rustc runs, with the
//! file and line: a contract for a file or function that does not exist, a
//! contract of the wrong shape, two `call` contracts for one function, an
//! async contract around a plain `fn`, a plugin that breaks a signature.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::model::{ContractFile, ContractFn, Dir, File, PluginFn, Signature, Stage};
use crate::names::{self, NameKind};
use crate::source::Source;

/// The contracts one plugin function runs through, in order.
#[derive(Debug, Default)]
pub struct Chain<'a> {
    /// Every `pre`, in order, each with its file.
    pub pre: Vec<(&'a ContractFile, &'a ContractFn)>,
    /// The `call` contracts: one at most, or [`check`] refuses the crate.
    pub calls: Vec<(&'a ContractFile, &'a ContractFn)>,
    /// Every `post`, in order.
    pub post: Vec<(&'a ContractFile, &'a ContractFn)>,
}

impl Chain<'_> {
    /// True when no contract wraps the function.
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.calls.is_empty() && self.post.is_empty()
    }

    fn all(&self) -> impl Iterator<Item = &(&ContractFile, &ContractFn)> {
        self.pre.iter().chain(&self.calls).chain(&self.post)
    }
}

/// The contracts of `plugin` (of `file`, in `dir`): its own file's contract
/// file, then `init.rs`; in each, the function's contract, then the file-wide one.
pub fn chain<'a>(dir: &'a Dir, file: &File, plugin: &PluginFn) -> Chain<'a> {
    let mut chain = Chain::default();
    let scopes = [file.module.as_str(), "init"];
    for scope in scopes {
        let Some(contract_file) = dir.contracts.iter().find(|c| c.module == scope) else {
            continue;
        };
        for stage in Stage::ALL {
            let own = contract_file
                .functions
                .iter()
                .filter(|f| f.stage == stage && f.target.as_deref() == Some(plugin.name.as_str()));
            let wide = contract_file
                .functions
                .iter()
                .filter(|f| f.stage == stage && f.target.is_none());
            for function in own.chain(wide) {
                match stage {
                    Stage::Pre => chain.pre.push((contract_file, function)),
                    Stage::Call => chain.calls.push((contract_file, function)),
                    Stage::Post => chain.post.push((contract_file, function)),
                }
            }
        }
    }
    chain
}

/// Reads a `contracts/` directory.
pub(crate) fn read_dir(
    source: &dyn Source,
    dir: &Path,
    shown: &str,
    watched: &mut Vec<PathBuf>,
) -> Result<Vec<ContractFile>, Error> {
    watched.push(dir.to_path_buf());
    let mut entries = source
        .list(dir)
        .map_err(|err| Error::new(format!("cannot read {shown}: {err}")))?;
    entries.sort();
    let mut files = Vec::new();
    for (name, is_dir) in entries {
        if name.starts_with(['_', '.']) {
            continue;
        }
        let path = format!("{shown}/{name}");
        if is_dir {
            return Err(Error::new(format!(
                "{path}: a contracts directory holds only `.rs` files"
            ))
            .hint("contracts of a nested sub go in that sub's own `contracts/` directory"));
        }
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if module != "init" {
            names::validate(NameKind::Plugin, module)
                .map_err(|err| Error::new(format!("{path}: {err}")).hint(err.hint))?;
        }
        let text = source
            .read(&dir.join(&name))
            .map_err(|err| Error::new(format!("cannot read {path}: {err}")))?;
        files.push(read_file(module, &path, &text)?);
    }
    Ok(files)
}

fn read_file(module: &str, path: &str, text: &str) -> Result<ContractFile, Error> {
    let mut file = ContractFile {
        module: module.to_owned(),
        path: path.to_owned(),
        functions: Vec::new(),
        signatures: Vec::new(),
    };
    // A file that does not parse has no contracts: rustc reports its error better.
    let Ok(parsed) = syn::parse_file(text) else {
        return Ok(file);
    };
    for item in &parsed.items {
        match item {
            syn::Item::Fn(function) => {
                if let Some(contract) = read_contract(path, function)? {
                    file.functions.push(contract);
                }
            }
            syn::Item::Trait(signatures) if signatures.ident == "Sig" => {
                for item in &signatures.items {
                    if let syn::TraitItem::Fn(function) = item {
                        let name = function
                            .sig
                            .ident
                            .to_string()
                            .trim_start_matches("r#")
                            .to_owned();
                        let line = function.sig.ident.span().start().line;
                        let signature = crate::syntax::signature(&function.sig, |_| false);
                        file.signatures.push((name, signature, line));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(file)
}

/// A contract function (`pre`, `pre_fib`, …), checked for its shape; other
/// functions are the file's helpers.
fn read_contract(path: &str, function: &syn::ItemFn) -> Result<Option<ContractFn>, Error> {
    let name = function.sig.ident.to_string();
    let Some((stage, target)) = Stage::ALL.into_iter().find_map(|stage| {
        if name == stage.name() {
            Some((stage, None))
        } else {
            name.strip_prefix(stage.name())
                .and_then(|rest| rest.strip_prefix('_'))
                .filter(|target| !target.is_empty())
                .map(|target| (stage, Some(target.to_owned())))
        }
    }) else {
        return Ok(None);
    };
    let line = function.sig.ident.span().start().line;
    let visible = matches!(function.vis, syn::Visibility::Public(_))
        || matches!(&function.vis, syn::Visibility::Restricted(r) if r.path.is_ident("crate"));
    let inputs: Vec<&syn::PatType> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => Some(arg),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let ctx_ok = inputs.get(1).is_some_and(|arg| match &*arg.ty {
        syn::Type::Reference(reference) => reference.mutability.is_some() == stage.takes_mut_ctx(),
        _ => false,
    });
    let problem = if !visible {
        Some(format!("`{name}` must be `pub`: the hub calls it"))
    } else if inputs.len() != stage.arity() || inputs.len() != function.sig.inputs.len() {
        Some(format!(
            "`{name}` takes {} parameters, a `{}` contract {}",
            function.sig.inputs.len(),
            stage.name(),
            stage.arity()
        ))
    } else if !ctx_ok {
        let wanted = if stage.takes_mut_ctx() {
            "&mut Ctx"
        } else {
            "&Ctx"
        };
        Some(format!("`{name}` takes the call's context as `{wanted}`"))
    } else if matches!(function.sig.output, syn::ReturnType::Default) {
        Some(format!(
            "`{name}` must return a `Result`: an `Err` is how a contract says no"
        ))
    } else if !function.sig.generics.params.is_empty() {
        Some(format!("`{name}` cannot be generic"))
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(
            Error::new(format!("{path}:{line}: {problem}")).hint(format!(
                "a `{}` contract is {} (`async fn` too)",
                stage.name(),
                stage.shape(&name)
            )),
        );
    }
    Ok(Some(ContractFn {
        name,
        stage,
        target,
        is_async: function.sig.asyncness.is_some(),
        line,
    }))
}

/// Checks the contracts of one directory against its plugin files.
pub(crate) fn check(dir: &Dir, relative: &str) -> Result<(), Error> {
    let plugin_files: Vec<&File> = dir.files.iter().filter(|f| f.module != "init").collect();
    for contract_file in &dir.contracts {
        let governed: Vec<&File> = if contract_file.module == "init" {
            plugin_files.clone()
        } else {
            match plugin_files
                .iter()
                .find(|f| f.module == contract_file.module)
            {
                Some(file) => vec![*file],
                None => {
                    let known: Vec<&str> = plugin_files.iter().map(|f| f.module.as_str()).collect();
                    return Err(Error::new(format!(
                        "{}: there is no plugin file {relative}/{}.rs for these contracts",
                        contract_file.path, contract_file.module
                    ))
                    .hint(format!(
                        "name a contract file after the plugin file it governs ({}), or `init.rs` to govern them all",
                        if known.is_empty() { "this directory has none".to_owned() } else { known.join(", ") }
                    )));
                }
            }
        };
        for function in &contract_file.functions {
            let Some(target) = &function.target else {
                continue;
            };
            let exists = governed
                .iter()
                .any(|file| file.plugins.iter().any(|p| &p.name == target));
            if !exists {
                return Err(Error::new(format!(
                    "{}:{}: `{}` wraps `{target}`, which no plugin function it governs is called",
                    contract_file.path, function.line, function.name
                ))
                .hint(format!(
                    "`{}_<function>` names a `#[plugin]` function of {}",
                    function.stage.name(),
                    if contract_file.module == "init" {
                        format!("the plugin files of {relative}")
                    } else {
                        format!("{relative}/{}.rs", contract_file.module)
                    }
                )));
            }
        }
        for file in &governed {
            check_signatures(contract_file, file)?;
        }
    }
    for file in &plugin_files {
        for plugin in &file.plugins {
            check_chain(dir, file, plugin)?;
        }
    }
    Ok(())
}

/// One `call` per function; no async contract around a plain `fn`, and a
/// `call` contract of the function's own kind.
fn check_chain(dir: &Dir, file: &File, plugin: &PluginFn) -> Result<(), Error> {
    let chain = chain(dir, file, plugin);
    if let [(a_file, a), (b_file, b), ..] = chain.calls.as_slice() {
        return Err(Error::new(format!(
            "{}:{}: `{}` has two `call` contracts: `{}` ({}:{}) and `{}` ({}:{})",
            file.path, plugin.line, plugin.name, a.name, a_file.path, a.line, b.name, b_file.path, b.line
        ))
        .hint("a call has one `call` contract; fold one into the other, or make one a `pre` or `post`"));
    }
    let is_async = plugin.signature.is_async;
    for (contract_file, contract) in chain.all() {
        let problem = if contract.is_async && !is_async {
            Some(format!(
                "`{}` is async and wraps the plain `fn {}`",
                contract.name, plugin.name
            ))
        } else if contract.stage == Stage::Call && is_async && !contract.is_async {
            Some(format!(
                "`{}` is a plain fn and wraps the `async fn {}`; it could not await it",
                contract.name, plugin.name
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::new(format!(
                "{}:{}: {problem} ({}:{})",
                contract_file.path, contract.line, file.path, plugin.line
            ))
            .hint("a plain fn's contracts are plain fns, so a direct call stays a plain call; an async fn's `call` contract is async"));
        }
    }
    Ok(())
}

/// Each function `trait Sig` declares, defined by `file` with that signature.
fn check_signatures(contract_file: &ContractFile, file: &File) -> Result<(), Error> {
    for (name, wanted, line) in &contract_file.signatures {
        let Some(plugin) = file.plugins.iter().find(|p| &p.name == name) else {
            return Err(Error::new(format!(
                "{}: has no `#[plugin]` function `{name}`, which the signature contract {}:{line} requires",
                file.path, contract_file.path
            ))
            .hint(format!("define `{name}` in {} as `trait Sig` declares it", file.path)));
        };
        if let Some(mismatch) = mismatch(&plugin.signature, wanted) {
            return Err(Error::new(format!(
                "{}:{}: `{name}` breaks the signature contract {}:{line}: {mismatch}",
                file.path, plugin.line, contract_file.path
            ))
            .hint(format!(
                "make `{name}` match `trait Sig`, or change the contract"
            )));
        }
    }
    Ok(())
}

/// How `actual` differs from `wanted`, the first difference found.
fn mismatch(actual: &Signature, wanted: &Signature) -> Option<String> {
    // Callers by reference await either kind alike, so a plain `fn` in the
    // contract accepts both; an `async fn` there asks for an async one.
    if wanted.is_async && !actual.is_async {
        return Some("it is a plain fn, the contract says an async fn".to_owned());
    }
    for (name, ty, _) in &wanted.params {
        match actual
            .params
            .iter()
            .find(|(actual_name, ..)| actual_name == name)
        {
            None => return Some(format!("it has no parameter `{name}: {ty}`")),
            Some((_, actual_ty, _)) if actual_ty != ty => {
                return Some(format!(
                    "parameter `{name}` is `{actual_ty}`, the contract says `{ty}`"
                ));
            }
            Some(_) => {}
        }
    }
    for (name, ty, optional) in &actual.params {
        if !optional
            && !wanted
                .params
                .iter()
                .any(|(wanted_name, ..)| wanted_name == name)
        {
            return Some(format!(
                "parameter `{name}: {ty}` is not in the contract, and callers keeping to it will not pass it (make it an `Option` or give it a `#[default]`)"
            ));
        }
    }
    if actual.returns != wanted.returns {
        return Some(format!(
            "it returns `{}`, the contract says `{}`",
            actual.returns, wanted.returns
        ));
    }
    None
}
