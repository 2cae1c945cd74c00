//! Reading a DSPy Chat adapter request: its output fields, their types and notes.

use dspy_adapters::{Message, Role};

use super::{json_kind, literal_members, OutputField};

/// The first output field named by the last user message's "starting with the field
/// `[[ ## name ## ]]`" reminder.
pub fn first_output_field(messages: &[Message]) -> Option<String> {
    const CUE: &str = "starting with the field `[[ ## ";
    let last_user = messages.iter().rev().find(|m| m.role == Role::User)?;
    let at = last_user.content.rfind(CUE)? + CUE.len();
    let rest = &last_user.content[at..];
    let end = rest.find(" ## ]]`")?;
    let name = &rest[..end];
    (!name.is_empty() && !name.contains('\n')).then(|| name.to_string())
}

/// The `N. \`name\` (type)` lines under "Your output fields are:", each field's kinds read
/// from its type and, for JSON-shaped values, from its placeholder's JSON-schema note.
pub(super) fn output_fields(system: &str) -> Vec<OutputField> {
    let Some(at) = system.find("Your output fields are:\n") else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    for line in system[at..].lines().skip(1) {
        if line.starts_with("All interactions will be structured") {
            break;
        }
        let Some(rest) = line
            .split_once(". `")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, rest)| rest)
        else {
            continue; // a description's continuation line
        };
        let Some((name, rest)) = rest.split_once("` (") else {
            continue;
        };
        let ty = type_text(rest);
        let plain = matches!(ty, "str" | "int" | "float" | "bool") || ty.starts_with("Literal[");
        fields.push(OutputField {
            name: name.to_string(),
            plain,
            literal: literal_members(ty),
            json: if plain {
                None
            } else {
                json_kind(ty, schema_note(system, name))
            },
        });
    }
    fields
}

/// The type text before the `)` that closes it (brackets and quotes inside are skipped, so
/// `dict[str, list[int]]` and `Literal['a)']` come out whole and a description's own
/// parentheses are not read as part of the type).
pub(super) fn type_text(rest: &str) -> &str {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, ')') if depth == 0 => return &rest[..i],
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    rest
}

/// The JSON schema the structure block's note gives for output field `name`: the rest of the
/// `{name}        # note: the value you produce must adhere to the JSON schema: ` line.
fn schema_note<'s>(system: &'s str, name: &str) -> Option<&'s str> {
    const NOTE: &str = "        # note: the value you produce must adhere to the JSON schema: ";
    let block = &system[system.find("All interactions will be structured")?..];
    block.lines().find_map(|line| {
        line.strip_prefix('{')?
            .strip_prefix(name)?
            .strip_prefix('}')?
            .strip_prefix(NOTE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::JsonKind;

    #[test]
    fn json_values_are_read_from_the_type_or_the_schema_note() {
        let system = "Your output fields are:\n1. `next_tool_args` (dict[str, Any]):\n2. `country` (Country): the row\n3. `when` (Optional[str]):\n4. `names` (list[str]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## next_tool_args ## ]]\n{next_tool_args}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": true}\n\n[[ ## country ## ]]\n{country}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"properties\": {\"capital\": {\"type\": \"string\"}}}\n\n[[ ## when ## ]]\n{when}        # note: the value you produce must adhere to the JSON schema: {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}\n\n[[ ## names ## ]]\n{names}\n\n[[ ## completed ## ]]";
        let kinds: Vec<_> = output_fields(system)
            .into_iter()
            .map(|f| (f.name, f.json))
            .collect();
        let name = |s: &str| s.to_string();
        assert_eq!(
            kinds,
            [
                (name("next_tool_args"), Some(JsonKind::Object)),
                (name("country"), Some(JsonKind::Object)),
                (name("when"), None),
                (name("names"), Some(JsonKind::Array)),
            ]
        );
        assert_eq!(schema_note(system, "names"), None);
        assert_eq!(schema_note(system, "next"), None);
    }
}
