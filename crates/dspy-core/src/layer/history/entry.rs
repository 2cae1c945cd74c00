//! [`HistoryEntry`]: one recorded call.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dspy_adapters::Message;

use crate::lm::{LmRequest, LmResponse, Usage};

/// One answered call, as [`History`](super::History) keeps it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// The model the call was addressed to (DSPy's `model`).
    pub model: String,
    /// Messages and settings, with `api_*` keys removed from `extra`.
    pub request: LmRequest,
    /// The answer: completions, usage, the provider's model name, `cached`.
    pub response: LmResponse,
    /// How long the call took.
    pub latency: Duration,
    /// When the answer arrived.
    pub timestamp: SystemTime,
}

impl HistoryEntry {
    /// An entry; `api_*` keys in the request's `extra` are dropped.
    pub fn new(
        model: impl Into<String>,
        mut request: LmRequest,
        response: LmResponse,
        latency: Duration,
        timestamp: SystemTime,
    ) -> HistoryEntry {
        request.extra.retain(|k, _| !k.starts_with("api_"));
        HistoryEntry {
            model: model.into(),
            request,
            response,
            latency,
            timestamp,
        }
    }

    /// The messages sent.
    pub fn messages(&self) -> &[Message] {
        &self.request.messages
    }

    /// Each completion's text (DSPy's `outputs`).
    pub fn outputs(&self) -> impl Iterator<Item = &str> {
        self.response.choices.iter().map(|c| c.text.as_str())
    }

    /// Token counts (zero for cache hits).
    pub fn usage(&self) -> Usage {
        self.response.usage
    }

    /// Whether a cache answered.
    pub fn cached(&self) -> bool {
        self.response.cached
    }

    /// The timestamp as ISO 8601 in UTC with microseconds, like Python's `isoformat()`:
    /// `2024-05-01T12:34:56.123456`.
    pub fn timestamp_iso(&self) -> String {
        iso8601(self.timestamp)
    }
}

fn iso8601(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Year, month, day of the `days`-th day since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days end each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        let at = |s: u64, us: u32| iso8601(UNIX_EPOCH + Duration::new(s, us * 1000));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.000005");
        assert_eq!(at(1_709_251_199, 999_999), "2024-02-29T23:59:59.999999");
        assert_eq!(at(4_102_444_800, 0), "2100-01-01T00:00:00.000000");
    }
}
