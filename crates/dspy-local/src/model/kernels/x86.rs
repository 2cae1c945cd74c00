//! The x86 kernels: register tiles of weight rows by tokens.

// Register tiles are indexed by row and token on purpose: the loops unroll into registers.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;
use std::ops::Range;

use super::{QActs, QMatrix, BLOCK, GROUP};

/// Tokens per pass over a task's weight rows: their activations stay in L2 while the rows'
/// tiles sweep them.
const TOKEN_BLOCK: usize = 64;

/// Walks `rows` x `0..x.n` in tiles, token blocks outermost, calling `$tile::<MR, NR>` for
/// each (`$mr` rows high at most, 4 tokens wide at most).
macro_rules! tiled {
    ($tile:ident, $mr:expr, $w:expr, $x:expr, $out:expr, $stride:expr, $rows:expr) => {{
        let (w, x, out, stride, rows) = ($w, $x, $out, $stride, $rows);
        let mut t0 = 0;
        while t0 < x.n {
            let t1 = (t0 + TOKEN_BLOCK).min(x.n);
            let mut r = rows.start;
            while r < rows.end {
                let mr = (rows.end - r).min($mr);
                let mut t = t0;
                while t < t1 {
                    let nr = (t1 - t).min(4);
                    macro_rules! go {
                        ($a:literal, $b:literal) => {
                            $tile::<$a, $b>(w, x, r, t, out, stride)
                        };
                    }
                    match (mr, nr) {
                        (1, 1) => go!(1, 1),
                        (1, 2) => go!(1, 2),
                        (1, 3) => go!(1, 3),
                        (1, _) => go!(1, 4),
                        (2, 1) => go!(2, 1),
                        (2, 2) => go!(2, 2),
                        (2, 3) => go!(2, 3),
                        (2, _) => go!(2, 4),
                        (3, 1) => go!(3, 1),
                        (3, 2) => go!(3, 2),
                        (3, 3) => go!(3, 3),
                        (3, _) => go!(3, 4),
                        (_, 1) => go!(4, 1),
                        (_, 2) => go!(4, 2),
                        (_, 3) => go!(4, 3),
                        (_, _) => go!(4, 4),
                    }
                    t += nr;
                }
                r += mr;
            }
            t0 = t1;
        }
    }};
}

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
    let (g0, g1) = (rows.start / GROUP, rows.end.div_ceil(GROUP));
    if x.n == 1 {
        // One token: two groups at a time, for more independent chains.
        let mut g = g0;
        while g < g1 {
            if g + 2 <= g1 {
                tile_vnni::<2, 1>(w, x, g, 0, out, stride);
                g += 2;
            } else {
                tile_vnni::<1, 1>(w, x, g, 0, out, stride);
                g += 1;
            }
        }
        return;
    }
    let mut t0 = 0;
    while t0 < x.n {
        let t1 = (t0 + TOKEN_BLOCK).min(x.n);
        for g in g0..g1 {
            let mut t = t0;
            while t < t1 {
                let nr = (t1 - t).min(4);
                match nr {
                    1 => tile_vnni::<1, 1>(w, x, g, t, out, stride),
                    2 => tile_vnni::<1, 2>(w, x, g, t, out, stride),
                    3 => tile_vnni::<1, 3>(w, x, g, t, out, stride),
                    _ => tile_vnni::<1, 4>(w, x, g, t, out, stride),
                }
                t += nr;
            }
        }
        t0 = t1;
    }
}

/// `RG` groups of 16 rows by `NR` tokens, from group `g` and token `t`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,fma")]
unsafe fn tile_vnni<const RG: usize, const NR: usize>(
    w: &QMatrix,
    x: &QActs,
    g: usize,
    t: usize,
    out: *mut f32,
    stride: usize,
) {
    let nb = w.blocks;
    let mut acc = [[_mm512_setzero_ps(); NR]; RG];
    for b in 0..nb {
        let mut wv = [[_mm512_setzero_si512(); 8]; RG];
        let mut dw = [_mm512_setzero_ps(); RG];
        for rg in 0..RG {
            let gb = (g + rg) * nb + b;
            let base = w.quants.as_ptr().add(gb * GROUP * BLOCK);
            for (q, v) in wv[rg].iter_mut().enumerate() {
                *v = _mm512_loadu_si512(base.add(q * 64) as *const __m512i);
            }
            let half = _mm256_loadu_si256(w.scales16.as_ptr().add(gb * GROUP) as *const __m256i);
            dw[rg] = _mm512_cvtph_ps(half);
        }
        for j in 0..NR {
            let at = (t + j) * nb + b;
            let xb = x.quants.as_ptr().add(at * BLOCK) as *const i32;
            let dx = _mm512_set1_ps(*x.scales.get_unchecked(at));
            let corr = _mm512_set1_epi32(*x.corr.get_unchecked(at));
            for rg in 0..RG {
                // Two chains of four, for instruction-level parallelism.
                let (mut s0, mut s1) = (corr, _mm512_setzero_si512());
                for q in (0..8).step_by(2) {
                    let x0 = _mm512_set1_epi32(xb.add(q).read_unaligned());
                    let x1 = _mm512_set1_epi32(xb.add(q + 1).read_unaligned());
                    s0 = _mm512_dpbusd_epi32(s0, wv[rg][q], x0);
                    s1 = _mm512_dpbusd_epi32(s1, wv[rg][q + 1], x1);
                }
                let s = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
                acc[rg][j] = _mm512_fmadd_ps(s, _mm512_mul_ps(dw[rg], dx), acc[rg][j]);
            }
        }
    }
    for (rg, accs) in acc.iter().enumerate() {
        let r0 = (g + rg) * GROUP;
        if r0 >= w.rows {
            continue;
        }
        let valid = (w.rows - r0).min(GROUP);
        for (j, a) in accs.iter().enumerate() {
            let p = out.add((t + j) * stride + r0);
            if valid == GROUP {
                _mm512_storeu_ps(p, *a);
            } else {
                _mm512_mask_storeu_ps(p, ((1u32 << valid) - 1) as __mmask16, *a);
            }
        }
    }
}

/// AVX2: one block per 256-bit vector, signs moved onto the activations so that
/// `vpmaddubsw` sees unsigned weights.
///
/// # Safety
/// The CPU has AVX2 and FMA; `w` was packed with signed quants; `out` as in `matmul_rows`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn matmul_avx2(
    w: &QMatrix,
    x: &QActs,
    out: *mut f32,
    stride: usize,
    rows: Range<usize>,
) {
    tiled!(tile_avx2, 2, w, x, out, stride, rows)
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2<const MR: usize, const NR: usize>(
    w: &QMatrix,
    x: &QActs,
    r: usize,
    t: usize,
    out: *mut f32,
    stride: usize,
) {
    let nb = w.blocks;
    let wq = w.quants.as_ptr().add(r * nb * BLOCK);
    let ws = w.scales.as_ptr().add(r * nb);
    let xq = x.quants.as_ptr().add(t * nb * BLOCK);
    let xs = x.scales.as_ptr().add(t * nb * 8);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); NR]; MR];
    for b in 0..nb {
        let mut wv = [_mm256_setzero_si256(); MR];
        let mut aw = [_mm256_setzero_si256(); MR];
        for i in 0..MR {
            wv[i] = _mm256_loadu_si256(wq.add(i * nb * BLOCK + b * BLOCK) as *const __m256i);
            aw[i] = _mm256_sign_epi8(wv[i], wv[i]);
        }
        for j in 0..NR {
            let xv = _mm256_loadu_si256(xq.add(j * nb * BLOCK + b * BLOCK) as *const __m256i);
            let dx = _mm256_loadu_ps(xs.add(j * nb * 8 + b * 8));
            for i in 0..MR {
                let sx = _mm256_sign_epi8(xv, wv[i]);
                let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(aw[i], sx), ones);
                let scale = _mm256_mul_ps(_mm256_broadcast_ss(&*ws.add(i * nb + b)), dx);
                acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[i][j]);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (j, a) in row.iter().enumerate() {
            *out.add((t + j) * stride + r + i) = hsum256(*a);
        }
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn hsum256(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}
