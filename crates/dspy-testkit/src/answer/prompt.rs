//! Reading DSPy chat prompts: output fields from the system message, input values from the user
//! message.

/// An output field named in a system message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OutputField<'a> {
    pub(super) name: &'a str,
    pub(super) ty: &'a str,
}

const OUTPUTS_HEADING: &str = "Your output fields are:";

/// The output fields listed after `Your output fields are:`, in order.
///
/// The list ends at the first line that is neither a field (`N. \`name\` (type)...`) nor a
/// continuation of a field's description; DSPy follows it with a blank line or `All
/// interactions will be structured...`.
pub(super) fn output_fields(system: &str) -> Vec<OutputField<'_>> {
    let Some(start) = system.find(OUTPUTS_HEADING) else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    for line in system[start + OUTPUTS_HEADING.len()..].lines().skip(1) {
        if line.trim().is_empty() || line.starts_with("All interactions will be structured") {
            break;
        }
        if let Some(field) = parse_field_line(line) {
            fields.push(field);
        }
        // Other lines continue a multi-line description.
    }
    fields
}

/// Parses `N. \`name\` (type)...`.
fn parse_field_line(line: &str) -> Option<OutputField<'_>> {
    let (number, rest) = line.split_once(". `")?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (name, rest) = rest.split_once('`')?;
    if name.is_empty() {
        return None;
    }
    let rest = rest.strip_prefix(" (")?;
    let ty = &rest[..matching_paren(rest)?];
    Some(OutputField { name, ty })
}

/// Index of the `)` closing a group whose `(` came just before `text`.
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.saturating_sub(1),
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The value of the first `[[ ## field ## ]]` section of a user message, or the whole message
/// (trimmed) when it has none.
pub(super) fn first_input_value(user: &str) -> &str {
    let mut value_start = None;
    let mut offset = 0;
    for line in user.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let ends_value =
            is_section_header(bare) || bare.starts_with("Respond with the corresponding");
        match value_start {
            None if is_section_header(bare) => value_start = Some(offset + line.len()),
            Some(start) if ends_value => return user[start..offset].trim(),
            _ => {}
        }
        offset += line.len();
    }
    match value_start {
        Some(start) => user[start..].trim(),
        None => user.trim(),
    }
}

/// True for a line that is exactly `[[ ## name ## ]]`.
fn is_section_header(line: &str) -> bool {
    line.strip_prefix("[[ ## ")
        .and_then(|rest| rest.strip_suffix(" ## ]]"))
        .is_some_and(|name| !name.is_empty() && !name.contains(['\n', '[', ']']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(name: &'a str, ty: &'a str) -> OutputField<'a> {
        OutputField { name, ty }
    }

    #[test]
    fn reads_output_fields() {
        let system = "Your input fields are:\n1. `q` (str): \nYour output fields are:\n1. `a` (Literal['x)', 'y']): pick\n   one of them\n2. `b` (dict[str, list[int]])\n3. `c` (Optional[float]): \nAll interactions will be structured in the following way";
        assert_eq!(
            output_fields(system),
            vec![
                field("a", "Literal['x)', 'y']"),
                field("b", "dict[str, list[int]]"),
                field("c", "Optional[float]")
            ]
        );
    }

    #[test]
    fn tolerates_junk() {
        assert!(output_fields("").is_empty());
        assert!(output_fields("Your output fields are:").is_empty());
        assert!(output_fields("Your output fields are:\n1. `a` (str").is_empty());
        assert!(output_fields("Your output fields are:\nx. `a` (str)").is_empty());
        assert!(output_fields("Your output fields are:\n1. `` (str)").is_empty());
    }

    #[test]
    fn reads_first_input() {
        let user = "[[ ## question ## ]]\nWhy?\nBecause.\n\n[[ ## context ## ]]\nnone\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`.";
        assert_eq!(first_input_value(user), "Why?\nBecause.");
        let last_only =
            "[[ ## question ## ]]\nWhy?\n\nRespond with the corresponding output fields";
        assert_eq!(first_input_value(last_only), "Why?");
        assert_eq!(first_input_value("[[ ## q ## ]]\r\nhi\r\n"), "hi");
        assert_eq!(first_input_value("  just text "), "just text");
        assert_eq!(first_input_value("[[ ## q ## ]]"), "");
    }
}
