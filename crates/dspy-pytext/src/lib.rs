//! Python's text rules, in one place: what DSPy (Python) means by whitespace, by stripping,
//! by a line, by a tab stop and by a cleaned-up docstring. Rust's own notions differ (for
//! instance `char::is_whitespace` lacks `\x1c`..`\x1f`, and `str::lines` splits only at `\n`
//! and `\r\n`), and the adapters must match Python byte for byte.
//!
//! | Python                     | here                                              |
//! | -------------------------- | ------------------------------------------------- |
//! | `str.isspace()` (one char) | [`is_space`]                                      |
//! | `str.strip()` / `lstrip()` / `rstrip()` | [`strip`], [`lstrip`], [`rstrip`], [`strip_in_place`] |
//! | `str.splitlines()`         | [`splitlines`], [`splitlines_with_breaks`]        |
//! | `str.expandtabs()`         | [`expand_tabs`]                                   |
//! | `inspect.cleandoc()`       | [`cleandoc`]                                      |
//! | `textwrap.dedent()`        | [`dedent`]                                        |
//!
//! ```
//! assert_eq!(dspy_pytext::strip("\x1c answer \u{3000}"), "answer");
//! let lines: Vec<&str> = dspy_pytext::splitlines("a\r\nb\u{2028}c\n").collect();
//! assert_eq!(lines, ["a", "b", "c"]);
//! assert_eq!(dspy_pytext::cleandoc("  Title.\n\n    Body.\n"), "Title.\n\nBody.");
//! ```
//!
//! The crate has no dependencies, so that proc-macro crates can use it too.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod cleandoc;
mod dedent;
mod lines;
mod space;

pub use cleandoc::{cleandoc, expand_tabs};
pub use dedent::dedent;
pub use lines::{splitlines, splitlines_with_breaks, SplitLines, SplitLinesWithBreaks};
pub use space::{is_space, lstrip, rstrip, strip, strip_in_place};
