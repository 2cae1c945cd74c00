//! GEPA's choices that draw on its generator: the parent (Pareto sampling), the reflection
//! minibatch (epoch-shuffled) and the components to rewrite, as gepa 0.1 makes them.

use serde_json::{json, Value};

use super::pyset::PySet;

use crate::random::PyRandom;

/// How the parent of the next child is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateSelection {
    /// Among the candidates on some instance's Pareto front, dominated ones dropped, with
    /// probability proportional to the number of fronts each is on (DSPy's default).
    #[default]
    Pareto,
    /// The candidate with the best average validation score.
    CurrentBest,
}

/// Which components (predictors' instructions) one reflection rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComponentSelection {
    /// One per iteration, in turn, per parent candidate (DSPy's default).
    #[default]
    RoundRobin,
    /// Every predictor, one reflection call each.
    All,
}

/// The per-instance fronts with dominated candidates removed (gepa's
/// `remove_dominated_programs`).
///
/// `fronts[v]` holds the candidates with the best score on validation example `v` (as
/// `get_pareto_front_mapping` gives them: copies, which may iterate differently from the
/// originals); `averages[c]` is candidate `c`'s average score.
pub(super) fn non_dominated(fronts: &[PySet], averages: &[f64]) -> Vec<PySet> {
    let mut programs = first_seen(fronts);
    // Stable sort by average, ascending.
    programs.sort_by(|a, b| averages[*a].total_cmp(&averages[*b]));
    let mut dominated = std::collections::BTreeSet::new();
    loop {
        let found = programs.iter().copied().find(|&y| {
            !dominated.contains(&y)
                && fronts.iter().filter(|f| f.contains(y)).all(|front| {
                    front
                        .iter()
                        .any(|p| p != y && !dominated.contains(&p) && programs.contains(&p))
                })
        });
        match found {
            Some(y) => {
                dominated.insert(y);
            }
            None => break,
        }
    }
    fronts
        .iter()
        .map(|f| PySet::from_list(f.iter().filter(|p| !dominated.contains(p))))
        .collect()
}

/// Candidates in the order a walk over the fronts first meets them, with how many fronts
/// each is on.
fn frequencies(fronts: &[PySet]) -> Vec<(usize, usize)> {
    let mut freq: Vec<(usize, usize)> = Vec::new();
    for front in fronts {
        for p in front.iter() {
            match freq.iter_mut().find(|(q, _)| *q == p) {
                Some((_, n)) => *n += 1,
                None => freq.push((p, 1)),
            }
        }
    }
    freq
}

fn first_seen(fronts: &[PySet]) -> Vec<usize> {
    frequencies(fronts).into_iter().map(|(p, _)| p).collect()
}

/// gepa's `select_program_candidate_from_pareto_front`: one `choice` over the candidates of
/// the non-dominated fronts, each repeated once per front it is on.
pub(super) fn pareto_parent(fronts: &[PySet], averages: &[f64], rng: &mut PyRandom) -> usize {
    let fronts = non_dominated(&mapping(fronts), averages);
    let list: Vec<usize> = frequencies(&fronts)
        .into_iter()
        .flat_map(|(p, n)| std::iter::repeat_n(p, n))
        .collect();
    rng.choice(&list).copied().unwrap_or(0)
}

/// gepa's `get_pareto_front_mapping`: a copy (`set(front)`) of every front.
pub(super) fn mapping(fronts: &[PySet]) -> Vec<PySet> {
    fronts.iter().map(PySet::copy).collect()
}

/// The first candidate with the highest average.
pub(super) fn best_index(averages: &[f64]) -> usize {
    let mut best = 0;
    for (i, a) in averages.iter().enumerate() {
        if *a > averages[best] {
            best = i;
        }
    }
    best
}

/// gepa's `EpochShuffledBatchSampler`: the trainset shuffled once per epoch, padded to a
/// multiple of the minibatch size with the least used ids, sliced by the iteration number.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct BatchSampler {
    ids: Vec<usize>,
    epoch: Option<usize>,
    trainset_size: usize,
}

impl BatchSampler {
    /// The minibatch of iteration `iteration` (0-based, counting every iteration).
    pub(super) fn next(
        &mut self,
        iteration: usize,
        trainset: usize,
        size: usize,
        rng: &mut PyRandom,
    ) -> Vec<usize> {
        let base = iteration * size;
        let current = match self.epoch {
            Some(_) if !self.ids.is_empty() => base / self.ids.len(),
            _ => 0,
        };
        if self.ids.is_empty()
            || trainset != self.trainset_size
            || self.epoch.is_none_or(|e| current > e)
        {
            self.epoch = Some(current);
            self.trainset_size = trainset;
            self.reshuffle(trainset, size, rng);
        }
        let len = self.ids.len();
        if len == 0 {
            return Vec::new();
        }
        let start = base % len;
        (start..start + size).map(|k| self.ids[k % len]).collect()
    }

    fn reshuffle(&mut self, trainset: usize, size: usize, rng: &mut PyRandom) {
        let mut ids: Vec<usize> = (0..trainset).collect();
        rng.shuffle(&mut ids);
        let pad = if size == 0 {
            0
        } else {
            (size - trainset % size) % size
        };
        let mut counts = vec![1usize; trainset];
        let order = ids.clone();
        for _ in 0..pad {
            // The least used id; ties go to the last one in the shuffled order.
            let mut best: Option<usize> = None;
            for &id in &order {
                if best.is_none_or(|b| counts[id] <= counts[b]) {
                    best = Some(id);
                }
            }
            if let Some(id) = best {
                counts[id] += 1;
                ids.push(id);
            }
        }
        self.ids = ids;
    }

    /// Whether every id is a trainset index (a loaded state's check).
    pub(super) fn ids_below(&self, trainset: usize) -> bool {
        self.ids.iter().all(|&id| id < trainset)
    }

    pub(super) fn to_json(&self) -> Value {
        json!({"ids": self.ids, "epoch": self.epoch, "trainset_size": self.trainset_size})
    }

    pub(super) fn from_json(value: &Value) -> Option<BatchSampler> {
        Some(BatchSampler {
            ids: serde_json::from_value(value.get("ids")?.clone()).ok()?,
            epoch: serde_json::from_value(value.get("epoch")?.clone()).ok()?,
            trainset_size: value.get("trainset_size")?.as_u64()? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[usize]) -> PySet {
        PySet::from_list(items.iter().copied())
    }

    #[test]
    fn a_candidate_whose_fronts_others_cover_is_dominated() {
        // 1 is on every front 0 is on, plus one more: 0 is dominated.
        let fronts = vec![set(&[0, 1]), set(&[1]), set(&[0, 1, 2]), set(&[2])];
        let kept = non_dominated(&fronts, &[0.25, 0.5, 0.5]);
        assert_eq!(kept, vec![set(&[1]), set(&[1]), set(&[1, 2]), set(&[2])]);
    }

    #[test]
    fn padding_repeats_the_last_shuffled_ids() {
        let mut sampler = BatchSampler::default();
        let mut rng = PyRandom::new(0);
        let first = sampler.next(0, 8, 3, &mut rng);
        assert_eq!(first.len(), 3);
        assert_eq!(sampler.ids.len(), 9);
        assert_eq!(sampler.ids[8], sampler.ids[7]);
        // The second slice of the same epoch needs no new shuffle.
        let before = rng.clone().random();
        sampler.next(1, 8, 3, &mut rng);
        assert_eq!(rng.random(), before);
    }
}
