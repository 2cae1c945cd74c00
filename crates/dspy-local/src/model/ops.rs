//! The forward pass's `f32` operations: RMS norm, rotary embeddings, SiLU gating and causal
//! attention over the cache. Each is plain Rust written so that the compiler vectorizes it,
//! compiled once per instruction set ([`simd_fn!`]) and picked at run time.

use super::simd::{madd, simd_fn};

/// Lanes of the partial sums in reductions (one AVX-512 vector).
const LANES: usize = 16;

/// Sum of `f(v)` over `xs`, in [`LANES`] partial sums so that it vectorizes.
#[inline(always)]
fn sum_by(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += f(c[i]);
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Largest value of `xs` (`-inf` when empty).
#[inline(always)]
fn max_of(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for c in chunks {
        for i in 0..LANES {
            acc[i] = acc[i].max(c[i]);
        }
    }
    acc.iter().fold(rest, |m, &v| m.max(v))
}

/// `e^x` to about 1e-7 relative error for `x` in `[-87, 88]` (clamped outside), with integer
/// tricks only, so that it vectorizes: `2^n` from the exponent bits, `2^r` by polynomial.
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    let t = x.clamp(-87.0, 88.0) * std::f32::consts::LOG2_E;
    let m = t + SHIFT;
    let n = m - SHIFT;
    let u = (t - n) * std::f32::consts::LN_2;
    let p = 1.0
        + u * (1.0
            + u * (0.5
                + u * (1.0 / 6.0 + u * (1.0 / 24.0 + u * (1.0 / 120.0 + u * (1.0 / 720.0))))));
    let n = m.to_bits().wrapping_sub(SHIFT.to_bits()) as i32;
    f32::from_bits(((n + 127) << 23) as u32) * p
}

simd_fn! {
    /// `out[t] = x[t] / rms(x[t]) * weight` for each row of `weight.len()` values.
    pub(super) fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
        let k = weight.len();
        for (x, out) in x.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            let scale = 1.0 / (sum_by(x, |v| v * v) / k as f32 + eps).sqrt();
            for ((o, &v), &w) in out.iter_mut().zip(x).zip(weight) {
                *o = v * scale * w;
            }
        }
    }
}

simd_fn! {
    /// `out[t] = silu(gate[t]) * up[t]` for rows of `ff` values, where each row of `gu` is
    /// `gate` then `up`.
    pub(super) fn silu_mul(gu: &[f32], ff: usize, out: &mut [f32]) {
        for (gu, out) in gu.chunks_exact(2 * ff).zip(out.chunks_exact_mut(ff)) {
            let (g, u) = gu.split_at(ff);
            for ((o, &g), &u) in out.iter_mut().zip(g).zip(u) {
                *o = g / (1.0 + exp(-g)) * u;
            }
        }
    }
}

simd_fn! {
    /// Rotates the first `rotate` values of each `row`-wide row of `x` (whole heads of
    /// `head_dim`) by that row's position: `cos`/`sin` hold `head_dim / 2` values per row, and
    /// a head's two halves are the rotated pairs.
    pub(super) fn rope(x: &mut [f32], row: usize, rotate: usize, head_dim: usize, cos: &[f32], sin: &[f32]) {
        let half = head_dim / 2;
        let rows = x.chunks_exact_mut(row).zip(cos.chunks_exact(half)).zip(sin.chunks_exact(half));
        for ((x, cos), sin) in rows {
            for head in x[..rotate].chunks_exact_mut(head_dim) {
                let (a, b) = head.split_at_mut(half);
                for i in 0..half {
                    let (x0, x1) = (a[i], b[i]);
                    a[i] = x0 * cos[i] - x1 * sin[i];
                    b[i] = madd::<FMA>(x0, sin[i], x1 * cos[i]);
                }
            }
        }
    }
}

/// Where one layer's cached keys and values live (as `f16` bits), and their shape.
#[derive(Clone, Copy)]
pub(super) struct KvView<'a> {
    /// Keys, `(kv_head, capacity / KEYS, head_dim, KEYS)`: runs of [`KEYS`] positions
    /// transposed, so that one query's scores against a run are sums of contiguous rows and
    /// the runs follow each other in memory. The capacity is a multiple of [`KEYS`].
    pub k: &'a [u16],
    /// Values, `(kv_head, capacity, head_dim)`.
    pub v: &'a [u16],
    pub capacity: usize,
    pub head_dim: usize,
}

/// Keys per step of [`attend`]: their scores stay in registers while the head's dimensions
/// go by.
pub(super) const KEYS: usize = 32;

/// Where the key of position `p`, dimension `d` of key/value head `g` lives in [`KvView::k`].
#[inline]
pub(super) fn key_index(g: usize, p: usize, d: usize, capacity: usize, head_dim: usize) -> usize {
    ((g * capacity + p - p % KEYS) * head_dim) + d * KEYS + p % KEYS
}

/// Scratch [`attend`] needs for `group` query heads over `len` positions.
pub(super) fn attend_scratch(group: usize, len: usize, head_dim: usize) -> usize {
    group * len + 2 * KEYS * head_dim
}

/// An `f16` (as bits) in `f32`, with subnormals flushed to zero (F16C keeps them: a difference
/// below 6e-5 between the portable path and the x86 ones): integer operations only, so that
/// loops of it vectorize.
#[inline(always)]
fn f16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let em = h & 0x7fff;
    let bits = if em < 0x0400 {
        0
    } else if em >= 0x7c00 {
        (em << 13) | 0x7f80_0000
    } else {
        (em << 13) + 0x3800_0000
    };
    f32::from_bits(sign | bits)
}

/// `out += sum_j p[j] * v[j]` for rows `v[j]` of `HD` values, the sum kept in registers.
#[inline(always)]
fn accumulate<const FMA: bool, const HD: usize>(p: &[f32], v: &[f32], out: &mut [f32]) {
    let mut acc = [0f32; HD];
    for (&p, row) in p.iter().zip(v.chunks_exact(HD)) {
        for d in 0..HD {
            acc[d] = madd::<FMA>(p, row[d], acc[d]);
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o += a;
    }
}

/// `dst[i] = src[i]` from `f16` bits: F16C on x86 (AVX2 and AVX-512 machines have it), the
/// integer conversion elsewhere.
fn widen(src: &[u16], dst: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::kernels::Isa::detect() != super::kernels::Isa::Portable {
        // SAFETY: `Isa::detect` checked F16C and AVX2.
        unsafe { widen_f16c(src, dst) };
        return;
    }
    for (o, &h) in dst.iter_mut().zip(src) {
        *o = f16_to_f32(h);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
unsafe fn widen_f16c(src: &[u16], dst: &mut [f32]) {
    use std::arch::x86_64::*;
    let n = src.len().min(dst.len());
    let mut i = 0;
    while i + 8 <= n {
        let h = _mm_loadu_si128(src.as_ptr().add(i) as *const __m128i);
        _mm256_storeu_ps(dst.as_mut_ptr().add(i), _mm256_cvtph_ps(h));
        i += 8;
    }
    for (o, &h) in dst[i..n].iter_mut().zip(&src[i..n]) {
        *o = half::f16::from_bits(h).to_f32();
    }
}

simd_fn! {
    /// Causal attention of one token's query heads that share a key/value head: `q` holds
    /// `group` heads, the first `len` cached positions are visible, scores are multiplied by
    /// `scale`, `scratch` has [`attend_scratch`] values, `out` receives `group` heads.
    pub(super) fn attend(q: &[f32], kv: KvView<'_>, kv_head: usize, len: usize, scale: f32, scratch: &mut [f32], out: &mut [f32]) {
        let (hd, cap) = (kv.head_dim, kv.capacity);
        let group = q.len() / hd;
        let kt = &kv.k[kv_head * hd * cap..(kv_head + 1) * hd * cap];
        let v = &kv.v[kv_head * cap * hd..(kv_head + 1) * cap * hd];
        let (scores, rest) = scratch.split_at_mut(group * len);
        let (kbuf, vbuf) = rest.split_at_mut(KEYS * hd);
        for jb in (0..len).step_by(KEYS) {
            let n = (len - jb).min(KEYS);
            widen(&kt[jb * hd..(jb + KEYS) * hd], kbuf);
            for (r, qr) in q.chunks_exact(hd).enumerate() {
                let mut acc = [0f32; KEYS];
                for (&qd, kr) in qr.iter().zip(kbuf.chunks_exact(KEYS)) {
                    let kr: &[f32; KEYS] = kr.try_into().unwrap_or(&[0.0; KEYS]);
                    for (a, &k) in acc.iter_mut().zip(kr) {
                        *a = madd::<FMA>(qd, k, *a);
                    }
                }
                scores[r * len + jb..r * len + jb + n].copy_from_slice(&acc[..n]);
            }
        }
        for s in scores.chunks_exact_mut(len) {
            let m = max_of(s);
            for v in s.iter_mut() {
                *v = exp((*v - m) * scale);
            }
            let inv = 1.0 / sum_by(s, |v| v);
            for v in s.iter_mut() {
                *v *= inv;
            }
        }
        out.fill(0.0);
        for jb in (0..len).step_by(KEYS) {
            let n = (len - jb).min(KEYS);
            widen(&v[jb * hd..(jb + n) * hd], &mut vbuf[..n * hd]);
            for (r, o) in out.chunks_exact_mut(hd).enumerate() {
                let p = &scores[r * len + jb..r * len + jb + n];
                // The common head sizes accumulate in registers.
                match hd {
                    64 => accumulate::<FMA, 64>(p, &vbuf[..n * hd], o),
                    128 => accumulate::<FMA, 128>(p, &vbuf[..n * hd], o),
                    _ => {
                        for (&p, vrow) in p.iter().zip(vbuf.chunks_exact(hd)) {
                            for (o, &v) in o.iter_mut().zip(vrow) {
                                *o = madd::<FMA>(p, v, *o);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_close_to_std_over_its_range() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let (got, want) = (exp(x), x.exp());
            assert!(
                ((got - want) / want).abs() < 1e-5,
                "exp({x}) = {got}, want {want}"
            );
            x += 0.137;
        }
        assert!(exp(-1000.0) < 1e-37 && exp(-1000.0) >= 0.0);
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn f16_bits_convert_as_the_half_crate_does() {
        for bits in 0..=u16::MAX {
            let want = half::f16::from_bits(bits);
            let got = f16_to_f32(bits);
            if want.is_nan() {
                assert!(got.is_nan());
            } else if bits & 0x7c00 == 0 {
                assert_eq!(got, 0.0);
            } else {
                assert_eq!(got, want.to_f32(), "{bits:#06x}");
            }
        }
    }
}
