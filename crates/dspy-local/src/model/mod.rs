//! A llama-family transformer on candle's quantized CPU kernels, with a preallocated KV cache.
//!
//! Loading reorders the rows of the query and key projections so that rotary embeddings apply to
//! the two halves of each head (`rope_thd`) instead of interleaved pairs; attention scores do not
//! change (queries and keys get the same permutation), and the `(seq, head, dim)` layout then
//! flows from the projections through the cache into candle's CPU flash attention with no
//! transposes. The query, key and value projections (and the gate and up projections) are fused
//! into one quantized matrix each when their types match, so one lhs quantization serves three
//! (two) products.

use std::sync::Arc;

use candle_core::quantized::QTensor;
use candle_core::{DType, Device, Tensor};
use candle_nn::attention::{flash_attn, AttnMask};

use crate::error::LocalError;

mod gguf;
mod proj;

use gguf::model_err;
pub use gguf::requantize_gguf;
pub(crate) use gguf::Gguf;
use proj::{deinterleave_heads, Proj};

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
        Ok(LlamaConfig {
            n_layer,
            n_embd,
            n_head,
            n_kv_head,
            head_dim,
            n_ff: g.usize(&key("feed_forward_length"))?,
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
    attn_norm: Tensor,
    qkv: Proj,
    wo: Proj,
    ffn_norm: Tensor,
    gate_up: Proj,
    down: Proj,
}

/// The model's weights.
#[derive(Debug)]
pub struct Llama {
    config: LlamaConfig,
    embed: Arc<QTensor>,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Proj,
    /// Rotary tables, `(max_positions, head_dim / 2)`.
    cos: Tensor,
    sin: Tensor,
}

/// Preallocated key/value cache for one sequence, with the tokens it holds.
#[derive(Debug)]
pub struct KvCache {
    k: Vec<Tensor>,
    v: Vec<Tensor>,
    /// Tokens whose keys and values are in the cache, in order.
    tokens: Vec<u32>,
    capacity: usize,
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
}

impl Llama {
    /// Loads a llama-family model from an open GGUF file.
    pub(crate) fn load(g: &mut Gguf) -> Result<Llama, LocalError> {
        let config = LlamaConfig::from_gguf(g)?;
        let embed = Arc::new(g.tensor("token_embd.weight")?);
        let output = if g.content.tensor_infos.contains_key("output.weight") {
            Proj::one(g.tensor("output.weight")?)?
        } else {
            let e = g.tensor("token_embd.weight")?;
            Proj::one(e)?
        };
        let norm = g.tensor("output_norm.weight")?.dequantize(&Device::Cpu)?;
        let mut layers = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let p = |n: &str| format!("blk.{i}.{n}.weight");
            let q = deinterleave_heads(g.tensor(&p("attn_q"))?, config.head_dim)?;
            let k = deinterleave_heads(g.tensor(&p("attn_k"))?, config.head_dim)?;
            let v = g.tensor(&p("attn_v"))?;
            let (q_rows, k_rows) = (q.shape().dims()[0], k.shape().dims()[0]);
            if q_rows != config.n_embd || k_rows != config.n_kv_head * config.head_dim {
                return Err(model_err(format!("layer {i} has unexpected q/k shapes")));
            }
            layers.push(Layer {
                attn_norm: g.tensor(&p("attn_norm"))?.dequantize(&Device::Cpu)?,
                qkv: Proj::new(vec![q, k, v])?,
                wo: Proj::one(g.tensor(&p("attn_output"))?)?,
                ffn_norm: g.tensor(&p("ffn_norm"))?.dequantize(&Device::Cpu)?,
                gate_up: Proj::new(vec![g.tensor(&p("ffn_gate"))?, g.tensor(&p("ffn_up"))?])?,
                down: Proj::one(g.tensor(&p("ffn_down"))?)?,
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
            cos: Tensor::from_vec(cos, (max_pos, half), &Device::Cpu)?,
            sin: Tensor::from_vec(sin, (max_pos, half), &Device::Cpu)?,
            config,
            embed,
            layers,
            norm,
            output,
        })
    }

    /// The model's shape.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// A zeroed cache for up to `capacity` positions (capped at the model's context length).
    pub fn new_cache(&self, capacity: usize) -> Result<KvCache, LocalError> {
        let capacity = capacity.clamp(1, self.config.context_length.max(1));
        let shape = (1, capacity, self.config.n_kv_head, self.config.head_dim);
        let mut k = Vec::with_capacity(self.config.n_layer);
        let mut v = Vec::with_capacity(self.config.n_layer);
        for _ in 0..self.config.n_layer {
            k.push(Tensor::zeros(shape, DType::F32, &Device::Cpu)?);
            v.push(Tensor::zeros(shape, DType::F32, &Device::Cpu)?);
        }
        Ok(KvCache {
            k,
            v,
            tokens: Vec::with_capacity(capacity),
            capacity,
        })
    }

    /// Runs `tokens` after the cache's tokens, appends them to the cache, and returns the logits
    /// of the last one.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Vec<f32>, LocalError> {
        let pos = cache.tokens.len();
        let t = tokens.len();
        if t == 0 {
            return Err(LocalError::Compute {
                message: "forward called with no tokens".into(),
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
        let c = &self.config;
        let eps = c.rms_eps as f32;
        let ids = Tensor::new(tokens, &Device::Cpu)?;
        let mut x = self.embed.embedding(&ids)?;
        let cos = self.cos.narrow(0, pos, t)?;
        let sin = self.sin.narrow(0, pos, t)?;
        let scale = 1.0 / (c.head_dim as f32).sqrt();
        for (i, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let qkv = layer.qkv.forward(&h)?;
            let [q, k, v] = qkv.as_slice() else {
                return Err(model_err("attention projection is not q, k, v"));
            };
            let q = q.reshape((1, t, c.n_head, c.head_dim))?.contiguous()?;
            let k = k.reshape((1, t, c.n_kv_head, c.head_dim))?.contiguous()?;
            let v = v.reshape((1, t, c.n_kv_head, c.head_dim))?.contiguous()?;
            let q = candle_nn::rotary_emb::rope_thd(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_thd(&k, &cos, &sin)?;
            cache.k[i].slice_set(&k, 1, pos)?;
            cache.v[i].slice_set(&v, 1, pos)?;
            let k_all = cache.k[i].narrow(1, 0, pos + t)?;
            let v_all = cache.v[i].narrow(1, 0, pos + t)?;
            let y = flash_attn::<f32>(
                &q,
                &k_all,
                &v_all,
                scale,
                AttnMask::causal_with_offset(pos),
                None,
                None,
            )?;
            // (1, heads, t, dim) -> (t, hidden)
            let y = if t == 1 {
                y.reshape((1, c.n_embd))?
            } else {
                y.squeeze(0)?.transpose(0, 1)?.reshape((t, c.n_embd))?
            };
            x = (x + layer.wo.forward1(&y)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let gu = layer.gate_up.forward(&h)?;
            let [g, u] = gu.as_slice() else {
                return Err(model_err("feed-forward projection is not gate, up"));
            };
            let a = (g.silu()? * u)?;
            x = (x + layer.down.forward1(&a)?)?;
        }
        let last = x.narrow(0, t - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, eps)?;
        let logits = self.output.forward1(&last)?;
        cache.tokens.extend_from_slice(tokens);
        Ok(logits.flatten_all()?.to_vec1::<f32>()?)
    }
}
