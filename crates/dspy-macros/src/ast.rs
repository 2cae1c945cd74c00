//! The typed model of a `#[derive(Signature)]` input: the struct, its fields and their roles.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{
    Attribute, Data, DeriveInput, Fields, Generics, Ident, ItemStruct, LitStr, Type, Visibility,
};

use crate::attr::{self, ContainerAttrs, Role, RoleAttr, SkipAttr};
use crate::errors::Errors;

/// The struct a signature is derived for.
pub(crate) struct Signature<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) generics: &'a Generics,
    /// `#[dspy(instructions = "...")]`, else the doc comment, after `inspect.cleandoc`;
    /// `None` means DSPy's default instructions.
    pub(crate) instructions: Option<String>,
    /// `#[dspy(derive(..))]`: added to the generated structs.
    pub(crate) derives: &'a [syn::Path],
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field of the struct.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    /// The name the field has in prompts and in serde (`r#` removed).
    pub(crate) name: String,
    pub(crate) ty: &'a Type,
    /// Every `#[input]`/`#[output]` attribute (valid fields have exactly one).
    pub(crate) roles: Vec<RoleAttr>,
    pub(crate) docs: Vec<&'a Attribute>,
    /// The doc comment after `inspect.cleandoc`: the description when `desc` is absent.
    pub(crate) doc_desc: Option<String>,
}

impl Field<'_> {
    /// The field's role, when it has exactly one.
    pub(crate) fn role(&self) -> Option<&RoleAttr> {
        match self.roles.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The description: `desc = "..."`, else the doc comment.
    pub(crate) fn desc(&self) -> Option<String> {
        let desc = self.role().and_then(|r| r.desc.as_ref()).map(LitStr::value);
        desc.or_else(|| self.doc_desc.clone())
    }

    pub(crate) fn is(&self, role: Role) -> bool {
        self.role().is_some_and(|r| r.role == role)
    }
}

impl<'a> Signature<'a> {
    /// Reads the struct with its `#[dspy(..)]` attributes; `None` (with an error recorded) for
    /// enums, unions, tuple and unit structs.
    pub(crate) fn from_syn(
        node: &'a DeriveInput,
        container: &'a ContainerAttrs,
        errors: &mut Errors,
    ) -> Option<Self> {
        let named = match &node.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(unnamed) => {
                    errors.error_at(
                        unnamed,
                        "`#[derive(Signature)]` needs named fields, not a tuple struct",
                    );
                    return None;
                }
                Fields::Unit => {
                    errors.error_at(
                        &node.ident,
                        "`#[derive(Signature)]` needs a struct with named `#[input]` and `#[output]` fields",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                errors.error_at(
                    data.enum_token,
                    "`#[derive(Signature)]` works on structs with named fields, not enums",
                );
                return None;
            }
            Data::Union(data) => {
                errors.error_at(
                    data.union_token,
                    "`#[derive(Signature)]` works on structs with named fields, not unions",
                );
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                // Named fields always have an identifier.
                let ident = field.ident.as_ref()?;
                Some(Field {
                    ident,
                    name: unraw(ident),
                    ty: &field.ty,
                    roles: attr::role_attrs(&field.attrs, errors),
                    docs: attr::doc_attrs(&field.attrs),
                    doc_desc: attr::doc_text(&field.attrs),
                })
            })
            .collect();
        Some(Signature {
            ident: &node.ident,
            vis: &node.vis,
            generics: &node.generics,
            instructions: match &container.instructions {
                Some(text) => attr::cleandoc(&text.value()),
                None => attr::doc_text(&node.attrs),
            },
            derives: &container.derives,
            fields,
        })
    }
}

/// The struct `#[module]` is on.
pub(crate) struct ModuleStruct<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) fields: Vec<ModuleField<'a>>,
}

/// One field of a `#[module]` struct.
pub(crate) struct ModuleField<'a> {
    pub(crate) ident: &'a Ident,
    /// The attribute name DSPy would see (`r#` removed).
    pub(crate) name: String,
    pub(crate) ty: &'a Type,
    /// Every `#[module(skip)]` (valid fields have at most one).
    pub(crate) skips: Vec<SkipAttr>,
}

impl<'a> ModuleStruct<'a> {
    /// Reads the struct; `None` (with an error recorded) for a tuple struct.
    pub(crate) fn from_syn(node: &'a ItemStruct, errors: &mut Errors) -> Option<Self> {
        let fields = match &node.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .filter_map(|field| {
                    let ident = field.ident.as_ref()?;
                    Some(ModuleField {
                        ident,
                        name: unraw(ident),
                        ty: &field.ty,
                        skips: attr::skip_attrs(&field.attrs, errors),
                    })
                })
                .collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(unnamed) => {
                errors.error_at(
                    unnamed,
                    "`#[module]` needs named fields (they name the predictors), not a tuple struct",
                );
                return None;
            }
        };
        Some(ModuleStruct {
            ident: &node.ident,
            generics: &node.generics,
            fields,
        })
    }
}

/// The runtime crate path: `#[dspy(crate = ..)]` or `::dspy`.
pub(crate) fn runtime_path(attrs: &ContainerAttrs) -> TokenStream {
    match &attrs.krate {
        Some(path) => path.to_token_stream(),
        None => quote::quote!(::dspy),
    }
}

/// An identifier's text without `r#`.
fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    match text.strip_prefix("r#") {
        Some(rest) => rest.to_string(),
        None => text,
    }
}
