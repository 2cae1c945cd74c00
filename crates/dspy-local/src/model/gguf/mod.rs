//! Reading GGUF files (metadata, tensors) and rewriting one with requantized matrices.

//!
//! The header is read here, not by candle: every count, length, dimension and offset is checked
//! against the file's size (with overflow-checked arithmetic) before anything is allocated, so a
//! damaged or hostile file is a [`LocalError::Model`], never a panic, an abort or a huge
//! allocation.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, TensorInfo, Value, VersionedMagic};
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
        let content = read_content(&mut reader)
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

/// Longest metadata string or tensor name (llama.cpp's `GGUF_MAX_STRING_LENGTH`).
const MAX_STRING_LEN: u64 = 1 << 30;
/// Most tensors, metadata entries or elements of one metadata array (llama.cpp's limit).
const MAX_COUNT: u64 = 1 << 30;
/// Most dimensions of a tensor (ggml's `GGML_MAX_DIMS`).
const MAX_DIMS: u32 = 4;
/// Deepest nesting of metadata arrays (arrays of arrays of ...).
const MAX_DEPTH: usize = 8;
/// The `GGUF` magic, as the first four bytes of the file.
const MAGIC: [u8; 4] = *b"GGUF";

/// Reads a GGUF header (metadata and tensor index) from `reader`, at its start, checking
/// every size against the bytes left in the file before allocating anything.
///
/// Each tensor is checked too: at most four non-zero dimensions whose product (and byte size)
/// does not overflow, a known type whose block size divides it, an offset aligned to
/// `general.alignment` (a power of two), and data that ends inside the file. Reading a tensor
/// afterwards ([`read_tensor`]) therefore allocates at most the file's size.
pub(super) fn read_content<R: Read + Seek>(reader: &mut R) -> Result<Content, String> {
    let size = reader
        .seek(SeekFrom::End(0))
        .and_then(|size| reader.seek(SeekFrom::Start(0)).map(|_| size))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let mut r = Header {
        reader,
        pos: 0,
        size,
        short_lengths: false,
    };
    if r.fixed::<4>("the magic number")? != MAGIC {
        return Err("it does not start with the GGUF magic number".into());
    }
    let magic = match r.u32("the version")? {
        1 => VersionedMagic::GgufV1,
        2 => VersionedMagic::GgufV2,
        3 => VersionedMagic::GgufV3,
        v => return Err(format!("GGUF version {v} is not supported (1 to 3 are)")),
    };
    r.short_lengths = matches!(magic, VersionedMagic::GgufV1);
    let tensor_count = r.len("the tensor count")?;
    let kv_count = r.len("the metadata count")?;
    // Smallest possible entries: a key (length prefix), a type and one byte of value; a tensor
    // name (length prefix), a dimension count, one dimension, a type and an offset.
    let prefix = r.prefix_size();
    r.fits(kv_count, prefix + 4 + 1, "metadata entries")?;
    r.fits(tensor_count, prefix + 4 + prefix + 4 + 8, "tensors")?;

    let mut metadata = HashMap::new();
    for _ in 0..kv_count {
        let key = r.string("a metadata key")?;
        let ty = r.u32("a metadata type")?;
        let value = r.value(ty, 0, &key)?;
        if metadata.insert(key.clone(), value).is_some() {
            return Err(format!("metadata key {key} appears twice"));
        }
    }

    let mut entries: Vec<(String, Tensor)> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for _ in 0..tensor_count {
        let name = r.string("a tensor name")?;
        if !names.insert(name.clone()) {
            return Err(format!("tensor {name} appears twice"));
        }
        let tensor = r.tensor_info(&name)?;
        entries.push((name, tensor));
    }

    let alignment = match metadata.get("general.alignment") {
        None => candle_core::quantized::gguf_file::DEFAULT_ALIGNMENT,
        Some(Value::U8(a)) => u64::from(*a),
        Some(Value::U16(a)) => u64::from(*a),
        Some(Value::U32(a)) => u64::from(*a),
        Some(Value::U64(a)) => *a,
        Some(other) => {
            return Err(format!(
                "general.alignment is not an unsigned integer ({other:?})"
            ))
        }
    };
    if !alignment.is_power_of_two() {
        return Err(format!(
            "general.alignment is {alignment}, not a power of two"
        ));
    }
    let data_offset = r
        .pos
        .checked_next_multiple_of(alignment)
        .filter(|&offset| offset <= size)
        .ok_or_else(|| {
            format!("the tensor data would start past the end of the file ({size} bytes)")
        })?;

    let mut tensor_infos = HashMap::with_capacity(entries.len());
    for (name, t) in entries {
        let offset = t.info.offset;
        if offset % alignment != 0 {
            return Err(format!(
                "tensor {name} starts at offset {offset}, not a multiple of the alignment \
                 {alignment}"
            ));
        }
        let end = data_offset
            .checked_add(offset)
            .and_then(|start| start.checked_add(t.bytes));
        if !matches!(end, Some(end) if end <= size) {
            return Err(format!(
                "tensor {name} needs {} bytes at offset {} after the header, past the end of the \
                 file ({size} bytes): the file is truncated or damaged",
                t.bytes, offset
            ));
        }
        tensor_infos.insert(name, t.info);
    }
    Ok(Content {
        magic,
        metadata,
        tensor_infos,
        tensor_data_offset: data_offset,
    })
}

/// A tensor of the index, with its size in the file.
struct Tensor {
    info: TensorInfo,
    bytes: u64,
}

/// A cursor over a GGUF header that knows how many bytes the file has left.
struct Header<'r, R> {
    reader: &'r mut R,
    pos: u64,
    size: u64,
    /// GGUF v1 writes lengths and dimensions as `u32`, later versions as `u64`.
    short_lengths: bool,
}

impl<R: Read> Header<'_, R> {
    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    fn prefix_size(&self) -> u64 {
        if self.short_lengths {
            4
        } else {
            8
        }
    }

    /// Fails unless `count` items of at least `each` bytes fit in the rest of the file.
    fn fits(&self, count: u64, each: u64, what: &str) -> Result<(), String> {
        if count > MAX_COUNT {
            return Err(format!(
                "{count} {what} is more than the limit of {MAX_COUNT}"
            ));
        }
        let needed = count.saturating_mul(each);
        if needed > self.remaining() {
            return Err(format!(
                "{count} {what} need at least {needed} bytes, but only {} are left in the file",
                self.remaining()
            ));
        }
        Ok(())
    }

    fn fixed<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut buf = [0u8; N];
        self.exact(&mut buf, what)?;
        Ok(buf)
    }

    /// Fills `buf`, which the caller has checked fits in the file.
    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), String> {
        let n = buf.len() as u64;
        if n > self.remaining() {
            return Err(format!(
                "the file ends at byte {} while reading {what}: it is truncated",
                self.size
            ));
        }
        self.reader
            .read_exact(buf)
            .map_err(|e| format!("cannot read {what} at byte {}: {e}", self.pos))?;
        self.pos += n;
        Ok(())
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.fixed(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.fixed(what)?))
    }

    /// A length or count: `u32` in GGUF v1, `u64` after.
    fn len(&mut self, what: &str) -> Result<u64, String> {
        if self.short_lengths {
            self.u32(what).map(u64::from)
        } else {
            self.u64(what)
        }
    }

    fn string(&mut self, what: &str) -> Result<String, String> {
        let len = self.len(what)?;
        if len > MAX_STRING_LEN {
            return Err(format!(
                "{what} is {len} bytes long, more than the limit of {MAX_STRING_LEN}"
            ));
        }
        if len > self.remaining() {
            return Err(format!(
                "{what} is {len} bytes long, but only {} bytes are left in the file",
                self.remaining()
            ));
        }
        let len = usize::try_from(len).map_err(|_| format!("{what} is too long"))?;
        let mut bytes = vec![0u8; len];
        self.exact(&mut bytes, what)?;
        // Some writers add a NUL terminator.
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Smallest size of one value of type `ty` in the file.
    fn min_size(&self, ty: u32) -> Option<u64> {
        Some(match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            8 => self.prefix_size(),
            9 => 4 + self.prefix_size(),
            _ => return None,
        })
    }

    fn value(&mut self, ty: u32, depth: usize, key: &str) -> Result<Value, String> {
        let what = || format!("the value of {key}");
        Ok(match ty {
            0 => Value::U8(u8::from_le_bytes(self.fixed(&what())?)),
            1 => Value::I8(i8::from_le_bytes(self.fixed(&what())?)),
            2 => Value::U16(u16::from_le_bytes(self.fixed(&what())?)),
            3 => Value::I16(i16::from_le_bytes(self.fixed(&what())?)),
            4 => Value::U32(u32::from_le_bytes(self.fixed(&what())?)),
            5 => Value::I32(i32::from_le_bytes(self.fixed(&what())?)),
            6 => Value::F32(f32::from_le_bytes(self.fixed(&what())?)),
            7 => match self.fixed::<1>(&what())? {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                [b] => return Err(format!("{key} is a boolean with the value {b}")),
            },
            8 => Value::String(self.string(&what())?),
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "{key} nests arrays more than {MAX_DEPTH} levels deep"
                    ));
                }
                let item = self.u32(&what())?;
                let len = self.len(&what())?;
                let each = self
                    .min_size(item)
                    .ok_or_else(|| format!("{key} is an array of unknown type {item}"))?;
                self.fits(len, each, &format!("elements of {key}"))?;
                // `fits` bounds `len` by the file's size; grow as elements arrive anyway.
                let mut items = Vec::with_capacity(usize::try_from(len.min(4096)).unwrap_or(0));
                for _ in 0..len {
                    items.push(self.value(item, depth + 1, key)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64(&what())?),
            11 => Value::I64(i64::from_le_bytes(self.fixed(&what())?)),
            12 => Value::F64(f64::from_le_bytes(self.fixed(&what())?)),
            _ => return Err(format!("{key} has unknown type {ty}")),
        })
    }

    fn tensor_info(&mut self, name: &str) -> Result<Tensor, String> {
        let what = format!("tensor {name}");
        let n_dims = self.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(format!(
                "{what} has {n_dims} dimensions (1 to {MAX_DIMS} are allowed)"
            ));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let dim = self.len(&what)?;
            let dim = usize::try_from(dim)
                .ok()
                .filter(|&d| d > 0)
                .ok_or_else(|| format!("{what} has a dimension of {dim}"))?;
            dims.push(dim);
        }
        let elements = dims
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("{what} has dimensions {dims:?}, whose product overflows"))?;
        let ty = self.u32(&what)?;
        let dtype = ggml_dtype(ty).ok_or_else(|| format!("{what} has unknown type {ty}"))?;
        let block = dtype.block_size();
        if elements % block != 0 {
            return Err(format!(
                "{what} has {elements} elements, not a multiple of the {dtype:?} block size {block}"
            ));
        }
        let bytes = (elements / block)
            .checked_mul(dtype.type_size())
            .and_then(|b| u64::try_from(b).ok())
            .ok_or_else(|| format!("{what} has dimensions {dims:?}, whose size overflows"))?;
        let offset = self.u64(&what)?;
        // GGUF lists the fastest-varying dimension first; candle wants it last.
        dims.reverse();
        Ok(Tensor {
            info: TensorInfo {
                ggml_dtype: dtype,
                shape: candle_core::Shape::from(dims),
                offset,
            },
            bytes,
        })
    }
}

/// The tensor type with GGML's number `ty`, if candle knows it.
fn ggml_dtype(ty: u32) -> Option<GgmlDType> {
    Some(match ty {
        0 => GgmlDType::F32,
        1 => GgmlDType::F16,
        2 => GgmlDType::Q4_0,
        3 => GgmlDType::Q4_1,
        6 => GgmlDType::Q5_0,
        7 => GgmlDType::Q5_1,
        8 => GgmlDType::Q8_0,
        9 => GgmlDType::Q8_1,
        10 => GgmlDType::Q2K,
        11 => GgmlDType::Q3K,
        12 => GgmlDType::Q4K,
        13 => GgmlDType::Q5K,
        14 => GgmlDType::Q6K,
        15 => GgmlDType::Q8K,
        30 => GgmlDType::BF16,
        _ => return None,
    })
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

#[cfg(test)]
mod tests;
