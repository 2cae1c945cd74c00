//! Why and where Python's `xml.etree.ElementTree.fromstring` (expat, with namespaces) rejects a
//! document, worded as its `ParseError`: `not well-formed (invalid token): line 1, column 25`.
//!
//! DSPy's `XMLAdapter` quotes that text in its parse errors. We read XML with roxmltree, whose
//! errors are worded and placed differently, so when roxmltree rejects a completion this scanner
//! finds the first error expat reports, following expat's tokenizer: a token is read whole
//! before it is checked, a syntax error points at the first character that cannot continue the
//! token, and a semantic error (undefined entity, mismatched tag, unbound prefix) points at the
//! token. Lines count from 1 and columns from 0, in characters; `\r\n`, `\r` and `\n` each end
//! a line.
//!
//! Expat's name characters are those of XML 1.0's second edition: non-ASCII names here are
//! letters and digits of the Basic Multilingual Plane, which is close to, not exactly, that
//! table.

/// Expat's error for `doc`, formatted as Python's `ParseError` message, or `None` when this
/// scanner finds no error.
pub(super) fn error(doc: &str) -> Option<String> {
    let chars: Vec<char> = doc.chars().collect();
    let Err(Fault { message, at }) = Scanner::new(&chars).document() else {
        return None;
    };
    let (line, column) = line_column(&chars, at);
    Some(format!("{message}: line {line}, column {column}"))
}

const INVALID_TOKEN: &str = "not well-formed (invalid token)";

/// An error and the index of the character it points at.
struct Fault {
    message: &'static str,
    at: usize,
}

type Scan<T> = Result<T, Fault>;

fn invalid<T>(at: usize) -> Scan<T> {
    Err(Fault {
        message: INVALID_TOKEN,
        at,
    })
}

fn fault<T>(message: &'static str, at: usize) -> Scan<T> {
    Err(Fault { message, at })
}

/// 1-based line and 0-based column of character `at`.
fn line_column(chars: &[char], at: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 0);
    for (i, &c) in chars.iter().enumerate().take(at) {
        match c {
            '\r' => (line, column) = (line + 1, 0),
            '\n' if i > 0 && chars[i - 1] == '\r' => {}
            '\n' => (line, column) = (line + 1, 0),
            _ => column += 1,
        }
    }
    (line, column)
}

/// Characters XML forbids anywhere (expat's `BT_NONXML`).
fn is_non_xml(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}')
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character that can start a name (the colon is handled by the callers).
fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c <= '\u{ffff}' && c.is_alphabetic())
}

/// A character that can continue a name (the colon is handled by the callers).
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '.' | '-' | '\u{b7}')
        || (!c.is_ascii() && c <= '\u{ffff}' && c.is_alphanumeric())
}

/// What an entity or character reference names.
enum Reference {
    Entity(String),
    /// The code point, `None` when it overflows.
    Char(Option<u32>),
}

impl Reference {
    /// The error expat reports for this reference when it is well-formed.
    fn problem(&self) -> Option<&'static str> {
        match self {
            Reference::Entity(name) => {
                (!matches!(name.as_str(), "amp" | "lt" | "gt" | "quot" | "apos"))
                    .then_some("undefined entity")
            }
            Reference::Char(code) => {
                let valid = code.is_some_and(|c| {
                    matches!(c, 0x9 | 0xa | 0xd | 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff)
                });
                (!valid).then_some("reference to invalid character number")
            }
        }
    }
}

/// An attribute of a start tag, as read.
struct Attribute {
    name: String,
    /// Index of the name's first character.
    at: usize,
    value_empty: bool,
    references: Vec<Reference>,
}

struct Scanner<'a> {
    c: &'a [char],
    /// Open elements: qualified name and the prefixes they declare.
    open: Vec<(String, Vec<String>)>,
}

impl<'a> Scanner<'a> {
    fn new(c: &'a [char]) -> Scanner<'a> {
        Scanner {
            c,
            open: Vec::new(),
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.c.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.c[from..to].iter().collect()
    }

    fn skip_space(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_space) {
            i += 1;
        }
        i
    }

    /// The whole document: the root element (the caller's `<dspy_root>` wrapper), then the
    /// epilog.
    fn document(&mut self) -> Scan<()> {
        let mut i = self.skip_space(0);
        match (self.at(i), self.at(i + 1)) {
            (Some('<'), Some(c)) if is_name_start(c) => i = self.markup(i)?,
            (None, _) => return fault("no element found", i),
            _ => return invalid(i),
        }
        while !self.open.is_empty() {
            i = match self.at(i) {
                None => return fault("no element found", i),
                Some('<') => self.markup(i)?,
                Some('&') => {
                    let (end, reference) = self.reference(i)?;
                    if let Some(problem) = reference.problem() {
                        return fault(problem, i);
                    }
                    end
                }
                Some(']') if self.at(i + 1) == Some(']') && self.at(i + 2) == Some('>') => {
                    return invalid(i + 2)
                }
                Some(c) if is_non_xml(c) => return invalid(i),
                Some(_) => i + 1,
            };
        }
        self.epilog(i)
    }

    /// After the root element: space, comments and processing instructions only.
    fn epilog(&mut self, mut i: usize) -> Scan<()> {
        loop {
            i = match self.at(i) {
                None => return Ok(()),
                Some(c) if is_space(c) => i + 1,
                Some('<') => match self.at(i + 1) {
                    Some('!') if self.at(i + 2) == Some('-') => self.comment(i)?,
                    Some('?') => self.processing_instruction(i)?,
                    Some(c) if is_name_start(c) => return fault("junk after document element", i),
                    _ => return invalid(i + 1),
                },
                Some(c) if is_name_char(c) || c == ':' => {
                    let mut end = i;
                    while self.at(end).is_some_and(|c| is_name_char(c) || c == ':') {
                        end += 1;
                    }
                    match self.at(end) {
                        Some(c) if is_space(c) => return fault("junk after document element", i),
                        _ => return invalid(end),
                    }
                }
                Some(_) => return invalid(i),
            };
        }
    }

    /// Markup starting with the `<` at `i`; returns the index after it.
    fn markup(&mut self, i: usize) -> Scan<usize> {
        match self.at(i + 1) {
            Some('/') => self.end_tag(i),
            Some('!') => match self.at(i + 2) {
                Some('-') => self.comment(i),
                Some('[') => self.cdata(i),
                None => fault("unclosed token", i),
                Some(_) => invalid(i + 2),
            },
            Some('?') => self.processing_instruction(i),
            Some(c) if is_name_start(c) => self.start_tag(i),
            None => fault("unclosed token", i),
            Some(_) => invalid(i + 1),
        }
    }

    /// A name with at most one colon, between name characters (expat with namespaces).
    fn qualified_name(&self, i: usize) -> Scan<usize> {
        if !self.at(i).is_some_and(is_name_start) {
            return invalid(i);
        }
        let mut colon = false;
        let mut j = i + 1;
        loop {
            match self.at(j) {
                Some(c) if is_name_char(c) => j += 1,
                Some(':') if !colon => {
                    colon = true;
                    if !self.at(j + 1).is_some_and(is_name_start) {
                        return invalid(j + 1);
                    }
                    j += 2;
                }
                Some(':') => return invalid(j),
                _ => return Ok(j),
            }
        }
    }

    fn start_tag(&mut self, i: usize) -> Scan<usize> {
        let name_end = self.qualified_name(i + 1)?;
        let name = self.text(i + 1, name_end);
        let mut attributes: Vec<Attribute> = Vec::new();
        let mut j = name_end;
        let empty = loop {
            match self.at(j) {
                Some(c) if is_space(c) => {
                    j = self.skip_space(j);
                    if self.at(j).is_some_and(is_name_start) {
                        let (end, attribute) = self.attribute(i, j)?;
                        attributes.push(attribute);
                        j = end;
                    }
                    match self.at(j) {
                        Some(c) if is_space(c) => {}
                        Some('>' | '/') => {}
                        None => return fault("unclosed token", i),
                        Some(_) => return invalid(j),
                    }
                }
                Some('>') => break false,
                Some('/') => match self.at(j + 1) {
                    Some('>') => break true,
                    None => return fault("unclosed token", i),
                    Some(_) => return invalid(j + 1),
                },
                None => return fault("unclosed token", i),
                Some(_) => return invalid(j),
            }
        };
        let end = if empty { j + 2 } else { j + 1 };

        // The tag is well-formed; now what it means, as expat checks it.
        let mut declared = Vec::new();
        for (n, attribute) in attributes.iter().enumerate() {
            if attributes[..n].iter().any(|a| a.name == attribute.name) {
                return fault("duplicate attribute", attribute.at);
            }
            if let Some(problem) = attribute.references.iter().find_map(Reference::problem) {
                return fault(problem, i);
            }
            if let Some(prefix) = attribute.name.strip_prefix("xmlns:") {
                if attribute.value_empty {
                    return fault("must not undeclare prefix", i);
                }
                declared.push(prefix.to_string());
            }
        }
        let bound = |prefix: &str| {
            prefix == "xml"
                || declared.iter().any(|p| p == prefix)
                || self
                    .open
                    .iter()
                    .any(|(_, ps)| ps.iter().any(|p| p == prefix))
        };
        for attribute in &attributes {
            if let Some((prefix, _)) = attribute.name.split_once(':') {
                if prefix != "xmlns" && !bound(prefix) {
                    return fault("unbound prefix", i);
                }
            }
        }
        if let Some((prefix, _)) = name.split_once(':') {
            if !bound(prefix) {
                return fault("unbound prefix", i);
            }
        }
        if !empty {
            self.open.push((name, declared));
        }
        Ok(end)
    }

    /// An attribute starting at `j` in the tag starting at `tag`: returns the index after its
    /// closing quote.
    fn attribute(&self, tag: usize, j: usize) -> Scan<(usize, Attribute)> {
        let name_end = self.qualified_name(j)?;
        let name = self.text(j, name_end);
        let mut k = self.skip_space(name_end);
        match self.at(k) {
            Some('=') => {}
            None => return fault("unclosed token", tag),
            Some(_) => return invalid(k),
        }
        k = self.skip_space(k + 1);
        let quote = match self.at(k) {
            Some(q @ ('"' | '\'')) => q,
            None => return fault("unclosed token", tag),
            Some(_) => return invalid(k),
        };
        let start = k + 1;
        k = start;
        let mut references = Vec::new();
        loop {
            match self.at(k) {
                Some(c) if c == quote => break,
                Some('<') => return invalid(k),
                Some('&') => {
                    let (end, reference) = self.reference(k)?;
                    references.push(reference);
                    k = end;
                }
                Some(c) if is_non_xml(c) => return invalid(k),
                Some(_) => k += 1,
                None => return fault("unclosed token", tag),
            }
        }
        let attribute = Attribute {
            name,
            at: j,
            value_empty: k == start,
            references,
        };
        Ok((k + 1, attribute))
    }

    fn end_tag(&mut self, i: usize) -> Scan<usize> {
        let name_end = self.qualified_name(i + 2)?;
        let j = self.skip_space(name_end);
        match self.at(j) {
            Some('>') => {}
            None => return fault("unclosed token", i),
            Some(_) => return invalid(j),
        }
        let name = self.text(i + 2, name_end);
        match self.open.last() {
            Some((open, _)) if *open == name => {
                self.open.pop();
                Ok(j + 1)
            }
            _ => fault("mismatched tag", i + 2),
        }
    }

    /// `&name;`, `&#digits;` or `&#xhex;` at `i`: returns the index after it.
    fn reference(&self, i: usize) -> Scan<(usize, Reference)> {
        let mut j = i + 1;
        match self.at(j) {
            Some('#') => {
                let hex = self.at(j + 1) == Some('x');
                j += if hex { 2 } else { 1 };
                let radix = if hex { 16 } else { 10 };
                let mut code: Option<u32> = Some(0);
                let first = j;
                while let Some(digit) = self.at(j).and_then(|c| c.to_digit(radix)) {
                    code = code
                        .and_then(|c| c.checked_mul(radix))
                        .and_then(|c| c.checked_add(digit))
                        .filter(|c| *c <= 0x10ffff);
                    j += 1;
                }
                if j == first || self.at(j) != Some(';') {
                    return invalid(j);
                }
                Ok((j + 1, Reference::Char(code)))
            }
            Some(c) if is_name_start(c) || c == ':' => {
                while self.at(j).is_some_and(|c| is_name_char(c) || c == ':') {
                    j += 1;
                }
                if self.at(j) != Some(';') {
                    return invalid(j);
                }
                Ok((j + 1, Reference::Entity(self.text(i + 1, j))))
            }
            _ => invalid(j),
        }
    }

    /// `<!-- ... -->` at `i` (`<!-` already seen).
    fn comment(&self, i: usize) -> Scan<usize> {
        match self.at(i + 3) {
            Some('-') => {}
            None => return fault("unclosed token", i),
            Some(_) => return invalid(i + 3),
        }
        let mut j = i + 4;
        loop {
            match self.at(j) {
                None => return fault("unclosed token", i),
                Some('-') if self.at(j + 1) == Some('-') => {
                    return match self.at(j + 2) {
                        Some('>') => Ok(j + 3),
                        None => fault("unclosed token", i),
                        Some(_) => invalid(j + 2),
                    }
                }
                Some(c) if is_non_xml(c) => return invalid(j),
                Some(_) => j += 1,
            }
        }
    }

    /// `<![CDATA[ ... ]]>` at `i` (`<![` already seen).
    fn cdata(&self, i: usize) -> Scan<usize> {
        let mut j = i + 3;
        for expected in "CDATA[".chars() {
            match self.at(j) {
                Some(c) if c == expected => j += 1,
                None => return fault("unclosed token", i),
                Some(_) => return invalid(j),
            }
        }
        loop {
            match self.at(j) {
                None => return fault("unclosed CDATA section", j),
                Some(']') if self.at(j + 1) == Some(']') && self.at(j + 2) == Some('>') => {
                    return Ok(j + 3)
                }
                Some(c) if is_non_xml(c) => return invalid(j),
                Some(_) => j += 1,
            }
        }
    }

    /// `<?target ...?>` at `i`.
    fn processing_instruction(&self, i: usize) -> Scan<usize> {
        let start = i + 2;
        if !self.at(start).is_some_and(is_name_start) {
            return invalid(start);
        }
        let mut j = start + 1;
        while self.at(j).is_some_and(|c| is_name_char(c) || c == ':') {
            j += 1;
        }
        let target = self.text(start, j);
        if target == "xml" {
            return fault("XML or text declaration not at start of entity", i);
        }
        if target.eq_ignore_ascii_case("xml") {
            return invalid(j);
        }
        match self.at(j) {
            Some('?') => {
                return match self.at(j + 1) {
                    Some('>') => Ok(j + 2),
                    None => fault("unclosed token", i),
                    Some(_) => invalid(j + 1),
                }
            }
            Some(c) if is_space(c) => {}
            None => return fault("unclosed token", i),
            Some(_) => return invalid(j),
        }
        loop {
            match self.at(j) {
                None => return fault("unclosed token", i),
                Some('?') if self.at(j + 1) == Some('>') => return Ok(j + 2),
                Some(c) if is_non_xml(c) => return invalid(j),
                Some(_) => j += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests;
