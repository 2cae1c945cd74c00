//! Attribute syntax: `#[input(..)]`/`#[output(..)]` on fields, `#[dspy(..)]` on the struct,
//! and doc comments.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::errors::Errors;

/// Whether a field is given to the LM or produced by it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Input,
    Output,
}

impl Role {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Output => "output",
        }
    }
}

/// One `#[input]` or `#[output]` attribute.
pub(crate) struct RoleAttr {
    pub(crate) role: Role,
    /// The whole attribute, for spans.
    pub(crate) original: TokenStream,
    pub(crate) desc: Option<LitStr>,
    pub(crate) prefix: Option<LitStr>,
}

/// The keys `#[input(..)]` and `#[output(..)]` accept.
const FIELD_KEYS: &[&str] = &["desc", "prefix"];

/// Every `#[input]`/`#[output]` attribute of a field, in order.
pub(crate) fn role_attrs(attrs: &[Attribute], errors: &mut Errors) -> Vec<RoleAttr> {
    let mut out = Vec::new();
    for attr in attrs {
        let role = if attr.path().is_ident("input") {
            Role::Input
        } else if attr.path().is_ident("output") {
            Role::Output
        } else {
            continue;
        };
        let mut parsed = RoleAttr {
            role,
            original: attr.to_token_stream(),
            desc: None,
            prefix: None,
        };
        match &attr.meta {
            Meta::Path(_) => {}
            Meta::List(_) => {
                let result = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("desc") {
                        set_once(&meta, &mut parsed.desc, "desc")
                    } else if meta.path.is_ident("prefix") {
                        set_once(&meta, &mut parsed.prefix, "prefix")
                    } else {
                        Err(meta.error(format!(
                            "unknown key `{}` in `#[{}(..)]`; expected {}",
                            path_text(&meta.path),
                            role.attr_name(),
                            one_of(FIELD_KEYS)
                        )))
                    }
                });
                if let Err(e) = result {
                    errors.push(e);
                }
            }
            Meta::NameValue(_) => errors.error_at(
                attr,
                format!(
                    "expected `#[{0}]` or `#[{0}(desc = \"...\", prefix = \"...\")]`",
                    role.attr_name()
                ),
            ),
        }
        out.push(parsed);
    }
    out
}

fn set_once(meta: &ParseNestedMeta<'_>, slot: &mut Option<LitStr>, key: &str) -> syn::Result<()> {
    let value: LitStr = meta
        .value()?
        .parse()
        .map_err(|e| syn::Error::new(e.span(), format!("`{key}` takes a string literal")))?;
    if slot.is_some() {
        return Err(meta.error(format!("duplicate `{key}`")));
    }
    *slot = Some(value);
    Ok(())
}

/// `#[dspy(..)]` on the struct.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `#[dspy(crate = path)]`: where the runtime is (default `::dspy`).
    pub(crate) krate: Option<syn::Path>,
    /// `#[dspy(instructions = "...")]`: the instructions, in place of the doc comment.
    pub(crate) instructions: Option<LitStr>,
    /// `#[dspy(derive(..))]`: derives added to `<Name>Input` and `<Name>Output`.
    pub(crate) derives: Vec<syn::Path>,
}

const CONTAINER_KEYS: &[&str] = &["crate", "instructions", "derive"];

/// The derives every generated struct has already: naming one in `derive(..)` would implement
/// the trait twice.
const BUILTIN_DERIVES: &[&str] = &["Debug", "Clone", "Serialize", "Deserialize"];

pub(crate) fn container_attrs(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dspy")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let value = meta.value()?;
                let path: syn::Path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse()?
                } else {
                    value.parse()?
                };
                if out.krate.is_some() {
                    return Err(meta.error("duplicate `crate`"));
                }
                out.krate = Some(path);
                Ok(())
            } else if meta.path.is_ident("instructions") {
                set_once(&meta, &mut out.instructions, "instructions")
            } else if meta.path.is_ident("derive") {
                derive_list(&meta, &mut out.derives, errors)
            } else {
                Err(meta.error(format!(
                    "unknown key `{}` in `#[dspy(..)]`; expected {}",
                    path_text(&meta.path),
                    one_of(CONTAINER_KEYS)
                )))
            }
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    out
}

/// `derive(A, B, ..)`: the paths, each once, none of [`BUILTIN_DERIVES`]. A wrong entry is
/// recorded and skipped, so the other entries are still checked.
fn derive_list(
    meta: &ParseNestedMeta<'_>,
    derives: &mut Vec<syn::Path>,
    errors: &mut Errors,
) -> syn::Result<()> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error("expected `derive(Trait, ..)`, for example `derive(PartialEq)`"));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let paths = Punctuated::<syn::Path, Token![,]>::parse_terminated(&content)?;
    for path in paths {
        let name = path.segments.last().map(|s| s.ident.to_string());
        if let Some(builtin) = name.filter(|n| BUILTIN_DERIVES.contains(&n.as_str())) {
            errors.error_at(
                &path,
                format!(
                    "`{builtin}` is always implemented for the generated input and output structs; \
                     remove it from `derive(..)`"
                ),
            );
        } else if derives.iter().any(|d| path_text(d) == path_text(&path)) {
            errors.error_at(&path, format!("duplicate derive `{}`", path_text(&path)));
        } else {
            derives.push(path);
        }
    }
    Ok(())
}

/// The arguments of `#[module(..)]` on the struct: `crate = path`.
pub(crate) fn module_args(args: TokenStream, errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            let value = meta.value()?;
            let path: syn::Path = if value.peek(LitStr) {
                value.parse::<LitStr>()?.parse()?
            } else {
                value.parse()?
            };
            if out.krate.is_some() {
                return Err(meta.error("duplicate `crate`"));
            }
            out.krate = Some(path);
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown key `{}` in `#[module(..)]` on the struct; expected `crate`",
                path_text(&meta.path)
            )))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    out
}

/// One `#[module(skip)]` on a field.
pub(crate) struct SkipAttr {
    /// The whole attribute, for spans.
    pub(crate) original: TokenStream,
}

/// Every `#[module(skip)]` among a field's attributes; other keys are errors.
pub(crate) fn skip_attrs(attrs: &[Attribute], errors: &mut Errors) -> Vec<SkipAttr> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| is_module_attr(a)) {
        let mut skip = false;
        let result = match &attr.meta {
            Meta::List(_) => attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    skip = true;
                    Ok(())
                } else {
                    Err(meta.error(format!(
                        "unknown key `{}` in `#[module(..)]` on a field; expected `skip`",
                        path_text(&meta.path)
                    )))
                }
            }),
            _ => Err(syn::Error::new_spanned(
                attr.to_token_stream(),
                "expected `#[module(skip)]`",
            )),
        };
        match result {
            Ok(()) if skip => out.push(SkipAttr {
                original: attr.to_token_stream(),
            }),
            Ok(()) => errors.error_at(attr, "expected `#[module(skip)]`"),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// `#[module(..)]` on a field: read by `#[module]` and removed from the struct it emits.
pub(crate) fn is_module_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("module")
}

fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// The `#[doc]` attributes (doc comments) among `attrs`.
pub(crate) fn doc_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).collect()
}

/// The doc comment's text as Python would hold the equivalent docstring: the lines joined
/// with `\n`, then cleaned up ([`cleandoc`]). `None` when there is no text.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    cleandoc(&lines.join("\n"))
}

/// `text` after Python's `inspect.cleandoc` ([`dspy_pytext::cleandoc`]), which DSPy applies
/// to a signature's docstring: the first line's leading blanks and the other lines' common
/// indentation (the space after `///`) are removed, as are blank lines at either end. `None`
/// when nothing is left.
pub(crate) fn cleandoc(text: &str) -> Option<String> {
    let text = dspy_pytext::cleandoc(text);
    (!text.is_empty()).then_some(text)
}
