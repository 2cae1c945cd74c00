//! Field types of Rust types: the [`FieldType`] a Python DSPy user would annotate for the
//! Rust type, read from its [`schemars::JsonSchema`].
//!
//! [`field_type_of`] asks schemars for the type's JSON Schema (the shape serde reads and
//! writes) and translates it:
//!
//! | Rust | [`FieldType`] (Python annotation) |
//! |---|---|
//! | `String`, `&str`, `char`, `PathBuf`, ... | `str` |
//! | `i8`..`i128`, `u8`..`u128`, `usize`, ... | `int` |
//! | `f32`, `f64` | `float` |
//! | `bool` | `bool` |
//! | `()`, unit structs | `NoneType` |
//! | `Vec<T>`, `[T]`, `[T; N]`, `HashSet<T>`, `BTreeSet<T>`, ... | `list[T]` |
//! | `HashMap<String, V>`, `BTreeMap<String, V>`, `serde_json::Map` | `dict[str, V]` |
//! | maps with integer keys | `dict[int, V]` |
//! | `(A, B, ..)`, tuple structs | `tuple[A, B, ..]` |
//! | `Option<T>` | `Optional[T]` (`Union[T, NoneType]`) |
//! | `serde_json::Value` | `Any` |
//! | `dspy::Tool` (`Vec<Tool>`), `dspy::ToolCalls` | `dspy.Tool` (`list[dspy.Tool]`), `dspy.ToolCalls` |
//! | a struct with named fields | a pydantic model named after the struct |
//! | an enum of unit variants | an `Enum` whose members' names and values are the serialized names |
//! | an enum with data-carrying variants | a `Union` of one member per variant (below) |
//!
//! A struct becomes a model with its fields in declaration order, under their serialized
//! names (`#[serde(rename)]`, `rename_all`, `flatten` and `skip` apply). A field is required
//! unless serde can do without it: an `Option` field is `Optional[T] = None` (serde reads a
//! missing `Option` as `None`), a `#[serde(default)]` field gets its default value. Doc
//! comments become field descriptions, and the struct's doc comment becomes the model's
//! docstring (`description` in the JSON Schema), as pydantic does for `Field(description=..)`
//! and class docstrings. Newtype structs are their inner type (serde's representation).
//!
//! # Enums with data
//!
//! A Python user writes a sum type as a union of pydantic models, `Union[Circle, Rect]`, and
//! DSPy shows it as `Union[Circle, Rect]` with the schema `{"anyOf": [{"$ref": ...}, ...]}`.
//! The Rust enum becomes the same kind of union, with one member per variant describing the
//! JSON serde expects for it, so the prompt tells the LM what serde will parse:
//!
//! * `#[serde(untagged)]`: a newtype variant is its content (`Circle(Circle)` is the model
//!   `Circle`); a struct variant, for which schemars records no name, is a model named
//!   `{Enum}{n}` (1-based position). `#[serde(untagged)] enum Shape { Circle(Circle),
//!   Rect(Rect) }` is therefore exactly Python's `Union[Circle, Rect]`.
//! * `#[serde(tag = "kind")]`: a model named after the variant whose first field is the tag,
//!   `kind: Literal['Circle']`, followed by the variant's fields, as in a pydantic tagged union.
//! * `#[serde(tag = "t", content = "c")]`: a model named after the variant with the fields
//!   `t: Literal['Circle']` and `c: <content>`; the content of a struct variant is a model
//!   named `{Enum}{Variant}`.
//! * externally tagged (serde's default): the JSON is `{"Circle": <content>}`, a model named
//!   `{Enum}{Variant}` (`ShapeCircle`) with one field named after the variant; the content of
//!   a struct variant is a model named after the variant. So the common
//!   `enum Shape { Circle(Circle), Rect(Rect) }` is `Union[ShapeCircle, ShapeRect]` with
//!   `ShapeCircle(Circle: Circle)`, without two models sharing a name. Unit variants are
//!   `Literal['Unit']` members.
//!
//! Other anonymous objects are models named `{Model}{Field}` after the model field that holds
//! them. Two different models with one name get numbered `$defs` names (see
//! [`pydantic_schema`](super::pydantic_schema)), e.g. for an adjacently tagged
//! `Circle(Circle)` variant.
//!
//! # Limits
//!
//! [`FieldType`] describes finite types, so a recursive type is cut where it refers to
//! itself: that reference is `Any` (`struct Tree { children: Vec<Tree> }` becomes
//! `Tree(children: list[Any])`). Nesting deeper than 64 levels is `Any` too. Validation
//! keywords without a pydantic counterpart in a plain annotation (`minimum` for unsigned
//! integers, `format`, `uniqueItems`, lengths) are dropped. schemars lists an enum's unit
//! variants that have no doc comment (or schemars attribute) before its other variants, so
//! enum members and union members follow that order rather than declaration order; document
//! every unit variant of an enum whose order matters. Conversion never panics: a schema
//! it does not understand is `Any`.

// The converter's state is here; `convert` translates a schema by its `type`, objects and
// models; `references` follows `$ref` and merges `allOf`; `choices` turns `oneOf`/`anyOf`
// into enums, literals and unions of variants.

mod choices;
mod convert;
mod references;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

use super::types::FieldType;

/// How deep schemas are followed before giving up with `Any`.
const MAX_DEPTH: usize = 64;

/// The DSPy field type of a Rust type, from its JSON Schema; see the [module docs](self) for
/// the mapping.
///
/// ```
/// use dspy_adapters::signature::{field_type_of, FieldType};
///
/// assert_eq!(field_type_of::<Vec<String>>().dspy_name(), "list[str]");
/// assert_eq!(field_type_of::<Option<i64>>().dspy_name(), "Union[int, NoneType]");
///
/// /// A person.
/// #[derive(schemars::JsonSchema)]
/// struct Person {
///     name: String,
///     /// Age in whole years
///     age: u32,
/// }
/// let FieldType::Model(person) = field_type_of::<Person>() else { unreachable!() };
/// assert_eq!(person.name, "Person");
/// assert_eq!(person.doc.as_deref(), Some("A person."));
/// assert_eq!(person.fields[1].description.as_deref(), Some("Age in whole years"));
/// ```
pub fn field_type_of<T: JsonSchema + ?Sized>() -> FieldType {
    let root = SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value();
    field_type_from_schema(&root, &T::schema_name())
}

/// The DSPy field type a JSON Schema (as schemars writes it, draft 2020-12, `$defs` at the
/// root) describes; `root_name` names the root schema when it is a model or an enum.
pub fn field_type_from_schema(root: &Value, root_name: &str) -> FieldType {
    let mut converter = Converter {
        root,
        root_name,
        defs: root.get("$defs").and_then(Value::as_object),
        built: HashMap::new(),
        stack: Vec::new(),
    };
    converter.push_def(ROOT_REF);
    let ty = converter.convert(root, &Context::named(root_name), 0);
    converter.stack.pop();
    ty
}

/// The reference to the root schema.
const ROOT_REF: &str = "#";

struct Converter<'a> {
    root: &'a Value,
    root_name: &'a str,
    defs: Option<&'a Map<String, Value>>,
    /// Types of definitions already converted, by reference, so each model is built once.
    built: HashMap<String, FieldType>,
    /// References being converted, innermost last (a reference already here is recursion).
    stack: Vec<String>,
}

/// Where a schema sits: its own name when it is a definition, otherwise the name an
/// anonymous object there gets.
#[derive(Clone)]
struct Context {
    /// The schema is a definition (`$defs` entry or the root) with this name.
    def: bool,
    name: String,
}

impl Context {
    fn named(name: &str) -> Context {
        Context {
            def: true,
            name: name.to_string(),
        }
    }

    fn anonymous(name: String) -> Context {
        Context { def: false, name }
    }
}
