//! One completion as a state machine: given the logits after what the model has seen, pick
//! the next token and say what the model must see next (or that the completion is done).
//!
//! [`Decoding::step`] never runs the model itself, so the engine can run many completions'
//! next tokens in one batched forward pass.

use crate::guard::{FormatState, Step};
use crate::model::KvCache;
use crate::sampler::{Sampler, SamplingParams};
use crate::tokenizer::Tokenizer;

use super::{Completion, Finish, GenerateParams, GenerateStats};

/// What decoding reads from the engine: the tokenizer and its tables.
#[derive(Debug)]
pub(super) struct Vocab {
    pub tokenizer: Tokenizer,
    /// Each token's bytes (empty for control tokens and ids past the vocabulary).
    pub bytes: Vec<Vec<u8>>,
    /// Ids that end generation (EOS and other control tokens such as `<|im_end|>`).
    pub stop_ids: Vec<u32>,
}

/// What the model must do next for a completion.
#[derive(Debug)]
pub(super) enum Next {
    /// Run these tokens after the cache's and step again with the logits after the last one.
    Feed(Vec<u32>),
    /// The completion is finished.
    Done(Completion),
}

/// A completion being sampled: its text so far and the guard's state.
#[derive(Debug)]
pub(super) struct Decoding {
    sampler: Sampler,
    text: Text,
    format: Option<FormatState>,
    /// Stop sequences are looked for only after this byte (the text the engine wrote itself
    /// comes before).
    prefix_len: usize,
    truncated: bool,
    /// The longest stop sequence, in bytes.
    max_stop: usize,
    /// Cache positions before the completion (the prompt's tokens).
    base: usize,
}

impl Decoding {
    /// A completion after a prompt of `base` tokens and the `forced` tokens that follow it
    /// (both already in the cache).
    pub fn new(
        vocab: &Vocab,
        base: usize,
        forced: &[u32],
        sampling: SamplingParams,
        params: &GenerateParams,
    ) -> Decoding {
        let mut text = Text::default();
        for &t in forced {
            text.push(&vocab.tokenizer.token_bytes(t));
        }
        let format = params
            .chat_format
            .as_ref()
            .filter(|f| !f.fields.is_empty())
            .map(|f| FormatState::new(f, text.bytes.len()));
        let max_stop = params
            .stop
            .iter()
            .chain(&params.stop_inclusive)
            .map(String::len)
            .max()
            .unwrap_or(0);
        Decoding {
            sampler: Sampler::new(sampling),
            prefix_len: text.bytes.len(),
            text,
            format,
            truncated: false,
            max_stop,
            base,
        }
    }

    /// Samples after `logits` (which follow the last token `cache` holds) and says what comes
    /// next. May cut `cache` back (when the guard rewrites the text); never runs the model.
    pub fn step(
        &mut self,
        vocab: &Vocab,
        cache: &mut KvCache,
        mut logits: Vec<f32>,
        params: &GenerateParams,
        stats: &mut GenerateStats,
    ) -> Next {
        let text = &mut self.text;
        if text.tokens() >= params.max_tokens {
            return self.done(Finish::Length);
        }
        if let Some(state) = &self.format {
            state.mask(&text.bytes, &vocab.bytes, &vocab.stop_ids, &mut logits);
        }
        let next = self.sampler.sample(&logits);
        stats.sampled_tokens += 1;
        let step = if vocab.stop_ids.contains(&next) {
            match self.format.as_mut() {
                Some(state) => state.at_end_of_turn(&text.bytes),
                None => return self.done(Finish::Stop),
            }
        } else {
            let piece = vocab.tokenizer.token_bytes(next);
            let from = text
                .bytes
                .len()
                .saturating_sub(self.max_stop + 1)
                .max(self.prefix_len);
            text.push(&piece);
            let window = &text.bytes[from..];
            if let Some(end) = find_stop(window, &params.stop, &params.stop_inclusive) {
                text.bytes.truncate(from + end);
                return self.done(Finish::Stop);
            }
            match self.format.as_mut() {
                Some(state) => match state.after_token(&text.bytes) {
                    Step::Continue if text.tokens() + state.reserve() >= params.max_tokens => {
                        // Out of room for this value: cut it, keep the structure.
                        self.truncated = true;
                        state.end_value(&text.bytes, text.bytes.len())
                    }
                    step => step,
                },
                None => Step::Continue,
            }
        };
        match step {
            Step::Continue => {
                if text.tokens() >= params.max_tokens
                    || cache.tokens().len() + 1 >= cache.capacity()
                {
                    return self.done(Finish::Length);
                }
                Next::Feed(vec![next])
            }
            Step::Finish { keep, text: marker } => {
                // The kept text's last partial token and the marker, counted as tokens.
                let cached = cache.tokens().len() - self.base;
                let tail = text.cut(keep, cached, &marker);
                let tokens = vocab.tokenizer.encode_plain_text(&tail);
                text.push_forced(&tail, tokens.len());
                let finish = if self.truncated {
                    Finish::Length
                } else {
                    Finish::Stop
                };
                self.done(finish)
            }
            Step::Rewrite { keep, text: header } => {
                // Drop the cached tokens past the kept text (the last sampled token is not
                // cached yet), then feed what is missing and the next header.
                let cached = cache.tokens().len() - self.base;
                let tail = text.cut(keep, cached, &header);
                cache.truncate(self.base + text.ends.len());
                let tokens = vocab.tokenizer.encode_plain_text(&tail);
                if cache.tokens().len() + tokens.len() + 1 >= cache.capacity() {
                    text.push_forced(&tail, tokens.len());
                    return self.done(Finish::Length);
                }
                for &t in &tokens {
                    text.push(&vocab.tokenizer.token_bytes(t));
                }
                self.prefix_len = text.bytes.len();
                if let Some(state) = self.format.as_mut() {
                    state.set_value_start(text.bytes.len());
                }
                stats.prefill_tokens += tokens.len();
                Next::Feed(tokens)
            }
        }
    }

    fn done(&mut self, finish: Finish) -> Next {
        let text = std::mem::take(&mut self.text);
        Next::Done(Completion {
            tokens: text.tokens(),
            text: String::from_utf8_lossy(&text.bytes).into_owned(),
            finish,
        })
    }
}

/// A completion's bytes and where each of its tokens ends.
#[derive(Debug, Default)]
struct Text {
    bytes: Vec<u8>,
    /// End offset of each token in `bytes`.
    ends: Vec<usize>,
    /// Tokens appended as text only (a final marker), not run through the model.
    extra_tokens: usize,
}

impl Text {
    fn push(&mut self, piece: &[u8]) {
        self.bytes.extend_from_slice(piece);
        self.ends.push(self.bytes.len());
    }

    fn push_forced(&mut self, s: &str, tokens: usize) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.extra_tokens += tokens;
    }

    fn tokens(&self) -> usize {
        self.ends.len() + self.extra_tokens
    }

    /// End of the last whole token kept.
    fn cached_end(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Cuts the text to its first `keep` bytes, keeping at most `cached` whole tokens (the
    /// ones the model has seen) and none that ends inside a UTF-8 character; returns the kept
    /// bytes past those tokens followed by `append`, to be encoded and added back.
    fn cut(&mut self, keep: usize, cached: usize, append: &str) -> String {
        let keep = keep.min(self.bytes.len());
        let mut k = self
            .ends
            .iter()
            .take_while(|&&e| e <= keep)
            .count()
            .min(cached);
        while k > 0
            && self
                .bytes
                .get(self.ends[k - 1])
                .is_some_and(|b| b & 0xC0 == 0x80)
        {
            k -= 1;
        }
        self.ends.truncate(k);
        let tail = format!(
            "{}{append}",
            String::from_utf8_lossy(&self.bytes[self.cached_end()..keep])
        );
        self.bytes.truncate(self.cached_end());
        tail
    }
}

#[cfg(test)]
mod text_tests {
    use super::Text;

    fn text(pieces: &[&str]) -> Text {
        let mut t = Text::default();
        for p in pieces {
            t.push(p.as_bytes());
        }
        t
    }

    #[test]
    fn cut_keeps_whole_cached_tokens_and_returns_the_rest() {
        let mut t = text(&["[[ ## a ## ]]\n", "Par", "is", "\n\n[["]);
        // The last token was sampled but not run through the model: 3 cached.
        let keep = "[[ ## a ## ]]\nParis".len();
        let tail = t.cut(keep, 3, "\n\n[[ ## b ## ]]\n");
        assert_eq!(tail, "\n\n[[ ## b ## ]]\n");
        assert_eq!(t.ends.len(), 3);
        assert_eq!(t.bytes, b"[[ ## a ## ]]\nParis");
    }

    #[test]
    fn cut_never_keeps_an_uncached_token() {
        // A value cut for want of room ends with the token just sampled: it is fed again.
        let mut t = text(&["[[ ## a ## ]]\n", "Par", "is"]);
        let tail = t.cut(t.bytes.len(), 2, "!");
        assert_eq!(tail, "is!");
        assert_eq!(t.ends.len(), 2);
        assert_eq!(t.bytes, b"[[ ## a ## ]]\nPar");
    }

    #[test]
    fn cut_steps_back_over_a_split_character() {
        // "é" (0xC3 0xA9) split across two tokens; keeping one byte of it is not allowed.
        let mut t = Text::default();
        t.push(b"x");
        t.push(&[0xC3]);
        t.push(&[0xA9, b'y']);
        let tail = t.cut(3, 3, "");
        assert_eq!(t.ends.len(), 1);
        assert_eq!(tail, "é");
    }
}

/// The end of the kept text if a stop sequence occurs in `window`: before an exclusive stop, after
/// an inclusive one; the earliest occurrence wins.
fn find_stop(window: &[u8], exclusive: &[String], inclusive: &[String]) -> Option<usize> {
    let find = |needle: &[u8]| {
        (!needle.is_empty() && needle.len() <= window.len())
            .then(|| window.windows(needle.len()).position(|w| w == needle))
            .flatten()
    };
    let mut best: Option<(usize, usize)> = None; // (start, keep_end)
    for s in exclusive {
        if let Some(at) = find(s.as_bytes()) {
            if best.is_none_or(|(b, _)| at < b) {
                best = Some((at, at));
            }
        }
    }
    for s in inclusive {
        if let Some(at) = find(s.as_bytes()) {
            if best.is_none_or(|(b, _)| at < b) {
                best = Some((at, at + s.len()));
            }
        }
    }
    best.map(|(_, end)| end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_cut_before_exclusive_and_after_inclusive() {
        let ex = vec!["STOP".to_string()];
        let inc = vec!["[[ ## completed ## ]]".to_string()];
        assert_eq!(find_stop(b"abc STOP def", &ex, &inc), Some(4));
        assert_eq!(
            find_stop(b"x [[ ## completed ## ]] STOP", &ex, &inc),
            Some(23)
        );
        assert_eq!(find_stop(b"nothing", &ex, &inc), None);
        assert_eq!(find_stop(b"", &[String::new()], &[]), None);
    }
}
