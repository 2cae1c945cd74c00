//! One model, its tokenizer, template and KV cache: turns chat messages into completions.

use std::path::Path;
use std::time::{Duration, Instant};

use dspy_adapters::Message;

use crate::error::LocalError;
use crate::guard::{ChatFormat, FormatState, Step};
use crate::model::{Gguf, KvCache, Llama};
use crate::sampler::{Sampler, SamplingParams};
use crate::template::{ChatTemplate, CHATML};
use crate::tokenizer::Tokenizer;

pub use crate::guard::COMPLETED_MARKER;

/// What to generate for one prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    /// Most tokens per completion (the forced prefix included).
    pub max_tokens: usize,
    /// Completions to make.
    pub n: usize,
    /// Stop sequences (not included in the output).
    pub stop: Vec<String>,
    /// Sampling settings; completion `i` uses seed `seed + i`.
    pub sampling: SamplingParams,
    /// Text every completion must start with (fed to the model, returned in the output).
    pub forced_prefix: Option<String>,
    /// Stop sequences kept in the output (e.g. [`COMPLETED_MARKER`]).
    pub stop_inclusive: Vec<String>,
    /// Keep completions in DSPy's chat format (see [`crate::guard`]); replaces `forced_prefix`.
    pub chat_format: Option<ChatFormat>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            max_tokens: 256,
            n: 1,
            stop: Vec::new(),
            sampling: SamplingParams::default(),
            forced_prefix: None,
            stop_inclusive: Vec::new(),
            chat_format: None,
        }
    }
}

/// Why a completion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// End-of-sequence token or a stop sequence.
    Stop,
    /// `max_tokens` or the context window reached.
    Length,
}

/// One completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The text (forced prefix included).
    pub text: String,
    /// Tokens in this completion (forced prefix included).
    pub tokens: usize,
    /// Why it ended.
    pub finish: Finish,
}

/// Timings and counts of one [`Engine::generate`] call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateStats {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens whose KV came from the cache.
    pub reused_tokens: usize,
    /// Tokens run through the model in prefill (prompt and forced prefixes).
    pub prefill_tokens: usize,
    /// Time spent in prefill.
    pub prefill_time: Duration,
    /// Tokens sampled.
    pub sampled_tokens: usize,
    /// Time spent sampling tokens (one forward each).
    pub decode_time: Duration,
}

/// The result of [`Engine::generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// `n` completions.
    pub completions: Vec<Completion>,
    /// Counts and timings.
    pub stats: GenerateStats,
}

/// A loaded model ready to generate.
#[derive(Debug)]
pub struct Engine {
    model: Llama,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    cache: KvCache,
    /// Ids that end generation (EOS and other control tokens such as `<|im_end|>`).
    stop_ids: Vec<u32>,
    /// Each token's bytes (empty for control tokens and ids past the vocabulary).
    vocab: Vec<Vec<u8>>,
}

impl Engine {
    /// Loads a GGUF model with a KV cache of `context_length` positions (capped at the model's).
    pub fn load(
        path: &Path,
        context_length: usize,
        chat_template: Option<&str>,
    ) -> Result<Engine, LocalError> {
        let mut g = Gguf::open(path)?;
        let model_kind = g.string("tokenizer.ggml.model")?;
        if model_kind != "gpt2" {
            return Err(LocalError::Tokenizer {
                message: format!(
                    "tokenizer model {model_kind:?} is not supported (only gpt2 byte-level BPE)"
                ),
            });
        }
        let tokens = g.strings("tokenizer.ggml.tokens")?;
        let types = g.i32s("tokenizer.ggml.token_type").unwrap_or_default();
        let merges = g.strings("tokenizer.ggml.merges")?;
        let bos = g
            .usize("tokenizer.ggml.bos_token_id")
            .ok()
            .map(|x| x as u32);
        let eos = g
            .usize("tokenizer.ggml.eos_token_id")
            .ok()
            .map(|x| x as u32);
        let add_bos = g.bool_or("tokenizer.ggml.add_bos_token", false);
        let tokenizer = Tokenizer::new(tokens, &types, &merges, bos, eos, add_bos)?;
        let special_text = |id: Option<u32>| {
            id.and_then(|i| tokenizer.token_str(i))
                .unwrap_or_default()
                .to_string()
        };
        let (bos_text, eos_text) = (special_text(bos), special_text(eos));
        let source = match chat_template {
            Some(t) => t.to_string(),
            None => g
                .string("tokenizer.chat_template")
                .unwrap_or_else(|_| CHATML.to_string()),
        };
        let template = ChatTemplate::new(&source, &bos_text, &eos_text)?;
        let mut stop_ids: Vec<u32> = eos.into_iter().collect();
        for name in ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>"] {
            if let Some(id) = tokenizer.token_id(name) {
                if !stop_ids.contains(&id) {
                    stop_ids.push(id);
                }
            }
        }
        let model = Llama::load(&mut g)?;
        if model.config().vocab_size < tokenizer.vocab_size() {
            return Err(LocalError::Model {
                message: format!(
                    "the output head has {} rows but the vocabulary {} tokens",
                    model.config().vocab_size,
                    tokenizer.vocab_size()
                ),
            });
        }
        let cache = model.new_cache(context_length)?;
        let vocab = (0..model.config().vocab_size as u32)
            .map(|id| tokenizer.token_bytes(id))
            .collect();
        Ok(Engine {
            model,
            tokenizer,
            template,
            cache,
            stop_ids,
            vocab,
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The model.
    pub fn model(&self) -> &Llama {
        &self.model
    }

    /// Context window (KV cache positions).
    pub fn context_length(&self) -> usize {
        self.cache.capacity()
    }

    /// Renders messages with the chat template and tokenizes them.
    pub fn prompt_tokens(&self, messages: &[Message]) -> Result<Vec<u32>, LocalError> {
        let text = self.template.render(messages)?;
        Ok(self.tokenizer.encode(&text))
    }

    /// The tokens whose keys and values the cache holds, in order.
    pub fn cached_tokens(&self) -> &[u32] {
        self.cache.tokens()
    }

    /// Empties the KV cache.
    pub fn reset_cache(&mut self) {
        self.cache.truncate(0);
    }

    /// Brings the cache to hold exactly `tokens` and returns the logits after the last one,
    /// reusing the longest cached prefix. Returns the logits and how many tokens were reused.
    fn prefill(&mut self, tokens: &[u32]) -> Result<(Vec<f32>, usize), LocalError> {
        if tokens.is_empty() {
            return Err(LocalError::InvalidOption {
                message: "the prompt is empty".into(),
            });
        }
        if tokens.len() >= self.cache.capacity() {
            return Err(LocalError::ContextLength {
                prompt: tokens.len(),
                context: self.cache.capacity(),
            });
        }
        let common = self
            .cache
            .tokens()
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();
        // The last token always runs, to get its logits.
        let reuse = common.min(tokens.len() - 1);
        self.cache.truncate(reuse);
        // Bounded chunks keep activation memory small on long prompts.
        const CHUNK: usize = 512;
        let mut logits = Vec::new();
        for chunk in tokens[reuse..].chunks(CHUNK) {
            logits = self.model.forward(chunk, &mut self.cache)?;
        }
        Ok((logits, reuse))
    }

    /// Generates completions for a chat.
    pub fn generate(
        &mut self,
        messages: &[Message],
        params: &GenerateParams,
    ) -> Result<Generation, LocalError> {
        let prompt = self.prompt_tokens(messages)?;
        self.generate_tokens(&prompt, params)
    }

    /// Generates completions for an already tokenized prompt.
    pub fn generate_tokens(
        &mut self,
        prompt: &[u32],
        params: &GenerateParams,
    ) -> Result<Generation, LocalError> {
        let forced_text = match &params.chat_format {
            Some(format) if !format.fields.is_empty() => Some(format.header(0)),
            _ => params.forced_prefix.clone(),
        };
        let forced: Vec<u32> = forced_text
            .as_deref()
            .map(|p| self.tokenizer.encode_plain_text(p))
            .unwrap_or_default();
        let mut stats = GenerateStats {
            prompt_tokens: prompt.len(),
            ..GenerateStats::default()
        };
        let mut full = prompt.to_vec();
        full.extend_from_slice(&forced);
        let mut completions = Vec::with_capacity(params.n.max(1));
        for i in 0..params.n.max(1) {
            let started = Instant::now();
            let (logits, reused) = self.prefill(&full)?;
            if i == 0 {
                stats.reused_tokens = reused.min(prompt.len());
            }
            stats.prefill_tokens += full.len() - reused;
            stats.prefill_time += started.elapsed();
            let started = Instant::now();
            let sampling = SamplingParams {
                seed: params.sampling.seed.wrapping_add(i as u64),
                ..params.sampling
            };
            let completion =
                self.decode(prompt.len(), &forced, logits, sampling, params, &mut stats)?;
            stats.decode_time += started.elapsed();
            completions.push(completion);
        }
        Ok(Generation { completions, stats })
    }

    /// Samples one completion after its prompt and forced tokens were prefilled (`logits`
    /// follow the last of them; the cache holds `base` prompt tokens before them).
    fn decode(
        &mut self,
        base: usize,
        forced: &[u32],
        mut logits: Vec<f32>,
        sampling: SamplingParams,
        params: &GenerateParams,
        stats: &mut GenerateStats,
    ) -> Result<Completion, LocalError> {
        let mut sampler = Sampler::new(sampling);
        let mut text = Text::default();
        for &t in forced {
            text.push(&self.tokenizer.token_bytes(t));
        }
        let mut format = params
            .chat_format
            .as_ref()
            .filter(|f| !f.fields.is_empty())
            .map(|f| FormatState::new(f, text.bytes.len()));
        // Stop sequences are looked for only after the text the engine wrote itself.
        let mut prefix_len = text.bytes.len();
        let mut finish = Finish::Length;
        let mut truncated = false;
        let max_stop = params
            .stop
            .iter()
            .chain(&params.stop_inclusive)
            .map(String::len)
            .max()
            .unwrap_or(0);
        while text.tokens() < params.max_tokens {
            if let Some(state) = &format {
                state.mask(&text.bytes, &self.vocab, &self.stop_ids, &mut logits);
            }
            let next = sampler.sample(&logits);
            stats.sampled_tokens += 1;
            let step = if self.stop_ids.contains(&next) {
                match format.as_mut() {
                    Some(state) => state.at_end_of_turn(&text.bytes),
                    None => {
                        finish = Finish::Stop;
                        break;
                    }
                }
            } else {
                let piece = self.tokenizer.token_bytes(next);
                let from = text
                    .bytes
                    .len()
                    .saturating_sub(max_stop + 1)
                    .max(prefix_len);
                text.push(&piece);
                let window = &text.bytes[from..];
                if let Some(end) = find_stop(window, &params.stop, &params.stop_inclusive) {
                    text.bytes.truncate(from + end);
                    finish = Finish::Stop;
                    break;
                }
                match format.as_mut() {
                    Some(state) => match state.after_token(&text.bytes) {
                        Step::Continue if text.tokens() + state.reserve() >= params.max_tokens => {
                            // Out of room for this value: cut it, keep the structure.
                            truncated = true;
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
                        || self.cache.tokens().len() + 1 >= self.cache.capacity()
                    {
                        break;
                    }
                    logits = self.model.forward(&[next], &mut self.cache)?;
                }
                Step::Finish { keep, text: marker } => {
                    // The kept text's last partial token and the marker, counted as tokens.
                    let cached = self.cache.tokens().len() - base;
                    let tail = text.cut(keep, cached, &marker);
                    let tokens = self.tokenizer.encode_plain_text(&tail);
                    text.push_forced(&tail, tokens.len());
                    finish = if truncated {
                        Finish::Length
                    } else {
                        Finish::Stop
                    };
                    break;
                }
                Step::Rewrite { keep, text: header } => {
                    // Drop the cached tokens past the kept text (the last sampled token is not
                    // cached yet), then feed what is missing and the next header.
                    let cached = self.cache.tokens().len() - base;
                    let tail = text.cut(keep, cached, &header);
                    self.cache.truncate(base + text.ends.len());
                    let tokens = self.tokenizer.encode_plain_text(&tail);
                    if self.cache.tokens().len() + tokens.len() + 1 >= self.cache.capacity() {
                        text.push_forced(&tail, tokens.len());
                        break;
                    }
                    for &t in &tokens {
                        text.push(&self.tokenizer.token_bytes(t));
                    }
                    prefix_len = text.bytes.len();
                    if let Some(state) = format.as_mut() {
                        state.set_value_start(text.bytes.len());
                    }
                    stats.prefill_tokens += tokens.len();
                    logits = self.model.forward(&tokens, &mut self.cache)?;
                }
            }
        }
        Ok(Completion {
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
