//! `Retry-After` (delay in seconds or an HTTP date) and OpenAI's `retry-after-ms`.
//!
//! Whatever a server sends, the result is at most [`MAX_ASK`]: a huge number or a date far in
//! the future cannot overflow anything downstream. Whether the ask is honoured is the retry
//! layer's call (`RetryPolicy::retry_after_cap`).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The longest wait kept from a header (one day); longer asks are clamped to it.
pub(crate) const MAX_ASK: Duration = Duration::from_secs(86_400);

/// The wait a response asks for, if any, at most [`MAX_ASK`]. `retry-after-ms` wins over
/// `Retry-After`; dates in the past mean "now" (zero).
pub(crate) fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header_str(headers, "retry-after-ms").and_then(parse_number) {
        return Some(clamped_secs(ms / 1000.0));
    }
    let value = header_str(headers, "retry-after")?;
    match parse_number(value) {
        Some(secs) => Some(clamped_secs(secs)),
        None => {
            let at = parse_http_date(value)?;
            let wait = at.duration_since(now).unwrap_or(Duration::ZERO);
            Some(wait.min(MAX_ASK))
        }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// A non-negative decimal number (`"2"`, `"0.5"`, `"99999999999999999999999"`); no sign, no
/// exponent.
fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// `secs` as a duration, at most [`MAX_ASK`] (never panics: `secs` is finite and non-negative).
fn clamped_secs(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs.min(MAX_ASK.as_secs_f64())).unwrap_or(MAX_ASK)
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

    #[test]
    fn huge_asks_are_clamped_to_a_day_in_every_form() {
        let now = at(1_700_000_000);
        let ask = |name: &'static str, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            from_headers(&h, now)
        };
        assert_eq!(ask("retry-after", "3600"), Some(Duration::from_secs(3600)));
        for huge in [
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999999999999999999999",
            "1000000000000000.5",
        ] {
            assert_eq!(ask("retry-after", huge), Some(MAX_ASK), "{huge}");
            assert_eq!(ask("retry-after-ms", huge), Some(MAX_ASK), "{huge}");
        }
        // An hour in milliseconds is an hour, not clamped by the seconds rule first.
        assert_eq!(
            ask("retry-after-ms", "3600000"),
            Some(Duration::from_secs(3600))
        );
        // Far-future dates (IMF-fixdate and asctime; RFC 850's two-digit years are in the past).
        for date in [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Fri Dec 31 23:59:59 9999",
            "Sun, 01 Jan 2090 00:00:00 GMT",
        ] {
            assert_eq!(ask("retry-after", date), Some(MAX_ASK), "{date}");
        }
        for junk in ["1e9", "-1", "NaN", "inf", "1.2.3", ".", ""] {
            assert_eq!(ask("retry-after", junk), None, "{junk:?}");
        }
    }
}
