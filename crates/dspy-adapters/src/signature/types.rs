//! The type model of a signature field: what DSPy needs to render a field's type in a
//! prompt and to convert completion text back into a value of that type.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde_json::Value;

use crate::render::py_repr;

/// The type of a signature field, in DSPy's (Python's) terms.
///
/// `Optional[T]` is `Union([T, NoneType])`, as in Python.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// `str`.
    Str,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `bool`.
    Bool,
    /// `typing.Any`.
    Any,
    /// `NoneType` (only meaningful inside a union).
    None,
    /// `list[T]`.
    List(Box<FieldType>),
    /// `dict[K, V]`.
    Dict(Box<FieldType>, Box<FieldType>),
    /// `tuple[T1, T2, ...]`.
    Tuple(Vec<FieldType>),
    /// `Union[T1, T2, ...]` (and `Optional[T]`).
    Union(Vec<FieldType>),
    /// `Literal[v1, v2, ...]`.
    Literal(Vec<LiteralValue>),
    /// A Python `Enum` / `IntEnum` (a Rust unit enum).
    Enum(Arc<EnumDef>),
    /// A pydantic model (a Rust struct or data-carrying enum variant).
    Model(Arc<ModelDef>),
    /// `dspy.History`: a conversation history input.
    History,
    /// `dspy.Tool`: a tool the LM may call, as an input (its value is
    /// `{"name", "desc", "args"}`; see [`tools`](crate::tools)).
    Tool,
    /// `dspy.ToolCalls`: the calls the LM asks for, as an output (its value is
    /// `{"tool_calls": [{"id", "name", "args"}]}`; see [`tools`](crate::tools)).
    ToolCalls,
}

/// One member of a `Literal[...]`.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    /// A string member, e.g. `'yes'`.
    Str(String),
    /// An integer member.
    Int(i64),
    /// A float member.
    Float(f64),
    /// `True` / `False`.
    Bool(bool),
    /// `None`.
    None,
}

/// A Python `Enum` (or `IntEnum`) definition.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// Class name, e.g. `Color`.
    pub name: String,
    /// The class docstring after `inspect.cleandoc`; pydantic shows it as the enum's
    /// `description` in JSON Schema. `None` for a class without a docstring.
    pub doc: Option<String>,
    /// True for an `IntEnum`.
    pub int_enum: bool,
    /// Members in declaration order.
    pub members: Vec<EnumMember>,
}

/// One member of an [`EnumDef`].
#[derive(Debug, Clone, PartialEq)]
pub struct EnumMember {
    /// Member name, e.g. `RED`.
    pub name: String,
    /// Member value as JSON, e.g. `"red"` or `1`.
    pub value: Value,
}

/// A pydantic model definition (an object with named, typed fields).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    /// Class name, e.g. `Person`.
    pub name: String,
    /// The class docstring after `inspect.cleandoc`; pydantic shows it as the model's
    /// `description` in JSON Schema. `None` for a class without a docstring.
    pub doc: Option<String>,
    /// Fields in declaration order.
    pub fields: Vec<ModelField>,
}

/// One field of a [`ModelDef`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelField {
    /// Field name.
    pub name: String,
    /// Field type.
    pub ty: FieldType,
    /// Whether the field must be present.
    pub required: bool,
    /// Default used when the field is absent (only when not required).
    pub default: Option<Value>,
    /// Field description, if any.
    pub description: Option<String>,
}

impl FieldType {
    /// `Optional[T]`, i.e. `Union[T, NoneType]`.
    pub fn optional(inner: FieldType) -> FieldType {
        FieldType::Union(vec![inner, FieldType::None])
    }

    /// True when the type admits `None` (`NoneType`, `Any`, or a union containing one).
    pub fn admits_none(&self) -> bool {
        match self {
            FieldType::None | FieldType::Any => true,
            FieldType::Union(members) => members.iter().any(FieldType::admits_none),
            FieldType::Literal(values) => values.contains(&LiteralValue::None),
            _ => false,
        }
    }

    /// True when `needle` is this type or appears inside it (in lists, dicts, tuples, unions;
    /// not inside models' fields).
    pub fn contains(&self, needle: &FieldType) -> bool {
        if self == needle {
            return true;
        }
        match self {
            FieldType::List(inner) => inner.contains(needle),
            FieldType::Dict(k, v) => k.contains(needle) || v.contains(needle),
            FieldType::Tuple(items) | FieldType::Union(items) => {
                items.iter().any(|t| t.contains(needle))
            }
            _ => false,
        }
    }

    /// For `Optional[T]` (a two-member union with `None`), `T`; otherwise `self`.
    pub fn strip_optional(&self) -> &FieldType {
        if let FieldType::Union(members) = self {
            let non_none: Vec<&FieldType> =
                members.iter().filter(|m| **m != FieldType::None).collect();
            if non_none.len() == 1 && members.len() == 2 {
                return non_none[0];
            }
        }
        self
    }

    /// The name DSPy shows for this type in prompts (`get_annotation_name`), e.g.
    /// `list[str]`, `Union[int, NoneType]`, `Literal['a', 'b']`.
    pub fn dspy_name(&self) -> String {
        let mut out = String::new();
        self.write_name(&mut out);
        out
    }

    fn write_name(&self, out: &mut String) {
        match self {
            FieldType::Str => out.push_str("str"),
            FieldType::Int => out.push_str("int"),
            FieldType::Float => out.push_str("float"),
            FieldType::Bool => out.push_str("bool"),
            FieldType::Any => out.push_str("Any"),
            FieldType::None => out.push_str("NoneType"),
            FieldType::History => out.push_str("History"),
            FieldType::Tool => out.push_str("Tool"),
            FieldType::ToolCalls => out.push_str("ToolCalls"),
            FieldType::Enum(def) => out.push_str(&def.name),
            FieldType::Model(def) => out.push_str(&def.name),
            FieldType::List(inner) => {
                out.push_str("list[");
                inner.write_name(out);
                out.push(']');
            }
            FieldType::Dict(k, v) => {
                out.push_str("dict[");
                k.write_name(out);
                out.push_str(", ");
                v.write_name(out);
                out.push(']');
            }
            FieldType::Tuple(items) => write_generic(out, "tuple", items),
            FieldType::Union(items) => write_generic(out, "Union", items),
            FieldType::Literal(values) => {
                out.push_str("Literal[");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&v.annotation_repr());
                }
                out.push(']');
            }
        }
    }
}

fn write_generic(out: &mut String, name: &str, items: &[FieldType]) {
    out.push_str(name);
    out.push('[');
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        t.write_name(out);
    }
    out.push(']');
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dspy_name())
    }
}

impl LiteralValue {
    /// The member as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            LiteralValue::Str(s) => Value::String(s.clone()),
            LiteralValue::Int(i) => Value::from(*i),
            LiteralValue::Float(x) => Value::from(*x),
            LiteralValue::Bool(b) => Value::Bool(*b),
            LiteralValue::None => Value::Null,
        }
    }

    /// Python `str()` of the member (strings unquoted), as in DSPy's "one of:" notes.
    pub fn py_str(&self) -> String {
        match self {
            LiteralValue::Str(s) => s.clone(),
            other => py_repr::py_str(&other.to_json()),
        }
    }

    /// How DSPy writes the member inside `Literal[...]` in a type name: strings quoted
    /// with `'` unless they hold `'` and no `"` (then `"`); both quotes ⇒ `'` with `\'`.
    pub fn annotation_repr(&self) -> String {
        match self {
            LiteralValue::Str(s) => {
                let has_single = s.contains('\'');
                let has_double = s.contains('"');
                let mut out = String::with_capacity(s.len() + 2);
                if has_single && !has_double {
                    let _ = write!(out, "\"{s}\"");
                } else if has_single {
                    let _ = write!(out, "'{}'", s.replace('\'', "\\'"));
                } else {
                    let _ = write!(out, "'{s}'");
                }
                out
            }
            other => other.py_str(),
        }
    }
}
