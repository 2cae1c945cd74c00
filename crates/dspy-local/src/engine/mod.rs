//! One model, its tokenizer, template and KV caches: turns chat messages into completions.
//!
//! The data path: the chat template renders the messages ([`Engine::prompt_tokens`]), the
//! prompt runs through the model reusing the longest prefix a cache holds, then
//! `decode::Decoding` samples one token at a time under the guard ([`crate::guard`]).
//! `batch` runs several requests' completions side by side, one forward pass per step.

mod batch;
mod decode;

pub use batch::{Prompt, Request};

use std::path::Path;
use std::time::Duration;

use dspy_adapters::Message;

use crate::error::LocalError;
use crate::guard::ChatFormat;
use crate::model::{Gguf, KvCache, Llama};
use crate::sampler::SamplingParams;
use crate::template::{ChatTemplate, CHATML};
use crate::tokenizer::Tokenizer;
use decode::Vocab;

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
#[non_exhaustive]
pub struct GenerateStats {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens whose KV came from the cache.
    pub reused_tokens: usize,
    /// Tokens run through the model in prefill (prompt and forced prefixes).
    pub prefill_tokens: usize,
    /// Time spent in prefill (a short prompt run within a batched step counts that step's
    /// time).
    pub prefill_time: Duration,
    /// Tokens sampled.
    pub sampled_tokens: usize,
    /// Time spent sampling tokens (one forward each, shared with the sequences batched with
    /// this one).
    pub decode_time: Duration,
    /// Most sequences that shared one forward pass with this request's (itself included).
    pub batch_peak: usize,
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
    template: ChatTemplate,
    vocab: Vocab,
    /// One KV cache per sequence generated at once; made as needed, up to `batch_size`.
    caches: Vec<KvCache>,
    /// Positions per cache.
    context_length: usize,
    /// Most sequences generated at once.
    batch_size: usize,
    /// The cache the last request admitted used.
    last_slot: usize,
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
        let bytes = (0..model.config().vocab_size as u32)
            .map(|id| tokenizer.token_bytes(id))
            .collect();
        Ok(Engine {
            model,
            template,
            vocab: Vocab {
                tokenizer,
                bytes,
                stop_ids,
            },
            context_length: cache.capacity(),
            caches: vec![cache],
            batch_size: 1,
            last_slot: 0,
        })
    }

    /// Generate for up to `n` sequences at once (at least 1; 1 after loading). Each needs its
    /// own KV cache of [`Engine::context_length`] positions, made when first needed (its
    /// memory committed as positions are written).
    pub fn set_batch_size(&mut self, n: usize) {
        self.batch_size = n.max(1);
        self.caches.truncate(self.batch_size);
        self.last_slot = self.last_slot.min(self.caches.len().saturating_sub(1));
    }

    /// Most sequences generated at once.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.vocab.tokenizer
    }

    /// The model.
    pub fn model(&self) -> &Llama {
        &self.model
    }

    /// Context window (KV cache positions).
    pub fn context_length(&self) -> usize {
        self.context_length
    }

    /// Renders messages with the chat template and tokenizes them.
    pub fn prompt_tokens(&self, messages: &[Message]) -> Result<Vec<u32>, LocalError> {
        let text = self.template.render(messages)?;
        Ok(self.vocab.tokenizer.encode(&text))
    }

    /// The tokens whose keys and values are cached for the last request started, in order.
    pub fn cached_tokens(&self) -> &[u32] {
        self.caches.get(self.last_slot).map_or(&[], KvCache::tokens)
    }

    /// Empties the KV caches.
    pub fn reset_cache(&mut self) {
        for cache in &mut self.caches {
            cache.truncate(0);
        }
    }

    /// Generates completions for a chat.
    pub fn generate(
        &mut self,
        messages: &[Message],
        params: &GenerateParams,
    ) -> Result<Generation, LocalError> {
        let prompt = self.prompt_tokens(messages)?;
        self.generate_one(Prompt::Tokens(prompt), params)
    }

    /// Generates completions for an already tokenized prompt.
    pub fn generate_tokens(
        &mut self,
        prompt: &[u32],
        params: &GenerateParams,
    ) -> Result<Generation, LocalError> {
        self.generate_one(Prompt::Tokens(prompt.to_vec()), params)
    }

    fn generate_one(
        &mut self,
        prompt: Prompt,
        params: &GenerateParams,
    ) -> Result<Generation, LocalError> {
        let mut results = self.generate_batch(vec![(prompt, params.clone())]);
        results.pop().unwrap_or(Err(LocalError::WorkerGone))
    }

    /// Generates for several prompts, up to [`Engine::batch_size`] at a time, and returns their
    /// results in order. Each gets the completions [`Engine::generate`] alone would give (the
    /// same tokens, text and finish reasons; the counts of reused prompt tokens and the timings
    /// depend on what ran beside it); an error in one leaves the others' intact.
    pub fn generate_batch(
        &mut self,
        requests: Vec<(Prompt, GenerateParams)>,
    ) -> Vec<Result<Generation, LocalError>> {
        let mut results: Vec<Option<Result<Generation, LocalError>>> =
            (0..requests.len()).map(|_| None).collect();
        let mut queue = requests.into_iter().enumerate();
        self.serve(
            &mut || {
                queue.next().map(|(i, (prompt, params))| Request {
                    prompt,
                    params,
                    tag: i,
                })
            },
            &mut |i, result| {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            },
            &|_| true,
        );
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(LocalError::WorkerGone)))
            .collect()
    }
}
