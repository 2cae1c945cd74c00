//! Several requests at once. Each sequence generated has its own KV cache (a slot); a step
//! runs the next tokens of every sequence through one batched forward pass, so the weights
//! are read once per step instead of once per sequence. A request joins as soon as a slot is
//! free (continuous batching) and its prompt runs on its own first, after the longest prefix
//! any cache holds (copied when another slot has it); a request with `n > 1` makes its
//! completions one after another in its slot.

use std::time::Instant;

use dspy_adapters::Message;

use crate::error::LocalError;
use crate::model::{KvCache, Llama};
use crate::sampler::SamplingParams;

use super::decode::{Decoding, Next};
use super::{Completion, Engine, GenerateParams, GenerateStats, Generation};

/// What to generate after: a chat (rendered with the chat template) or tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Chat messages.
    Messages(Vec<Message>),
    /// An already tokenized prompt.
    Tokens(Vec<u32>),
}

/// One request to [`Engine::serve`]; `tag` comes back with its result.
#[derive(Debug)]
pub struct Request<T> {
    /// What to generate after.
    pub prompt: Prompt,
    /// How.
    pub params: GenerateParams,
    /// Anything that identifies the request to the caller (an index, a reply channel).
    pub tag: T,
}

/// A request being served.
struct Seq<T> {
    tag: T,
    params: GenerateParams,
    /// Its cache in `Engine::caches`.
    slot: usize,
    prompt_len: usize,
    /// Prompt then forced tokens.
    full: Vec<u32>,
    forced: Vec<u32>,
    stats: GenerateStats,
    completions: Vec<Completion>,
    /// The completion being sampled.
    decoding: Option<Decoding>,
    /// The feed is the rest of the prompt: the next completion starts from its logits.
    starting: bool,
    /// Tokens to run next.
    feed: Vec<u32>,
    /// Set when the request failed.
    error: Option<LocalError>,
}

impl<T> Seq<T> {
    fn is_over(&self) -> bool {
        self.error.is_some() || (self.decoding.is_none() && !self.starting)
    }

    fn into_result(self) -> (T, Result<Generation, LocalError>) {
        let result = match self.error {
            Some(e) => Err(e),
            None => Ok(Generation {
                completions: self.completions,
                stats: self.stats,
            }),
        };
        (self.tag, result)
    }
}

/// How many of `tokens` the cache's keys and values can serve: the common prefix, short of
/// the last token (it always runs, for its logits). An error for a prompt that is empty or
/// leaves no room to generate.
fn reusable(cache: &KvCache, tokens: &[u32]) -> Result<usize, LocalError> {
    if tokens.is_empty() {
        return Err(LocalError::InvalidOption {
            message: "the prompt is empty".into(),
        });
    }
    if tokens.len() >= cache.capacity() {
        return Err(LocalError::ContextLength {
            prompt: tokens.len(),
            context: cache.capacity(),
        });
    }
    Ok(common_prefix(cache.tokens(), tokens).min(tokens.len() - 1))
}

/// Runs `tokens` after the first `reuse` the cache holds (from [`reusable`]) and returns the
/// logits after the last one.
fn prefill(
    model: &Llama,
    cache: &mut KvCache,
    tokens: &[u32],
    reuse: usize,
) -> Result<Vec<f32>, LocalError> {
    cache.truncate(reuse);
    // Bounded chunks keep activation memory small on long prompts.
    const CHUNK: usize = 512;
    let mut logits = Vec::new();
    for chunk in tokens[reuse..].chunks(CHUNK) {
        logits = model.forward(chunk, cache)?;
    }
    Ok(logits)
}

/// Prompts with at most this many tokens left to run join the next batched step instead of
/// running on their own first (the weights are read once for both).
const JOIN_PREFILL: usize = 64;

/// Fewer extra tokens than this are run rather than copied from another cache (a copy moves
/// every position of the prefix).
const MIN_SHARED: usize = 16;

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl Engine {
    /// Serves the requests `next` hands out, up to [`Engine::batch_size`] at a time, and gives
    /// each result to `done` with its tag as soon as it is ready. `next` is asked again
    /// whenever a sequence has ended, so requests that arrive meanwhile join the batch; a
    /// request `wanted` says no to is dropped without an answer (its caller has gone).
    /// Returns when `next` has nothing and every request taken is done.
    ///
    /// This is how [`crate::LocalLm`]'s inference thread drives the engine from its queue;
    /// [`Engine::generate_batch`] is the simpler form for requests known up front.
    pub fn serve<T>(
        &mut self,
        next: &mut dyn FnMut() -> Option<Request<T>>,
        done: &mut dyn FnMut(T, Result<Generation, LocalError>),
        wanted: &dyn Fn(&T) -> bool,
    ) {
        let mut active: Vec<Seq<T>> = Vec::new();
        // A cache that could not be had is not asked for again in this call.
        let mut room = self.batch_size;
        loop {
            while active.len() < room {
                let free = self.free_slots(&active);
                if free.is_empty() {
                    room = room.min(self.caches.len()).max(1);
                    break;
                }
                let Some(request) = next() else {
                    break;
                };
                let seq = self.admit(request, &free);
                if seq.is_over() {
                    let (tag, result) = seq.into_result();
                    done(tag, result);
                } else {
                    active.push(seq);
                }
            }
            if active.is_empty() {
                return;
            }
            self.step_all(&mut active);
            let mut i = 0;
            while i < active.len() {
                if !wanted(&active[i].tag) {
                    active.remove(i);
                } else if active[i].is_over() {
                    let (tag, result) = active.remove(i).into_result();
                    done(tag, result);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Caches no active sequence uses; a new one when all are in use and the batch size allows
    /// (none when it cannot be had: the batch goes on with the caches there are).
    fn free_slots<T>(&mut self, active: &[Seq<T>]) -> Vec<usize> {
        let free: Vec<usize> = (0..self.caches.len())
            .filter(|&i| active.iter().all(|s| s.slot != i))
            .collect();
        if !free.is_empty() || self.caches.len() >= self.batch_size {
            return free;
        }
        match self.model.new_cache(self.context_length) {
            Ok(cache) => {
                self.caches.push(cache);
                vec![self.caches.len() - 1]
            }
            Err(e) => {
                tracing::warn!(
                    target: "dspy::local",
                    "generating {} sequences at once, not {}: {e}",
                    self.caches.len(),
                    self.batch_size
                );
                Vec::new()
            }
        }
    }

    /// Tokenizes a request and starts its first completion in the free slot whose cache shares
    /// the longest prefix with it (the system message and demos of a DSPy program).
    fn admit<T>(&mut self, request: Request<T>, free: &[usize]) -> Seq<T> {
        let Request {
            prompt,
            params,
            tag,
        } = request;
        let (prompt, error) = match prompt {
            Prompt::Messages(m) => match self.prompt_tokens(&m) {
                Ok(t) => (t, None),
                Err(e) => (Vec::new(), Some(e)),
            },
            Prompt::Tokens(t) => (t, None),
        };
        let forced_text = match &params.chat_format {
            Some(format) if !format.fields.is_empty() => Some(format.header(0)),
            _ => params.forced_prefix.clone(),
        };
        let forced: Vec<u32> = forced_text
            .as_deref()
            .map(|p| self.vocab.tokenizer.encode_plain_text(p))
            .unwrap_or_default();
        let prompt_len = prompt.len();
        let mut full = prompt;
        full.extend_from_slice(&forced);
        let slot = free
            .iter()
            .copied()
            .max_by_key(|&i| {
                (
                    common_prefix(self.caches[i].tokens(), &full),
                    usize::MAX - i,
                )
            })
            .unwrap_or(0);
        self.last_slot = slot;
        if error.is_none() && full.len() < self.context_length {
            self.share_prefix(slot, &full);
        }
        let mut seq = Seq {
            tag,
            slot,
            prompt_len,
            stats: GenerateStats {
                prompt_tokens: prompt_len,
                batch_peak: 1,
                ..GenerateStats::default()
            },
            full,
            forced,
            params,
            completions: Vec::new(),
            decoding: None,
            starting: false,
            feed: Vec::new(),
            error,
        };
        if seq.error.is_none() {
            self.next_completion(&mut seq);
        }
        seq
    }

    /// Copies into `slot` the longest prefix of `tokens` another cache holds (busy or not),
    /// when that is clearly longer than the one `slot` holds: copying keys and values costs far
    /// less than running the tokens again, and gives the same values.
    fn share_prefix(&mut self, slot: usize, tokens: &[u32]) {
        // The last token always runs, to get its logits.
        let usable = tokens.len().saturating_sub(1);
        let held = |c: &KvCache| common_prefix(c.tokens(), tokens).min(usable);
        let Some(own) = self.caches.get(slot).map(held) else {
            return;
        };
        let donor = (0..self.caches.len())
            .filter(|&i| i != slot)
            .map(|i| (held(&self.caches[i]), i))
            .max();
        let Some((len, from)) = donor.filter(|&(len, _)| len >= own + MIN_SHARED) else {
            return;
        };
        let (dst, src) = if slot < from {
            let (a, b) = self.caches.split_at_mut(from);
            (&mut a[slot], &b[0])
        } else {
            let (a, b) = self.caches.split_at_mut(slot);
            (&mut b[0], &a[from])
        };
        dst.copy_prefix(src, len);
    }

    /// Starts the request's next completion: the prompt after what the cache holds joins the
    /// next batched step when it is short (a question after a program's cached demos), or runs
    /// now on its own; then the first token is sampled. Completions that end at once are
    /// recorded and the next one started; the request is over when all `n` are done.
    fn next_completion<T>(&mut self, seq: &mut Seq<T>) {
        seq.decoding = None;
        seq.starting = false;
        while seq.completions.len() < seq.params.n.max(1) {
            let i = seq.completions.len();
            let cache = &mut self.caches[seq.slot];
            let reuse = match reusable(cache, &seq.full) {
                Ok(r) => r,
                Err(e) => {
                    seq.error = Some(e);
                    return;
                }
            };
            if i == 0 {
                seq.stats.reused_tokens = reuse.min(seq.prompt_len);
            }
            seq.stats.prefill_tokens += seq.full.len() - reuse;
            if seq.full.len() - reuse <= JOIN_PREFILL {
                cache.truncate(reuse);
                seq.feed = seq.full[reuse..].to_vec();
                seq.starting = true;
                return;
            }
            let started = Instant::now();
            let logits = match prefill(&self.model, cache, &seq.full, reuse) {
                Ok(logits) => logits,
                Err(e) => {
                    seq.error = Some(e);
                    return;
                }
            };
            seq.stats.prefill_time += started.elapsed();
            if self.start_decoding(seq, logits) {
                return;
            }
        }
    }

    /// Samples the first token of the request's next completion from the logits after its
    /// prompt: `true` when the completion goes on (its feed set), `false` when it ended at once
    /// (and was recorded).
    fn start_decoding<T>(&mut self, seq: &mut Seq<T>, logits: Vec<f32>) -> bool {
        let started = Instant::now();
        let i = seq.completions.len();
        let sampling = SamplingParams {
            seed: seq.params.sampling.seed.wrapping_add(i as u64),
            ..seq.params.sampling
        };
        let mut decoding = Decoding::new(
            &self.vocab,
            seq.prompt_len,
            &seq.forced,
            sampling,
            &seq.params,
        );
        let cache = &mut self.caches[seq.slot];
        let next = decoding.step(&self.vocab, cache, logits, &seq.params, &mut seq.stats);
        seq.stats.decode_time += started.elapsed();
        match next {
            Next::Feed(tokens) => {
                seq.feed = tokens;
                seq.decoding = Some(decoding);
                true
            }
            Next::Done(c) => {
                seq.completions.push(c);
                false
            }
        }
    }

    /// One step of every active sequence: their next tokens through one forward pass, then
    /// each samples from its logits.
    fn step_all<T>(&mut self, active: &mut [Seq<T>]) {
        let started = Instant::now();
        // A sequence the model would refuse fails alone, before the others run.
        for seq in active.iter_mut() {
            if let Err(e) = self.model.check(&seq.feed, &self.caches[seq.slot]) {
                seq.error = Some(e);
            }
        }
        let mut caches: Vec<Option<&mut KvCache>> = self.caches.iter_mut().map(Some).collect();
        let mut batch: Vec<(&[u32], &mut KvCache)> = Vec::with_capacity(active.len());
        let mut running: Vec<usize> = Vec::with_capacity(active.len());
        for (i, seq) in active.iter().enumerate() {
            if seq.error.is_some() {
                continue;
            }
            // Slots are distinct, so each cache is taken once.
            if let Some(cache) = caches.get_mut(seq.slot).and_then(Option::take) {
                batch.push((seq.feed.as_slice(), cache));
                running.push(i);
            }
        }
        let result = self.model.forward_batch(&mut batch);
        drop(batch);
        drop(caches);
        let logits = match result {
            Ok(l) => l,
            Err(e) => {
                for &i in &running {
                    active[i].error = Some(LocalError::Compute {
                        message: format!("a batched forward pass failed: {e}"),
                    });
                }
                return;
            }
        };
        let elapsed = started.elapsed();
        for (&i, logits) in running.iter().zip(logits) {
            let seq = &mut active[i];
            seq.stats.batch_peak = seq.stats.batch_peak.max(running.len());
            if seq.starting {
                seq.starting = false;
                seq.stats.prefill_time += elapsed;
                if !self.start_decoding(seq, logits) {
                    self.next_completion(seq);
                }
                continue;
            }
            let started = Instant::now();
            let Some(decoding) = seq.decoding.as_mut() else {
                continue;
            };
            let cache = &mut self.caches[seq.slot];
            let next = decoding.step(&self.vocab, cache, logits, &seq.params, &mut seq.stats);
            seq.stats.decode_time += elapsed + started.elapsed();
            match next {
                Next::Feed(tokens) => seq.feed = tokens,
                Next::Done(c) => {
                    seq.completions.push(c);
                    self.next_completion(seq);
                }
            }
        }
    }
}
