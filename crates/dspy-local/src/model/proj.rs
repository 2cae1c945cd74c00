//! Quantized projections: fused row blocks, a SIMD-friendly column split, and the head
//! reordering that lets rotary embeddings act on half-heads.

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor, D};

use super::gguf::model_err;
use crate::error::LocalError;

/// A projection: one matrix, or several sharing an input fused into one.
///
/// When the input width is not a multiple of 256 and the CPU has AVX512-VNNI, the weights are
/// split by columns: the first `k_main` (a multiple of 256) run candle's tiled int8 kernel, the
/// rest the generic one, and the two products are added. Zero padding would do the same with
/// more bytes read per token (decode is bound by memory bandwidth).
#[derive(Debug)]
pub(super) struct Proj {
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
    pub(super) fn one(t: QTensor) -> Result<Proj, LocalError> {
        Proj::new(vec![t])
    }

    pub(super) fn new(parts: Vec<QTensor>) -> Result<Proj, LocalError> {
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

    pub(super) fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>, LocalError> {
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

    pub(super) fn forward1(&self, x: &Tensor) -> Result<Tensor, LocalError> {
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
pub(super) fn deinterleave_heads(t: QTensor, head_dim: usize) -> Result<QTensor, LocalError> {
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
