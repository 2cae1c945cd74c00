//! An incremental parser for server-sent events (`text/event-stream`), with a size limit.

use crate::lm::{LmError, ResponseLimit};

/// One event: its `event:` name (empty when absent) and its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SseEvent {
    pub(crate) event: String,
    pub(crate) data: String,
}

/// Feeds bytes in, gets whole events out; lines may be split anywhere across chunks.
///
/// A line, or an event's data, longer than `max` bytes is an error
/// ([`LmError::ResponseTooLarge`]): memory stays bounded by `max` plus one chunk.
#[derive(Debug)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    current: SseEvent,
    has_fields: bool,
    saw_data: bool,
    max: usize,
}

impl SseParser {
    /// A parser for lines and events of at most `max` bytes.
    pub(crate) fn new(max: usize) -> SseParser {
        SseParser {
            buf: Vec::new(),
            current: SseEvent::default(),
            has_fields: false,
            saw_data: false,
            max,
        }
    }

    /// Adds a chunk; appends every event it completes to `out` (also those before an error).
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), LmError> {
        // The bytes already held have no newline: look for one in the new bytes only.
        let mut from = self.buf.len();
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        let mut result = Ok(());
        while let Some(offset) = self.buf[from..].iter().position(|&b| b == b'\n') {
            let end = from + offset;
            let mut line = &self.buf[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.len() > self.max {
                result = Err(self.too_large());
                break;
            }
            let line = String::from_utf8_lossy(line).into_owned();
            start = end + 1;
            from = start;
            result = self.line(&line, out);
            if result.is_err() {
                break;
            }
        }
        self.buf.drain(..start);
        result?;
        if self.buf.len() > self.max {
            return Err(self.too_large());
        }
        Ok(())
    }

    /// The stream ended: a last event without its blank line still counts.
    pub(crate) fn finish(&mut self, out: &mut Vec<SseEvent>) -> Result<(), LmError> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest).into_owned();
            self.line(line.trim_end_matches('\r'), out)?;
        }
        self.dispatch(out);
        Ok(())
    }

    fn too_large(&self) -> LmError {
        LmError::ResponseTooLarge {
            limit: ResponseLimit::StreamEvent,
            max_bytes: self.max,
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) -> Result<(), LmError> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(()); // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                let added = value.len() + usize::from(self.saw_data);
                if added > self.max.saturating_sub(self.current.data.len()) {
                    return Err(self.too_large());
                }
                if self.saw_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.saw_data = true;
                self.has_fields = true;
            }
            "event" => {
                self.current.event = value.to_owned();
                self.has_fields = true;
            }
            _ => {} // id, retry and unknown fields don't matter here
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_fields {
            out.push(std::mem::take(&mut self.current));
            self.has_fields = false;
            self.saw_data = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(text: &str, size: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new(usize::MAX);
        let mut out = Vec::new();
        for piece in text.as_bytes().chunks(size) {
            parser.push(piece, &mut out).unwrap();
        }
        parser.finish(&mut out).unwrap();
        out
    }

    /// Feeds `text` in `size`-byte pieces to a parser limited to `max`; the events before the
    /// first error, and the error.
    fn parse_limited(text: &[u8], size: usize, max: usize) -> (Vec<SseEvent>, Option<LmError>) {
        let mut parser = SseParser::new(max);
        let mut out = Vec::new();
        for piece in text.chunks(size) {
            if let Err(e) = parser.push(piece, &mut out) {
                return (out, Some(e));
            }
        }
        let err = parser.finish(&mut out).err();
        (out, err)
    }

    fn too_large(max: usize) -> Option<LmError> {
        Some(LmError::ResponseTooLarge {
            limit: ResponseLimit::StreamEvent,
            max_bytes: max,
        })
    }

    #[test]
    fn lines_and_events_up_to_the_limit_pass() {
        // "data: " + 10 bytes = a 16-byte line; data of 10 bytes.
        let text = b"data: 0123456789\n\ndata: 01234\ndata: 0123\n\n";
        for size in 1..text.len() {
            let (events, err) = parse_limited(text, size, 16);
            assert_eq!(err, None, "size {size}");
            assert_eq!(events.len(), 2);
            assert_eq!(events[1].data, "01234\n0123");
        }
    }

    #[test]
    fn a_long_line_is_an_error_in_any_split() {
        let mut text = b"data: ok\n\ndata: ".to_vec();
        text.extend_from_slice(&[b'x'; 100]);
        text.extend_from_slice(b"\n\n");
        for size in [1, 7, 64, text.len()] {
            let (events, err) = parse_limited(&text, size, 32);
            assert_eq!(err, too_large(32), "size {size}");
            assert_eq!(events.len(), 1, "the event before still counts");
            assert_eq!(events[0].data, "ok");
        }
    }

    #[test]
    fn a_line_that_never_ends_is_cut_at_the_limit() {
        let mut parser = SseParser::new(1000);
        let mut out = Vec::new();
        let chunk = [b'x'; 300];
        let mut fed = 0;
        let err = loop {
            match parser.push(&chunk, &mut out) {
                Ok(()) => fed += chunk.len(),
                Err(e) => break e,
            }
            assert!(fed < 10_000, "never stopped");
        };
        assert_eq!(Some(err), too_large(1000));
        assert!(fed <= 1000);
        assert!(parser.buf.len() <= 1000 + chunk.len());
    }

    #[test]
    fn many_short_data_lines_add_up_to_an_error() {
        let text = "data: 0123456789\n".repeat(20);
        let (events, err) = parse_limited(text.as_bytes(), 5, 100);
        assert_eq!(err, too_large(100));
        assert!(events.is_empty());
        // A blank line in between resets the count: each event is small.
        let text = "data: 0123456789\n\n".repeat(20);
        let (events, err) = parse_limited(text.as_bytes(), 5, 100);
        assert_eq!((events.len(), err), (20, None));
    }

    #[test]
    fn events_survive_any_split() {
        let text = ": keep-alive\r\nevent: delta\r\ndata: {\"a\":\"é\"}\r\n\r\ndata: one\ndata: two\n\ndata: [DONE]\n\n";
        for size in 1..text.len() {
            let events = parse_in_pieces(text, size);
            assert_eq!(events.len(), 3, "size {size}");
            assert_eq!(events[0].event, "delta");
            assert_eq!(events[0].data, "{\"a\":\"é\"}");
            assert_eq!(events[1].data, "one\ntwo");
            assert_eq!(events[2].data, "[DONE]");
        }
    }

    #[test]
    fn last_event_without_blank_line() {
        let events = parse_in_pieces("data: x\n\ndata: tail", 3);
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].data, "tail");
    }

    /// Random bytes split at random places: never a panic, the same events however the bytes
    /// are split, and no event or held line over the limit. One batch of `PROPTEST_CASES`
    /// (400) by default; `DSPY_FUZZ_SECONDS=600` keeps drawing batches for that long.
    #[test]
    fn random_streams_in_random_pieces() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        let piece = prop_oneof![
            proptest::sample::select(vec![
                "data: ",
                "event: ",
                "id: 1",
                ":",
                "\n",
                "\r\n",
                "\r",
                "\n\n",
                "[DONE]",
                "{\"a\": 1}",
                "data:x",
                "retry: 5",
                "é",
                "\u{0}",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            proptest::collection::vec(any::<u8>(), 0..12),
        ];
        let stream = (
            proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat()),
            1usize..17,
            8usize..64,
        );
        let run = |bytes: &[u8], size: usize, max: usize| {
            let mut parser = SseParser::new(max);
            let mut out = Vec::new();
            let mut failed = false;
            for chunk in bytes.chunks(size) {
                if parser.push(chunk, &mut out).is_err() {
                    failed = true;
                    break;
                }
            }
            if !failed {
                failed = parser.finish(&mut out).is_err();
            }
            (out, failed)
        };
        dspy_testkit::fuzz::for_a_while(|| {
            let mut runner = TestRunner::new(Config {
                cases: dspy_testkit::fuzz::proptest_cases(),
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&stream, |(bytes, size, max)| {
                    let (events, failed) = run(&bytes, size, max);
                    let (whole, whole_failed) = run(&bytes, bytes.len().max(1), max);
                    if !failed && !whole_failed {
                        prop_assert_eq!(&events, &whole);
                    }
                    for e in &events {
                        prop_assert!(e.data.len() <= max, "event over the limit");
                    }
                    Ok(())
                })
                .unwrap();
        });
    }
}
