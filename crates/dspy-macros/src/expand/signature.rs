//! `#[derive(Signature)]`: the `<Name>Input` and `<Name>Output` structs and the
//! `Signature` impl whose `spec()` describes them.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{self, Field, Signature};
use crate::attr::{self, Role};
use crate::errors::Errors;
use crate::valid;

/// The whole pipeline: attributes, model, checks, then tokens (or errors plus a stub impl).
pub(crate) fn derive(node: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let container = attr::container_attrs(&node.attrs, &mut errors);
    let krate = ast::runtime_path(&container);
    let sig = Signature::from_syn(node, &container, &mut errors);
    if let Some(sig) = &sig {
        valid::check(sig, &mut errors);
    }
    match sig {
        Some(sig) if errors.is_empty() => expand(&sig, &krate),
        _ => {
            let mut out = errors.to_compile_errors();
            out.extend(fallback(node, &krate));
            out
        }
    }
}

fn expand(sig: &Signature<'_>, krate: &TokenStream) -> TokenStream {
    let ident = sig.ident;
    let input_ident = format_ident!("{}Input", ident);
    let output_ident = format_ident!("{}Output", ident);
    let serde_path = format!("{krate}::__private::serde").replace(' ', "");
    let input_struct = data_struct(sig, Role::Input, &input_ident, krate, &serde_path);
    let output_struct = data_struct(sig, Role::Output, &output_ident, krate, &serde_path);
    let debug_clone = debug_clone(sig, &input_ident, &output_ident);
    let instructions = match &sig.instructions {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let decls = sig.fields.iter().map(|f| field_decl(f, krate));
    let inputs = sig
        .fields
        .iter()
        .filter(|f| f.is(Role::Input))
        .map(|f| f.ident);
    let outputs = sig
        .fields
        .iter()
        .filter(|f| f.is(Role::Output))
        .map(|f| f.ident);
    let all_fields = sig.fields.iter().map(|f| f.ident);
    let vis = sig.vis;
    let split_doc = format!(
        "Splits a complete `{ident}` (a worked example) into its `{input_ident}` and `{output_ident}`."
    );
    quote! {
        #input_struct
        #output_struct
        #debug_clone

        #[automatically_derived]
        impl #ident {
            #[doc = #split_doc]
            #vis fn into_parts(self) -> (#input_ident, #output_ident) {
                (
                    #input_ident { #(#inputs: self.#inputs),* },
                    #output_ident { #(#outputs: self.#outputs),* },
                )
            }
        }

        // The signature struct is a description, often never built: reading its fields here
        // keeps `dead_code` quiet without an `allow` on the user's item.
        const _: fn(&#ident) = |sig| {
            let _ = (#(&sig.#all_fields,)*);
        };

        #[automatically_derived]
        impl #krate::__private::ModuleInput for #input_ident {}

        #[automatically_derived]
        impl #krate::__private::Signature for #ident {
            type Input = #input_ident;
            type Output = #output_ident;

            fn spec() -> &'static #krate::__private::SignatureSpec {
                static SPEC: #krate::__private::OnceLock<#krate::__private::SignatureSpec> =
                    #krate::__private::OnceLock::new();
                SPEC.get_or_init(|| {
                    #krate::__private::build_spec(#instructions, &[#(#decls),*])
                })
            }
        }
    }
}

/// `<Name>Input` or `<Name>Output`: the fields of one role, with their doc comments, deriving
/// the `#[dspy(derive(..))]` traits and serde's traits (`Debug` and `Clone` are implemented
/// by [`debug_clone`]).
fn data_struct(
    sig: &Signature<'_>,
    role: Role,
    ident: &syn::Ident,
    krate: &TokenStream,
    serde_path: &str,
) -> TokenStream {
    let vis = sig.vis;
    let kind = match role {
        Role::Input => "input",
        Role::Output => "output",
    };
    let doc = format!("The {kind} fields of the `{}` signature.", sig.ident);
    let derives = sig.derives;
    let fields = sig.fields.iter().filter(|f| f.is(role)).map(|f| {
        let field_ident = f.ident;
        let ty = f.ty;
        let docs = &f.docs;
        let fallback_doc = docs
            .is_empty()
            .then(|| format!("The `{}` {kind} field.", f.name));
        let fallback_doc = fallback_doc.map(|d| quote!(#[doc = #d]));
        quote! {
            #(#docs)*
            #fallback_doc
            pub #field_ident: #ty
        }
    });
    quote! {
        #[doc = #doc]
        #(#[derive(#derives)])*
        #[derive(#krate::__private::serde::Serialize, #krate::__private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        #vis struct #ident {
            #(#fields,)*
        }
    }
}

/// `Debug` and `Clone` for `<Name>Input` and `<Name>Output`, as `#[derive]` would write them,
/// except that each field goes through a helper trait spanned at the field's type: a type
/// without `Debug` or `Clone` is reported there, with a message that says why it needs them.
fn debug_clone(sig: &Signature<'_>, input: &syn::Ident, output: &syn::Ident) -> TokenStream {
    let name = sig.ident;
    let on_unimplemented = |tr: &str| {
        let message = format!(
            "`{{Self}}` does not implement `{tr}`, which the field types of a signature need"
        );
        let label = format!("the type of a field of the `{name}` signature");
        let note = format!(
            "`#[derive(Signature)]` gives `{input}` and `{output}` `Debug` and `Clone`: \
             derive or implement `{tr}` for `{{Self}}`"
        );
        quote! {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        }
    };
    let clone_note = on_unimplemented("Clone");
    let debug_note = on_unimplemented("Debug");
    let impls = [(Role::Input, input), (Role::Output, output)].map(|(role, ident)| {
        let fields: Vec<&Field<'_>> = sig.fields.iter().filter(|f| f.is(role)).collect();
        let clones = fields.iter().map(|f| {
            let field = f.ident;
            quote_spanned! {f.ty.span()=> #field: FieldClone::field_clone(&self.#field) }
        });
        let debugs = fields.iter().map(|f| {
            let (field, name) = (f.ident, &f.name);
            quote_spanned! {f.ty.span()=> .field(#name, FieldDebug::field_debug(&self.#field)) }
        });
        let struct_name = ident.to_string();
        quote! {
            #[automatically_derived]
            impl ::core::clone::Clone for #ident {
                #[inline]
                fn clone(&self) -> Self {
                    #ident { #(#clones,)* }
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#struct_name) #(#debugs)* .finish()
                }
            }
        }
    });
    quote! {
        const _: () = {
            #clone_note
            trait FieldClone: ::core::marker::Sized {
                fn field_clone(&self) -> Self;
            }
            impl<T: ::core::clone::Clone> FieldClone for T {
                #[inline]
                fn field_clone(&self) -> T {
                    ::core::clone::Clone::clone(self)
                }
            }

            #debug_note
            trait FieldDebug {
                fn field_debug(&self) -> &dyn ::core::fmt::Debug;
            }
            impl<T: ::core::fmt::Debug> FieldDebug for T {
                fn field_debug(&self) -> &dyn ::core::fmt::Debug {
                    self
                }
            }

            #(#impls)*
        };
    }
}

/// The static description of one field, `FieldDecl { .. }`.
fn field_decl(field: &Field<'_>, krate: &TokenStream) -> TokenStream {
    let name = &field.name;
    let role = field.role();
    let output = field.is(Role::Output);
    let desc = match field.desc() {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let prefix = option_str(role.and_then(|r| r.prefix.as_ref()));
    let ty = field.ty;
    // Spanned at the type, so a type without `JsonSchema` is reported there.
    let field_type = quote_spanned! {ty.span()=>
        #krate::__private::field_type::<#ty>
    };
    quote! {
        #krate::__private::FieldDecl {
            name: #name,
            output: #output,
            desc: #desc,
            prefix: #prefix,
            ty: #field_type,
        }
    }
}

fn option_str(value: Option<&syn::LitStr>) -> TokenStream {
    match value {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    }
}

/// What is emitted next to the errors: an impl that satisfies every use of the trait, so the
/// user sees the errors above and not "`Signature` is not implemented".
fn fallback(node: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    let span = Span::call_site();
    quote_spanned! {span=>
        #[automatically_derived]
        impl #impl_generics #krate::__private::Signature for #ident #ty_generics #where_clause {
            type Input = ();
            type Output = ();

            fn spec() -> &'static #krate::__private::SignatureSpec {
                ::core::unreachable!()
            }
        }
    }
}
