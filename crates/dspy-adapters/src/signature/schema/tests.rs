//! Unit tests of the schema helpers: Python's `str.title()` and `==`.

use super::normalize::py_eq;
use super::titles::title_from_name;

#[test]
fn titles_follow_python_str_title() {
    for (name, title) in [
        ("team_name", "Team Name"),
        ("field1name", "Field1Name"),
        ("x_", "X"),
        ("a1b_2c", "A1B 2C"),
        ("ab_cd_EF", "Ab Cd Ef"),
        ("x__y_", "X  Y"),
        ("déjà_vu2x", "Déjà Vu2X"),
        ("straße_ǆx", "Straße ǅx"),
        ("ßa", "Ssa"),
        ("_private", "Private"),
        ("ΟΔΟΣ_x", "Οδος X"),
        ("ΣΣ", "Σς"),
        ("aΣb", "Aσb"),
    ] {
        assert_eq!(title_from_name(name), title, "{name}");
    }
}

#[test]
fn python_equality() {
    assert!(py_eq(
        &serde_json::json!([1, true]),
        &serde_json::json!([1.0, 1])
    ));
    assert!(!py_eq(
        &serde_json::json!({"a": 1}),
        &serde_json::json!({"a": 1, "b": 2})
    ));
    assert!(py_eq(
        &serde_json::json!({"a": 1, "b": 2}),
        &serde_json::json!({"b": 2, "a": 1.0})
    ));
}
