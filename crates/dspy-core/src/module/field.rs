//! [`ModuleField`]: what a field of a `#[module]` struct can be, and [`ModuleInput`]: what its
//! typed `forward` can take.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;

use super::{naming, Module};
use crate::predict::Predict;

/// A value that holds predictors under a field name: a [`Module`] (predictors, chains of
/// thought, your own modules), or a `Vec`, slice, array, `Option`, `Box`, `HashMap<String, _>`
/// or `BTreeMap<String, _>` of them.
///
/// `#[module]` lists a struct's predictors by calling this on every field not marked
/// `#[module(skip)]`, so a field of another type is a compile error instead of a predictor
/// that optimizers and save/load silently miss. Names follow DSPy: `field` for a predictor,
/// `field.predict` for a chain of thought, `field[0]` for list entries, `field['key']` for map
/// entries (in key order for a `HashMap`); `None` holds nothing.
///
/// ```
/// use dspy_core::module::ModuleField;
/// use dspy_core::predict::{ChainOfThought, Predict};
///
/// let hops = vec![Predict::parse("q -> a").unwrap(), Predict::parse("q -> a").unwrap()];
/// let mut out = Vec::new();
/// hops.collect_predictors("hops", &mut out);
/// let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
/// assert_eq!(names, ["hops[0]", "hops[1]"]);
///
/// let cot = Some(ChainOfThought::parse("q -> a").unwrap());
/// let mut out = Vec::new();
/// cot.collect_predictors("answer", &mut out);
/// assert_eq!(out[0].0, "answer.predict");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` holds no predictors: it is not a `Module`, nor a `Vec`, array, `Option`, `Box` or `String`-keyed map of modules",
    label = "not a predictor or module",
    note = "`#[module]` lists the predictors of every field so optimizers and save/load see them; mark fields that hold none with `#[module(skip)]`"
)]
pub trait ModuleField {
    /// Appends the predictors inside `self`, named under `name`.
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>);

    /// Appends the same predictors, mutable, in the same order.
    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    );
}

impl<M: Module> ModuleField for M {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        out.extend(naming::nest(name, self.named_predictors()));
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        out.extend(naming::nest(name, self.named_predictors_mut()));
    }
}

impl<T: ModuleField> ModuleField for [T] {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        for (i, item) in self.iter().enumerate() {
            item.collect_predictors(&naming::index(name, i), out);
        }
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        for (i, item) in self.iter_mut().enumerate() {
            item.collect_predictors_mut(&naming::index(name, i), out);
        }
    }
}

impl<T: ModuleField> ModuleField for Vec<T> {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        self.as_slice().collect_predictors(name, out);
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        self.as_mut_slice().collect_predictors_mut(name, out);
    }
}

impl<T: ModuleField, const N: usize> ModuleField for [T; N] {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        self.as_slice().collect_predictors(name, out);
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        self.as_mut_slice().collect_predictors_mut(name, out);
    }
}

impl<T: ModuleField> ModuleField for Option<T> {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        if let Some(item) = self {
            item.collect_predictors(name, out);
        }
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        if let Some(item) = self {
            item.collect_predictors_mut(name, out);
        }
    }
}

impl<T: ModuleField> ModuleField for BTreeMap<String, T> {
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        for (key, item) in self {
            item.collect_predictors(&naming::key(name, key), out);
        }
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        for (key, item) in self {
            item.collect_predictors_mut(&naming::key(name, key), out);
        }
    }
}

impl<T: ModuleField, H> ModuleField for HashMap<String, T, H> {
    /// Entries in key order, so names and saved files do not depend on hashing.
    fn collect_predictors<'a>(&'a self, name: &str, out: &mut Vec<(String, &'a Predict)>) {
        let mut entries: Vec<(&String, &T)> = self.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, item) in entries {
            item.collect_predictors(&naming::key(name, key), out);
        }
    }

    fn collect_predictors_mut<'a>(
        &'a mut self,
        name: &str,
        out: &mut Vec<(String, &'a mut Predict)>,
    ) {
        let mut entries: Vec<(&String, &mut T)> = self.iter_mut().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, item) in entries {
            item.collect_predictors_mut(&naming::key(name, key), out);
        }
    }
}

/// A type a `#[module]` struct's typed `forward` can take: the struct is read from the
/// [`Values`](dspy_adapters::Values) that [`Module::forward`] gets (an example's inputs).
///
/// `#[derive(Signature)]` implements it for the `<Name>Input` struct it generates; implement
/// it (no methods) for an input struct of your own.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Query { text: String }
///
/// impl dspy_core::module::ModuleInput for Query {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a typed module input",
    note = "`#[module]` calls the struct's own `async fn forward(&self, input: In) -> Result<Out, Error>`; write that method, with `In` a signature's input struct (`<Name>Input`) or a type implementing `ModuleInput`"
)]
pub trait ModuleInput: DeserializeOwned {}
