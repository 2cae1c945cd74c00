//! API keys and the other secrets of a client (extra header values, credentials in a base URL)
//! that never show up in logs, errors or `Debug` output.

use std::fmt;
use std::sync::Arc;

/// What a secret is replaced by.
const REDACTED: &str = "[redacted]";

/// Shortest secret (in characters) removed from provider messages. Shorter "keys" (`x`, `none`,
/// `EMPTY`, the placeholders local servers accept) cannot be secret, and replacing them would
/// mangle the message: with the key `x`, "maximum context length" would read
/// "ma[redacted]imum conte[redacted]t length". They are still redacted in `Debug` output.
#[cfg(feature = "__http")]
pub(crate) const MIN_SCRUB_LEN: usize = 8;

/// Shortest start of a secret removed from the end of a message cut short with `...`.
#[cfg(feature = "__http")]
const MIN_CUT_PREFIX: usize = 4;

/// An API key.
///
/// `Debug` and `Display` print `[redacted]`; the only way to read the key is [`ApiKey::expose`],
/// which the clients call when they build the authentication header. Clients also remove the key
/// (and the values of extra headers, and credentials in the base URL) from any provider message
/// they put into an [`LmError`](crate::lm::LmError). Secrets shorter than 8 characters are not
/// removed from messages (a key such as `x` or `EMPTY` cannot be secret, and removing it would
/// garble the message); `Debug` and `Display` hide them all the same.
///
/// ```
/// use dspy_core::client::ApiKey;
///
/// let key = ApiKey::new("sk-test-123");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// assert_eq!(key.to_string(), "[redacted]");
/// assert_eq!(key.expose(), "sk-test-123");
/// ```
#[derive(Clone)]
pub struct ApiKey {
    key: Box<str>,
    /// Other secrets of the same endpoint, removed from messages with the key. Not part of the
    /// key: never sent, compared or printed.
    #[cfg_attr(not(feature = "__http"), allow(dead_code))]
    others: Arc<[Box<str>]>,
}

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey {
            key: key.into().into_boxed_str(),
            others: Arc::new([]),
        }
    }

    /// The key itself. Only pass it to the provider.
    pub fn expose(&self) -> &str {
        &self.key
    }

    /// True for the empty key (treated as no key).
    pub fn is_empty(&self) -> bool {
        self.key.trim().is_empty()
    }

    /// What an endpoint removes from provider messages: `key` (if any) and `others` (header
    /// values, URL credentials). `None` when there is nothing to remove.
    #[cfg(feature = "__http")]
    pub(crate) fn scrubber(key: Option<&ApiKey>, others: Vec<String>) -> Option<ApiKey> {
        let mut others: Vec<Box<str>> = others
            .into_iter()
            .filter(|s| is_scrubbable(s))
            .map(String::into_boxed_str)
            .collect();
        others.sort_unstable();
        others.dedup();
        match key {
            None if others.is_empty() => None,
            None => Some(ApiKey {
                key: "".into(),
                others: others.into(),
            }),
            Some(key) => Some(ApiKey {
                key: key.key.clone(),
                others: key.others.iter().cloned().chain(others).collect(),
            }),
        }
    }

    /// `text` with every occurrence of the key (and the other secrets) replaced by
    /// `[redacted]`. Secrets shorter than [`MIN_SCRUB_LEN`] are left alone.
    #[cfg(feature = "__http")]
    pub(crate) fn scrub(&self, text: String) -> String {
        let mut secrets: Vec<&str> = std::iter::once(&self.key)
            .chain(self.others.iter())
            .map(|s| s.trim())
            .filter(|s| is_scrubbable(s))
            .collect();
        if secrets.is_empty() {
            return text;
        }
        // Longest first, so a secret inside another cannot leave the rest of the longer one.
        secrets.sort_unstable_by_key(|s| std::cmp::Reverse(s.len()));
        let mut text = text;
        for secret in &secrets {
            if text.contains(secret) {
                text = text.replace(secret, REDACTED);
            }
        }
        redact_cut_tail(text, &secrets)
    }
}

/// Long enough to be a secret.
#[cfg(feature = "__http")]
fn is_scrubbable(secret: &str) -> bool {
    secret.trim().chars().count() >= MIN_SCRUB_LEN
}

/// A message cut short (ending in `...`) may end inside a secret: replaces such a start of a
/// secret (at least [`MIN_CUT_PREFIX`] characters).
#[cfg(feature = "__http")]
fn redact_cut_tail(mut text: String, secrets: &[&str]) -> String {
    let Some(body_len) = text.strip_suffix("...").map(str::len) else {
        return text;
    };
    let body = &text[..body_len];
    let longest = secrets
        .iter()
        .filter_map(|secret| {
            secret
                .char_indices()
                .map(|(i, _)| i)
                .skip(MIN_CUT_PREFIX)
                .filter(|&i| body.ends_with(&secret[..i]))
                .max()
        })
        .max();
    if let Some(cut) = longest {
        text.replace_range(body_len - cut..body_len, REDACTED);
    }
    text
}

/// Removes `key` (and the secrets it carries) from `text`, if there is a key.
#[cfg(feature = "__http")]
pub(crate) fn scrub(key: Option<&ApiKey>, text: String) -> String {
    match key {
        Some(key) => key.scrub(text),
        None => text,
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &ApiKey) -> bool {
        self.key == other.key
    }
}

impl Eq for ApiKey {}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> ApiKey {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> ApiKey {
        ApiKey::new(key)
    }
}

/// The secrets in a header value: the whole value and, for `Scheme token` values such as
/// `Bearer ...`, the token.
#[cfg_attr(not(feature = "__http"), allow(dead_code))]
pub(crate) fn header_secrets(value: &str) -> Vec<String> {
    let value = value.trim();
    let mut secrets = vec![value.to_owned()];
    if let Some(last) = value.split_whitespace().last() {
        if last != value {
            secrets.push(last.to_owned());
        }
    }
    secrets
}

/// Query (and fragment) parameters whose values are secrets: any name containing one of these,
/// ignoring case, `-`, `_` and `.` (`api-key`, `key`, `access_token`, `X-Amz-Signature`...).
const SECRET_PARAM_PARTS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "signature",
    "credential",
    "session",
];

/// Parameters with these exact names are secrets too (Azure SAS `sig`, OAuth `code`).
const SECRET_PARAM_NAMES: &[&str] = &["sig", "code", "pass"];

fn is_secret_param(name: &str) -> bool {
    let name: String = percent_decode(name)
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_PARAM_PARTS.iter().any(|part| name.contains(part))
        || SECRET_PARAM_NAMES.contains(&name.as_str())
}

/// The parts of a URL: before the user info, the user info, then host and path, query and
/// fragment (without their `?` and `#`).
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host_and_path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split_url(url: &str) -> UrlParts<'_> {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    // The last `@` before the query: a password with an unescaped `/` must not leak as a path.
    let (userinfo, host_and_path) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at..]),
        None => (None, rest),
    };
    UrlParts {
        scheme,
        userinfo,
        host_and_path,
        query,
        fragment,
    }
}

/// `url` fit to show: its user info (`user:password@`) and the values of key-like query
/// parameters (`?api-key=`, `?key=`, `?token=`, ...) replaced by `[redacted]`.
pub(crate) fn redact_url(url: &str) -> String {
    let parts = split_url(url);
    let mut out = String::with_capacity(url.len());
    out.push_str(parts.scheme);
    if parts.userinfo.is_some() {
        out.push_str(REDACTED);
    }
    out.push_str(parts.host_and_path);
    let params = |out: &mut String, params: &str| {
        for (i, pair) in params.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(pair),
            }
        }
    };
    if let Some(query) = parts.query {
        out.push('?');
        params(&mut out, query);
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        params(&mut out, fragment);
    }
    out
}

/// The secrets in `url`, to remove from messages: the user info (whole, the user and password
/// apart, and as the `Authorization: Basic` value HTTP clients send for it) and the values of
/// key-like parameters, as written and percent-decoded.
#[cfg_attr(not(feature = "__http"), allow(dead_code))]
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let parts = split_url(url);
    let mut raw: Vec<&str> = Vec::new();
    let mut basic = None;
    if let Some(userinfo) = parts.userinfo {
        let decoded = percent_decode(userinfo);
        basic = Some(if decoded.contains(':') {
            base64(decoded.as_bytes())
        } else {
            base64(format!("{decoded}:").as_bytes())
        });
        raw.push(userinfo);
        if let Some((user, password)) = userinfo.split_once(':') {
            raw.push(user);
            raw.push(password);
        }
    }
    for params in parts.query.into_iter().chain(parts.fragment) {
        for pair in params.split('&') {
            if let Some((name, value)) = pair.split_once('=') {
                if is_secret_param(name) {
                    raw.push(value);
                }
            }
        }
    }
    let mut secrets = Vec::with_capacity(raw.len() * 2);
    for secret in raw.into_iter().filter(|s| !s.is_empty()) {
        let decoded = percent_decode(secret);
        if decoded != secret {
            secrets.push(decoded);
        }
        secrets.push(secret.to_owned());
    }
    secrets.extend(basic);
    secrets
}

/// Standard base64 with padding (how `Authorization: Basic` carries `user:password`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `%XX` escapes (and `+`) decoded; invalid escapes and bytes kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts() {
        let key = ApiKey::new("sk-secret");
        assert!(!format!("{key:?} {key} {:?}", Some(&key)).contains("sk-secret"));
        assert!(ApiKey::new("  ").is_empty());
    }

    #[cfg(feature = "__http")]
    #[test]
    fn scrubs() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(
            key.scrub("bad key sk-secret given".into()),
            "bad key [redacted] given"
        );
        assert_eq!(scrub(None, "sk-secret".into()), "sk-secret");
    }

    #[cfg(feature = "__http")]
    #[test]
    fn short_keys_do_not_mangle_messages() {
        let message = "This model's maximum context length is 4096 tokens";
        for short in ["x", "e", "none", "EMPTY", "sk-1234"] {
            assert_eq!(ApiKey::new(short).scrub(message.into()), message, "{short}");
        }
        let key = ApiKey::new("sk-12345");
        assert_eq!(key.scrub("bad sk-12345".into()), "bad [redacted]");
    }

    #[cfg(feature = "__http")]
    #[test]
    fn scrubs_header_values_and_url_secrets_with_the_key() {
        let mut others = header_secrets("Bearer proxy-token-123456");
        others.extend(header_secrets("azure-key-abcdef"));
        others.extend(url_secrets(
            "https://bob:hunter2-pass@h/v1?api-key=q-key-7890&v=1",
        ));
        let key = ApiKey::scrubber(Some(&ApiKey::new("sk-live-abcdef")), others).unwrap();
        let text = "sk-live-abcdef proxy-token-123456 azure-key-abcdef hunter2-pass q-key-7890 \
                    bob:hunter2-pass";
        let scrubbed = key.scrub(text.into());
        for secret in ["abcdef", "123456", "hunter2", "7890", "bob:"] {
            assert!(!scrubbed.contains(secret), "{secret} in {scrubbed}");
        }
        // Without a key, header values are still removed.
        let only = ApiKey::scrubber(None, header_secrets("azure-key-abcdef")).unwrap();
        assert_eq!(only.scrub("k=azure-key-abcdef".into()), "k=[redacted]");
        assert!(ApiKey::scrubber(None, vec!["short".into()]).is_none());
        // The extra secrets are not part of the key.
        assert_eq!(key, ApiKey::new("sk-live-abcdef"));
        assert_eq!(key.expose(), "sk-live-abcdef");
    }

    #[cfg(feature = "__http")]
    #[test]
    fn scrubs_a_key_cut_at_the_end_of_a_shortened_message() {
        let key = ApiKey::new("sk-live-abcdefghijkl");
        assert_eq!(
            key.scrub("you sent sk-live-abcd...".into()),
            "you sent [redacted]..."
        );
        // Too short a start to tell, or not a start of the key: kept.
        assert_eq!(key.scrub("you sent sk-...".into()), "you sent sk-...");
        assert_eq!(key.scrub("and so on...".into()), "and so on...");
    }

    #[test]
    fn urls_lose_user_info_and_key_like_parameters() {
        let cases = [
            ("https://user:pass@host/v1", "https://[redacted]@host/v1"),
            ("https://token@host", "https://[redacted]@host"),
            (
                "https://h/openai?api-version=2024-06-01&api-key=abc123",
                "https://h/openai?api-version=2024-06-01&api-key=[redacted]",
            ),
            (
                "http://h/v1?key=k&token=t&x=1",
                "http://h/v1?key=[redacted]&token=[redacted]&x=1",
            ),
            (
                "http://h/?Access_Token=t#sig=s",
                "http://h/?Access_Token=[redacted]#sig=[redacted]",
            ),
            ("http://u:p/ss@h/v1", "http://[redacted]@h/v1"),
            ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
            ("http://h/v1?key=", "http://h/v1?key="),
            ("not a url", "not a url"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        let secrets = url_secrets("https://me:p%40ss@h/?api_key=a%2Bb&v=2");
        for s in ["me:p%40ss", "me", "p%40ss", "p@ss", "a%2Bb", "a+b"] {
            assert!(secrets.contains(&s.to_owned()), "{s} not in {secrets:?}");
        }
        assert!(!secrets.contains(&"2".to_owned()));
        // What reqwest sends as `Authorization: Basic` for `me:p@ss`.
        assert!(secrets.contains(&"bWU6cEBzcw==".to_owned()), "{secrets:?}");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"bob:pw-FAKE-5151515151"),
            "Ym9iOnB3LUZBS0UtNTE1MTUxNTE1MQ=="
        );
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
