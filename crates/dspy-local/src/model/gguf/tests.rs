//! Hostile and truncated GGUF files give errors; files candle writes read as candle reads them.

use std::io::Cursor;
use std::path::PathBuf;

use super::*;
use crate::model::Llama;

/// GGUF type numbers of metadata values.
const U32: u32 = 4;
const F32_VALUE: u32 = 6;
const BOOL: u32 = 7;
const STRING: u32 = 8;
const ARRAY: u32 = 9;
/// GGML type numbers of tensors.
const F32: u32 = 0;
const Q8_0: u32 = 8;

/// Writes GGUF v3 files by hand, hostile ones included.
#[derive(Default)]
struct Builder {
    kv: Vec<u8>,
    n_kv: u64,
    tensors: Vec<u8>,
    n_tensors: u64,
    data: Vec<u8>,
    /// Replaces the tensor count in the header.
    tensor_count: Option<u64>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl Builder {
    fn raw(mut self, key: &str, ty: u32, value: &[u8]) -> Self {
        put_str(&mut self.kv, key);
        self.kv.extend_from_slice(&ty.to_le_bytes());
        self.kv.extend_from_slice(value);
        self.n_kv += 1;
        self
    }

    fn u32(self, key: &str, v: u32) -> Self {
        self.raw(key, U32, &v.to_le_bytes())
    }

    fn f32(self, key: &str, v: f32) -> Self {
        self.raw(key, F32_VALUE, &v.to_le_bytes())
    }

    fn str(self, key: &str, v: &str) -> Self {
        let mut value = Vec::new();
        put_str(&mut value, v);
        self.raw(key, STRING, &value)
    }

    /// A tensor with GGUF-order dimensions (fastest first) at `offset` in the data.
    fn tensor_at(mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> Self {
        put_str(&mut self.tensors, name);
        self.tensors
            .extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            self.tensors.extend_from_slice(&d.to_le_bytes());
        }
        self.tensors.extend_from_slice(&ty.to_le_bytes());
        self.tensors.extend_from_slice(&offset.to_le_bytes());
        self.n_tensors += 1;
        self
    }

    /// An `f32` tensor whose data follows the previous ones.
    fn f32_tensor(mut self, name: &str, dims: &[u64]) -> Self {
        let offset = self.data.len() as u64;
        let n: u64 = dims.iter().product();
        for i in 0..n {
            self.data
                .extend_from_slice(&(0.01 * i as f32).to_le_bytes());
        }
        while !self.data.len().is_multiple_of(32) {
            self.data.push(0);
        }
        self.tensor_at(name, dims, F32, offset)
    }

    fn tensor_count(mut self, n: u64) -> Self {
        self.tensor_count = Some(n);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&self.tensor_count.unwrap_or(self.n_tensors).to_le_bytes());
        out.extend_from_slice(&self.n_kv.to_le_bytes());
        out.extend_from_slice(&self.kv);
        out.extend_from_slice(&self.tensors);
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend_from_slice(&self.data);
        out
    }
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "dspy-local-gguf-{}-{}.gguf",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Opens `bytes` as a GGUF file and reads every tensor, like the loader.
fn load_all(bytes: &[u8]) -> Result<usize, LocalError> {
    let file = TempFile::new(bytes);
    let mut g = Gguf::open(&file.0)?;
    let names: Vec<String> = g.content.tensor_infos.keys().cloned().collect();
    for name in &names {
        g.tensor(name)?;
    }
    Ok(names.len())
}

/// The same, from memory.
fn read_all(bytes: &[u8]) -> Result<usize, String> {
    let mut cursor = Cursor::new(bytes);
    let content = read_content(&mut cursor)?;
    for name in content.tensor_infos.keys() {
        read_tensor(&content, &mut cursor, name).map_err(|e| e.to_string())?;
    }
    Ok(content.tensor_infos.len())
}

fn expect_model_error(bytes: &[u8], needle: &str) {
    match load_all(bytes) {
        Err(LocalError::Model { message }) => {
            assert!(message.contains(needle), "{needle:?} not in: {message}")
        }
        other => panic!("expected a model error mentioning {needle:?}, got {other:?}"),
    }
}

fn small() -> Builder {
    Builder::default()
        .str("general.architecture", "llama")
        .u32("general.alignment", 32)
        .f32_tensor("a", &[4, 2])
        .f32_tensor("b", &[8])
}

#[test]
fn reads_what_candle_writes_like_candle() {
    let a = QTensor::quantize(
        &candle_core::Tensor::arange(0f32, 64., &Device::Cpu)
            .unwrap()
            .reshape((2, 32))
            .unwrap(),
        GgmlDType::Q8_0,
    )
    .unwrap();
    let b = QTensor::quantize(
        &candle_core::Tensor::ones(7, candle_core::DType::F32, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap();
    let name = Value::String("toy".into());
    let list = Value::Array(vec![Value::U32(1), Value::U32(2)]);
    let mut bytes = Cursor::new(Vec::new());
    candle_core::quantized::gguf_file::write(
        &mut bytes,
        &[("general.name", &name), ("list", &list)],
        &[("a", &a), ("b", &b)],
    )
    .unwrap();
    let bytes = bytes.into_inner();

    let ours = read_content(&mut Cursor::new(&bytes)).unwrap();
    let theirs = Content::read(&mut Cursor::new(&bytes)).unwrap();
    assert_eq!(ours.tensor_data_offset, theirs.tensor_data_offset);
    assert_eq!(ours.metadata.len(), theirs.metadata.len());
    assert_eq!(ours.tensor_infos.len(), 2);
    for (name, info) in &theirs.tensor_infos {
        let mine = &ours.tensor_infos[name];
        assert_eq!(mine.shape, info.shape);
        assert_eq!(mine.offset, info.offset);
        assert_eq!(mine.ggml_dtype, info.ggml_dtype);
    }
    let t = read_tensor(&ours, &mut Cursor::new(&bytes), "a").unwrap();
    assert_eq!(t.shape().dims(), &[2, 32]);
    assert_eq!(t.data().unwrap(), a.data().unwrap());
    assert_eq!(load_all(&bytes).unwrap(), 2);
    assert_eq!(read_all(&small().bytes()).unwrap(), 2);
}

#[test]
fn a_huge_tensor_count_is_an_error() {
    expect_model_error(&small().tensor_count(u64::MAX).bytes(), "tensors");
    expect_model_error(&small().tensor_count(1 << 29).bytes(), "tensors");
}

#[test]
fn a_huge_string_length_is_an_error() {
    // A metadata value whose length prefix claims 2^40 and then 2^64-1 bytes.
    for len in [1u64 << 40, u64::MAX] {
        let bytes = small().raw("s", STRING, &len.to_le_bytes()).bytes();
        expect_model_error(&bytes, "bytes");
    }
    // A key whose length is larger than the file.
    let mut bytes = small().bytes();
    bytes.truncate(24);
    bytes.extend_from_slice(&(1u64 << 33).to_le_bytes());
    bytes.extend_from_slice(b"key");
    bytes.extend_from_slice(&[0; 256]);
    expect_model_error(&bytes, "metadata key");
    // A tensor name.
    let mut b = small();
    b.tensors.extend_from_slice(&u64::MAX.to_le_bytes());
    b.n_tensors += 1;
    expect_model_error(&b.bytes(), "tensor name");
}

#[test]
fn huge_or_deep_arrays_are_errors() {
    // `u32` items: the type, then the length.
    for len in [1u64 << 40, 1 << 20] {
        let mut huge = U32.to_le_bytes().to_vec();
        huge.extend_from_slice(&len.to_le_bytes());
        expect_model_error(&small().raw("xs", ARRAY, &huge).bytes(), "elements of xs");
    }

    let mut deep = Vec::new();
    for _ in 0..100 {
        deep.extend_from_slice(&ARRAY.to_le_bytes());
        deep.extend_from_slice(&1u64.to_le_bytes());
    }
    expect_model_error(&small().raw("nested", ARRAY, &deep).bytes(), "nests");

    expect_model_error(&small().raw("flag", BOOL, &[7]).bytes(), "boolean");
    expect_model_error(&small().raw("odd", 99, &[0; 8]).bytes(), "unknown type");
}

#[test]
fn dimensions_whose_product_overflows_are_errors() {
    let data = [0u8; 64];
    for dims in [
        &[1u64 << 32, 1 << 32, 1 << 32][..],
        &[u64::MAX, 2][..],
        // The element count fits, the byte size does not.
        &[1 << 62][..],
        &[1 << 31, 1 << 31, 4][..],
    ] {
        let mut b = small().tensor_at("big", dims, F32, 0);
        b.data.extend_from_slice(&data);
        expect_model_error(&b.bytes(), "overflows");
    }
    // Large but representable: past the end of the file.
    let b = small().tensor_at("big", &[1 << 20, 1 << 20], F32, 0);
    expect_model_error(&b.bytes(), "past the end");
}

#[test]
fn bad_dimension_counts_zero_dimensions_and_block_sizes_are_errors() {
    expect_model_error(&small().tensor_at("z", &[], F32, 0).bytes(), "dimensions");
    expect_model_error(
        &small().tensor_at("z", &[1; 5], F32, 0).bytes(),
        "dimensions",
    );
    expect_model_error(
        &small().tensor_at("z", &[0, 4], F32, 0).bytes(),
        "dimension of 0",
    );
    // Q8_0 stores blocks of 32 values.
    expect_model_error(
        &small().tensor_at("q", &[33], Q8_0, 0).bytes(),
        "block size",
    );
    expect_model_error(
        &small().tensor_at("t", &[4], 77, 0).bytes(),
        "unknown type 77",
    );
}

#[test]
fn offsets_past_the_end_of_the_file_are_errors() {
    for offset in [1u64 << 40, u64::MAX - 31, 64] {
        expect_model_error(
            &small().tensor_at("far", &[8], F32, offset).bytes(),
            "past the end",
        );
    }
    expect_model_error(&small().tensor_at("odd", &[1], F32, 4).bytes(), "alignment");
}

#[test]
fn alignments_that_are_not_powers_of_two_are_errors() {
    for alignment in [0u32, 3, 48] {
        let bytes = Builder::default()
            .u32("general.alignment", alignment)
            .f32_tensor("a", &[8])
            .bytes();
        expect_model_error(&bytes, "alignment");
    }
}

#[test]
fn duplicate_names_are_errors() {
    expect_model_error(&small().u32("general.alignment", 32).bytes(), "twice");
    expect_model_error(&small().tensor_at("a", &[8], F32, 0).bytes(), "twice");
}

#[test]
fn every_truncation_and_every_byte_flip_is_an_error_or_a_valid_file() {
    let bytes = small().bytes();
    for len in 0..bytes.len() {
        assert!(read_all(&bytes[..len]).is_err(), "truncated at {len}");
    }
    let header = bytes.len() - small().data.len();
    for at in 0..header {
        for flip in [0xff, 0x80, 0x01] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            let _ = read_all(&bad);
        }
    }
}

/// A llama header with one `(vocab 8, width 4)` embedding and `extra` metadata.
fn llama(extra: impl FnOnce(Builder) -> Builder) -> Vec<u8> {
    let b = Builder::default()
        .str("general.architecture", "llama")
        .u32("llama.attention.head_count", 1)
        .u32("llama.feed_forward_length", 8)
        .f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
        .f32_tensor("token_embd.weight", &[4, 8])
        .f32_tensor("output_norm.weight", &[4]);
    extra(b).bytes()
}

fn load_llama(bytes: &[u8]) -> Result<Llama, LocalError> {
    let file = TempFile::new(bytes);
    Llama::load(&mut Gguf::open(&file.0)?)
}

fn expect_llama_error(bytes: &[u8], needle: &str) {
    match load_llama(bytes) {
        Err(LocalError::Model { message }) => {
            assert!(message.contains(needle), "{needle:?} not in: {message}")
        }
        other => panic!("expected a model error mentioning {needle:?}, got {other:?}"),
    }
}

#[test]
fn a_tiny_llama_loads() {
    let model = load_llama(&llama(|b| {
        b.u32("llama.embedding_length", 4)
            .u32("llama.block_count", 0)
            .u32("llama.context_length", 16)
    }))
    .unwrap();
    assert_eq!(model.config().vocab_size, 8);
    assert_eq!(model.config().context_length, 16);
}

#[test]
fn hostile_model_metadata_is_an_error() {
    // Rotary tables for 2^31 positions would take 16 GiB.
    expect_llama_error(
        &llama(|b| {
            b.u32("llama.embedding_length", 4)
                .u32("llama.block_count", 0)
                .u32("llama.context_length", u32::MAX)
        }),
        "rotary tables",
    );
    // 2^32 - 1 blocks in a file of a few tensors.
    expect_llama_error(
        &llama(|b| {
            b.u32("llama.embedding_length", 4)
                .u32("llama.block_count", u32::MAX)
                .u32("llama.context_length", 16)
        }),
        "blocks",
    );
    // A hidden size the embedding does not have.
    expect_llama_error(
        &llama(|b| {
            b.u32("llama.embedding_length", 1 << 30)
                .u32("llama.block_count", 0)
                .u32("llama.context_length", 16)
        }),
        "token_embd.weight",
    );
}
