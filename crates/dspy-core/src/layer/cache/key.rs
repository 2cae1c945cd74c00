//! Cache keys: SHA-256 of a canonical JSON view of the request.

use std::fmt;
use std::io;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use dspy_adapters::Message;

use crate::lm::LmRequest;

/// Bumped whenever the key layout changes, so old disk entries stop matching instead of
/// answering a request they were not made for.
const KEY_VERSION: u32 = 1;

/// `extra` keys that carry secrets or endpoints: never part of the key (as in DSPy).
const EXCLUDED_EXTRA_KEYS: [&str; 4] = ["api_key", "api_base", "base_url", "headers"];

/// The identity of a request for caching: a SHA-256 digest of its canonical JSON.
///
/// Covers everything that changes the answer: the effective model, the messages and every
/// setting (`temperature`, `max_tokens`, `n`, `stop`, `seed`, `response_format`, `tools`,
/// `rollout_id`, provider `extra`s), with unset settings written as `null`. Object keys are sorted,
/// so the order `extra` entries were inserted in does not matter. Left out: the per-call
/// [`CacheMode`](crate::lm::CacheMode) and the `extra` keys `api_key`, `api_base`, `base_url` and
/// `headers` (secrets and endpoints).
///
/// ```
/// use dspy_core::adapters::Message;
/// use dspy_core::layer::cache::CacheKey;
/// use dspy_core::lm::LmRequest;
///
/// let request = LmRequest::new(vec![Message::user("hi")]).temperature(0.0);
/// let key = CacheKey::for_request(&request, "openai/gpt-4o-mini");
/// assert_eq!(key, CacheKey::for_request(&request.clone(), "openai/gpt-4o-mini"));
/// assert_ne!(key, CacheKey::for_request(&request.clone().rollout_id(1), "openai/gpt-4o-mini"));
/// assert_eq!(key.to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of `request`, answered by `default_model` unless the request names a model.
    pub fn for_request(request: &LmRequest, default_model: &str) -> CacheKey {
        let view = KeyView {
            v: KEY_VERSION,
            model: request.model.as_deref().unwrap_or(default_model),
            messages: &request.messages,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            n: request.n,
            stop: &request.stop,
            seed: request.seed,
            response_format: request
                .response_format
                .as_ref()
                .and_then(|f| serde_json::to_value(f).ok()),
            tools: if request.tools.is_empty() {
                None
            } else {
                serde_json::to_value(&request.tools).ok()
            },
            rollout_id: request.rollout_id,
            extra: ExtraView(&request.extra),
        };
        let mut hasher = HashWriter(Sha256::new());
        // Writing into a hasher cannot fail, and every part serializes (all map keys are
        // strings); should that ever change, the partial digest still yields a stable key.
        let _ = serde_json::to_writer(&mut hasher, &view);
        CacheKey(hasher.0.finalize().into())
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key from a raw digest.
    pub fn from_bytes(bytes: [u8; 32]) -> CacheKey {
        CacheKey(bytes)
    }
}

impl fmt::Display for CacheKey {
    /// Lowercase hex, 64 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({self})")
    }
}

/// What is hashed: borrowed from the request, so hashing copies no prompt text.
#[derive(Serialize)]
struct KeyView<'a> {
    v: u32,
    model: &'a str,
    messages: &'a [Message],
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    n: Option<u32>,
    stop: &'a [String],
    seed: Option<u64>,
    #[serde(serialize_with = "sorted_opt")]
    response_format: Option<Value>,
    #[serde(serialize_with = "sorted_opt")]
    tools: Option<Value>,
    rollout_id: Option<u64>,
    extra: ExtraView<'a>,
}

fn sorted_opt<S: Serializer>(value: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => Sorted(v).serialize(s),
        None => s.serialize_none(),
    }
}

/// `extra` with sorted keys and without secrets or endpoints.
struct ExtraView<'a>(&'a Map<String, Value>);

impl Serialize for ExtraView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&String, &Value)> = self
            .0
            .iter()
            .filter(|(k, _)| !EXCLUDED_EXTRA_KEYS.contains(&k.as_str()))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            map.serialize_entry(k, &Sorted(v))?;
        }
        map.end()
    }
}

/// A JSON value written with object keys in sorted order, at every depth.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &Sorted(v))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Feeds serialized bytes straight into the hasher.
struct HashWriter(Sha256);

impl io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> LmRequest {
        LmRequest::new(vec![Message::system("s"), Message::user("u")])
    }

    #[test]
    fn same_request_same_key() {
        assert_eq!(
            CacheKey::for_request(&request(), "m"),
            CacheKey::for_request(&request(), "m")
        );
    }

    #[test]
    fn every_setting_changes_the_key() {
        let base = CacheKey::for_request(&request(), "m");
        let variants = [
            request().temperature(0.5),
            request().max_tokens(10),
            request().n(2),
            request().stop(vec!["x".into()]),
            request().seed(1),
            request().rollout_id(1),
            request().response_format(crate::lm::ResponseFormat::JsonObject),
            LmRequest::new(vec![Message::system("s"), Message::user("v")]),
        ];
        for v in variants {
            assert_ne!(CacheKey::for_request(&v, "m"), base, "{v:?}");
        }
        assert_ne!(CacheKey::for_request(&request(), "other"), base);
        let mut named = request();
        named.model = Some("other".into());
        assert_eq!(
            CacheKey::for_request(&named, "m"),
            CacheKey::for_request(&request(), "other")
        );
    }

    #[test]
    fn extra_order_and_secrets_do_not_matter() {
        let mut a = request();
        a.extra.insert("top_p".into(), json!(0.9));
        a.extra.insert("logit_bias".into(), json!({"b": 1, "a": 2}));
        let mut b = request();
        b.extra.insert("logit_bias".into(), json!({"a": 2, "b": 1}));
        b.extra.insert("top_p".into(), json!(0.9));
        b.extra.insert("api_key".into(), json!("sk-secret"));
        b.extra.insert("api_base".into(), json!("http://localhost"));
        assert_eq!(
            CacheKey::for_request(&a, "m"),
            CacheKey::for_request(&b, "m")
        );
        b.extra.insert("top_k".into(), json!(3));
        assert_ne!(
            CacheKey::for_request(&a, "m"),
            CacheKey::for_request(&b, "m")
        );
    }

    #[test]
    fn cache_mode_is_not_part_of_the_key() {
        let bypass = request().cache(crate::lm::CacheMode::Bypass);
        assert_eq!(
            CacheKey::for_request(&bypass, "m"),
            CacheKey::for_request(&request(), "m")
        );
    }

    #[test]
    fn key_is_stable_across_releases() {
        // Pinned so an accidental layout change (which would orphan every disk cache) fails here.
        let key = CacheKey::for_request(&LmRequest::new(vec![Message::user("hi")]), "m");
        assert_eq!(key.to_string(), PINNED);
    }

    /// SHA-256 of `{"v":1,"model":"m","messages":[{"role":"user","content":"hi"}],
    /// "temperature":null,"max_tokens":null,"n":null,"stop":[],"seed":null,
    /// "response_format":null,"tools":null,"rollout_id":null,"extra":{}}` (no spaces).
    const PINNED: &str = "4f1f8cf830fdc6cdd81953741a6609bd9d5aad178f255b9ac675a0dc336d2900";
}
