//! A llama-family transformer on candle's quantized CPU kernels, with a preallocated KV cache.
//!
//! Loading reorders the rows of the query and key projections so that rotary embeddings apply to
//! the two halves of each head (`rope_thd`) instead of interleaved pairs; attention scores do not
//! change (queries and keys get the same permutation), and the `(seq, head, dim)` layout then
//! flows from the projections through the cache into candle's CPU flash attention with no
//! transposes. The query, key and value projections (and the gate and up projections) are fused
//! into one quantized matrix each when their types match, so one lhs quantization serves three
//! (two) products.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::attention::{flash_attn, AttnMask};

use crate::error::LocalError;

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

/// A GGUF file's metadata and tensor index, with the open file.
pub(crate) struct Gguf {
    pub(crate) content: Content,
    reader: BufReader<File>,
    path: String,
}

impl std::fmt::Debug for Gguf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gguf").field("path", &self.path).finish()
    }
}

fn model_err(message: impl Into<String>) -> LocalError {
    LocalError::Model {
        message: message.into(),
    }
}

impl Gguf {
    /// Opens a GGUF file and reads its header.
    pub(crate) fn open(path: &Path) -> Result<Gguf, LocalError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                LocalError::ModelMissing {
                    path: shown.clone(),
                }
            } else {
                LocalError::Io {
                    path: shown.clone(),
                    message: e.to_string(),
                }
            }
        })?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let content = Content::read(&mut reader)
            .map_err(|e| model_err(format!("{shown} is not a readable GGUF file ({e})")))?;
        Ok(Gguf {
            content,
            reader,
            path: shown,
        })
    }

    pub(crate) fn get(&self, key: &str) -> Result<&Value, LocalError> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| model_err(format!("metadata key {key} is missing")))
    }

    pub(crate) fn string(&self, key: &str) -> Result<String, LocalError> {
        self.get(key)?
            .to_string()
            .cloned()
            .map_err(|e| model_err(format!("{key}: {e}")))
    }

    pub(crate) fn usize(&self, key: &str) -> Result<usize, LocalError> {
        let v = self.get(key)?;
        let n = match v {
            Value::U8(x) => u64::from(*x),
            Value::U16(x) => u64::from(*x),
            Value::U32(x) => u64::from(*x),
            Value::U64(x) => *x,
            Value::I8(x) => u64::try_from(*x).unwrap_or(0),
            Value::I16(x) => u64::try_from(*x).unwrap_or(0),
            Value::I32(x) => u64::try_from(*x).unwrap_or(0),
            Value::I64(x) => u64::try_from(*x).unwrap_or(0),
            _ => return Err(model_err(format!("{key} is not an integer"))),
        };
        usize::try_from(n).map_err(|_| model_err(format!("{key} is too large")))
    }

    pub(crate) fn f64(&self, key: &str) -> Result<f64, LocalError> {
        match self.get(key)? {
            Value::F32(x) => Ok(f64::from(*x)),
            Value::F64(x) => Ok(*x),
            _ => self.usize(key).map(|n| n as f64),
        }
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> bool {
        match self.content.metadata.get(key) {
            Some(Value::Bool(b)) => *b,
            _ => default,
        }
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, LocalError> {
        let values = self
            .get(key)?
            .to_vec()
            .map_err(|e| model_err(format!("{key}: {e}")))?;
        values
            .iter()
            .map(|v| {
                v.to_string()
                    .cloned()
                    .map_err(|e| model_err(format!("{key}: {e}")))
            })
            .collect()
    }

    pub(crate) fn i32s(&self, key: &str) -> Result<Vec<i32>, LocalError> {
        let values = self
            .get(key)?
            .to_vec()
            .map_err(|e| model_err(format!("{key}: {e}")))?;
        Ok(values
            .iter()
            .map(|v| match v {
                Value::I32(x) => *x,
                Value::U32(x) => i32::try_from(*x).unwrap_or(1),
                Value::I8(x) => i32::from(*x),
                Value::U8(x) => i32::from(*x),
                _ => 1,
            })
            .collect())
    }

    /// Reads one tensor.
    pub(crate) fn tensor(&mut self, name: &str) -> Result<QTensor, LocalError> {
        read_tensor(&self.content, &mut self.reader, name)
    }
}

fn read_tensor<R: Read + Seek>(
    content: &Content,
    reader: &mut R,
    name: &str,
) -> Result<QTensor, LocalError> {
    if !content.tensor_infos.contains_key(name) {
        return Err(model_err(format!("tensor {name} is missing")));
    }
    content
        .tensor(reader, name, &Device::Cpu)
        .map_err(|e| model_err(format!("tensor {name}: {e}")))
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
        let vocab_size = g
            .content
            .tensor_infos
            .get("token_embd.weight")
            .and_then(|t| t.shape.dims().first().copied())
            .ok_or_else(|| model_err("tensor token_embd.weight is missing"))?;
        Ok(LlamaConfig {
            n_layer: g.usize(&key("block_count"))?,
            n_embd,
            n_head,
            n_kv_head,
            head_dim,
            n_ff: g.usize(&key("feed_forward_length"))?,
            rms_eps: g.f64(&key("attention.layer_norm_rms_epsilon"))?,
            rope_base: g.f64(&key("rope.freq_base")).unwrap_or(10_000.0) as f32,
            context_length: g.usize(&key("context_length")).unwrap_or(2048),
            vocab_size,
        })
    }
}

/// A projection: one matrix, or several sharing an input fused into one.
///
/// When the input width is not a multiple of 256 and the CPU has AVX512-VNNI, the weights are
/// split by columns: the first `k_main` (a multiple of 256) run candle's tiled int8 kernel, the
/// rest the generic one, and the two products are added. Zero padding would do the same with
/// more bytes read per token (decode is bound by memory bandwidth).
#[derive(Debug)]
struct Proj {
    main: QMatMul,
    /// The last columns, when split.
    rest: Option<QMatMul>,
    /// Output widths of the fused parts.
    splits: Vec<usize>,
    k_main: usize,
}

/// Concatenates row-major quantized matrices with equal widths along the output dimension.
fn concat_rows(parts: &[QTensor]) -> Result<QTensor, LocalError> {
    let Some(first) = parts.first() else {
        return Err(model_err("empty projection"));
    };
    if parts.len() == 1 {
        let data = first.data()?;
        let storage =
            QStorage::from_data(Cow::Owned(data.into_owned()), &Device::Cpu, first.dtype())?;
        return Ok(QTensor::new(storage, first.shape().clone())?);
    }
    let mut bytes = Vec::new();
    let mut rows = 0;
    for p in parts {
        bytes.extend_from_slice(&p.data()?);
        rows += p.shape().dims()[0];
    }
    let k = first.shape().dims2()?.1;
    let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, first.dtype())?;
    Ok(QTensor::new(storage, (rows, k))?)
}

/// Columns `[from, from + width)` of a quantized matrix (block aligned).
fn column_slice(t: &QTensor, from: usize, width: usize) -> Result<QTensor, LocalError> {
    let (rows, k) = t.shape().dims2()?;
    let dtype = t.dtype();
    let bs = dtype.block_size();
    if !from.is_multiple_of(bs) || !width.is_multiple_of(bs) || from + width > k {
        return Err(model_err("column split is not block aligned"));
    }
    let data = t.data()?;
    let row_bytes = data.len() / rows;
    let (a, b) = (
        from / bs * dtype.type_size(),
        (from + width) / bs * dtype.type_size(),
    );
    let mut out = Vec::with_capacity(rows * (b - a));
    for row in data.chunks_exact(row_bytes) {
        out.extend_from_slice(&row[a..b]);
    }
    let storage = QStorage::from_data(Cow::Owned(out), &Device::Cpu, dtype)?;
    Ok(QTensor::new(storage, (rows, width))?)
}

impl Proj {
    fn one(t: QTensor) -> Result<Proj, LocalError> {
        Proj::new(vec![t])
    }

    fn new(parts: Vec<QTensor>) -> Result<Proj, LocalError> {
        let Some(first) = parts.first() else {
            return Err(model_err("empty projection"));
        };
        let dtype = first.dtype();
        let k = first.shape().dims2()?.1;
        let same = parts
            .iter()
            .all(|t| t.dtype() == dtype && t.shape().dims().get(1) == Some(&k));
        if !same {
            return Err(model_err(
                "projections sharing an input differ in type or width",
            ));
        }
        let splits: Vec<usize> = parts.iter().map(|t| t.shape().dims()[0]).collect();
        let floats = matches!(dtype, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16);
        let fused = if floats && parts.len() > 1 {
            // Float matrices: fuse after dequantizing.
            let ts = parts
                .iter()
                .map(|t| t.dequantize(&Device::Cpu))
                .collect::<Result<Vec<_>, _>>()?;
            QTensor::quantize(&Tensor::cat(&ts, 0)?, dtype)?
        } else {
            concat_rows(&parts)?
        };
        let k_main = if floats { k } else { tiled_width(k, dtype) };
        if k_main == k || k_main == 0 {
            return Ok(Proj {
                main: QMatMul::from_qtensor(fused)?,
                rest: None,
                splits,
                k_main: k,
            });
        }
        let main = column_slice(&fused, 0, k_main)?;
        Ok(Proj {
            main: QMatMul::from_qtensor(main)?,
            rest: Some(QMatMul::from_qtensor(column_slice(
                &fused,
                k_main,
                k - k_main,
            )?)?),
            splits,
            k_main,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>, LocalError> {
        let y = match &self.rest {
            None => self.main.forward(x)?,
            Some(rest) => {
                let k = x.dim(D::Minus1)?;
                let a = x.narrow(D::Minus1, 0, self.k_main)?.contiguous()?;
                let b = x
                    .narrow(D::Minus1, self.k_main, k - self.k_main)?
                    .contiguous()?;
                (self.main.forward(&a)? + rest.forward(&b)?)?
            }
        };
        if self.splits.len() == 1 {
            return Ok(vec![y]);
        }
        let mut out = Vec::with_capacity(self.splits.len());
        let mut at = 0;
        for &n in &self.splits {
            out.push(y.narrow(D::Minus1, at, n)?);
            at += n;
        }
        Ok(out)
    }

    fn forward1(&self, x: &Tensor) -> Result<Tensor, LocalError> {
        self.forward(x)?
            .into_iter()
            .next()
            .ok_or_else(|| model_err("empty projection"))
    }
}

/// How many leading columns of a `k`-wide product candle's tiled CPU kernels can take: on x86
/// with AVX512-VNNI, Q8_0 (and K-quant) products run tiled int8 kernels, several times faster
/// than the generic ones, when `k` is a multiple of 256. Returns `k` when no split is wanted.
fn tiled_width(k: usize, dtype: GgmlDType) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let vnni = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vnni");
        let tiled = matches!(dtype, GgmlDType::Q8_0 | GgmlDType::Q4K | GgmlDType::Q6K);
        if vnni && tiled && k > 256 && std::env::var_os("DSPY_LOCAL_NO_SPLIT").is_none() {
            return k / 256 * 256;
        }
    }
    let _ = dtype;
    k
}

/// Reorders each head's rows from interleaved rotary pairs `(2i, 2i+1)` to halves `(i, i+d/2)`.
fn deinterleave_heads(t: QTensor, head_dim: usize) -> Result<QTensor, LocalError> {
    let (rows, cols) = t.shape().dims2()?;
    if head_dim == 0 || rows % head_dim != 0 {
        return Err(model_err("projection rows are not a whole number of heads"));
    }
    let dtype = t.dtype();
    let data = t.data()?;
    let row_bytes = data.len() / rows;
    let mut out = Vec::with_capacity(data.len());
    let half = head_dim / 2;
    for head in 0..rows / head_dim {
        for j in 0..head_dim {
            let src = head * head_dim + if j < half { 2 * j } else { 2 * (j - half) + 1 };
            out.extend_from_slice(&data[src * row_bytes..(src + 1) * row_bytes]);
        }
    }
    let storage = QStorage::from_data(Cow::Owned(out), &Device::Cpu, dtype)?;
    Ok(QTensor::new(storage, (rows, cols))?)
}

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

/// Converts the quantized matrices of a GGUF file to `dtype` (e.g. Q4_1 to Q8_0), keeping
/// metadata, norms and tensors already in `dtype` or in a float type as they are.
pub fn requantize_gguf(src: &Path, dst: &Path, dtype: GgmlDType) -> Result<(), LocalError> {
    let mut g = Gguf::open(src)?;
    let mut names: Vec<String> = g.content.tensor_infos.keys().cloned().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in &names {
        let t = g.tensor(name)?;
        let keep = t.dtype() == dtype
            || matches!(t.dtype(), GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16)
            || t.shape().dims().len() < 2;
        let t = if keep {
            t
        } else {
            let f = t.dequantize(&Device::Cpu)?;
            QTensor::quantize(&f, dtype)?
        };
        tensors.push((name.clone(), t));
    }
    let mut metadata: Vec<(&str, &Value)> = g
        .content
        .metadata
        .iter()
        // The writer aligns tensors to 32 bytes, GGUF's default: drop any other alignment.
        .filter(|(k, _)| k.as_str() != "general.alignment")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let file_type = Value::U32(match dtype {
        GgmlDType::Q8_0 => 7,
        GgmlDType::F16 => 1,
        GgmlDType::Q4_0 => 2,
        _ => 0,
    });
    let metadata: Vec<(&str, &Value)> = metadata
        .into_iter()
        .map(|(k, v)| {
            if k == "general.file_type" {
                (k, &file_type)
            } else {
                (k, v)
            }
        })
        .collect();
    let out = File::create(dst).map_err(|e| LocalError::Io {
        path: dst.display().to_string(),
        message: e.to_string(),
    })?;
    let mut w = std::io::BufWriter::new(out);
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    candle_core::quantized::gguf_file::write(&mut w, &metadata, &refs)?;
    std::io::Write::flush(&mut w).map_err(|e| LocalError::Io {
        path: dst.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(())
}
