//! [`TokenCount`]: a provider's token count, read leniently and saturating.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A token count from a provider's `usage`, never failing the answer it is part of.
///
/// Integers above `u64::MAX` (and floats beyond it) become `u64::MAX`; negative, fractional
/// parts, `null` and values of the wrong type become zero or are truncated. Usage is
/// accounting, not the answer: a server that reports it oddly still gets its completion read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TokenCount(pub(crate) u64);

impl TokenCount {
    /// `Some(count)` as a plain number, for `Option<TokenCount>` fields.
    pub(crate) fn get(count: Option<TokenCount>) -> Option<u64> {
        count.map(|c| c.0)
    }
}

impl<'de> Deserialize<'de> for TokenCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TokenCount, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = TokenCount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TokenCount, E> {
                Ok(TokenCount(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TokenCount, E> {
                Ok(TokenCount(u64::try_from(v).unwrap_or(0)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<TokenCount, E> {
                Ok(TokenCount(u64::try_from(v).unwrap_or(u64::MAX)))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<TokenCount, E> {
                Ok(TokenCount(if v <= 0 {
                    0
                } else {
                    u64::try_from(v).unwrap_or(u64::MAX)
                }))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TokenCount, E> {
                // `as` saturates: NaN and negatives give 0, 1e300 gives u64::MAX.
                Ok(TokenCount(v as u64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TokenCount, E> {
                let v = v.trim();
                let count = match v.parse::<u64>() {
                    Ok(n) => n,
                    Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => u64::MAX,
                    Err(_) => 0,
                };
                Ok(TokenCount(count))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TokenCount, E> {
                Ok(TokenCount(0))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TokenCount, E> {
                Ok(TokenCount(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<TokenCount, E> {
                Ok(TokenCount(0))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<TokenCount, D::Error> {
                d.deserialize_any(CountVisitor)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TokenCount, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TokenCount(0))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TokenCount, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TokenCount(0))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(json: &str) -> u64 {
        serde_json::from_str::<TokenCount>(json).unwrap().0
    }

    #[test]
    fn counts_saturate_and_never_fail() {
        assert_eq!(count("12"), 12);
        assert_eq!(count("18446744073709551615"), u64::MAX);
        assert_eq!(count("18446744073709551616"), u64::MAX);
        assert_eq!(count("1e300"), u64::MAX);
        assert_eq!(count("99999999999999999999999999999999"), u64::MAX);
        assert_eq!(count("1000000000000000"), 1_000_000_000_000_000);
        assert_eq!(count("-5"), 0);
        assert_eq!(count("-1e300"), 0);
        assert_eq!(count("12.9"), 12);
        assert_eq!(count("null"), 0);
        assert_eq!(count("\"34\""), 34);
        assert_eq!(count("\"999999999999999999999999\""), u64::MAX);
        assert_eq!(count("\"many\""), 0);
        assert_eq!(count("true"), 0);
        assert_eq!(count("[1, 2]"), 0);
        assert_eq!(count("{\"a\": [1]}"), 0);
    }
}
