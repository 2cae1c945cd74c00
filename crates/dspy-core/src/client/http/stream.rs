//! Turning a server-sent-events response into a stream of text deltas.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, Stream};

use super::sse::{SseEvent, SseParser};
use super::{body_error, request_error};
use crate::lm::{BoxFuture, LmError};

/// What one event means to a provider's stream decoder.
#[derive(Debug)]
pub(crate) enum StreamStep {
    /// Text to hand to the caller (empty deltas are dropped).
    Delta(String),
    /// Nothing for the caller (role announcements, pings, usage).
    Skip,
    /// The provider's end marker (`[DONE]`, `message_stop`).
    Done,
    /// The provider reported an error inside the stream.
    Fail(LmError),
}

struct Reading<D> {
    response: reqwest::Response,
    parser: SseParser,
    events: Vec<SseEvent>,
    pending: VecDeque<Result<String, LmError>>,
    ended: bool,
    decode: D,
}

enum State<D> {
    Opening(BoxFuture<'static, Result<reqwest::Response, LmError>>, D),
    Reading(Box<Reading<D>>),
    Finished,
}

impl<D: FnMut(&SseEvent) -> StreamStep> Reading<D> {
    fn take_events(&mut self) {
        for event in self.events.drain(..) {
            if self.ended {
                break;
            }
            match (self.decode)(&event) {
                StreamStep::Delta(text) if !text.is_empty() => self.pending.push_back(Ok(text)),
                StreamStep::Delta(_) | StreamStep::Skip => {}
                StreamStep::Done => self.ended = true,
                StreamStep::Fail(err) => {
                    self.pending.push_back(Err(err));
                    self.ended = true;
                }
            }
        }
        self.events.clear();
    }

    /// Ends the stream with `err`, unless it already ended.
    fn fail(&mut self, err: LmError) {
        if !self.ended {
            self.pending.push_back(Err(err));
            self.ended = true;
        }
    }
}

/// The text deltas of the response `open` yields, decoded event by event with `decode`.
///
/// Ends after the provider's end marker; a stream that stops before it ends with a
/// [`LmError::Transport`] (or [`LmError::Timeout`]) item, and a line or event longer than
/// `max_event` bytes with [`LmError::ResponseTooLarge`]. Nothing follows an error item.
pub(crate) fn text_stream<D>(
    open: BoxFuture<'static, Result<reqwest::Response, LmError>>,
    endpoint: Arc<str>,
    timeout: Duration,
    max_event: usize,
    decode: D,
) -> impl Stream<Item = Result<String, LmError>> + Send + 'static
where
    D: FnMut(&SseEvent) -> StreamStep + Send + 'static,
{
    stream::unfold(State::Opening(open, decode), move |state| {
        let endpoint = endpoint.clone();
        async move {
            let mut reading = match state {
                State::Finished => return None,
                State::Opening(open, decode) => match open.await {
                    Ok(response) => Box::new(Reading {
                        response,
                        parser: SseParser::new(max_event),
                        events: Vec::new(),
                        pending: VecDeque::new(),
                        ended: false,
                        decode,
                    }),
                    Err(err) => return Some((Err(err), State::Finished)),
                },
                State::Reading(reading) => reading,
            };
            loop {
                if let Some(item) = reading.pending.pop_front() {
                    let next = if item.is_err() {
                        State::Finished
                    } else {
                        State::Reading(reading)
                    };
                    return Some((item, next));
                }
                if reading.ended {
                    return None;
                }
                match reading.response.chunk().await {
                    Ok(Some(bytes)) => {
                        let Reading { parser, events, .. } = &mut *reading;
                        let pushed = parser.push(&bytes, events);
                        reading.take_events();
                        if let Err(err) = pushed {
                            reading.fail(err);
                        }
                    }
                    Ok(None) => {
                        let Reading { parser, events, .. } = &mut *reading;
                        let finished = parser.finish(events);
                        reading.take_events();
                        reading.fail(finished.err().unwrap_or_else(|| LmError::Transport {
                            endpoint: endpoint.to_string(),
                            message: "the stream ended before the provider's end marker".to_owned(),
                        }));
                    }
                    Err(err) => {
                        let err = if err.is_timeout() {
                            body_error(err, &endpoint, timeout)
                        } else {
                            request_error(err, &endpoint, timeout)
                        };
                        reading.fail(err);
                    }
                }
            }
        }
    })
}
