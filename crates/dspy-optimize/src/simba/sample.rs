//! SIMBA's draws and orderings: softmax sampling over the top programs, the buckets of
//! trajectories per example, and Python's rounding in the final selection.

use crate::random::PyRandom;

/// The average of a program's scores (0 for none: the baseline is never scored).
pub(super) fn average(scores: &[f64]) -> f64 {
    if scores.is_empty() {
        0.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    }
}

/// DSPy's `top_k_plus_baseline`: the `k` best programs by average (stable, descending), with
/// the baseline (0) in place of the last when it is not among them.
pub(super) fn top_k_plus_baseline(averages: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..averages.len()).collect();
    order.sort_by(|a, b| averages[*b].total_cmp(&averages[*a]));
    let mut top: Vec<usize> = order.into_iter().take(k).collect();
    if !top.is_empty() && !top.contains(&0) {
        let last = top.len() - 1;
        top[last] = 0;
    }
    let mut seen = Vec::with_capacity(top.len());
    for p in top {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen
}

/// DSPy's `softmax_sample`: one of `programs`, weighted by `exp(average / temperature)`
/// (`choices` with one `random()`, even for a single program).
pub(super) fn softmax_sample(
    rng: &mut PyRandom,
    programs: &[usize],
    averages: &[f64],
    temperature: f64,
) -> usize {
    let exps: Vec<f64> = programs
        .iter()
        .map(|&p| (averages[p] / temperature).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    if sum <= 0.0 {
        return rng.choice(programs).copied().unwrap_or(0);
    }
    let probs: Vec<f64> = exps.iter().map(|e| e / sum).collect();
    rng.choices_weighted(programs, &probs, 1)
        .first()
        .copied()
        .unwrap_or(programs[0])
}

/// The order in which SIMBA visits the examples of a batch: per batch position, the scores of
/// its trajectories (one per model) sorted descending; buckets sorted by (max − min, max,
/// max − mean), descending, ties in batch order. Returns the batch positions in that order,
/// each with its model indices best first.
pub(super) fn bucket_order(
    scores: &[f64],
    bsize: usize,
    models: usize,
) -> Vec<(usize, Vec<usize>)> {
    type Bucket = (usize, Vec<usize>, (f64, f64, f64));
    let mut buckets: Vec<Bucket> = (0..bsize)
        .map(|pos| {
            let mut members: Vec<usize> = (0..models).collect();
            let score = |m: usize| scores[m * bsize + pos];
            members.sort_by(|a, b| score(*b).total_cmp(&score(*a)));
            let max = score(members[0]);
            let min = score(members[members.len() - 1]);
            let avg = members.iter().map(|&m| score(m)).sum::<f64>() / members.len() as f64;
            (pos, members, (max - min, max, max - avg))
        })
        .collect();
    buckets.sort_by(|a, b| {
        let (x, y) = (a.2, b.2);
        y.0.total_cmp(&x.0)
            .then(y.1.total_cmp(&x.1))
            .then(y.2.total_cmp(&x.2))
    });
    buckets
        .into_iter()
        .map(|(pos, members, _)| (pos, members))
        .collect()
}

/// Python's `round(x)` on a float: to the nearest integer, ties to even.
pub(super) fn round_half_even(x: f64) -> usize {
    let floor = x.floor();
    let diff = x - floor;
    let up = diff > 0.5 || (diff == 0.5 && floor % 2.0 != 0.0);
    let r = if up { floor + 1.0 } else { floor };
    r.max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding_and_the_baseline() {
        assert_eq!(
            [0.5, 1.5, 2.5, 2.6, 1.25].map(round_half_even),
            [0, 2, 2, 3, 1]
        );
        // Baseline 0 replaces the last of the top k when it is not among them.
        assert_eq!(top_k_plus_baseline(&[0.0, 0.9, 0.8, 0.7], 2), [1, 0]);
        assert_eq!(top_k_plus_baseline(&[0.0, 0.0, 0.5], 2), [2, 0]);
    }
}
