//! Python-flavoured rendering of values, as DSPy writes them into prompts.
//!
//! DSPy's prompts carry Python's formatting: `str()` of scalars (`True`, `None`, `1e+20`),
//! `json.dumps` with `", "` separators, and pydantic's JSON Schemas re-ordered. These modules
//! reproduce each byte for byte.

pub mod field_value;
pub mod py_json;
pub mod py_repr;
pub mod schema_text;
