//! Python 3.11's `str.isalpha`, `str.isdigit` and `str.isnumeric` outside ASCII (Unicode
//! 14.0.0), as sorted inclusive ranges of code points `(first, last)`; `str.isalnum` is
//! `isalpha or isdigit or isnumeric` ([`ALPHA`], [`DIGIT`], [`OTHER_NUMERIC`]). Generated with
//! Python:
//!
//! ```text
//! for cp in range(0x80, 0x110000): test the table's predicate on chr(cp) (surrogates
//! excluded), and write the runs where it holds as (first, last).
//! ```

mod alpha;
mod digit;
mod numeric;

pub(super) use alpha::ALPHA;
pub(super) use digit::DIGIT;
pub(super) use numeric::OTHER_NUMERIC;
