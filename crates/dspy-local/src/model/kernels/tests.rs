//! Every kernel this CPU can run against a plain `f64` product of the same quantized values.

use super::*;

fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.f32() * 2.0 - 1.0).collect()
}

/// `x · wᵀ` in f64 over the values the kernels see: each weight (with `f16` scales) and
/// activation quantized.
fn reference(w: &[f32], x: &[f32], rows: usize, n: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let quantized = |v: &[f32], f16_scales: bool| -> Vec<f64> {
        let mut out = Vec::with_capacity(v.len());
        for row in v.chunks(k) {
            for chunk in row.chunks(BLOCK) {
                let mut q = [0i8; BLOCK];
                let mut d = quantize_block(chunk, &mut q);
                if f16_scales {
                    d = f16::from_f32(d).to_f32();
                }
                out.extend(q[..chunk.len()].iter().map(|&q| q as f64 * d as f64));
            }
        }
        out
    };
    let (wq, xq) = (quantized(w, true), quantized(x, false));
    let mut out = vec![0.0; n * rows];
    let mut mag = vec![0.0; n * rows];
    for t in 0..n {
        for r in 0..rows {
            for i in 0..k {
                let p = wq[r * k + i] * xq[t * k + i];
                out[t * rows + r] += p;
                mag[t * rows + r] += p.abs();
            }
        }
    }
    (out, mag)
}

fn check(rows: usize, n: usize, k: usize) {
    let w = values(rows as u64 * 31 + k as u64, rows * k);
    let x = values(n as u64 * 17 + 5, n * k);
    let (want, mag) = reference(&w, &x, rows, n, k);
    for isa in Isa::available() {
        let m = QMatrix::quantize(&w, rows, k).unwrap().pack(isa);
        let mut acts = QActs::default();
        acts.quantize(&x, n, k, isa);
        let mut out = vec![f32::NAN; n * rows];
        matmul(&m, &acts, &mut out);
        for (i, (&got, (&want, &mag))) in out.iter().zip(want.iter().zip(&mag)).enumerate() {
            let err = (got as f64 - want).abs();
            assert!(
                err <= 1e-5 * mag + 1e-6,
                "{isa:?} {rows}x{k} by {n} tokens: element {i} is {got}, want {want}"
            );
        }
    }
}

#[test]
fn every_kernel_matches_the_reference_on_ragged_shapes() {
    // Widths with odd block counts (padding), rows and tokens off every tile size.
    for (rows, n, k) in [
        (1, 1, 32),
        (5, 3, 96),
        (37, 1, 576),
        (64, 7, 64),
        (70, 9, 160),
        (33, 65, 576),
        (130, 2, 1536),
        (17, 70, 96),
        (48, 1, 32),
    ] {
        check(rows, n, k);
    }
}

#[test]
fn q8_0_blocks_load_as_written() {
    let (rows, k) = (3, 64);
    let mut bytes = Vec::new();
    let mut want = Vec::new();
    for r in 0..rows {
        for b in 0..k / BLOCK {
            let d = 0.5 + (r * 2 + b) as f32 * 0.25;
            bytes.extend_from_slice(&f16::from_f32(d).to_le_bytes());
            for i in 0..BLOCK {
                let q = (i as i32 * 9 - 127 + r as i32) as i8;
                bytes.push(q as u8);
                want.push(q as f32 * d);
            }
        }
    }
    for isa in Isa::available() {
        let m = QMatrix::from_q8_0(&bytes, rows, k).unwrap().pack(isa);
        let mut row = vec![0.0; k];
        for r in 0..rows {
            m.row_f32(r, &mut row);
            assert_eq!(row, want[r * k..(r + 1) * k], "{isa:?} row {r}");
        }
    }
    assert!(QMatrix::from_q8_0(&bytes[1..], rows, k).is_none());
}

#[test]
fn selected_and_stacked_rows_multiply_as_the_originals() {
    let (rows, k) = (6, 64);
    let w = values(3, rows * k);
    let x = values(4, k);
    for isa in Isa::available() {
        let m = QMatrix::quantize(&w, rows, k).unwrap();
        let mut acts = QActs::default();
        acts.quantize(&x, 1, k, isa);
        let mut base = vec![0.0; rows];
        matmul(&m.clone().pack(isa), &acts, &mut base);
        let picked = m.select_rows(&[5, 0, 2]);
        let both = QMatrix::concat(&[picked, m.clone()]).unwrap().pack(isa);
        let mut out = vec![0.0; rows + 3];
        matmul(&both, &acts, &mut out);
        assert_eq!(out[..3], [base[5], base[0], base[2]], "{isa:?}");
        assert_eq!(out[3..], base[..], "{isa:?}");
    }
}

#[test]
fn weights_of_minus_128_multiply_as_each_layout_stores_them() {
    // ggml never writes -128, but a file may hold it: VNNI and portable keep it, AVX2 (whose
    // sign flip cannot negate it) stores -127. Each kernel must agree with its own layout.
    let (rows, k) = (9, 64);
    let mut bytes = Vec::new();
    for r in 0..rows {
        for b in 0..k / BLOCK {
            bytes.extend_from_slice(&f16::from_f32(0.01 * (r + b + 1) as f32).to_le_bytes());
            for i in 0..BLOCK {
                bytes.push(if (i + r) % 3 == 0 {
                    0x80
                } else {
                    (i as u8).wrapping_mul(37)
                });
            }
        }
    }
    let x = values(11, 3 * k);
    for isa in Isa::available() {
        let m = QMatrix::from_q8_0(&bytes, rows, k).unwrap().pack(isa);
        let mut row = vec![0.0; k];
        m.row_f32(0, &mut row);
        let want_min = if isa == Isa::Avx2 { -127.0 } else { -128.0 };
        assert_eq!(row[0] / f16::from_f32(0.01).to_f32(), want_min, "{isa:?}");
        let mut acts = QActs::default();
        acts.quantize(&x, 3, k, isa);
        let mut out = vec![0.0; 3 * rows];
        matmul(&m, &acts, &mut out);
        for t in 0..3 {
            let mut xq = vec![0f64; k];
            for (b, chunk) in x[t * k..(t + 1) * k].chunks(BLOCK).enumerate() {
                let mut q = [0i8; BLOCK];
                let d = quantize_block(chunk, &mut q);
                for i in 0..BLOCK {
                    xq[b * BLOCK + i] = q[i] as f64 * d as f64;
                }
            }
            for r in 0..rows {
                m.row_f32(r, &mut row);
                let want: f64 = row.iter().zip(&xq).map(|(&w, x)| w as f64 * x).sum();
                let got = out[t * rows + r] as f64;
                assert!(
                    (got - want).abs() < 1e-4,
                    "{isa:?} token {t} row {r}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn rounding_by_addition_is_round_ties_even() {
    let mut rng = fastrand::Rng::with_seed(3);
    let ties = (-300..300).map(|i| i as f32 + 0.5);
    let near = (0..20_000).map(|_| (rng.f32() - 0.5) * 300.0);
    let edges = [
        0.0,
        -0.0,
        127.0,
        -127.0,
        126.5,
        -126.5,
        0.49999997,
        -0.49999997,
    ];
    for x in ties.chain(near).chain(edges) {
        assert_eq!(round_small(x), x.round_ties_even() as i32, "{x}");
    }
}

#[test]
fn activation_rows_quantize_as_blocks_do() {
    // Widths with a partial last block, and blocks of zeros, huge and tiny values, NaN,
    // infinities and a maximum whose inverse overflows.
    for (seed, k) in [(1, 32), (2, 96), (3, 100), (4, 7), (5, 192)] {
        let mut x = values(seed, k);
        x[0] = 0.0;
        if k > 40 {
            x[33] = 1e30;
            x[34] = -1e-30;
        }
        if k > 160 {
            x[64] = f32::NAN;
            x[96] = f32::INFINITY;
            x[97] = f32::NEG_INFINITY;
            x[128..160].fill(1e-40);
            x[129] = -3e-38;
        }
        let blocks = blocks_for(k);
        let mut q = vec![0i8; blocks * BLOCK];
        let mut abs = vec![0u8; blocks * BLOCK];
        let mut s = vec![0f32; blocks];
        let mut corr = vec![0i32; blocks];
        quantize_row(&x, &mut q, &mut abs, &mut s, &mut corr);
        for (b, chunk) in x.chunks(BLOCK).enumerate() {
            let mut want = [0i8; BLOCK];
            let d = quantize_block(chunk, &mut want);
            assert_eq!(s[b].to_bits(), d.to_bits(), "k {k} block {b}");
            assert_eq!(&q[b * BLOCK..(b + 1) * BLOCK], &want[..], "k {k} block {b}");
            let sum: i32 = want.iter().map(|&v| v as i32).sum();
            assert_eq!(corr[b], -128 * sum);
        }
        let want_abs: Vec<u8> = q.iter().map(|v| v.unsigned_abs()).collect();
        assert_eq!(abs, want_abs);
    }
}
