use dspy::tool;

/// Add two integers.
#[tool]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Look up a city.
///
/// Only a few cities are known.
#[tool(name = "lookup")]
pub async fn country_of(city: String, strict: Option<bool>) -> Result<String, String> {
    let _ = strict;
    Err(format!("no entry for {city}"))
}

fn main() {
    assert_eq!(add(1, 2), 3);
    let t = add_tool();
    assert_eq!(t.tool_name(), "add");
    let l = country_of_tool();
    assert_eq!(l.tool_name(), "lookup");
    assert_eq!(l.description(), Some("Look up a city.\n\nOnly a few cities are known."));
    assert_eq!(
        l.to_string(),
        "lookup, whose description is <desc>Look up a city.    Only a few cities are known.</desc>. \
         It takes arguments {'city': {'type': 'string'}, 'strict': {'anyOf': [{'type': 'boolean'}, {'type': 'null'}], 'default': None}}."
    );
}
