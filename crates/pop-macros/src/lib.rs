//! The `#[plugin]` attribute of the pop runtime.
//!
//! A plugin function keeps its signature, so calling it directly stays a
//! plain, type-checked Rust call. Its body moves to a hidden function beside
//! it, and `#[plugin]` generates, in named steps:
//!
//! * [`wrapper`]: the function itself, which runs the body at once unless
//!   contracts wrap it or a test hub stands in for it (the build tells the
//!   macro which functions have contracts, through the crate's
//!   `__POP_SITES`: a function without any pays one test of a flag);
//! * [`binder`]: how JSON kwargs bind to the parameters, by name;
//! * [`shim`]: the call by reference, which binds the kwargs and calls the
//!   body, or takes the same slow path as the wrapper;
//! * [`metadata`]: `__pop_plugin_<name>()`, the function's name, doc,
//!   parameters and shim, which the crate's generated `register` hands to
//!   the hub.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, Ident, ItemFn, Pat, ReturnType, Type};

/// Expose a function on the hub as a plugin.
///
/// The first parameter is the hub (`&Hub`); every other parameter is a named
/// argument filled from JSON kwargs. `#[default(expr)]` on a parameter supplies
/// it when missing, an `Option<T>` parameter may be absent, and any
/// `serde::Deserialize` type is accepted. Sync and async functions returning a
/// `Serialize` value or a `Result` are all accepted.
///
/// `#[plugin(name = "list-all")]` exposes the function under a name that is
/// not a Rust identifier, or is a keyword (`type`): its reference ends with
/// that name, and its Rust name is not exposed.
#[proc_macro_attribute]
pub fn plugin(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = syn::parse_macro_input!(item as ItemFn);
    match parse(TokenStream2::from(attr), function).map(|plugin| expand(&plugin)) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

/// A plugin function, read from its item.
struct PluginFn {
    /// The item with our `#[default]` attributes removed.
    item: ItemFn,
    /// The name it is exposed under.
    exposed: String,
    /// The hub parameter's name (`__pop_hub` where the user wrote `_`).
    hub: Ident,
    params: Vec<Param>,
    returns: Returns,
}

/// One named argument of a plugin.
struct Param {
    ident: Ident,
    ty: Type,
    default: Option<Expr>,
    optional: bool,
}

/// What a plugin returns: a plain value, or a `Result` whose `Err` is an error.
enum Returns {
    Value(Type),
    Result(Type),
}

impl Returns {
    fn ty(&self) -> &Type {
        match self {
            Returns::Value(ty) | Returns::Result(ty) => ty,
        }
    }
}

/// Reads the attribute's arguments and the function.
fn parse(attr: TokenStream2, mut item: ItemFn) -> syn::Result<PluginFn> {
    let exposed = exposed_name(attr, &item.sig.ident)?;
    if matches!(item.vis, syn::Visibility::Inherited) {
        return Err(syn::Error::new(
            item.sig.fn_token.span(),
            "a plugin function must be `pub`: the hub exposes it, and other subs call it as `crate::<sub>::<file>::<function>`",
        ));
    }
    let sig = &item.sig;
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
    let hub_problem = "the first parameter of a plugin is the hub: `hub: &Hub`";
    let hub = match sig.inputs.first() {
        Some(FnArg::Typed(first)) if matches!(*first.ty, Type::Reference(_)) => match &*first.pat {
            Pat::Ident(pat) => pat.ident.clone(),
            Pat::Wild(_) => Ident::new("__pop_hub", Span::call_site()),
            other => return Err(syn::Error::new(other.span(), hub_problem)),
        },
        Some(FnArg::Receiver(receiver)) => {
            return Err(syn::Error::new(
                receiver.span(),
                "a plugin is a free function; its first parameter is the hub: `hub: &Hub`",
            ));
        }
        Some(other) => return Err(syn::Error::new(other.span(), hub_problem)),
        None => return Err(syn::Error::new(sig.paren_token.span.join(), hub_problem)),
    };
    let returns = match &sig.output {
        ReturnType::Default => Returns::Value(syn::parse_quote!(())),
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => {
            return Err(syn::Error::new(
                ty.span(),
                "a plugin's return type must be named: the hub turns it into JSON",
            ));
        }
        ReturnType::Type(_, ty) if last_segment_is(ty, "Result") => Returns::Result((**ty).clone()),
        ReturnType::Type(_, ty) => Returns::Value((**ty).clone()),
    };
    let mut params = Vec::new();
    for input in item.sig.inputs.iter_mut().skip(1) {
        let FnArg::Typed(arg) = input else {
            return Err(syn::Error::new(input.span(), "unexpected `self` parameter"));
        };
        let Pat::Ident(pat) = &*arg.pat else {
            return Err(syn::Error::new(
                arg.pat.span(),
                "plugin parameters must be plain names: callers pass them by name",
            ));
        };
        if let Some(borrowed) = borrowed(&arg.ty) {
            return Err(syn::Error::new(
                arg.ty.span(),
                format!(
                    "`{}: {}` borrows, but a plugin's arguments are made from JSON for each call: take {borrowed}",
                    pat.ident,
                    type_name(&arg.ty)
                ),
            ));
        }
        // `#[default(..)]` is ours: read it, then remove it so the function compiles as written.
        let mut default = None;
        let mut kept = Vec::with_capacity(arg.attrs.len());
        for attribute in arg.attrs.drain(..) {
            if attribute.path().is_ident("default") {
                if default.is_some() {
                    return Err(syn::Error::new(attribute.span(), "duplicate #[default]"));
                }
                default = Some(attribute.parse_args::<Expr>()?);
            } else {
                kept.push(attribute);
            }
        }
        arg.attrs = kept;
        params.push(Param {
            ident: pat.ident.clone(),
            ty: (*arg.ty).clone(),
            default,
            optional: last_segment_is(&arg.ty, "Option"),
        });
    }
    Ok(PluginFn {
        item,
        exposed,
        hub,
        params,
        returns,
    })
}

/// `name = "…"`, or the function's own name.
fn exposed_name(attr: TokenStream2, ident: &Ident) -> syn::Result<String> {
    let own = strip_raw(&ident.to_string());
    if attr.is_empty() {
        return Ok(own);
    }
    let meta: syn::MetaNameValue = syn::parse2(attr.clone()).map_err(|_| {
        syn::Error::new(
            attr.span(),
            "#[plugin] takes nothing, or `name = \"…\"` to expose it under another name",
        )
    })?;
    let Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(name),
        ..
    }) = &meta.value
    else {
        return Err(syn::Error::new(
            meta.value.span(),
            "the name is a string: `name = \"list-all\"`",
        ));
    };
    if !meta.path.is_ident("name") {
        return Err(syn::Error::new(
            meta.path.span(),
            "the only argument of #[plugin] is `name = \"…\"`",
        ));
    }
    let value = name.value();
    let valid = !value.is_empty() && !value.contains(['.', ' ', '\n', '"']) && value != own;
    if !valid {
        return Err(syn::Error::new(
            name.span(),
            "an exposed name is one segment of a reference (no `.` or spaces), other than the function's own name",
        ));
    }
    Ok(value)
}

/// Everything `#[plugin]` emits for one function.
fn expand(plugin: &PluginFn) -> TokenStream2 {
    let body = body(plugin);
    let wrapper = wrapper(plugin);
    let metadata = metadata(plugin);
    quote! { #wrapper #body #metadata }
}

fn body_ident(plugin: &PluginFn) -> Ident {
    format_ident!(
        "__pop_body_{}",
        strip_raw(&plugin.item.sig.ident.to_string())
    )
}

/// The user's function, as written, under a hidden name.
fn body(plugin: &PluginFn) -> TokenStream2 {
    let mut item = plugin.item.clone();
    item.sig.ident = body_ident(plugin);
    item.vis = syn::Visibility::Inherited;
    item.attrs.retain(|attr| !attr.path().is_ident("doc"));
    quote! {
        #[doc(hidden)]
        #[inline]
        #item
    }
}

/// `const __POP_SITE`: the function's entry in the crate's `__POP_SITES`.
fn site(plugin: &PluginFn) -> TokenStream2 {
    let name = strip_raw(&plugin.item.sig.ident.to_string());
    quote! {
        const __POP_SITE: &::pop::__private::Site =
            ::pop::__private::site(crate::__POP_SITES, ::core::module_path!(), #name);
    }
}

/// The arguments of a call of the body: the hub, then every parameter.
fn call_args(plugin: &PluginFn, hub: &Ident) -> TokenStream2 {
    let params = plugin.params.iter().map(|p| &p.ident);
    quote! { #hub #(, #params)* }
}

/// The function under its own name: the body at once on the plain path,
/// otherwise the runtime's contracted path.
fn wrapper(plugin: &PluginFn) -> TokenStream2 {
    let mut item = plugin.item.clone();
    // `_` cannot be used; the wrapper names the hub. It only passes its
    // parameters on, so `mut` (the body's business) would be unused here.
    for (index, input) in item.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(arg) = input else { continue };
        match &mut *arg.pat {
            Pat::Wild(_) if index == 0 => {
                let hub = &plugin.hub;
                *arg.pat = syn::parse_quote!(#hub);
            }
            Pat::Ident(pat) => {
                pat.mutability = None;
                pat.by_ref = None;
            }
            _ => {}
        }
    }
    let hub = &plugin.hub;
    let body_fn = body_ident(plugin);
    let args = call_args(plugin, hub);
    let site = site(plugin);
    let kwargs = plugin.params.iter().map(|param| {
        let key = strip_raw(&param.ident.to_string());
        let ident = &param.ident;
        quote! { (#key, (&&::pop::__private::Probe::of(&#ident)).pop_to_json(&#ident)) }
    });
    let conv = conv(&plugin.returns);
    let is_async = item.sig.asyncness.is_some();
    let (plain, slow) = if is_async {
        (
            quote! { return #body_fn(#args).await; },
            // Boxed, so the function's own future stays the size of its body's.
            quote! { ::std::boxed::Box::pin(::pop::__private::typed_async(#hub, __POP_SITE, __pop_kwargs, move || #body_fn(#args), #conv)).await },
        )
    } else {
        (
            quote! { return #body_fn(#args); },
            quote! { ::pop::__private::typed_sync(#hub, __POP_SITE, __pop_kwargs, move || #body_fn(#args), #conv) },
        )
    };
    let block = quote! {{
        #site
        if ::pop::__private::plain(#hub, __POP_SITE) {
            #plain
        }
        let __pop_kwargs = {
            use ::pop::__private::{ToJsonBySerialize as _, ToJsonOtherwise as _};
            ::pop::__private::kwargs(::std::vec![#(#kwargs),*])
        };
        #slow
    }};
    *item.block = syn::parse2(block).expect("the wrapper's block parses");
    quote! { #item }
}

/// Whether a contract's value fits the return type (the `Ok` type of a
/// `Result`): the same check on the typed path and by reference.
fn fits(returns: &Returns) -> TokenStream2 {
    let ty = returns.ty();
    let target = match returns {
        Returns::Value(_) => quote! { #ty },
        Returns::Result(_) => quote! { <#ty as ::pop::__private::ResultParts>::Ok },
    };
    quote! {
        |v: &::pop::__private::Value| -> ::core::result::Result<(), ::std::string::String> {
            use ::pop::__private::{FromJsonByDeserialize as _, FromJsonOtherwise as _};
            (&&::pop::__private::Probe::<#target>::NEW)
                .pop_from_json(::core::clone::Clone::clone(v))
                .map(|_| ())
        }
    }
}

/// The typed path's conversions of the return type, chosen for its type.
fn conv(returns: &Returns) -> TokenStream2 {
    let fits = fits(returns);
    let ty = returns.ty();
    let to_json = quote! { use ::pop::__private::{ToJsonBySerialize as _, ToJsonOtherwise as _}; };
    let from_json =
        quote! { use ::pop::__private::{FromJsonByDeserialize as _, FromJsonOtherwise as _}; };
    let fail = quote! { use ::pop::__private::{FailByFrom as _, FailOtherwise as _}; };
    match returns {
        Returns::Value(_) => quote! {
            ::pop::__private::Conv::<#ty> {
                peek: |r| { #to_json ::core::option::Option::Some((&&::pop::__private::Probe::<#ty>::NEW).pop_to_json(r)) },
                into_json: |r| { #to_json ::core::result::Result::Ok((&&::pop::__private::Probe::<#ty>::NEW).pop_to_json(&r)) },
                from_json: |v| {
                    #from_json
                    match (&&::pop::__private::Probe::<#ty>::NEW).pop_from_json(v) {
                        ::core::result::Result::Ok(r) => r,
                        ::core::result::Result::Err(message) => ::core::panic!("{}", message),
                    }
                },
                fail: |e| ::core::panic!("{}", e),
                fits: #fits,
            }
        },
        Returns::Result(_) => quote! {
            ::pop::__private::Conv::<#ty> {
                peek: |r| {
                    #to_json
                    match r {
                        ::core::result::Result::Ok(t) => ::core::option::Option::Some((&&::pop::__private::Probe::of(t)).pop_to_json(t)),
                        ::core::result::Result::Err(_) => ::core::option::Option::None,
                    }
                },
                into_json: |r| {
                    #to_json
                    match r {
                        ::core::result::Result::Ok(t) => ::core::result::Result::Ok((&&::pop::__private::Probe::of(&t)).pop_to_json(&t)),
                        ::core::result::Result::Err(e) => ::core::result::Result::Err(::pop::__private::failed(e)),
                    }
                },
                from_json: |v| {
                    #from_json
                    #fail
                    match (&&::pop::__private::Probe::<<#ty as ::pop::__private::ResultParts>::Ok>::NEW).pop_from_json(v) {
                        ::core::result::Result::Ok(t) => ::core::result::Result::Ok(t),
                        ::core::result::Result::Err(message) => ::core::result::Result::Err(
                            (&&::pop::__private::Probe::<<#ty as ::pop::__private::ResultParts>::Err>::NEW)
                                .pop_fail(::pop::__private::failed(::pop::__private::message(message))),
                        ),
                    }
                },
                fail: |e| {
                    #fail
                    ::core::result::Result::Err((&&::pop::__private::Probe::<<#ty as ::pop::__private::ResultParts>::Err>::NEW).pop_fail(e))
                },
                fits: #fits,
            }
        },
    }
}

/// `fn bind`: the kwargs, bound to the parameters by name in one pass, as a
/// tuple. A `Params` type has one slot per parameter; the runtime's `bind`
/// walks the kwargs once and fills them, then defaults and requirements apply.
fn binder(plugin: &PluginFn) -> TokenStream2 {
    let types: Vec<&Type> = plugin.params.iter().map(|p| &p.ty).collect();
    let names: Vec<String> = plugin
        .params
        .iter()
        .map(|p| strip_raw(&p.ident.to_string()))
        .collect();
    let fill = if plugin.params.is_empty() {
        quote! { let _ = (index, value); }
    } else {
        let arms = plugin.params.iter().enumerate().map(|(index, param)| {
            let ty = &param.ty;
            let slot = syn::Index::from(index);
            // The call carries the parameter type's span, so a type that cannot
            // be deserialized is reported at the parameter, not in the expansion.
            let read = quote_spanned! {ty.span()=> ::pop::__private::lenient::<#ty, D>(value)? };
            quote! { #index => self.#slot = #read, }
        });
        quote! {
            match index {
                #(#arms)*
                _ => {}
            }
        }
    };
    let finish = plugin.params.iter().enumerate().map(|(index, param)| {
        let ident = &param.ident;
        let ty = &param.ty;
        let slot = syn::Index::from(index);
        let key = &names[index];
        match (&param.default, param.optional) {
            (Some(default), _) => {
                quote! { let #ident: #ty = ::pop::__private::or_else(params.#slot, || #default); }
            }
            (None, true) => quote! { let #ident: #ty = ::pop::__private::flatten(params.#slot); },
            (None, false) => {
                quote! { let #ident: #ty = ::pop::__private::required(params.#slot, #key)?; }
            }
        }
    });
    let nones = plugin
        .params
        .iter()
        .map(|_| quote!(::core::option::Option::None));
    let idents: Vec<&Ident> = plugin.params.iter().map(|p| &p.ident).collect();
    quote! {
        fn bind(kwargs: ::pop::__private::Kwargs<'_>) -> ::core::result::Result<(#(#types,)*), ::pop::CallError> {
            struct Params(#(::core::option::Option<#types>),*);
            impl ::pop::__private::Params for Params {
                const NAMES: &'static [&'static str] = &[#(#names),*];
                fn fill<'de, D: ::pop::__private::serde::Deserializer<'de>>(
                    &mut self,
                    index: usize,
                    value: D,
                ) -> ::core::result::Result<(), D::Error> {
                    #fill
                    ::core::result::Result::Ok(())
                }
            }
            let params = ::pop::__private::bind(kwargs, Params(#(#nones),*))?;
            #(#finish)*
            ::core::result::Result::Ok((#(#idents,)*))
        }
    }
}

/// `fn shim`: the call by reference.
fn shim(plugin: &PluginFn) -> TokenStream2 {
    let hub = Ident::new("hub", Span::call_site());
    let body_fn = body_ident(plugin);
    let args = call_args(plugin, &hub);
    let idents: Vec<&Ident> = plugin.params.iter().map(|p| &p.ident).collect();
    let site = site(plugin);
    let binder = binder(plugin);
    let fits = fits(&plugin.returns);
    let reply = match plugin.returns {
        Returns::Result(_) => quote! { ::pop::__private::reply_result },
        Returns::Value(_) => quote! { ::pop::__private::reply_value },
    };
    if plugin.item.sig.asyncness.is_some() {
        quote! {
            #binder
            fn shim<'a>(
                hub: &'a ::pop::Hub,
                reference: &'a str,
                kwargs: ::pop::__private::Kwargs<'a>,
                want: ::pop::__private::Want,
            ) -> ::pop::__private::BoxFuture<'a> {
                #site
                // Two futures, each boxed at its own size: the plain path's
                // box is not sized for the contracted path's state.
                if ::pop::__private::plain(hub, __POP_SITE) {
                    return ::std::boxed::Box::pin(async move {
                        let (#(#idents,)*) = bind(kwargs)?;
                        #reply(#body_fn(#args).await, want)
                    });
                }
                ::std::boxed::Box::pin(::pop::__private::dynamic_async(hub, __POP_SITE, reference, kwargs, want, #fits, move |kwargs| {
                    ::std::boxed::Box::pin(async move {
                        let (#(#idents,)*) = bind(::pop::__private::Kwargs::Value(kwargs))?;
                        #reply(#body_fn(#args).await, ::pop::__private::Want::Value)?.into_value()
                    })
                }))
            }
            ::pop::__private::PluginCall::Async(shim)
        }
    } else {
        quote! {
            #binder
            fn shim(
                hub: &::pop::Hub,
                reference: &str,
                kwargs: ::pop::__private::Kwargs<'_>,
                want: ::pop::__private::Want,
            ) -> ::core::result::Result<::pop::__private::Reply, ::pop::CallError> {
                #site
                if ::pop::__private::plain(hub, __POP_SITE) {
                    let (#(#idents,)*) = bind(kwargs)?;
                    return #reply(#body_fn(#args), want);
                }
                ::pop::__private::dynamic_sync(hub, __POP_SITE, reference, kwargs, want, #fits, |kwargs| {
                    let (#(#idents,)*) = bind(::pop::__private::Kwargs::Value(kwargs))?;
                    #reply(#body_fn(#args), ::pop::__private::Want::Value)?.into_value()
                })
            }
            ::pop::__private::PluginCall::Sync(shim)
        }
    }
}

/// `__pop_plugin_<name>()`: what the crate's `register` hands the hub.
fn metadata(plugin: &PluginFn) -> TokenStream2 {
    let rust_name = strip_raw(&plugin.item.sig.ident.to_string());
    let constructor = format_ident!("__pop_plugin_{}", rust_name);
    let exposed = &plugin.exposed;
    let doc = doc_comment(&plugin.item.attrs);
    let returns = type_name(plugin.returns.ty());
    let shim = shim(plugin);
    let site = site(plugin);
    let params = plugin.params.iter().map(|param| {
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
    quote! {
        #[doc(hidden)]
        pub fn #constructor() -> ::pop::__private::Plugin {
            ::pop::__private::Plugin {
                name: #exposed,
                rust_name: #rust_name,
                doc: #doc,
                params: &[#(#params),*],
                returns: #returns,
                call: { #shim },
                contracts: {
                    #site
                    &__POP_SITE.chain
                },
            }
        }
    }
}

/// What to take instead of a borrowed parameter type (`&str`, `&[T]`,
/// `&T`, or one inside an `Option`), which a call by reference cannot lend.
fn borrowed(ty: &Type) -> Option<String> {
    match ty {
        Type::Reference(reference) => Some(match &*reference.elem {
            Type::Path(path) if path.path.is_ident("str") => "a `String`".to_owned(),
            Type::Slice(slice) => format!("a `Vec<{}>`", type_name(&slice.elem)),
            owned => format!("an owned `{}`", type_name(owned)),
        }),
        Type::Path(path) if last_segment_is(ty, "Option") => {
            let segment = path.path.segments.last()?;
            let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            match args.args.first()? {
                syn::GenericArgument::Type(inner) => {
                    borrowed(inner).map(|owned| format!("an `Option` of {owned}"))
                }
                _ => None,
            }
        }
        Type::Paren(inner) => borrowed(&inner.elem),
        _ => None,
    }
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
    use super::{ItemFn, TokenStream2, normalize_tokens, parse};

    fn refusal(item: ItemFn) -> String {
        match parse(TokenStream2::new(), item) {
            Ok(_) => panic!("accepted"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn borrowed_parameters_are_refused_with_the_owned_type_to_take() {
        let cases: [(ItemFn, &str); 4] = [
            (
                syn::parse_quote! { pub fn greet(_hub: &Hub, name: &str) -> String { name.to_owned() } },
                "`name: &str` borrows, but a plugin's arguments are made from JSON for each call: take a `String`",
            ),
            (
                syn::parse_quote! { pub fn sum(_hub: &Hub, nums: &[u64]) -> u64 { 0 } },
                "take a `Vec<u64>`",
            ),
            (
                syn::parse_quote! { pub fn f(_hub: &Hub, item: &Item) {} },
                "take an owned `Item`",
            ),
            (
                syn::parse_quote! { pub fn f(_hub: &Hub, name: Option<&str>) {} },
                "take an `Option` of a `String`",
            ),
        ];
        for (item, message) in cases {
            let refusal = refusal(item);
            assert!(refusal.contains(message), "{refusal}");
        }
    }

    #[test]
    fn a_private_plugin_is_refused() {
        let refusal = refusal(syn::parse_quote! { fn hidden(_hub: &Hub) -> u64 { 1 } });
        assert!(refusal.contains("must be `pub`"), "{refusal}");
        let ok: ItemFn = syn::parse_quote! { pub(crate) fn inner(_hub: &Hub) -> u64 { 1 } };
        assert!(parse(TokenStream2::new(), ok).is_ok());
    }

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
