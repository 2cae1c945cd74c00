//! Token sampling: greedy, or seeded temperature / top-k / top-p.

/// How to pick the next token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingParams {
    /// 0 (or less) is greedy.
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens whose probabilities add up to `top_p`.
    /// 1 keeps all.
    pub top_p: f32,
    /// Keep only the `top_k` most likely tokens; 0 keeps all.
    pub top_k: usize,
    /// Seed of the random stream (used only when sampling).
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            seed: 0,
        }
    }
}

/// Picks tokens from logits.
#[derive(Debug, Clone)]
pub struct Sampler {
    params: SamplingParams,
    rng: fastrand::Rng,
    /// Reused buffer of (token, probability).
    scratch: Vec<(u32, f32)>,
}

impl Sampler {
    /// A sampler with these settings.
    pub fn new(params: SamplingParams) -> Sampler {
        Sampler {
            rng: fastrand::Rng::with_seed(params.seed),
            params,
            scratch: Vec::new(),
        }
    }

    /// Is this sampler greedy?
    pub fn is_greedy(&self) -> bool {
        let t = self.params.temperature;
        t.is_nan() || t <= 0.0 || self.params.top_k == 1
    }

    /// The next token. NaN logits count as impossible; if every logit is, returns 0.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        if self.is_greedy() {
            return argmax(logits);
        }
        let inv_t = 1.0 / self.params.temperature;
        let max = logits
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        if !max.is_finite() {
            return argmax(logits);
        }
        self.scratch.clear();
        self.scratch
            .extend(logits.iter().enumerate().filter_map(|(i, &l)| {
                let p = ((l - max) * inv_t).exp();
                (p > 0.0 && p.is_finite()).then_some((i as u32, p))
            }));
        if self.scratch.is_empty() {
            return argmax(logits);
        }
        let top_p = self.params.top_p.clamp(0.0, 1.0);
        let top_k = self.params.top_k;
        if top_p < 1.0 || (top_k > 0 && top_k < self.scratch.len()) {
            // Most likely first; ties by id so the order is deterministic.
            self.scratch
                .sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            if top_k > 0 {
                self.scratch.truncate(top_k);
            }
            if top_p < 1.0 {
                let total: f32 = self.scratch.iter().map(|x| x.1).sum();
                let mut acc = 0.0;
                let mut keep = self.scratch.len();
                for (i, (_, p)) in self.scratch.iter().enumerate() {
                    acc += p / total;
                    if acc >= top_p {
                        keep = i + 1;
                        break;
                    }
                }
                self.scratch.truncate(keep.max(1));
            }
        }
        let total: f64 = self.scratch.iter().map(|x| f64::from(x.1)).sum();
        let mut r = self.rng.f64() * total;
        for &(id, p) in &self.scratch {
            r -= f64::from(p);
            if r < 0.0 {
                return id;
            }
        }
        self.scratch.last().map_or(0, |x| x.0)
    }
}

/// Index of the largest logit (lowest index on ties; NaN never wins).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in logits.iter().enumerate() {
        if v > best_v {
            best = i;
            best_v = v;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        (0..100).map(|i| ((i * 37) % 11) as f32 * 0.3).collect()
    }

    #[test]
    fn greedy_takes_the_max() {
        let mut s = Sampler::new(SamplingParams::default());
        assert_eq!(s.sample(&[0.1, 3.0, f32::NAN, 3.0, -1.0]), 1);
        assert_eq!(s.sample(&[]), 0);
        assert_eq!(s.sample(&[f32::NAN, f32::NAN]), 0);
    }

    #[test]
    fn same_seed_same_tokens_other_seed_other_tokens() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 0.95,
            top_k: 0,
            seed: 42,
        };
        let draw = |p: SamplingParams| {
            let mut s = Sampler::new(p);
            (0..50).map(|_| s.sample(&logits())).collect::<Vec<_>>()
        };
        assert_eq!(draw(params), draw(params));
        assert_ne!(draw(params), draw(SamplingParams { seed: 43, ..params }));
    }

    #[test]
    fn top_k_and_top_p_restrict_the_choices() {
        let mut s = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_p: 1.0,
            top_k: 2,
            seed: 1,
        });
        let l = [0.0, 5.0, 4.9, -3.0];
        for _ in 0..100 {
            assert!(matches!(s.sample(&l), 1 | 2));
        }
        let mut s = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_p: 0.5,
            top_k: 0,
            seed: 1,
        });
        for _ in 0..100 {
            assert_eq!(s.sample(&[0.0, 9.0, 1.0]), 1);
        }
    }

    #[test]
    fn odd_settings_do_not_panic() {
        for t in [f32::NAN, f32::INFINITY, -1.0, 1e-30, 1e30] {
            for p in [f32::NAN, -1.0, 0.0, 2.0] {
                let mut s = Sampler::new(SamplingParams {
                    temperature: t,
                    top_p: p,
                    top_k: 3,
                    seed: 7,
                });
                let id = s.sample(&[1.0, f32::NEG_INFINITY, 2.0, f32::NAN]);
                assert!(id < 4);
            }
        }
    }
}
