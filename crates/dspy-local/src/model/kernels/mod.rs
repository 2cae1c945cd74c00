//! Int8 matrix products for the forward pass: weights in Q8_0 (blocks of 32 int8 values with
//! one scale), activations quantized the same way per token, products tiled over several
//! weight rows and several tokens so that each loaded block serves many multiply-adds.
//!
//! Three instruction sets, chosen once per process at run time ([`Isa::detect`]):
//! AVX512-VNNI, AVX2, and portable Rust for everything else. Matrices are built row-major
//! ([`QMatrix::quantize`], [`QMatrix::from_q8_0`]), reordered and stacked in that form, then
//! [`QMatrix::pack`]ed once for the kernel that reads them: the x86 kernels read rows
//! interleaved in groups (16 for VNNI, 8 for AVX2), each vector holding 4 consecutive quants of
//! every row of its group, so that one instruction against 4 broadcast activation bytes
//! advances a whole group's dot products and the group's results leave as one vector. VNNI's
//! `vpdpbusd` wants unsigned weights: they are stored as `w + 128`, the offset taken back out
//! through each activation block's sum. AVX2's `vpmaddubsw` gets `|x|` and `w * sign(x)`.
//! Packed scales are `f16`, as in the file.

use half::f16;

use super::simd::simd_fn;

#[cfg(target_arch = "x86_64")]
mod x86;

/// Values per quantization block (ggml's `QK8_0`).
pub(crate) const BLOCK: usize = 32;

/// The instruction set the kernels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512 F/BW with VNNI.
    Avx512Vnni,
    /// AVX2 with FMA and F16C.
    Avx2,
    /// Portable Rust, no explicit SIMD.
    Portable,
}

impl Isa {
    /// The best instruction set this CPU supports. `DSPY_LOCAL_ISA=avx2|portable` asks for a
    /// lesser one (to compare kernels on one machine); a request the CPU cannot honour is ignored.
    pub fn detect() -> Isa {
        static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *ISA.get_or_init(|| {
            let best = Isa::best();
            match std::env::var("DSPY_LOCAL_ISA").as_deref() {
                Ok("portable") => Isa::Portable,
                Ok("avx2") if best != Isa::Portable => Isa::Avx2,
                _ => best,
            }
        })
    }

    /// The best instruction set the CPU has, ignoring the environment.
    pub fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma") && has!("f16c");
            if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vnni") {
                return Isa::Avx512Vnni;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Whether this CPU can run `self`'s kernels.
    fn runs_here(self) -> bool {
        matches!(
            (self, Isa::best()),
            (Isa::Portable, _) | (_, Isa::Avx512Vnni) | (Isa::Avx2, Isa::Avx2)
        )
    }

    /// Every instruction set this CPU can run, best first.
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Isa> {
        match Isa::best() {
            Isa::Avx512Vnni => vec![Isa::Avx512Vnni, Isa::Avx2, Isa::Portable],
            Isa::Avx2 => vec![Isa::Avx2, Isa::Portable],
            Isa::Portable => vec![Isa::Portable],
        }
    }

    /// Rows per interleaved group (1: row-major).
    fn group(self) -> usize {
        match self {
            Isa::Avx512Vnni => 16,
            Isa::Avx2 => 8,
            Isa::Portable => 1,
        }
    }

    /// What packed quants add to each weight.
    fn offset(self) -> u8 {
        if self == Isa::Avx512Vnni {
            128
        } else {
            0
        }
    }
}

/// Blocks per row for a width of `k` (a partial last block is padded with zeros).
fn blocks_for(k: usize) -> usize {
    k.div_ceil(BLOCK)
}

/// A weight matrix (`rows` outputs by `k` inputs) in Q8_0: row-major as built (what
/// [`Isa::Portable`] reads), or packed for an x86 kernel.
#[derive(Clone)]
pub struct QMatrix {
    rows: usize,
    k: usize,
    blocks: usize,
    /// Row-major: `rows * blocks * 32` quants as `i8` bits. Packed: per group and block,
    /// 8 vectors of `group` rows by 4 quants (plus the layout's offset).
    quants: Vec<u8>,
    /// Row-major: `rows * blocks` scales (empty when packed).
    scales: Vec<f32>,
    /// Packed: per group and block, the group's scales as `f16` bits.
    scales16: Vec<u16>,
    /// The layout: row-major for [`Isa::Portable`].
    isa: Isa,
}

impl QMatrix {
    /// From ggml Q8_0 blocks (a little-endian `f16` scale, then 32 `i8`), row-major.
    pub fn from_q8_0(bytes: &[u8], rows: usize, k: usize) -> Option<QMatrix> {
        let per_row = k / BLOCK;
        if k == 0
            || !k.is_multiple_of(BLOCK)
            || bytes.len() != rows.checked_mul(per_row)?.checked_mul(34)?
        {
            return None;
        }
        let mut m = QMatrix::zeros(rows, k);
        for (i, block) in bytes.chunks_exact(34).enumerate() {
            m.scales[i] = f16::from_le_bytes([block[0], block[1]]).to_f32();
            m.quants[i * BLOCK..(i + 1) * BLOCK].copy_from_slice(&block[2..]);
        }
        Some(m)
    }

    /// Quantizes row-major `f32` values as ggml's Q8_0 does (scales rounded to `f16`).
    pub fn quantize(values: &[f32], rows: usize, k: usize) -> Option<QMatrix> {
        if k == 0 || values.len() != rows.checked_mul(k)? {
            return None;
        }
        let mut m = QMatrix::zeros(rows, k);
        let mut q = [0i8; BLOCK];
        let nb = m.blocks;
        for (r, row) in values.chunks_exact(k).enumerate() {
            for (b, chunk) in row.chunks(BLOCK).enumerate() {
                m.scales[r * nb + b] = f16::from_f32(quantize_block(chunk, &mut q)).to_f32();
                let at = (r * nb + b) * BLOCK;
                for (dst, &v) in m.quants[at..at + BLOCK].iter_mut().zip(&q) {
                    *dst = v as u8;
                }
            }
        }
        Some(m)
    }

    fn zeros(rows: usize, k: usize) -> QMatrix {
        let blocks = blocks_for(k);
        QMatrix {
            rows,
            k,
            blocks,
            quants: vec![0; rows * blocks * BLOCK],
            scales: vec![0.0; rows * blocks],
            scales16: Vec::new(),
            isa: Isa::Portable,
        }
    }

    /// This row-major matrix in the layout `isa`'s kernel reads (row-major when this CPU
    /// cannot run `isa`).
    pub fn pack(self, isa: Isa) -> QMatrix {
        let isa = if isa.runs_here() { isa } else { Isa::Portable };
        let group = isa.group();
        if group == 1 || self.isa != Isa::Portable {
            return self;
        }
        let (nb, groups, offset) = (self.blocks, self.rows.div_ceil(group), isa.offset());
        let mut quants = vec![offset; groups * nb * group * BLOCK];
        let mut scales16 = vec![0u16; groups * nb * group];
        for r in 0..self.rows {
            let (g, lane) = (r / group, r % group);
            for b in 0..nb {
                let gb = g * nb + b;
                scales16[gb * group + lane] = f16::from_f32(self.scales[r * nb + b]).to_bits();
                let src = &self.quants[(r * nb + b) * BLOCK..(r * nb + b + 1) * BLOCK];
                for (i, &q) in src.iter().enumerate() {
                    // AVX2 flips signs with `vpsignb`, which leaves -128 at -128: such quants
                    // (ggml never writes them) become -127 there.
                    let q = if isa == Isa::Avx2 && q == 0x80 {
                        0x81
                    } else {
                        q
                    };
                    quants[packed_index(group, gb, lane, i)] = q.wrapping_add(offset);
                }
            }
        }
        QMatrix {
            quants,
            scales: Vec::new(),
            scales16,
            isa,
            ..self
        }
    }

    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input width.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Quant `i` of row `r` and its block's scale.
    fn get(&self, r: usize, i: usize) -> (i8, f32) {
        let (nb, b, group) = (self.blocks, i / BLOCK, self.isa.group());
        if group == 1 {
            return (
                self.quants[r * nb * BLOCK + i] as i8,
                self.scales[r * nb + b],
            );
        }
        let gb = (r / group) * nb + b;
        let q = self.quants[packed_index(group, gb, r % group, i % BLOCK)];
        let d = f16::from_bits(self.scales16[gb * group + r % group]).to_f32();
        (q.wrapping_sub(self.isa.offset()) as i8, d)
    }

    /// Row `r` as `f32` values (an embedding lookup).
    pub fn row_f32(&self, r: usize, out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate().take(self.k) {
            let (q, d) = self.get(r, i);
            *o = q as f32 * d;
        }
    }

    /// A new row-major matrix of the given rows of this row-major one, in order.
    pub fn select_rows(&self, order: &[usize]) -> QMatrix {
        debug_assert!(self.isa == Isa::Portable, "select rows before packing");
        let mut m = QMatrix::zeros(order.len(), self.k);
        let (qb, sb) = (self.blocks * BLOCK, self.blocks);
        for (dst, &src) in order.iter().enumerate() {
            m.quants[dst * qb..(dst + 1) * qb]
                .copy_from_slice(&self.quants[src * qb..(src + 1) * qb]);
            m.scales[dst * sb..(dst + 1) * sb]
                .copy_from_slice(&self.scales[src * sb..(src + 1) * sb]);
        }
        m
    }

    /// Stacks row-major matrices of the same width along the output dimension.
    pub fn concat(parts: &[QMatrix]) -> Option<QMatrix> {
        let first = parts.first()?;
        if parts
            .iter()
            .any(|p| p.k != first.k || p.isa != Isa::Portable)
        {
            return None;
        }
        Some(QMatrix {
            rows: parts.iter().map(|p| p.rows).sum(),
            k: first.k,
            blocks: first.blocks,
            quants: parts
                .iter()
                .flat_map(|p| p.quants.iter().copied())
                .collect(),
            scales: parts
                .iter()
                .flat_map(|p| p.scales.iter().copied())
                .collect(),
            scales16: Vec::new(),
            isa: Isa::Portable,
        })
    }
}

/// Where quant `i` of a block lives in a packed layout: group-block `gb`, row `lane` of the
/// group; vectors of `group` rows by 4 quants follow each other.
fn packed_index(group: usize, gb: usize, lane: usize, i: usize) -> usize {
    gb * group * BLOCK + (i / 4) * group * 4 + lane * 4 + i % 4
}

impl std::fmt::Debug for QMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QMatrix")
            .field("rows", &self.rows)
            .field("k", &self.k)
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}

/// ggml's Q8_0 rounding of up to 32 values (the rest are zero): returns the scale.
fn quantize_block(x: &[f32], q: &mut [i8; BLOCK]) -> f32 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    for (i, out) in q.iter_mut().enumerate() {
        *out = x.get(i).map_or(0, |v| (v * id).round_ties_even() as i8);
    }
    d
}

/// Activations of `n` tokens quantized for one [`Isa`]: Q8_0 quants and scales, for AVX2
/// also the quants' absolute values, for VNNI each block's `-128 * sum(q)` (undoes the `+128`
/// of the packed weights).
#[derive(Debug)]
pub struct QActs {
    /// The kernel these were quantized for.
    isa: Isa,
    n: usize,
    blocks: usize,
    quants: Vec<i8>,
    abs: Vec<u8>,
    scales: Vec<f32>,
    corr: Vec<i32>,
}

/// One token's slices of a [`QActs`].
struct ActRow<'a> {
    quants: &'a mut [i8],
    abs: &'a mut [u8],
    scales: &'a mut [f32],
    corr: &'a mut [i32],
}

impl Default for QActs {
    fn default() -> QActs {
        QActs {
            isa: Isa::Portable,
            n: 0,
            blocks: 0,
            quants: Vec::new(),
            abs: Vec::new(),
            scales: Vec::new(),
            corr: Vec::new(),
        }
    }
}

impl QActs {
    /// Quantizes `n` rows of width `k` (reusing this buffer's memory), on the rayon pool when
    /// there are many rows.
    pub fn quantize(&mut self, x: &[f32], n: usize, k: usize, isa: Isa) {
        assert!(x.len() >= n * k, "fewer activations than rows times width");
        if k == 0 {
            // Models with a zero width are refused at load; nothing to quantize.
            *self = QActs {
                n,
                ..QActs::default()
            };
            return;
        }
        let isa = if isa.runs_here() { isa } else { Isa::Portable };
        let blocks = blocks_for(k);
        self.isa = isa;
        self.n = n;
        self.blocks = blocks;
        let sized = |v: usize, on: bool| if on { n * v } else { 0 };
        reset(&mut self.quants, n * blocks * BLOCK);
        reset(&mut self.abs, sized(blocks * BLOCK, isa == Isa::Avx2));
        reset(&mut self.scales, n * blocks);
        reset(&mut self.corr, sized(blocks, isa == Isa::Avx512Vnni));
        let width = |len: usize| (len / n.max(1)).max(1);
        let (qw, aw, cw) = (
            width(self.quants.len()),
            width(self.abs.len()),
            width(self.corr.len()),
        );
        let mut abs = self.abs.chunks_mut(aw);
        let mut corr = self.corr.chunks_mut(cw);
        let rows: Vec<(ActRow<'_>, &[f32])> = self
            .quants
            .chunks_mut(qw)
            .zip(self.scales.chunks_mut(blocks))
            .zip(x.chunks(k))
            .map(|((quants, scales), x)| {
                let row = ActRow {
                    quants,
                    abs: abs.next().unwrap_or_default(),
                    scales,
                    corr: corr.next().unwrap_or_default(),
                };
                (row, x)
            })
            .collect();
        if n >= 8 && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            rows.into_par_iter()
                .for_each(|(r, x)| quantize_row(x, r.quants, r.abs, r.scales, r.corr));
        } else {
            for (r, x) in rows {
                quantize_row(x, r.quants, r.abs, r.scales, r.corr);
            }
        }
    }
}

/// Clears `v` and fills it with `len` zeros (keeping its memory).
fn reset<T: Default + Clone>(v: &mut Vec<T>, len: usize) {
    v.clear();
    v.resize(len, T::default());
}

/// `x` rounded to the nearest integer, ties to even, for `|x| < 2^22`: adding 1.5 * 2^23
/// leaves no fraction bits, so the addition itself rounds (to nearest even), and the integer
/// is in the low bits. Plain arithmetic, so that loops of it vectorize; the same result as
/// `x.round_ties_even() as i32` in that range.
#[inline(always)]
fn round_small(x: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    ((x + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32)
}

simd_fn! {
    /// Quantizes one row: quants into `q`, their absolute values into `abs` and each block's
    /// `-128 * sum(q)` into `corr` when those are not empty, scales into `s`.
    fn quantize_row(x: &[f32], q: &mut [i8], abs: &mut [u8], s: &mut [f32], corr: &mut [i32]) {
        // Whole blocks as fixed-size arrays (so that each step vectorizes), then the tail.
        let mut tail = [0f32; BLOCK];
        let whole = x.len() / BLOCK;
        for (b, scale) in s.iter_mut().enumerate().take(x.len().div_ceil(BLOCK)) {
            let block: &[f32; BLOCK] = if b < whole {
                x[b * BLOCK..(b + 1) * BLOCK].try_into().unwrap_or(&tail)
            } else {
                let rest = &x[b * BLOCK..];
                tail[..rest.len()].copy_from_slice(rest);
                &tail
            };
            // The largest |v| as the largest of the bits without sign (same order for floats
            // >= 0): an integer maximum, which vectorizes where `f32::max` does not.
            let mut amax = 0u32;
            for v in block {
                amax = amax.max(v.to_bits() & 0x7fff_ffff);
            }
            let d = f32::from_bits(amax) / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let Some(Ok(out)) = q
                .get_mut(b * BLOCK..(b + 1) * BLOCK)
                .map(<&mut [i8; BLOCK]>::try_from)
            else {
                break;
            };
            let mut sum = 0i32;
            if amax < 0x7f80_0000 && id.is_finite() {
                for (o, &v) in out.iter_mut().zip(block) {
                    let r = round_small(v * id);
                    sum += r;
                    *o = r as i8;
                }
                *scale = d;
            } else {
                // NaN or infinity in the block, or a maximum so small that its inverse
                // overflows: the scalar path, which skips NaN and saturates.
                *scale = quantize_block(block, out);
                sum = out.iter().map(|&v| v as i32).sum();
            }
            if let Some(c) = corr.get_mut(b) {
                *c = -128 * sum;
            }
        }
        for (a, &v) in abs.iter_mut().zip(q.iter()) {
            *a = v.unsigned_abs();
        }
    }
}

/// `out[t][r] = sum_i x[t][i] * w[r][i]` for rows `rows` of `w`, tokens `0..x.n`; `out` has
/// `x.n` rows of `stride` values and the result lands in columns `rows` of each.
///
/// # Safety
/// `out` must point to `x.n * stride` writable values, `rows.end <= w.rows <= stride`, and no
/// other thread may touch columns `rows` meanwhile. The x86 kernels write whole row groups, so
/// `rows.start`, and `rows.end` unless it is `w.rows`, must be multiples of the group size
/// (`matmul` splits at multiples of 32).
unsafe fn matmul_rows(
    w: &QMatrix,
    x: &QActs,
    out: *mut f32,
    stride: usize,
    rows: std::ops::Range<usize>,
) {
    let group = w.isa.group();
    debug_assert!(
        rows.start.is_multiple_of(group) && (rows.end.is_multiple_of(group) || rows.end == w.rows)
    );
    match w.isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni => x86::matmul_vnni(w, x, out, stride, rows),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::matmul_avx2(w, x, out, stride, rows),
        _ => matmul_portable(w, x, out, stride, rows),
    }
}

/// The portable kernel: block dot products in `i32` over fixed-size blocks (so that the
/// compiler vectorizes them for whatever the target has), scaled and summed in `f32`; each
/// weight row serves a block of tokens while it is in cache.
unsafe fn matmul_portable(
    w: &QMatrix,
    x: &QActs,
    out: *mut f32,
    stride: usize,
    rows: std::ops::Range<usize>,
) {
    const TOKENS: usize = 64;
    let nb = w.blocks;
    for t0 in (0..x.n).step_by(TOKENS) {
        let t1 = (t0 + TOKENS).min(x.n);
        for r in rows.clone() {
            let wq = &w.quants[r * nb * BLOCK..(r + 1) * nb * BLOCK];
            let ws = &w.scales[r * nb..(r + 1) * nb];
            for t in t0..t1 {
                let xq = &x.quants[t * nb * BLOCK..(t + 1) * nb * BLOCK];
                let xs = &x.scales[t * nb..(t + 1) * nb];
                let mut acc = 0f32;
                let pieces = wq.chunks_exact(BLOCK).zip(xq.chunks_exact(BLOCK));
                for ((wb, xb), (&dw, &dx)) in pieces.zip(ws.iter().zip(xs)) {
                    acc += dot_block(wb, xb) as f32 * dw * dx;
                }
                *out.add(t * stride + r) = acc;
            }
        }
    }
}

/// The `i32` dot product of one block of weights (`i8` bits) and activations.
#[inline(always)]
fn dot_block(w: &[u8], x: &[i8]) -> i32 {
    let (Ok(w), Ok(x)) = (<&[u8; BLOCK]>::try_from(w), <&[i8; BLOCK]>::try_from(x)) else {
        return 0;
    };
    let mut sum = 0i32;
    for i in 0..BLOCK {
        sum += (w[i] as i8 as i32) * (x[i] as i32);
    }
    sum
}

/// A raw output pointer shared by tasks that write disjoint columns.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: every task writes its own column range (see `matmul`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The pointer (a method, so that closures capture the `Send` wrapper, not its field).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// `out = x · wᵀ`: `out` is `x.n` rows of `w.rows()` values. Splits the rows of `w` over the
/// rayon pool's threads.
pub fn matmul(w: &QMatrix, x: &QActs, out: &mut [f32]) {
    assert_eq!(
        x.blocks, w.blocks,
        "activation width differs from the weights'"
    );
    assert!(out.len() >= x.n * w.rows, "output buffer too small");
    // The kernels read the layouts their instruction set wrote: a mismatch would read out of
    // bounds.
    assert_eq!(x.isa, w.isa, "activations quantized for another kernel");
    let threads = rayon::current_num_threads();
    // Tasks of at least 32 rows (a multiple of every kernel's tile height); a few per thread
    // so that a busy core does not hold the others up.
    let tasks = if threads <= 1 {
        1
    } else {
        (threads * 4).min(w.rows.div_ceil(32)).max(1)
    };
    let per = w.rows.div_ceil(tasks).next_multiple_of(32).max(32);
    let ptr = SharedOut(out.as_mut_ptr());
    let run = |i: usize| {
        let start = (i * per).min(w.rows);
        let end = ((i + 1) * per).min(w.rows);
        // SAFETY: bounds asserted above; tasks have disjoint row ranges.
        unsafe { matmul_rows(w, x, ptr.get(), w.rows, start..end) };
    };
    let n_tasks = w.rows.div_ceil(per);
    if n_tasks <= 1 {
        run(0);
    } else {
        use rayon::prelude::*;
        (0..n_tasks).into_par_iter().for_each(run);
    }
}

#[cfg(test)]
mod tests;
