//! [`TpeSampler`]: a Tree-structured Parzen Estimator over categorical parameters, the search
//! MIPROv2 runs over (instruction, demo set) choices.
//!
//! It follows what Optuna's `TPESampler(seed=..., multivariate=True)` does with its default
//! settings when every parameter is categorical (what DSPy's MIPROv2 uses):
//!
//! - the first 10 trials (`n_startup_trials`) are sampled independently and uniformly;
//! - then the told trials are ranked by value (maximized) and split into the `gamma(n) =
//!   min(ceil(0.1 n), 25)` best ("below") and the rest ("above"), each group kept in tell order;
//! - each group becomes a Parzen estimator: one mixture component per observation (weights from
//!   `default_weights`, which down-weights old observations once there are more than 25) plus a
//!   uniform prior component of weight 1; an observation's component puts `1 / (m + 1)` on every
//!   category and `+1` on the observed one, per parameter, normalized;
//! - 24 candidates (`n_ei_candidates`) are drawn from the "below" mixture and the one with the
//!   highest `log l(x) - log g(x)` is returned (the first on ties).
//!
//! What differs: randomness comes from [`PyRandom`] (CPython's generator, used for all optimizer
//! randomness here), not numpy's, so the asks are not bit-for-bit Optuna's; the algorithm is.
//! A NaN value ranks below every other value (Optuna would have failed such a trial).

use crate::random::PyRandom;

/// Trials sampled uniformly before the estimators are used (Optuna's `n_startup_trials`).
const N_STARTUP_TRIALS: usize = 10;
/// Candidates drawn from the "below" estimator per ask (Optuna's `n_ei_candidates`).
const N_EI_CANDIDATES: usize = 24;
/// Weight of the prior component (Optuna's `prior_weight`).
const PRIOR_WEIGHT: f64 = 1.0;

/// One finished trial: the chosen category index per parameter and its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TpeTrial {
    /// Category index per parameter, as told.
    pub(crate) params: Vec<usize>,
    /// Score of the trial (maximized; NaN is the worst).
    pub(crate) value: f64,
}

/// A seeded TPE sampler over categorical parameters (see the module docs).
///
/// Told parameters that do not fit the search space never cause a panic: a trial is stored as
/// told (and [`trials`](TpeSampler::trials) returns it unchanged), but when the estimators are
/// built, entries past the number of parameters are ignored, and a missing entry or an index
/// `>= choices[p]` counts as no observation for parameter `p` (that component stays uniform
/// over `p`). A parameter declared with 0 categories is treated as having 1.
#[derive(Debug, Clone)]
pub(crate) struct TpeSampler {
    choices: Vec<usize>,
    rng: PyRandom,
    trials: Vec<TpeTrial>,
}

impl TpeSampler {
    /// `choices[p]` = number of categories of parameter p (each >= 1). Seeded: same seed and
    /// same tells => same asks.
    pub(crate) fn new(choices: Vec<usize>, seed: u64) -> TpeSampler {
        let choices = choices.into_iter().map(|n| n.max(1)).collect();
        TpeSampler {
            choices,
            rng: PyRandom::new(seed),
            trials: Vec::new(),
        }
    }

    /// Records a finished trial (maximize). NaN values count as the worst possible.
    pub(crate) fn tell(&mut self, params: Vec<usize>, value: f64) {
        self.trials.push(TpeTrial { params, value });
    }

    /// The next parameters to try: uniform while fewer than 10 trials were told, then the best
    /// of 24 candidates from the "below" estimator by `log l(x) - log g(x)`.
    pub(crate) fn ask(&mut self) -> Vec<usize> {
        if self.choices.is_empty() {
            return Vec::new();
        }
        if self.trials.len() < N_STARTUP_TRIALS {
            let rng = &mut self.rng;
            return self.choices.iter().map(|&n| draw_uniform(rng, n)).collect();
        }
        let (below, above) = split(&self.trials);
        let params = |group: Vec<usize>| -> Vec<&[usize]> {
            group
                .into_iter()
                .map(|i| &self.trials[i].params[..])
                .collect()
        };
        let below = Parzen::new(&self.choices, &params(below));
        let above = Parzen::new(&self.choices, &params(above));
        let (mut best, mut best_score) = (Vec::new(), f64::NEG_INFINITY);
        for i in 0..N_EI_CANDIDATES {
            let x = below.sample(&mut self.rng);
            let score = below.log_pdf(&x) - above.log_pdf(&x);
            if i == 0 || score > best_score {
                (best, best_score) = (x, score);
            }
        }
        best
    }

    /// Trials told so far, in order.
    #[cfg(test)]
    pub(crate) fn trials(&self) -> &[TpeTrial] {
        &self.trials
    }
}

/// Uniform in `0..n`; no draw when there is only one category.
fn draw_uniform(rng: &mut PyRandom, n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        rng.randbelow(n as u64) as usize
    }
}

/// An index drawn with probability proportional to `weights` (positive); no draw for one.
fn draw_weighted(rng: &mut PyRandom, weights: &[f64]) -> usize {
    if weights.len() <= 1 {
        return 0;
    }
    let mut u = rng.random() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Optuna's `default_gamma`: how many of `n` trials are "below" (good).
fn gamma(n: usize) -> usize {
    ((0.1 * n as f64).ceil() as usize).min(25)
}

/// Optuna's `default_weights(m)`: ones below 25 observations; otherwise a linear ramp from
/// `1/m` to 1 over the `m - 25` oldest (numpy's `linspace`, last point exactly 1), then 25 ones.
fn default_weights(m: usize) -> Vec<f64> {
    let num = m.saturating_sub(25);
    let start = 1.0 / m as f64;
    let step = (1.0 - start) / num.saturating_sub(1).max(1) as f64;
    let mut weights: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if num > 1 {
        weights[num - 1] = 1.0;
    }
    weights.resize(m, 1.0);
    weights
}

/// Trial indices split into (below, above), each in tell order: ranked by value descending
/// (stable, NaN last), the first `gamma(n)` are below.
fn split(trials: &[TpeTrial]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| {
        let (va, vb) = (trials[a].value, trials[b].value);
        match (va.is_nan(), vb.is_nan()) {
            (false, false) => vb.partial_cmp(&va).unwrap_or(std::cmp::Ordering::Equal),
            (a_nan, b_nan) => a_nan.cmp(&b_nan),
        }
    });
    let mut above = order.split_off(gamma(trials.len()).min(order.len()));
    order.sort_unstable();
    above.sort_unstable();
    (order, above)
}

/// A mixture of per-parameter categorical distributions: one component per observation and a
/// uniform prior component.
#[derive(Debug)]
struct Parzen {
    /// Normalized mixture weights (the prior last).
    weights: Vec<f64>,
    /// `rows[k][p][c]`: probability of category `c` of parameter `p` under component `k`.
    rows: Vec<Vec<Vec<f64>>>,
}

impl Parzen {
    /// The estimator of `observations` (told params, in tell order) over `choices`.
    fn new(choices: &[usize], observations: &[&[usize]]) -> Parzen {
        let m = observations.len();
        let mut weights = default_weights(m);
        weights.push(PRIOR_WEIGHT);
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        let fill = PRIOR_WEIGHT / (m + 1) as f64;
        let row = |n: usize, observed: Option<usize>| {
            let mut row = vec![fill; n];
            if let Some(c) = observed.filter(|&c| c < n) {
                row[c] += 1.0;
            }
            let sum: f64 = row.iter().sum();
            row.into_iter().map(|v| v / sum).collect::<Vec<f64>>()
        };
        let observed = observations.iter().map(|obs| Some(*obs));
        let rows = observed.chain([None]).map(|obs| {
            let params = choices.iter().enumerate();
            params
                .map(|(p, &n)| row(n, obs.and_then(|o| o.get(p).copied())))
                .collect()
        });
        let rows = rows.collect();
        Parzen { weights, rows }
    }

    /// One point: a component by mixture weight, then each parameter from its row.
    fn sample(&self, rng: &mut PyRandom) -> Vec<usize> {
        let k = draw_weighted(rng, &self.weights);
        let component = self.rows.get(k).map_or(&[][..], |c| &c[..]);
        component
            .iter()
            .map(|row| draw_weighted(rng, row))
            .collect()
    }

    /// Log of the mixture density at `x` (log-sum-exp over components).
    fn log_pdf(&self, x: &[usize]) -> f64 {
        let terms: Vec<f64> = (self.weights.iter().zip(&self.rows))
            .map(|(w, component)| {
                let mut log_p = w.ln();
                for (row, &c) in component.iter().zip(x) {
                    log_p += row.get(c).map_or(f64::NEG_INFINITY, |p| p.ln());
                }
                log_p
            })
            .collect();
        let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value of `x` on the toy objective: the fraction of parameters equal to `target`.
    fn toy(x: &[usize], target: &[usize]) -> f64 {
        x.iter().zip(target).filter(|(a, b)| a == b).count() as f64 / target.len() as f64
    }

    /// Best value found after each of 40 trials on the toy objective, by TPE or uniform draws.
    fn best_curve(seed: u64, tpe: bool) -> Vec<f64> {
        let (choices, target) = (vec![6, 6, 6], [4, 1, 3]);
        let mut sampler = TpeSampler::new(choices.clone(), seed);
        let mut rng = PyRandom::new(seed);
        let mut best = f64::NEG_INFINITY;
        (0..40)
            .map(|_| {
                let x = if tpe {
                    sampler.ask()
                } else {
                    choices.iter().map(|&n| draw_uniform(&mut rng, n)).collect()
                };
                let v = toy(&x, &target);
                sampler.tell(x, v);
                best = best.max(v);
                best
            })
            .collect()
    }

    #[test]
    fn tpe_beats_uniform_sampling_on_a_toy_objective() {
        // Over 20 seeds: how often the best is found in 40 trials, and the mean trial at which
        // it is first found (41 when never).
        let (mut hits, mut first) = ([0usize; 2], [0.0f64; 2]);
        for seed in 0..20 {
            for (i, tpe) in [(0, true), (1, false)] {
                let curve = best_curve(seed, tpe);
                let found = curve.iter().position(|&v| v == 1.0);
                hits[i] += usize::from(found.is_some());
                first[i] += found.map_or(41.0, |t| t as f64 + 1.0) / 20.0;
            }
        }
        eprintln!("tpe vs random: found {hits:?} times, first at trial {first:?} on average");
        assert!(hits[0] >= hits[1] + 8, "found: {hits:?}");
        assert!(first[0] + 5.0 <= first[1], "first found at: {first:?}");
    }

    #[test]
    fn same_seed_same_asks_other_seed_differs() {
        let run = |seed| {
            let mut s = TpeSampler::new(vec![5, 3, 7], seed);
            (0..30)
                .map(|_| {
                    let x = s.ask();
                    s.tell(x.clone(), toy(&x, &[1, 2, 3]));
                    x
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn startup_asks_are_uniform_and_in_range() {
        let mut s = TpeSampler::new(vec![5, 1, 2], 3);
        for i in 0..9 {
            s.tell(vec![0, 0, 0], f64::from(i)); // 9 < 10 tells: still random
        }
        let mut counts = [0usize; 5];
        for _ in 0..500 {
            let x = s.ask();
            assert!(x.len() == 3 && x[1] == 0 && x[2] < 2, "{x:?}");
            counts[x[0]] += 1;
        }
        let balanced = counts.iter().all(|&c| (60..=140).contains(&c));
        assert!(balanced, "{counts:?}");
    }

    #[test]
    fn nan_is_never_below() {
        let trial = |value| TpeTrial {
            params: vec![0],
            value,
        };
        let mut trials = vec![trial(f64::NAN)];
        trials.extend((0..11).map(|_| trial(f64::NEG_INFINITY)));
        let (below, above) = split(&trials);
        assert_eq!(below, vec![1, 2]); // gamma(12) = 2, ties in tell order
        assert!(above.contains(&0) && above.len() == 10);
        trials[5].value = 0.5;
        assert_eq!(split(&trials).0, vec![1, 5]);
    }

    #[test]
    fn gamma_and_weights_match_optuna() {
        let gammas = [gamma(0), gamma(10), gamma(11), gamma(30), gamma(300)];
        assert_eq!(gammas, [0, 1, 2, 3, 25]);
        assert_eq!(default_weights(3), vec![1.0; 3]);
        assert_eq!(default_weights(25), vec![1.0; 25]);
        let w26 = [vec![1.0 / 26.0], vec![1.0; 25]].concat();
        assert_eq!(default_weights(26), w26);
        let w = default_weights(30);
        assert_eq!(w.len(), 30);
        assert_eq!(w[0], 1.0 / 30.0);
        assert!((w[1] - (1.0 / 30.0 + 0.25 * (29.0 / 30.0))).abs() < 1e-12);
        assert!(w[4..].iter().all(|&v| v == 1.0));
    }

    #[test]
    fn parzen_density_by_hand() {
        // One observation at category 0 of 3: weights [1/2, 1/2]; its row is
        // [1/2 + 1, 1/2, 1/2] / 2.5 = [0.6, 0.2, 0.2]; the prior row is uniform.
        let p = Parzen::new(&[3], &[&[0]]);
        assert!((p.log_pdf(&[0]) - (0.5 * 0.6 + 0.5 / 3.0_f64).ln()).abs() < 1e-12);
        assert!((p.log_pdf(&[2]) - (0.5 * 0.2 + 0.5 / 3.0_f64).ln()).abs() < 1e-12);
        let empty = Parzen::new(&[4], &[]);
        assert!((empty.log_pdf(&[1]) - 0.25f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn odd_inputs_never_panic() {
        assert!(TpeSampler::new(vec![], 1).ask().is_empty());
        let mut s = TpeSampler::new(vec![3, 0, 1], 1);
        let told = [vec![], vec![9, 9, 9, 9], vec![2], vec![1, 5]];
        for i in 0..40 {
            let value = [f64::NAN, f64::INFINITY, -1.0][i % 3];
            s.tell(told[i % told.len()].clone(), value);
            let x = s.ask();
            assert!(x.len() == 3 && x[0] < 3 && x[1] == 0 && x[2] == 0, "{x:?}");
        }
        assert_eq!(s.trials().len(), 40);
        assert_eq!(s.trials()[1].params, vec![9, 9, 9, 9]); // stored as told
    }
}
