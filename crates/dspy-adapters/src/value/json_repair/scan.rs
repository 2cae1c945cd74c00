//! The one scanner behind the look-aheads that step over quoted strings and backslash
//! escapes: it tells, character by character, what is code and what is inside a string.

use super::chars::is_quote;

/// What a character is to a [`Scanner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scanned {
    /// Outside any string; `escaped` when an odd run of backslashes comes just before it
    /// (never in [`Scanner::json`], where backslashes only escape inside strings).
    Code { escaped: bool },
    /// A quote that opens a string.
    OpenQuote,
    /// Inside a string (its closing quote included), or a backslash that escapes what
    /// follows it.
    Skip,
}

/// Which quotes open strings, and where backslashes escape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quotes {
    /// No strings; backslashes escape everywhere.
    None,
    /// JSON: `"` opens a string; backslashes escape only inside strings.
    Json,
    /// json_repair's look-aheads: any of its quotes opens a string that the same character
    /// closes; backslashes escape everywhere, so an escaped quote neither opens nor closes.
    Lenient,
}

/// Feeds on characters one at a time (the caller may skip some, e.g. comments, between
/// two [`Scanner::step`]s) and classifies each as code or string.
pub(super) struct Scanner {
    quotes: Quotes,
    in_quote: Option<char>,
    /// The length of the run of escaping backslashes just before the current character.
    backslashes: usize,
}

impl Scanner {
    fn new(quotes: Quotes) -> Self {
        Scanner {
            quotes,
            in_quote: None,
            backslashes: 0,
        }
    }

    /// Only escapes, no strings: which characters come after an odd run of backslashes.
    pub(super) fn escapes() -> Self {
        Scanner::new(Quotes::None)
    }

    /// JSON strings: `"` only, with backslash escapes inside them.
    pub(super) fn json() -> Self {
        Scanner::new(Quotes::Json)
    }

    /// json_repair's quotes (`"`, `'`, `“`, `”`), each string closed by the character that
    /// opened it, with backslash escapes anywhere.
    pub(super) fn lenient() -> Self {
        Scanner::new(Quotes::Lenient)
    }

    /// Classifies the next character.
    pub(super) fn step(&mut self, c: char) -> Scanned {
        if c == '\\' && (self.quotes != Quotes::Json || self.in_quote.is_some()) {
            self.backslashes += 1;
            return Scanned::Skip;
        }
        let escaped = self.backslashes & 1 == 1;
        self.backslashes = 0;
        if let Some(q) = self.in_quote {
            if c == q && !escaped {
                self.in_quote = None;
            }
            return Scanned::Skip;
        }
        let opens = match self.quotes {
            Quotes::None => false,
            Quotes::Json => c == '"',
            Quotes::Lenient => is_quote(c),
        };
        if opens && !escaped {
            self.in_quote = Some(c);
            return Scanned::OpenQuote;
        }
        Scanned::Code { escaped }
    }
}

#[cfg(test)]
mod tests {
    use super::{Scanned, Scanner};

    /// One letter a character: `c` code, `e` escaped code, `o` opening quote, `s` skipped.
    fn classes(mut scanner: Scanner, text: &str) -> String {
        text.chars()
            .map(|c| match scanner.step(c) {
                Scanned::Code { escaped: false } => 'c',
                Scanned::Code { escaped: true } => 'e',
                Scanned::OpenQuote => 'o',
                Scanned::Skip => 's',
            })
            .collect()
    }

    #[test]
    fn json_strings_escape_inside_only() {
        assert_eq!(classes(Scanner::json(), r#"a"b\"c"d"#), "cosssssc");
        assert_eq!(classes(Scanner::json(), r#"\"x"'y'"#), "cossccc");
        assert_eq!(classes(Scanner::json(), r#""\\"x"#), "osssc");
    }

    #[test]
    fn lenient_quotes_escape_anywhere() {
        assert_eq!(classes(Scanner::lenient(), r#"\"x'a"b'\:"#), "secossssse");
        assert_eq!(classes(Scanner::lenient(), r#"\\"a"b"#), "ssossc");
        assert_eq!(classes(Scanner::lenient(), "“a”“b“c"), "ossscos");
    }

    #[test]
    fn escapes_only() {
        assert_eq!(classes(Scanner::escapes(), r#"a\b\\c"d"#), "csessccc");
    }
}
