//! DSPy's dotted predictor names (`named_predictors`), for [`Module`]
//! implementations.
//!
//! ```
//! use dspy_core::module::{naming, Module};
//! use dspy_core::predict::{ChainOfThought, Predict};
//!
//! let hops = vec![ChainOfThought::parse("q -> a").unwrap(), ChainOfThought::parse("q -> a").unwrap()];
//! let names: Vec<String> = naming::nest_each("hops", &hops).into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["hops[0].predict", "hops[1].predict"]);
//!
//! let p = Predict::parse("q -> a").unwrap();
//! assert_eq!(naming::nest("p", p.named_predictors())[0].0, "p");
//! ```

use super::Module;
use crate::predict::Predict;

/// The name of a child's predictor inside field `attr`: `attr` for the child itself (a
/// predictor names itself `self`), else `attr.child`.
pub fn child(attr: &str, child: &str) -> String {
    if child == "self" {
        attr.to_string()
    } else {
        format!("{attr}.{child}")
    }
}

/// The name of entry `index` of a list field: `attr[index]`.
pub fn index(attr: &str, index: usize) -> String {
    format!("{attr}[{index}]")
}

/// The name of entry `key` of a map field: `attr['key']` (DSPy writes the key between single
/// quotes as it is).
pub fn key(attr: &str, key: &str) -> String {
    format!("{attr}['{key}']")
}

/// Prefixes a child module's predictors with the field name `attr`.
pub fn nest<P>(attr: &str, children: Vec<(String, P)>) -> Vec<(String, P)> {
    children
        .into_iter()
        .map(|(name, p)| (child(attr, &name), p))
        .collect()
}

/// The predictors of every module in a list field `attr`: `attr[0]...`, `attr[1]...`.
pub fn nest_each<'a, M: Module>(attr: &str, modules: &'a [M]) -> Vec<(String, &'a Predict)> {
    modules
        .iter()
        .enumerate()
        .flat_map(|(i, m)| nest(&index(attr, i), m.named_predictors()))
        .collect()
}

/// The mutable predictors of every module in a list field `attr`.
pub fn nest_each_mut<'a, M: Module>(
    attr: &str,
    modules: &'a mut [M],
) -> Vec<(String, &'a mut Predict)> {
    modules
        .iter_mut()
        .enumerate()
        .flat_map(|(i, m)| nest(&index(attr, i), m.named_predictors_mut()))
        .collect()
}
