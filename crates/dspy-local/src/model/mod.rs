//! A llama-family transformer with our own int8 kernels and a preallocated KV cache.
//!
//! Loading repacks every weight matrix into Q8_0 for the kernels this CPU runs
//! ([`kernels::Isa`]); other GGUF types are dequantized and requantized once. It also reorders
//! the rows of the query and key projections so that rotary embeddings apply to the two
//! halves of each head instead of interleaved pairs (attention scores do not change: queries
//! and keys get the same permutation), and fuses the query, key and value projections (and
//! the gate and up projections) into one matrix each, so that one quantization of the input
//! serves all of them.
//!
//! The data path of [`Llama::forward`]: embedding rows, then per block RMS norm, the fused
//! projection, rotary embeddings, the new keys and values into the cache, causal attention
//! per key/value head (`ops::attend`), the output projection, RMS norm, SiLU-gated
//! feed-forward; the last token's logits at the end. Matrix products and attention are split
//! over the rayon pool's threads. [`Llama::forward_batch`] runs several sequences, each with
//! its own cache, through the same products.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;
use half::f16;
use rayon::prelude::*;

use crate::error::LocalError;

mod gguf;
pub(crate) mod kernels;
mod ops;
mod simd;

use gguf::model_err;
pub use gguf::requantize_gguf;
pub(crate) use gguf::Gguf;
pub use kernels::Isa;
use kernels::{matmul, QActs, QMatrix};
use ops::KvView;

/// Shape of a llama-family model, from GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Transformer blocks.
    pub n_layer: usize,
    /// Hidden size.
    pub n_embd: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads (grouped-query attention when fewer than `n_head`).
    pub n_kv_head: usize,
    /// Size of one head.
    pub head_dim: usize,
    /// Feed-forward size.
    pub n_ff: usize,
    /// RMS norm epsilon.
    pub rms_eps: f64,
    /// Rotary embedding base.
    pub rope_base: f32,
    /// Context length the model was trained for.
    pub context_length: usize,
    /// Vocabulary size (rows of the output head).
    pub vocab_size: usize,
}

impl LlamaConfig {
    pub(crate) fn from_gguf(g: &Gguf) -> Result<LlamaConfig, LocalError> {
        let arch = g.string("general.architecture")?;
        if !matches!(arch.as_str(), "llama" | "mistral" | "smollm" | "granite") {
            return Err(model_err(format!(
                "architecture {arch:?} is not supported (llama family only)"
            )));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let n_embd = g.usize(&key("embedding_length"))?;
        let n_head = g.usize(&key("attention.head_count"))?;
        let n_kv_head = g.usize(&key("attention.head_count_kv")).unwrap_or(n_head);
        if n_head == 0 || n_kv_head == 0 || n_embd % n_head != 0 || n_head % n_kv_head != 0 {
            return Err(model_err(format!(
                "inconsistent head counts ({n_head} heads, {n_kv_head} kv heads, hidden {n_embd})"
            )));
        }
        let head_dim = n_embd / n_head;
        if head_dim == 0 {
            return Err(model_err("hidden size 0"));
        }
        if head_dim % 2 != 0 {
            return Err(model_err("odd head size"));
        }
        // The embedding's shape is checked against the file's size, so it bounds the metadata.
        let vocab_size = match g
            .content
            .tensor_infos
            .get("token_embd.weight")
            .map(|t| t.shape.dims())
        {
            Some(&[vocab, width]) if width == n_embd => vocab,
            Some(dims) => {
                return Err(model_err(format!(
                    "tensor token_embd.weight has shape {dims:?}, not (vocabulary, {n_embd})"
                )))
            }
            None => return Err(model_err("tensor token_embd.weight is missing")),
        };
        let n_layer = g.usize(&key("block_count"))?;
        // Each block has several tensors of its own.
        if n_layer > g.content.tensor_infos.len() {
            return Err(model_err(format!(
                "{n_layer} blocks but only {} tensors",
                g.content.tensor_infos.len()
            )));
        }
        let context_length = g.usize(&key("context_length")).unwrap_or(2048);
        let rope_entries = context_length.max(1).checked_mul(head_dim / 2);
        if !matches!(rope_entries, Some(n) if n <= MAX_ROPE_ENTRIES) {
            return Err(model_err(format!(
                "context length {context_length} with head size {head_dim} needs rotary tables \
                 larger than {MAX_ROPE_ENTRIES} entries"
            )));
        }
        let n_ff = g.usize(&key("feed_forward_length"))?;
        if n_ff == 0 {
            return Err(model_err("feed-forward size 0"));
        }
        Ok(LlamaConfig {
            n_layer,
            n_embd,
            n_head,
            n_kv_head,
            head_dim,
            n_ff,
            rms_eps: g.f64(&key("attention.layer_norm_rms_epsilon"))?,
            rope_base: g.f64(&key("rope.freq_base")).unwrap_or(10_000.0) as f32,
            context_length,
            vocab_size,
        })
    }
}

/// Largest rotary table (positions times half a head) a model may ask for: 256 MiB of `f32`
/// per table, enough for a million positions with 128-wide heads.
const MAX_ROPE_ENTRIES: usize = 1 << 26;
#[derive(Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    /// Query, key and value rows, in that order.
    qkv: QMatrix,
    wo: QMatrix,
    ffn_norm: Vec<f32>,
    /// Gate then up rows.
    gate_up: QMatrix,
    down: QMatrix,
}

/// The model's weights.
#[derive(Debug)]
pub struct Llama {
    config: LlamaConfig,
    embed: Arc<QMatrix>,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    /// The output head (the embedding itself when tied).
    output: Arc<QMatrix>,
    /// Rotary tables, `(max_positions, head_dim / 2)`.
    cos: Vec<f32>,
    sin: Vec<f32>,
    isa: Isa,
}

/// Preallocated key/value cache for one sequence, with the tokens it holds.
#[derive(Debug)]
pub struct KvCache {
    /// Per layer, keys as `f16` bits (half the bytes to read per generated token, as
    /// llama.cpp's default cache) in runs of positions: see `ops::key_index`.
    k: Vec<Vec<u16>>,
    /// Per layer, values as `(kv_head, slots, head_dim)`, `f16` bits.
    v: Vec<Vec<u16>>,
    /// Tokens whose keys and values are in the cache, in order.
    tokens: Vec<u32>,
    capacity: usize,
    /// Key/value width (heads times head size) it was made for.
    kv_width: usize,
    /// Head size it was made for.
    head_dim: usize,
}

impl KvCache {
    /// Tokens in the cache.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Positions the cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets everything after the first `len` tokens (their slots get overwritten later).
    pub fn truncate(&mut self, len: usize) {
        self.tokens.truncate(len);
    }

    /// Makes this cache hold the first `len` tokens of `other` (at most all of them), with
    /// their keys and values copied: the same as running those tokens, at the cost of a copy.
    /// `false` (and nothing changed) when the caches differ in shape.
    pub fn copy_prefix(&mut self, other: &KvCache, len: usize) -> bool {
        let len = len.min(other.tokens.len());
        if self.capacity != other.capacity
            || self.kv_width != other.kv_width
            || self.head_dim != other.head_dim
            || self.k.len() != other.k.len()
        {
            return false;
        }
        let cap = self.capacity.next_multiple_of(ops::KEYS);
        let head_dim = self.head_dim;
        let heads = self.kv_width / head_dim.max(1);
        // Keys in runs of `KEYS` positions (the last run whole: positions past `len` are
        // overwritten before they are read), values position by position; per key/value head.
        let runs = len.next_multiple_of(ops::KEYS) * head_dim;
        for (dst, src) in self.k.iter_mut().zip(&other.k) {
            for g in 0..heads {
                let at = g * cap * head_dim;
                dst[at..at + runs].copy_from_slice(&src[at..at + runs]);
            }
        }
        for (dst, src) in self.v.iter_mut().zip(&other.v) {
            for g in 0..heads {
                let at = g * cap * head_dim;
                dst[at..at + len * head_dim].copy_from_slice(&src[at..at + len * head_dim]);
            }
        }
        self.tokens.clear();
        self.tokens.extend_from_slice(&other.tokens[..len]);
        true
    }
}

/// A 2-D tensor of the file as a row-major [`QMatrix`]: Q8_0 blocks copied, other types
/// dequantized and quantized to Q8_0.
fn matrix(t: QTensor, name: &str) -> Result<QMatrix, LocalError> {
    let (rows, k) = t.shape().dims2()?;
    let m = if t.dtype() == GgmlDType::Q8_0 {
        QMatrix::from_q8_0(&t.data()?, rows, k)
    } else {
        let values = t
            .dequantize(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        QMatrix::quantize(&values, rows, k)
    };
    m.ok_or_else(|| model_err(format!("tensor {name} has an unexpected size")))
}

/// A 1-D tensor of the file as `f32` values.
fn vector(t: QTensor) -> Result<Vec<f32>, LocalError> {
    Ok(t.dequantize(&Device::Cpu)?
        .flatten_all()?
        .to_vec1::<f32>()?)
}

/// Reorders each head's rows from interleaved rotary pairs `(2i, 2i+1)` to halves `(i, i+d/2)`.
fn deinterleave_heads(m: QMatrix, head_dim: usize) -> Result<QMatrix, LocalError> {
    let rows = m.rows();
    if head_dim == 0 || !rows.is_multiple_of(head_dim) {
        return Err(model_err("projection rows are not a whole number of heads"));
    }
    let half = head_dim / 2;
    let order: Vec<usize> = (0..rows)
        .map(|r| {
            let (head, j) = (r / head_dim, r % head_dim);
            head * head_dim + if j < half { 2 * j } else { 2 * (j - half) + 1 }
        })
        .collect();
    Ok(m.select_rows(&order))
}

/// `n` zeros, or `None` when the memory cannot be had. Zeroed memory from the allocator: on
/// Linux the pages of a large cache are only committed as positions are written, so a cache
/// costs what its sequences use.
fn zeroed(n: usize) -> Option<Vec<u16>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u16>(n).ok()?;
    // SAFETY: the layout's size is not zero; a non-null pointer from `alloc_zeroed` with the
    // layout of `n` `u16`s holds `n` initialized zeros, and `Vec` frees it with that layout.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<u16>();
        (!p.is_null()).then(|| Vec::from_raw_parts(p, n, n))
    }
}

fn fuse(parts: &[QMatrix]) -> Result<QMatrix, LocalError> {
    QMatrix::concat(parts).ok_or_else(|| model_err("projections sharing an input differ in width"))
}

/// Runs `f` over `chunk`-sized pieces of `out` with their index, on the pool's threads when
/// there are several.
fn for_each_chunk<F>(out: &mut [f32], chunk: usize, f: F)
where
    F: Fn(usize, &mut [f32], &mut Vec<f32>) + Sync + Send,
{
    if rayon::current_num_threads() > 1 {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(Vec::new, |scratch, (i, c)| f(i, c, scratch));
    } else {
        let mut scratch = Vec::new();
        for (i, c) in out.chunks_mut(chunk).enumerate() {
            f(i, c, &mut scratch);
        }
    }
}

/// Runs `f(first_row, rows)` over `out` (rows of `width` values): in pieces on the pool's
/// threads for long prompts, in one call otherwise.
fn by_rows<F>(out: &mut [f32], width: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync + Send,
{
    const ROWS: usize = 16;
    let rows = out.len() / width.max(1);
    if rows >= 2 * ROWS && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(ROWS * width)
            .enumerate()
            .for_each(|(i, piece)| f(i * ROWS, piece));
    } else {
        f(0, out);
    }
}

impl Llama {
    /// Loads a llama-family model from an open GGUF file.
    pub(crate) fn load(g: &mut Gguf) -> Result<Llama, LocalError> {
        let config = LlamaConfig::from_gguf(g)?;
        let isa = Isa::detect();
        let embed =
            Arc::new(matrix(g.tensor("token_embd.weight")?, "token_embd.weight")?.pack(isa));
        let output = if g.content.tensor_infos.contains_key("output.weight") {
            let out = matrix(g.tensor("output.weight")?, "output.weight")?.pack(isa);
            if out.rows() != config.vocab_size || out.k() != config.n_embd {
                return Err(model_err(
                    "output.weight does not match the embedding's shape",
                ));
            }
            Arc::new(out)
        } else {
            embed.clone()
        };
        let norm = vector(g.tensor("output_norm.weight")?)?;
        if norm.len() != config.n_embd {
            return Err(model_err(
                "output_norm.weight does not match the hidden size",
            ));
        }
        let (d, hd, kv) = (
            config.n_embd,
            config.head_dim,
            config.n_kv_head * config.head_dim,
        );
        let mut layers = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let p = |n: &str| format!("blk.{i}.{n}.weight");
            let mut m = |n: &str| matrix(g.tensor(&p(n))?, &p(n));
            let q = deinterleave_heads(m("attn_q")?, hd)?;
            let k = deinterleave_heads(m("attn_k")?, hd)?;
            let v = m("attn_v")?;
            let (wo, gate, up, down) = (
                m("attn_output")?,
                m("ffn_gate")?,
                m("ffn_up")?,
                m("ffn_down")?,
            );
            let shapes = [
                (&q, d, d),
                (&k, kv, d),
                (&v, kv, d),
                (&wo, d, d),
                (&gate, config.n_ff, d),
                (&up, config.n_ff, d),
                (&down, d, config.n_ff),
            ];
            if shapes
                .iter()
                .any(|(m, rows, k)| m.rows() != *rows || m.k() != *k)
            {
                return Err(model_err(format!(
                    "layer {i} has unexpected projection shapes"
                )));
            }
            let attn_norm = vector(g.tensor(&p("attn_norm"))?)?;
            let ffn_norm = vector(g.tensor(&p("ffn_norm"))?)?;
            if attn_norm.len() != d || ffn_norm.len() != d {
                return Err(model_err(format!("layer {i} has norms of the wrong size")));
            }
            layers.push(Layer {
                attn_norm,
                qkv: fuse(&[q, k, v])?.pack(isa),
                wo: wo.pack(isa),
                ffn_norm,
                gate_up: fuse(&[gate, up])?.pack(isa),
                down: down.pack(isa),
            });
        }
        let half = config.head_dim / 2;
        let max_pos = config.context_length.max(1);
        let inv: Vec<f32> = (0..half)
            .map(|i| {
                1.0 / config
                    .rope_base
                    .powf(2.0 * i as f32 / config.head_dim as f32)
            })
            .collect();
        let mut cos = Vec::with_capacity(max_pos * half);
        let mut sin = Vec::with_capacity(max_pos * half);
        for pos in 0..max_pos {
            for f in &inv {
                let a = pos as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Ok(Llama {
            cos,
            sin,
            config,
            embed,
            layers,
            norm,
            output,
            isa,
        })
    }

    /// The model's shape.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// A zeroed cache for up to `capacity` positions (capped at the model's context length).
    /// An error (not an abort) when the memory cannot be had.
    pub fn new_cache(&self, capacity: usize) -> Result<KvCache, LocalError> {
        let capacity = capacity.clamp(1, self.config.context_length.max(1));
        let kv_width = self.config.n_kv_head * self.config.head_dim;
        let too_big = || LocalError::InvalidOption {
            message: format!(
                "a KV cache of {capacity} positions does not fit in memory; \
                 lower LocalLmOptions::context_length"
            ),
        };
        // Keys are stored in runs of `ops::KEYS` positions.
        let per_layer = capacity
            .next_multiple_of(ops::KEYS)
            .checked_mul(kv_width)
            .ok_or_else(too_big)?;
        let zeros = || zeroed(per_layer).ok_or_else(too_big);
        let layers = self.config.n_layer;
        Ok(KvCache {
            k: (0..layers).map(|_| zeros()).collect::<Result<_, _>>()?,
            v: (0..layers).map(|_| zeros()).collect::<Result<_, _>>()?,
            tokens: Vec::with_capacity(capacity),
            capacity,
            kv_width,
            head_dim: self.config.head_dim,
        })
    }

    /// Runs `tokens` after the cache's tokens, appends them to the cache, and returns the logits
    /// of the last one.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Vec<f32>, LocalError> {
        let mut logits = self.forward_batch(&mut [(tokens, cache)])?;
        Ok(logits.pop().unwrap_or_default())
    }

    /// Runs several sequences at once, each `(tokens, cache)` as [`Llama::forward`] would, and
    /// returns the logits after each one's last token, in order.
    ///
    /// The matrix products read the weights once for all the sequences' tokens, so that
    /// generating for four requests costs little more than for one; each token's arithmetic is
    /// the same as alone, so every sequence gets exactly the logits [`Llama::forward`] gives.
    /// The caches must be distinct (the borrow checker sees to it).
    pub fn forward_batch(
        &self,
        batch: &mut [(&[u32], &mut KvCache)],
    ) -> Result<Vec<Vec<f32>>, LocalError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        for (tokens, cache) in batch.iter() {
            self.check(tokens, cache)?;
        }
        let logits = if rayon::current_num_threads() > 1 {
            // One hand-over to the pool per call; the products inside split on its threads.
            rayon::scope(|_| self.run(batch))
        } else {
            self.run(batch)
        };
        for (tokens, cache) in batch.iter_mut() {
            cache.tokens.extend_from_slice(tokens);
        }
        Ok(logits)
    }

    /// Refuses what [`Llama::run`] cannot run: no tokens, a cache of another model, no room,
    /// ids past the vocabulary.
    pub(crate) fn check(&self, tokens: &[u32], cache: &KvCache) -> Result<(), LocalError> {
        let (pos, t) = (cache.tokens.len(), tokens.len());
        if t == 0 {
            return Err(LocalError::Compute {
                message: "forward called with no tokens".into(),
            });
        }
        let c = &self.config;
        if cache.k.len() != c.n_layer
            || cache.kv_width != c.n_kv_head * c.head_dim
            || cache.capacity > c.context_length.max(1)
        {
            return Err(LocalError::Compute {
                message: "this KV cache was made by another model; use Llama::new_cache".into(),
            });
        }
        if pos + t > cache.capacity {
            return Err(LocalError::ContextLength {
                prompt: pos + t,
                context: cache.capacity,
            });
        }
        if let Some(&bad) = tokens
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(LocalError::Compute {
                message: format!("token id {bad} is outside the vocabulary"),
            });
        }
        Ok(())
    }

    fn run(&self, batch: &mut [(&[u32], &mut KvCache)]) -> Vec<Vec<f32>> {
        let c = &self.config;
        let isa = self.isa;
        let (d, hd, ff) = (c.n_embd, c.head_dim, c.n_ff);
        let (q_w, kv_w) = (c.n_head * hd, c.n_kv_head * hd);
        let qkv_w = q_w + 2 * kv_w;
        let group = c.n_head / c.n_kv_head;
        let (eps, half) = (c.rms_eps as f32, hd / 2);
        let scale = 1.0 / (hd as f32).sqrt();
        // Every token of every sequence is one row: (sequence, position).
        let rows: Vec<(usize, usize)> = batch
            .iter()
            .enumerate()
            .flat_map(|(s, (tokens, cache))| {
                let pos = cache.tokens.len();
                (pos..pos + tokens.len()).map(move |p| (s, p))
            })
            .collect();
        let t = rows.len();
        let mut x = vec![0f32; t * d];
        let ids = batch.iter().flat_map(|(tokens, _)| tokens.iter());
        for (row, &id) in x.chunks_exact_mut(d).zip(ids) {
            self.embed.row_f32(id as usize, row);
        }
        // Each row's rotary angles.
        let (mut cos, mut sin) = (Vec::with_capacity(t * half), Vec::with_capacity(t * half));
        for &(_, p) in &rows {
            cos.extend_from_slice(&self.cos[p * half..(p + 1) * half]);
            sin.extend_from_slice(&self.sin[p * half..(p + 1) * half]);
        }
        let mut h = vec![0f32; t * d];
        let mut qkv = vec![0f32; t * qkv_w];
        let mut att = vec![0f32; t * d];
        let mut proj = vec![0f32; t * d];
        let mut gu = vec![0f32; t * 2 * ff];
        let mut act = vec![0f32; t * ff];
        let mut acts = QActs::default();
        for (li, layer) in self.layers.iter().enumerate() {
            by_rows(&mut h, d, |r, h| {
                ops::rms_norm(&x[r * d..], &layer.attn_norm, eps, h)
            });
            acts.quantize(&h, t, d, isa);
            matmul(&layer.qkv, &acts, &mut qkv);
            by_rows(&mut qkv, qkv_w, |r, qkv| {
                let (cos, sin) = (&cos[r * half..], &sin[r * half..]);
                ops::rope(qkv, qkv_w, q_w + kv_w, hd, cos, sin)
            });
            for (row, &(s, p)) in qkv.chunks_exact(qkv_w).zip(&rows) {
                let cache = &mut *batch[s].1;
                let cap = cache.capacity.next_multiple_of(ops::KEYS);
                let (kc, vc) = (&mut cache.k[li], &mut cache.v[li]);
                let (k, v) = row[q_w..].split_at(kv_w);
                for (g, (k, v)) in k.chunks_exact(hd).zip(v.chunks_exact(hd)).enumerate() {
                    for (dd, &kval) in k.iter().enumerate() {
                        kc[ops::key_index(g, p, dd, cap, hd)] = f16::from_f32(kval).to_bits();
                    }
                    let slots = &mut vc[(g * cap + p) * hd..(g * cap + p + 1) * hd];
                    for (slot, &vval) in slots.iter_mut().zip(v) {
                        *slot = f16::from_f32(vval).to_bits();
                    }
                }
            }
            let views: Vec<KvView> = batch
                .iter()
                .map(|(_, cache)| KvView {
                    k: &cache.k[li],
                    v: &cache.v[li],
                    capacity: cache.capacity.next_multiple_of(ops::KEYS),
                    head_dim: hd,
                })
                .collect();
            // One piece per (token, key/value head): that head's group of query heads.
            for_each_chunk(&mut att, group * hd, |item, out, scratch| {
                let (i, g) = (item / c.n_kv_head, item % c.n_kv_head);
                let (s, p) = rows[i];
                let len = p + 1;
                scratch.resize(ops::attend_scratch(group, len, hd), 0.0);
                let q = &qkv[i * qkv_w + g * group * hd..i * qkv_w + (g + 1) * group * hd];
                ops::attend(q, views[s], g, len, scale, scratch, out);
            });
            acts.quantize(&att, t, d, isa);
            matmul(&layer.wo, &acts, &mut proj);
            by_rows(&mut x, d, |r, x| add(x, &proj[r * d..]));
            by_rows(&mut h, d, |r, h| {
                ops::rms_norm(&x[r * d..], &layer.ffn_norm, eps, h)
            });
            acts.quantize(&h, t, d, isa);
            matmul(&layer.gate_up, &acts, &mut gu);
            by_rows(&mut act, ff, |r, act| {
                ops::silu_mul(&gu[r * 2 * ff..], ff, act)
            });
            acts.quantize(&act, t, ff, isa);
            matmul(&layer.down, &acts, &mut proj);
            by_rows(&mut x, d, |r, x| add(x, &proj[r * d..]));
        }
        // The last row of each sequence goes through the output head, all in one product.
        let n = batch.len();
        let mut last = 0;
        for (s, (tokens, _)) in batch.iter().enumerate() {
            last += tokens.len();
            let row = &x[(last - 1) * d..last * d];
            ops::rms_norm(row, &self.norm, eps, &mut h[s * d..(s + 1) * d]);
        }
        acts.quantize(&h[..n * d], n, d, isa);
        let vocab = self.output.rows();
        let mut logits = vec![0f32; n * vocab];
        matmul(&self.output, &acts, &mut logits);
        logits.chunks_exact(vocab).map(<[f32]>::to_vec).collect()
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

#[cfg(test)]
mod tests;
