//! The forward pass against a plain `f64` transformer over the same (dequantized) weights:
//! on a random tiny model always, on the real model file when it is present.

use super::*;

/// `y = W x` for every row of `m`, in f64.
fn matvec(m: &QMatrix, x: &[f64]) -> Vec<f64> {
    let mut row = vec![0f32; m.k()];
    (0..m.rows())
        .map(|r| {
            m.row_f32(r, &mut row);
            row.iter().zip(x).map(|(&w, &x)| w as f64 * x).sum()
        })
        .collect()
}

fn rms(x: &[f64], w: &[f32], eps: f64) -> Vec<f64> {
    let s = 1.0 / (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64 + eps).sqrt();
    x.iter().zip(w).map(|(&v, &w)| v * s * w as f64).collect()
}

/// The last token's logits, computed from scratch the textbook way.
fn reference(m: &Llama, tokens: &[u32]) -> Vec<f64> {
    let c = &m.config;
    let (d, hd) = (c.n_embd, c.head_dim);
    let (nq, nkv) = (c.n_head, c.n_kv_head);
    let group = nq / nkv;
    let mut row = vec![0f32; d];
    let mut xs: Vec<Vec<f64>> = tokens
        .iter()
        .map(|&id| {
            m.embed.row_f32(id as usize, &mut row);
            row.iter().map(|&v| v as f64).collect()
        })
        .collect();
    let rotate = |v: &mut [f64], pos: usize| {
        for head in v.chunks_exact_mut(hd) {
            let half = hd / 2;
            for i in 0..half {
                let f = 1.0 / (c.rope_base as f64).powf(2.0 * i as f64 / hd as f64);
                let (s, co) = (pos as f64 * f).sin_cos();
                let (a, b) = (head[i], head[i + half]);
                head[i] = a * co - b * s;
                head[i + half] = a * s + b * co;
            }
        }
    };
    for layer in &m.layers {
        let mut qs = Vec::new();
        let mut ks = Vec::new();
        let mut vs = Vec::new();
        for (pos, x) in xs.iter().enumerate() {
            let y = matvec(&layer.qkv, &rms(x, &layer.attn_norm, c.rms_eps));
            let (mut q, rest) = (y[..nq * hd].to_vec(), &y[nq * hd..]);
            let (mut k, v) = (rest[..nkv * hd].to_vec(), rest[nkv * hd..].to_vec());
            rotate(&mut q, pos);
            rotate(&mut k, pos);
            qs.push(q);
            ks.push(k);
            vs.push(v);
        }
        for (i, x) in xs.iter_mut().enumerate() {
            let mut att = vec![0f64; d];
            for h in 0..nq {
                let g = h / group;
                let q = &qs[i][h * hd..(h + 1) * hd];
                let scores: Vec<f64> = (0..=i)
                    .map(|j| {
                        let k = &ks[j][g * hd..(g + 1) * hd];
                        q.iter().zip(k).map(|(a, b)| a * b).sum::<f64>() / (hd as f64).sqrt()
                    })
                    .collect();
                let top = scores.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
                let total: f64 = e.iter().sum();
                for (j, p) in e.iter().enumerate() {
                    for dd in 0..hd {
                        att[h * hd + dd] += p / total * vs[j][g * hd + dd];
                    }
                }
            }
            for (a, b) in x.iter_mut().zip(matvec(&layer.wo, &att)) {
                *a += b;
            }
            let gu = matvec(&layer.gate_up, &rms(x, &layer.ffn_norm, c.rms_eps));
            let (g, u) = gu.split_at(c.n_ff);
            let a: Vec<f64> = g
                .iter()
                .zip(u)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            for (x, b) in x.iter_mut().zip(matvec(&layer.down, &a)) {
                *x += b;
            }
        }
    }
    let last = rms(xs.last().unwrap(), &m.norm, c.rms_eps);
    matvec(&m.output, &last)
}

/// How far `got` is from `want`, relative to the spread of `want`.
fn relative_error(got: &[f32], want: &[f64]) -> f64 {
    let scale = want.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-9);
    got.iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w).abs())
        .fold(0.0, f64::max)
        / scale
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

/// A random model of the given shape (weights uniform in ±0.5, norms near 1).
fn random_model(config: LlamaConfig, seed: u64) -> Llama {
    let mut rng = fastrand::Rng::with_seed(seed);
    let isa = Isa::detect();
    let mut mat = |rows: usize, k: usize| {
        let v: Vec<f32> = (0..rows * k).map(|_| rng.f32() - 0.5).collect();
        QMatrix::quantize(&v, rows, k).unwrap().pack(isa)
    };
    let c = &config;
    let kv = c.n_kv_head * c.head_dim;
    let embed = Arc::new(mat(c.vocab_size, c.n_embd));
    let layers = (0..c.n_layer)
        .map(|_| Layer {
            attn_norm: vec![1.0; c.n_embd],
            qkv: mat(c.n_embd + 2 * kv, c.n_embd),
            wo: mat(c.n_embd, c.n_embd),
            ffn_norm: vec![0.9; c.n_embd],
            gate_up: mat(2 * c.n_ff, c.n_embd),
            down: mat(c.n_embd, c.n_ff),
        })
        .collect();
    let half = c.head_dim / 2;
    let (mut cos, mut sin) = (Vec::new(), Vec::new());
    for pos in 0..c.context_length {
        for i in 0..half {
            let f = 1.0 / c.rope_base.powf(2.0 * i as f32 / c.head_dim as f32);
            cos.push((pos as f32 * f).cos());
            sin.push((pos as f32 * f).sin());
        }
    }
    Llama {
        norm: vec![1.1; c.n_embd],
        output: embed.clone(),
        embed,
        layers,
        cos,
        sin,
        isa,
        config,
    }
}

/// A small shape with grouped-query attention and widths off the kernels' tiles and block
/// pairs.
fn gqa(context_length: usize) -> LlamaConfig {
    LlamaConfig {
        n_layer: 2,
        n_embd: 96,
        n_head: 6,
        n_kv_head: 2,
        head_dim: 16,
        n_ff: 160,
        rms_eps: 1e-5,
        rope_base: 10_000.0,
        context_length,
        vocab_size: 50,
    }
}

#[test]
fn a_random_model_computes_what_the_textbook_transformer_does() {
    let model = random_model(gqa(64), 7);
    let tokens: Vec<u32> = (0..23).map(|i| (i * 7 % 50) as u32).collect();
    // A prompt in one call, and the same prompt in pieces through the cache.
    let mut cache = model.new_cache(64).unwrap();
    let whole = model.forward(&tokens, &mut cache).unwrap();
    let want = reference(&model, &tokens);
    assert!(
        relative_error(&whole, &want) < 0.02,
        "{}",
        relative_error(&whole, &want)
    );
    let mut cache = model.new_cache(64).unwrap();
    model.forward(&tokens[..9], &mut cache).unwrap();
    let mut last = Vec::new();
    for &t in &tokens[9..] {
        last = model.forward(&[t], &mut cache).unwrap();
    }
    assert!(relative_error(&last, &want) < 0.02);
    assert_eq!(cache.tokens(), &tokens[..]);
    // A different prompt gives different logits (the check can fail).
    let other = reference(&model, &tokens[1..]);
    assert!(relative_error(&whole, &other) > 0.05);
}

#[test]
fn a_cache_from_another_model_is_an_error_not_a_panic() {
    let small = LlamaConfig {
        n_layer: 1,
        n_embd: 32,
        n_head: 2,
        n_kv_head: 1,
        head_dim: 16,
        n_ff: 32,
        rms_eps: 1e-5,
        rope_base: 10_000.0,
        context_length: 8,
        vocab_size: 10,
    };
    let big = LlamaConfig {
        n_layer: 2,
        context_length: 64,
        ..small.clone()
    };
    let (a, b) = (random_model(small, 1), random_model(big, 2));
    let mut foreign = b.new_cache(64).unwrap();
    match a.forward(&[1, 2], &mut foreign) {
        Err(LocalError::Compute { message }) => assert!(message.contains("another model")),
        other => panic!("expected an error, got {other:?}"),
    }
    let mut own = a.new_cache(64).unwrap();
    assert_eq!(own.capacity(), 8, "capped at the model's context length");
    assert!(a.forward(&[1; 9], &mut own).is_err(), "past the context");
    assert!(a.forward(&[1, 2], &mut own).is_ok());
}

#[test]
fn the_real_model_computes_what_the_textbook_transformer_does() {
    let Ok(path) = crate::resolve_model(crate::DEFAULT_MODEL) else {
        return;
    };
    if !path.exists() {
        eprintln!(
            "SKIPPED: no local model at {} (bash scripts/fetch-model.sh)",
            path.display()
        );
        return;
    }
    let model = Llama::load(&mut Gguf::open(&path).unwrap()).unwrap();
    // "The capital of France is" in SmolLM2's vocabulary.
    let tokens = [504u32, 3575, 282, 4649, 314];
    let mut cache = model.new_cache(64).unwrap();
    let got = model.forward(&tokens, &mut cache).unwrap();
    let want = reference(&model, &tokens);
    let err = relative_error(&got, &want);
    assert!(err < 0.06, "relative error {err}");
    let want_top = (0..want.len()).fold(0, |b, i| if want[i] > want[b] { i } else { b });
    assert_eq!(argmax(&got), want_top);
}

#[test]
fn a_batch_gives_each_sequence_exactly_its_logits_alone() {
    let model = random_model(gqa(80), 11);
    // Three sequences at different positions (one with an empty cache), feeding one token,
    // three and seven; caches of different sizes.
    let prompts: [&[u32]; 3] = [&[3, 1, 4, 1, 5, 9, 2, 6], &[], &[7; 40]];
    let feeds: [&[u32]; 3] = [&[8], &[2, 7, 1], &[4, 4, 2, 0, 9, 9, 3]];
    let caps = [64, 80, 48];
    let caches = || -> Vec<KvCache> {
        prompts
            .iter()
            .zip(caps)
            .map(|(p, cap)| {
                let mut c = model.new_cache(cap).unwrap();
                if !p.is_empty() {
                    model.forward(p, &mut c).unwrap();
                }
                c
            })
            .collect()
    };
    let mut alone = caches();
    let want: Vec<Vec<f32>> = alone
        .iter_mut()
        .zip(feeds)
        .map(|(c, f)| model.forward(f, c).unwrap())
        .collect();
    let mut together = caches();
    let mut batch: Vec<(&[u32], &mut KvCache)> = feeds.iter().copied().zip(&mut together).collect();
    let got = model.forward_batch(&mut batch).unwrap();
    assert_eq!(got.len(), 3);
    for (s, (g, w)) in got.iter().zip(&want).enumerate() {
        let same = g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "sequence {s}: batched logits differ from its own");
    }
    // The caches hold the same tokens and keys/values, so the next steps agree too.
    for (a, t) in alone.iter().zip(&together) {
        assert_eq!(a.tokens(), t.tokens());
        assert_eq!(a.k, t.k);
        assert_eq!(a.v, t.v);
    }
    // Sequences do not leak into each other: each differs from the others' logits.
    assert!(
        relative_error(
            &got[0],
            &got[1].iter().map(|&v| v as f64).collect::<Vec<_>>()
        ) > 0.01
    );
    // One sequence the model refuses (past its cache) fails the call, and nothing is written.
    let mut full = model.new_cache(4).unwrap();
    model.forward(&[1, 2, 3], &mut full).unwrap();
    let mut ok = model.new_cache(8).unwrap();
    let mut batch: Vec<(&[u32], &mut KvCache)> = vec![(&[1], &mut ok), (&[1, 2], &mut full)];
    assert!(matches!(
        model.forward_batch(&mut batch),
        Err(LocalError::ContextLength { .. })
    ));
    assert!(ok.tokens().is_empty());
    assert!(model.forward_batch(&mut []).unwrap().is_empty());
}

#[test]
fn a_copied_prefix_serves_as_if_it_had_been_run() {
    let model = random_model(gqa(80), 13);
    let tokens: Vec<u32> = (0..45).map(|i| (i * 11 % 50) as u32).collect();
    let mut a = model.new_cache(80).unwrap();
    model.forward(&tokens[..40], &mut a).unwrap();
    // 33 positions: one whole run of 32 keys and part of the next.
    let mut b = model.new_cache(80).unwrap();
    model.forward(&[7, 7, 7], &mut b).unwrap();
    assert!(b.copy_prefix(&a, 33));
    assert_eq!(b.tokens(), &tokens[..33]);
    let from_copy = model.forward(&tokens[33..], &mut b).unwrap();
    let from_run = model.forward(&tokens[40..], &mut a).unwrap();
    let same = from_copy
        .iter()
        .zip(&from_run)
        .all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(same, "logits after a copied prefix differ");
    // Caches of other shapes are refused, untouched.
    let mut small = model.new_cache(40).unwrap();
    assert!(!small.copy_prefix(&a, 10));
    assert!(small.tokens().is_empty());
    // Asking for more than the source holds copies what it has.
    let mut c = model.new_cache(80).unwrap();
    assert!(c.copy_prefix(&b, 1000));
    assert_eq!(c.tokens(), b.tokens());
}
