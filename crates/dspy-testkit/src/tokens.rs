//! Rough token counts for reported usage, and the limit on completions per request.

/// Most completions one request may ask for (OpenAI's limit on `n`).
pub(crate) const MAX_CHOICES: u32 = 128;

/// Approximate token count of `text`: one token per four bytes, rounded up.
pub(crate) fn estimate(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rounds_up() {
        assert_eq!(super::estimate(""), 0);
        assert_eq!(super::estimate("a"), 1);
        assert_eq!(super::estimate("abcd"), 1);
        assert_eq!(super::estimate("abcde"), 2);
    }
}
