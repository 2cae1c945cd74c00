//! An incremental parser for server-sent events (`text/event-stream`).

/// One event: its `event:` name (empty when absent) and its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SseEvent {
    pub(crate) event: String,
    pub(crate) data: String,
}

/// Feeds bytes in, gets whole events out; lines may be split anywhere across chunks.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    current: SseEvent,
    has_fields: bool,
    saw_data: bool,
}

impl SseParser {
    /// Adds a chunk; appends every event it completes to `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(offset) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + offset;
            let mut line = &self.buf[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            let line = String::from_utf8_lossy(line).into_owned();
            self.line(&line, out);
            start = end + 1;
        }
        self.buf.drain(..start);
    }

    /// The stream ended: a last event without its blank line still counts.
    pub(crate) fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest).into_owned();
            self.line(line.trim_end_matches('\r'), out);
        }
        self.dispatch(out);
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return; // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
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
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for piece in text.as_bytes().chunks(size) {
            parser.push(piece, &mut out);
        }
        parser.finish(&mut out);
        out
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
}
