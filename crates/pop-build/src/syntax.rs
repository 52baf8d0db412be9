//! Reading Rust syntax the way both readers need it: signatures as text,
//! functions by name, visibilities.

use crate::model::Signature;

/// A signature as text. `defaulted` tells whether a parameter may be left out
/// for a reason other than its type (a plugin's `#[default]`).
pub(crate) fn signature(
    sig: &syn::Signature,
    defaulted: impl Fn(&syn::PatType) -> bool,
) -> Signature {
    let params = sig
        .inputs
        .iter()
        .skip(1)
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => {
                let name = match &*arg.pat {
                    syn::Pat::Ident(pat) => {
                        pat.ident.to_string().trim_start_matches("r#").to_owned()
                    }
                    other => tokens(other),
                };
                let ty = tokens(&*arg.ty);
                let optional = defaulted(arg) || ty.starts_with("Option<");
                Some((name, ty, optional))
            }
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let returns = match &sig.output {
        syn::ReturnType::Default => "()".to_owned(),
        syn::ReturnType::Type(_, ty) => tokens(&**ty),
    };
    Signature {
        is_async: sig.asyncness.is_some(),
        params,
        returns,
    }
}

/// Source text without token spacing: `Option<Vec<u8>>`, `&Hub`.
pub(crate) fn tokens(item: &impl quote::ToTokens) -> String {
    let text = item.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut previous_word = false;
    let mut pending_space = false;
    for c in text.chars() {
        if c == ' ' {
            pending_space = true;
            continue;
        }
        let word = c.is_alphanumeric() || c == '_' || c == '\'';
        // Keep the spaces that separate two words (`dyn Trait`, `&'a mut T`).
        if pending_space && word && previous_word {
            out.push(' ');
        }
        if c == ',' {
            out.push_str(", ");
            previous_word = false;
            pending_space = false;
            continue;
        }
        out.push(c);
        previous_word = word;
        pending_space = false;
    }
    out.trim_end().to_owned()
}

/// The function `name` at the top of a file, if any.
pub(crate) fn find_fn<'f>(file: &'f syn::File, name: &str) -> Option<&'f syn::ItemFn> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Fn(function) if function.sig.ident == name => Some(function),
        _ => None,
    })
}

pub(crate) fn is_crate_visible(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Restricted(r) if r.path.is_ident("crate"))
}
