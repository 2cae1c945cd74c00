//! `#[module]`: the struct as written (minus `#[module(skip)]`), and a `Module` impl that
//! lists its predictors by field and runs the struct's own typed `forward`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Item, ItemStruct};

use crate::ast::{self, ModuleStruct};
use crate::attr;
use crate::errors::Errors;
use crate::valid;

/// The whole pipeline: arguments, model, checks, then tokens. On error the item is emitted
/// again next to the errors (with a stub impl for a struct), so only the errors show.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let container = attr::module_args(args, &mut errors);
    let krate = ast::runtime_path(&container);
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(input);
            return out;
        }
    };
    let Item::Struct(node) = &item else {
        let (at, what) = item_kind(&item);
        errors.error_at(
            at,
            format!(
                "`#[module]` goes on a struct whose fields are predictors and modules, not on {what}"
            ),
        );
        let mut out = errors.to_compile_errors();
        out.extend(input);
        return out;
    };
    let module = ModuleStruct::from_syn(node, &mut errors);
    if let Some(module) = &module {
        valid::check_module(module, &mut errors);
    }
    let stripped = without_field_attrs(node);
    match module {
        Some(module) if errors.is_empty() => {
            let imp = module_impl(&module, &krate);
            quote!(#stripped #imp)
        }
        _ => {
            let mut out = errors.to_compile_errors();
            out.extend(stripped.into_token_stream());
            out.extend(fallback(node, &krate));
            out
        }
    }
}

/// The token to point at and the name of an item that is not a struct.
fn item_kind(item: &Item) -> (TokenStream, &'static str) {
    match item {
        Item::Enum(e) => (e.enum_token.to_token_stream(), "an enum"),
        Item::Union(u) => (u.union_token.to_token_stream(), "a union"),
        Item::Fn(f) => (f.sig.fn_token.to_token_stream(), "a function"),
        Item::Impl(i) => (i.impl_token.to_token_stream(), "an impl block"),
        Item::Trait(t) => (t.trait_token.to_token_stream(), "a trait"),
        Item::Type(t) => (t.type_token.to_token_stream(), "a type alias"),
        other => (other.to_token_stream(), "this item"),
    }
}

/// The struct with its fields' `#[module(..)]` attributes removed (they are this macro's).
fn without_field_attrs(node: &ItemStruct) -> ItemStruct {
    let mut node = node.clone();
    for field in node.fields.iter_mut() {
        field.attrs.retain(|a| !attr::is_module_attr(a));
    }
    node
}

fn module_impl(module: &ModuleStruct<'_>, krate: &TokenStream) -> TokenStream {
    let ident = module.ident;
    let (impl_generics, ty_generics, where_clause) = module.generics.split_for_impl();
    let kept: Vec<_> = module
        .fields
        .iter()
        .filter(|f| f.skips.is_empty())
        .collect();
    // Spanned at the field's type, so a type that holds no predictors is reported there.
    let collect = kept.iter().map(|f| {
        let (field, name) = (f.ident, &f.name);
        quote_spanned! {f.ty.span()=>
            #krate::__private::ModuleField::collect_predictors(&self.#field, #name, &mut out);
        }
    });
    let collect_mut = kept.iter().map(|f| {
        let (field, name) = (f.ident, &f.name);
        quote_spanned! {f.ty.span()=>
            #krate::__private::ModuleField::collect_predictors_mut(&mut self.#field, #name, &mut out);
        }
    });
    let p = quote!(#krate::__private);
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Module for #ident #ty_generics #where_clause {
            fn forward(
                &self,
                inputs: #p::Values,
            ) -> #p::BoxFuture<'_, ::core::result::Result<#p::Prediction, #p::Error>> {
                ::std::boxed::Box::pin(#p::traced_module(::core::stringify!(#ident), async move {
                    let input = #p::module_input(inputs)?;
                    let output = Self::forward(self, input).await?;
                    #p::module_output(&output)
                }))
            }

            fn named_predictors(
                &self,
            ) -> ::std::vec::Vec<(::std::string::String, &#p::Predict)> {
                let mut out = ::std::vec::Vec::new();
                #(#collect)*
                out
            }

            fn named_predictors_mut(
                &mut self,
            ) -> ::std::vec::Vec<(::std::string::String, &mut #p::Predict)> {
                let mut out = ::std::vec::Vec::new();
                #(#collect_mut)*
                out
            }
        }
    }
}

/// A `Module` impl emitted next to the errors, so uses of the struct as a module do not add
/// "`Module` is not implemented" errors. It is never run: the build fails.
fn fallback(node: &ItemStruct, krate: &TokenStream) -> TokenStream {
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    let p = quote!(#krate::__private);
    quote_spanned! {Span::call_site()=>
        #[automatically_derived]
        impl #impl_generics #p::Module for #ident #ty_generics #where_clause {
            fn forward(
                &self,
                _: #p::Values,
            ) -> #p::BoxFuture<'_, ::core::result::Result<#p::Prediction, #p::Error>> {
                ::core::unreachable!()
            }

            fn named_predictors(&self) -> ::std::vec::Vec<(::std::string::String, &#p::Predict)> {
                ::core::unreachable!()
            }

            fn named_predictors_mut(
                &mut self,
            ) -> ::std::vec::Vec<(::std::string::String, &mut #p::Predict)> {
                ::core::unreachable!()
            }
        }
    }
}
