//! `#[tool]`: the function as written, plus `<name>_tool()` returning a `Tool` whose arguments
//! are the function's parameters.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::{FnArg, ItemFn, LitStr, Pat, ReturnType, Type};

use crate::errors::Errors;

/// `#[tool(name = "...", crate = path)]`.
#[derive(Default)]
struct ToolArgs {
    name: Option<LitStr>,
    krate: Option<syn::Path>,
}

fn tool_args(args: TokenStream, errors: &mut Errors) -> ToolArgs {
    let mut out = ToolArgs::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            out.name = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("crate") {
            let value = meta.value()?;
            out.krate = Some(if value.peek(LitStr) {
                value.parse::<LitStr>()?.parse()?
            } else {
                value.parse()?
            });
            Ok(())
        } else {
            Err(meta.error("unknown key in `#[tool(..)]`; expected `name` or `crate`"))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    out
}

/// The doc comment's lines, each without the one space `///` leaves, joined by newlines.
fn doc_text(item: &ItemFn) -> String {
    let lines: Vec<String> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_string())
        .collect();
    lines.join("\n").trim().to_string()
}

/// Whether the return type is spelled `Result<..>` (then its error becomes the tool's error).
fn returns_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    }
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = tool_args(args, &mut errors);
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(input);
            return out;
        }
    };
    let krate = options
        .krate
        .as_ref()
        .map_or_else(|| quote!(::dspy), |p| p.to_token_stream());
    let mut names = Vec::new();
    let mut types = Vec::new();
    for arg in &item.sig.inputs {
        match arg {
            FnArg::Receiver(r) => errors.error_at(
                r.to_token_stream(),
                "`#[tool]` goes on a free function; a method's `self` cannot come from the model",
            ),
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    names.push(p.ident.clone());
                    types.push((*t.ty).clone());
                }
                other => errors.error_at(
                    other.to_token_stream(),
                    "`#[tool]` needs each parameter to be a plain name (`city: String`), which becomes the argument's name",
                ),
            },
        }
    }
    if !item.sig.generics.params.is_empty() {
        errors.error_at(
            item.sig.generics.to_token_stream(),
            "`#[tool]` functions cannot be generic: the model's arguments need one concrete type each",
        );
    }
    if !errors.is_empty() {
        let mut out = errors.to_compile_errors();
        out.extend(item.into_token_stream());
        return out;
    }

    let fn_name = &item.sig.ident;
    let tool_fn = format_ident!("{}_tool", fn_name);
    let tool_name = options.name.map_or_else(
        || fn_name.to_string().trim_start_matches("r#").to_string(),
        |n| n.value(),
    );
    let desc = doc_text(&item);
    let vis = &item.vis;
    let serde_path = format!("{}::__private::serde", krate.to_string().replace(' ', ""));
    let schemars_path = format!(
        "{}::__private::schemars",
        krate.to_string().replace(' ', "")
    );
    let call = if item.sig.asyncness.is_some() {
        quote!(#fn_name(#(args.#names),*).await)
    } else {
        quote!(#fn_name(#(args.#names),*))
    };
    let result = if returns_result(&item.sig.output) {
        quote!(#call)
    } else {
        quote!(::core::result::Result::<_, ::core::convert::Infallible>::Ok(#call))
    };
    let doc =
        format!("The [`{fn_name}`] function as a tool (`{tool_name}`) for agents such as `ReAct`.");
    let span = item.sig.ident.span();
    let tool = quote::quote_spanned! {span=>
        #[doc = #doc]
        #vis fn #tool_fn() -> #krate::__private::Tool {
            #[derive(#krate::__private::serde::Deserialize, #krate::__private::schemars::JsonSchema)]
            #[serde(crate = #serde_path)]
            #[schemars(crate = #schemars_path)]
            #[allow(non_camel_case_types)]
            struct __ToolArgs {
                #(#names: #types,)*
            }
            #krate::__private::Tool::from_fn(#tool_name, #desc, |args: __ToolArgs| async move {
                #result
            })
        }
    };
    quote!(#item #tool)
}
