//! The `#[plugin]` attribute of the pop runtime.
//!
//! `#[plugin]` leaves the function exactly as written, so calling it directly
//! stays a plain, type-checked Rust call. Beside it, it generates
//! `__pop_plugin_<name>()`, which returns a `pop::Plugin`: the function's name,
//! doc comment and parameters, and a shim that binds JSON kwargs to the
//! parameters by name. The build script (`pop-build`) hands those to the hub.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, ItemFn, Pat, ReturnType, Type};

/// Expose a function on the hub as a plugin.
///
/// The first parameter is the hub (`&Hub`); every other parameter is a named
/// argument filled from JSON kwargs. `#[default(expr)]` on a parameter supplies
/// it when missing, an `Option<T>` parameter may be absent, and any
/// `serde::Deserialize` type is accepted. Sync and async functions returning a
/// `Serialize` value or a `Result` are all accepted.
#[proc_macro_attribute]
pub fn plugin(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = TokenStream2::from(attr);
    if !attr.is_empty() {
        return syn::Error::new(attr.span(), "#[plugin] takes no arguments")
            .to_compile_error()
            .into();
    }
    let function = syn::parse_macro_input!(item as ItemFn);
    match expand(function) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

/// One named argument of a plugin.
struct Param {
    ident: syn::Ident,
    ty: Type,
    default: Option<Expr>,
    optional: bool,
}

fn expand(mut function: ItemFn) -> syn::Result<TokenStream2> {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a plugin function cannot be generic: the hub calls it by name with JSON arguments",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            "a plugin function cannot be variadic",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Typed(first)) if matches!(*first.ty, Type::Reference(_)) => {}
        Some(FnArg::Receiver(receiver)) => {
            return Err(syn::Error::new(
                receiver.span(),
                "a plugin is a free function; its first parameter is the hub: `hub: &Hub`",
            ));
        }
        Some(other) => {
            return Err(syn::Error::new(
                other.span(),
                "the first parameter of a plugin is the hub: `hub: &Hub`",
            ));
        }
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                "the first parameter of a plugin is the hub: `hub: &Hub`",
            ));
        }
    }
    let mut params = Vec::new();
    for input in inputs {
        let FnArg::Typed(arg) = input else {
            return Err(syn::Error::new(input.span(), "unexpected `self` parameter"));
        };
        let Pat::Ident(pat) = &*arg.pat else {
            return Err(syn::Error::new(
                arg.pat.span(),
                "plugin parameters must be plain names: callers pass them by name",
            ));
        };
        params.push(Param {
            ident: pat.ident.clone(),
            ty: (*arg.ty).clone(),
            default: None,
            optional: last_segment_is(&arg.ty, "Option"),
        });
    }

    // `#[default(..)]` is ours: read it, then remove it so the function compiles as written.
    let typed_args = function
        .sig
        .inputs
        .iter_mut()
        .skip(1)
        .filter_map(|arg| match arg {
            FnArg::Typed(arg) => Some(arg),
            FnArg::Receiver(_) => None,
        });
    for (param, arg) in params.iter_mut().zip(typed_args) {
        let mut kept = Vec::with_capacity(arg.attrs.len());
        for attribute in arg.attrs.drain(..) {
            if attribute.path().is_ident("default") {
                if param.default.is_some() {
                    return Err(syn::Error::new(attribute.span(), "duplicate #[default]"));
                }
                param.default = Some(attribute.parse_args::<Expr>()?);
            } else {
                kept.push(attribute);
            }
        }
        arg.attrs = kept;
    }

    let name = &function.sig.ident;
    let name_str = strip_raw(&name.to_string());
    let doc = doc_comment(&function.attrs);
    let constructor = format_ident!("__pop_plugin_{}", name_str);
    let is_async = function.sig.asyncness.is_some();
    let returns_result = match &function.sig.output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => last_segment_is(ty, "Result"),
    };

    // The `take` calls carry the parameter type's span, so a type that cannot be
    // deserialized is reported at the parameter, not somewhere in the expansion.
    let bindings: Vec<_> = params
        .iter()
        .map(|param| {
            let ident = &param.ident;
            let ty = &param.ty;
            let key = strip_raw(&ident.to_string());
            let span = ty.span();
            match (&param.default, param.optional) {
                (Some(default), _) => {
                    let take = quote_spanned! {span=> args.take::<#ty>(#key)? };
                    quote! { let #ident: #ty = ::pop::__private::or_else(#take, || #default); }
                }
                (None, true) => {
                    let take = quote_spanned! {span=> args.take::<#ty>(#key)? };
                    quote! { let #ident: #ty = ::pop::__private::flatten(#take); }
                }
                (None, false) => {
                    let take = quote_spanned! {span=> args.require::<#ty>(#key)? };
                    quote! { let #ident: #ty = #take; }
                }
            }
        })
        .collect();
    let arg_idents: Vec<_> = params.iter().map(|p| &p.ident).collect();
    let call = if is_async {
        quote! { #name(hub, #(#arg_idents),*).await }
    } else {
        quote! { #name(hub, #(#arg_idents),*) }
    };
    let finish = if returns_result {
        quote! { ::pop::__private::from_result(#call) }
    } else {
        quote! { ::pop::__private::from_value(#call) }
    };
    let body = quote! {
        let mut args = ::pop::__private::Args::new(kwargs)?;
        #(#bindings)*
        args.finish()?;
        #finish
    };
    let shim = if is_async {
        quote! {
            fn shim<'hub>(
                hub: &'hub ::pop::Hub,
                kwargs: ::pop::__private::Value,
            ) -> ::pop::__private::BoxFuture<'hub> {
                ::std::boxed::Box::pin(async move { #body })
            }
            ::pop::PluginCall::Async(shim)
        }
    } else {
        quote! {
            fn shim(
                hub: &::pop::Hub,
                kwargs: ::pop::__private::Value,
            ) -> ::core::result::Result<::pop::__private::Value, ::pop::CallError> {
                #body
            }
            ::pop::PluginCall::Sync(shim)
        }
    };
    let param_meta = params.iter().map(|param| {
        let key = strip_raw(&param.ident.to_string());
        let ty = type_name(&param.ty);
        let default = match &param.default {
            Some(expr) => {
                let text = normalize_tokens(&quote!(#expr).to_string());
                quote!(::core::option::Option::Some(#text))
            }
            None => quote!(::core::option::Option::None),
        };
        let optional = param.optional;
        quote! {
            ::pop::Param { name: #key, ty: #ty, default: #default, optional: #optional }
        }
    });
    Ok(quote! {
        #function

        #[doc(hidden)]
        pub fn #constructor() -> ::pop::Plugin {
            ::pop::Plugin {
                name: #name_str,
                doc: #doc,
                params: &[#(#param_meta),*],
                call: { #shim },
            }
        }
    })
}

/// True when the type is a path whose last segment is `name` (`Option<T>`, `pop::Result<T>`).
fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => {
            path.qself.is_none() && path.path.segments.last().is_some_and(|s| s.ident == name)
        }
        Type::Group(group) => last_segment_is(&group.elem, name),
        Type::Paren(paren) => last_segment_is(&paren.elem, name),
        _ => false,
    }
}

/// The function's `///` comment as one string, each line trimmed of the single leading space.
fn doc_comment(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(meta) = &attr.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &meta.value
            {
                let line = text.value();
                lines.push(line.strip_prefix(' ').map(str::to_owned).unwrap_or(line));
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

fn type_name(ty: &Type) -> String {
    normalize_tokens(&quote!(#ty).to_string())
}

/// Turns `Option < Vec < u8 > >` (token spacing) back into `Option<Vec<u8>>`.
fn normalize_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue = |ch: Option<char>| {
                matches!(
                    ch,
                    Some('<' | '>' | ':' | '(' | ')' | '[' | ']' | '&' | '.')
                )
            };
            if glue(prev) || glue(next) || next == Some(',') {
                if prev == Some(',') {
                    out.push(' ');
                }
                continue;
            }
        }
        out.push(c);
    }
    out.replace(",", ", ")
        .replace(",  ", ", ")
        .replace("& mut", "&mut")
}

fn strip_raw(ident: &str) -> String {
    ident.strip_prefix("r#").unwrap_or(ident).to_owned()
}

#[cfg(test)]
mod tests {
    use super::normalize_tokens;

    #[test]
    fn type_names_read_like_source() {
        assert_eq!(normalize_tokens("Option < Vec < u8 > >"), "Option<Vec<u8>>");
        assert_eq!(
            normalize_tokens("HashMap < String , u64 >"),
            "HashMap<String, u64>"
        );
        assert_eq!(normalize_tokens("& 'static str"), "&'static str");
        assert_eq!(
            normalize_tokens("std :: path :: PathBuf"),
            "std::path::PathBuf"
        );
        assert_eq!(normalize_tokens("10"), "10");
        assert_eq!(
            normalize_tokens("\"pop\" . to_owned ()"),
            "\"pop\".to_owned()"
        );
    }
}
