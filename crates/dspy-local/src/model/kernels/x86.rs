//! The x86 kernels: register tiles of weight rows by tokens.

use std::arch::x86_64::*;
use std::ops::Range;

use super::{QActs, QMatrix, BLOCK};

/// Tokens per pass over a task's weight rows: their activations stay in L2 while the rows'
/// tiles sweep them.
const TOKEN_BLOCK: usize = 64;

/// Walks row groups `rows` (in units of `$g` rows) by tokens `0..x.n` in tiles of `$tile`:
/// one group by up to 4 tokens, token blocks outermost. (Two groups per tile for a single
/// token ran slower: the extra registers spill.)
macro_rules! tiled {
    ($tile:ident, $g:expr, $w:expr, $x:expr, $out:expr, $stride:expr, $rows:expr) => {{
        let (w, x, out, stride, rows) = ($w, $x, $out, $stride, $rows);
        let (g0, g1) = (rows.start / $g, rows.end.div_ceil($g));
        let mut t0 = 0;
        while t0 < x.n {
            let t1 = (t0 + TOKEN_BLOCK).min(x.n);
            for g in g0..g1 {
                let mut t = t0;
                while t < t1 {
                    let nr = (t1 - t).min(4);
                    match nr {
                        1 => $tile::<1>(w, x, g, t, out, stride),
                        2 => $tile::<2>(w, x, g, t, out, stride),
                        3 => $tile::<3>(w, x, g, t, out, stride),
                        _ => $tile::<4>(w, x, g, t, out, stride),
                    }
                    t += nr;
                }
            }
            t0 = t1;
        }
    }};
}

/// Rows per VNNI group.
const VNNI_GROUP: usize = 16;
/// Rows per AVX2 group.
const AVX2_GROUP: usize = 8;
/// How far ahead (bytes) the single-token AVX2 kernel prefetches weights.
const AVX2_PREFETCH: usize = 1024;

/// AVX512-VNNI over weights packed in 16-row groups: one vector of 16 dot products per
/// group, token and block.
///
/// # Safety
/// The CPU has AVX512F/BW/VNNI and FMA; `w` was packed for VNNI and `x` quantized for it;
/// `rows.start` is a multiple of 16; `out` as in `matmul_rows`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,fma")]
pub(super) unsafe fn matmul_vnni(
    w: &QMatrix,
    x: &QActs,
    out: *mut f32,
    stride: usize,
    rows: Range<usize>,
) {
    tiled!(tile_vnni, VNNI_GROUP, w, x, out, stride, rows)
}

/// One group of 16 rows by `NR` tokens, from group `g` and token `t`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,fma")]
unsafe fn tile_vnni<const NR: usize>(
    w: &QMatrix,
    x: &QActs,
    g: usize,
    t: usize,
    out: *mut f32,
    stride: usize,
) {
    const G: usize = VNNI_GROUP;
    let nb = w.blocks;
    let mut acc = [_mm512_setzero_ps(); NR];
    for b in 0..nb {
        let gb = g * nb + b;
        let base = w.quants.as_ptr().add(gb * G * BLOCK);
        let mut wv = [_mm512_setzero_si512(); 8];
        for (q, v) in wv.iter_mut().enumerate() {
            *v = _mm512_loadu_si512(base.add(q * 64) as *const __m512i);
        }
        let half = _mm256_loadu_si256(w.scales16.as_ptr().add(gb * G) as *const __m256i);
        let dw = _mm512_cvtph_ps(half);
        for (j, acc) in acc.iter_mut().enumerate() {
            let at = (t + j) * nb + b;
            let xb = x.quants.as_ptr().add(at * BLOCK) as *const i32;
            let dx = _mm512_set1_ps(*x.scales.get_unchecked(at));
            // Two chains of four, for instruction-level parallelism.
            let (mut s0, mut s1) = (
                _mm512_set1_epi32(*x.corr.get_unchecked(at)),
                _mm512_setzero_si512(),
            );
            for q in (0..8).step_by(2) {
                let x0 = _mm512_set1_epi32(xb.add(q).read_unaligned());
                let x1 = _mm512_set1_epi32(xb.add(q + 1).read_unaligned());
                s0 = _mm512_dpbusd_epi32(s0, wv[q], x0);
                s1 = _mm512_dpbusd_epi32(s1, wv[q + 1], x1);
            }
            let s = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
            *acc = _mm512_fmadd_ps(s, _mm512_mul_ps(dw, dx), *acc);
        }
    }
    let r0 = g * G;
    if r0 >= w.rows {
        return;
    }
    let valid = (w.rows - r0).min(G);
    for (j, a) in acc.iter().enumerate() {
        let p = out.add((t + j) * stride + r0);
        if valid == G {
            _mm512_storeu_ps(p, *a);
        } else {
            _mm512_mask_storeu_ps(p, ((1u32 << valid) - 1) as __mmask16, *a);
        }
    }
}

/// AVX2 over weights packed in 8-row groups: `vpmaddubsw` of `|x|` (broadcast) with
/// `w * sign(x)`, then `vpmaddwd` into 8 dot products per group, token and block.
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `w` was packed for AVX2 and `x` quantized for it;
/// `rows.start` is a multiple of 8; `out` as in `matmul_rows`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn matmul_avx2(
    w: &QMatrix,
    x: &QActs,
    out: *mut f32,
    stride: usize,
    rows: Range<usize>,
) {
    tiled!(tile_avx2, AVX2_GROUP, w, x, out, stride, rows)
}

/// One group of 8 rows by `NR` tokens, from group `g` and token `t`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn tile_avx2<const NR: usize>(
    w: &QMatrix,
    x: &QActs,
    g: usize,
    t: usize,
    out: *mut f32,
    stride: usize,
) {
    const G: usize = AVX2_GROUP;
    let nb = w.blocks;
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_ps(); NR];
    for b in 0..nb {
        let gb = g * nb + b;
        let base = w.quants.as_ptr().add(gb * G * BLOCK);
        if NR == 1 {
            // Many instructions per byte here: ask for the stream early.
            for line in 0..G * BLOCK / 64 {
                // `wrapping_add`: the address may pass the end of the weights (a
                // prefetch never faults there, but `add` must stay inside).
                let ahead = base.wrapping_add(AVX2_PREFETCH + line * 64);
                _mm_prefetch::<_MM_HINT_T0>(ahead as *const i8);
            }
        }
        let half = _mm_loadu_si128(w.scales16.as_ptr().add(gb * G) as *const __m128i);
        let dw = _mm256_cvtph_ps(half);
        for (j, acc) in acc.iter_mut().enumerate() {
            let at = (t + j) * nb + b;
            let xq = x.quants.as_ptr().add(at * BLOCK) as *const i32;
            let xa = x.abs.as_ptr().add(at * BLOCK) as *const i32;
            let dx = _mm256_set1_ps(*x.scales.get_unchecked(at));
            let (mut s0, mut s1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            for q in (0..8).step_by(2) {
                let w0 = _mm256_loadu_si256(base.add(q * 32) as *const __m256i);
                let w1 = _mm256_loadu_si256(base.add(q * 32 + 32) as *const __m256i);
                let (a0, a1) = (xa.add(q).read_unaligned(), xa.add(q + 1).read_unaligned());
                let (x0, x1) = (xq.add(q).read_unaligned(), xq.add(q + 1).read_unaligned());
                let p0 = _mm256_maddubs_epi16(
                    _mm256_set1_epi32(a0),
                    _mm256_sign_epi8(w0, _mm256_set1_epi32(x0)),
                );
                let p1 = _mm256_maddubs_epi16(
                    _mm256_set1_epi32(a1),
                    _mm256_sign_epi8(w1, _mm256_set1_epi32(x1)),
                );
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(p1, ones));
            }
            let s = _mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1));
            *acc = _mm256_fmadd_ps(s, _mm256_mul_ps(dw, dx), *acc);
        }
    }
    let r0 = g * G;
    if r0 >= w.rows {
        return;
    }
    let valid = (w.rows - r0).min(G) as i32;
    let mask = _mm256_cmpgt_epi32(
        _mm256_set1_epi32(valid),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    );
    for (j, a) in acc.iter().enumerate() {
        let p = out.add((t + j) * stride + r0);
        if valid == G as i32 {
            _mm256_storeu_ps(p, *a);
        } else {
            _mm256_maskstore_ps(p, mask, *a);
        }
    }
}
