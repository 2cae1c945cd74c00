//! Reading GGUF files (metadata, tensors) and rewriting one with requantized matrices.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;

use crate::error::LocalError;

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

pub(super) fn model_err(message: impl Into<String>) -> LocalError {
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

pub(super) fn read_tensor<R: Read + Seek>(
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
