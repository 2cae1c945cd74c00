//! Converting completion text into typed JSON values the way DSPy does (`parse_value`):
//! JSON repair, Python literals, and pydantic's lax validation per field type.

pub mod json_repair;
