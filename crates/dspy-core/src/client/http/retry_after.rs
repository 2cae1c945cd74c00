//! `Retry-After` (delay in seconds or an HTTP date) and OpenAI's `retry-after-ms`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The wait a response asks for, if any. `retry-after-ms` wins over `Retry-After`; dates in the
/// past mean "now" (zero).
pub(crate) fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header_str(headers, "retry-after-ms").and_then(parse_seconds) {
        return Some(ms / 1000);
    }
    let value = header_str(headers, "retry-after")?;
    parse_seconds(value).or_else(|| {
        let at = parse_http_date(value)?;
        Some(at.duration_since(now).unwrap_or(Duration::ZERO))
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// A non-negative decimal number of seconds (`"2"`, `"0.5"`), capped at one day.
fn parse_seconds(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let secs: f64 = text.parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(86_400.0)))
}

/// Parses the three HTTP date formats of RFC 9110 (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`,
/// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`, asctime `Sun Nov  6 08:49:37 1994`) with `httpdate`.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn http_dates_in_all_three_formats() {
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(at(784_111_777))
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(at(784_111_777))
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(at(784_111_777))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(at(1_835_438_400))
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn headers_seconds_date_and_ms() {
        let mut h = HeaderMap::new();
        assert_eq!(from_headers(&h, at(0)), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(from_headers(&h, at(0)), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("0.25"));
        assert_eq!(from_headers(&h, at(0)), Some(Duration::from_millis(250)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:30 GMT"),
        );
        assert_eq!(from_headers(&h, at(10)), Some(Duration::from_secs(20)));
        assert_eq!(from_headers(&h, at(100)), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(from_headers(&h, at(0)), None);
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(from_headers(&h, at(0)), Some(Duration::from_millis(1500)));
    }
}
