//! The hash both deterministic worlds ([`Oracle`](crate::Oracle),
//! [`PromptWorld`](crate::PromptWorld)) draw from, as their Python twins compute it.

use dspy_core::adapters::Message;
use sha2::{Digest, Sha256};

/// A SHA-256 fed the salt, then `0x00`, role, `0x00`, content for every message; callers may
/// feed more before finishing it with [`first_u64`].
pub(crate) fn prompt_hash(salt: &str, messages: &[Message]) -> Sha256 {
    let mut hash = Sha256::new();
    hash.update(salt.as_bytes());
    for m in messages {
        hash.update([0u8]);
        hash.update(m.role.as_str().as_bytes());
        hash.update([0u8]);
        hash.update(m.content.as_bytes());
    }
    hash
}

/// The first eight bytes of the digest, little-endian.
pub(crate) fn first_u64(hash: Sha256) -> u64 {
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}
