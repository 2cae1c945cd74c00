//! How many metric calls a GEPA run may make (DSPy's `auto`, `max_full_evals`,
//! `max_metric_calls`).

use crate::mipro::Auto;

/// A GEPA run's budget, in metric calls (one per example evaluated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// DSPy's `auto`: light, medium or heavy, turned into metric calls by
    /// [`auto_budget`] from the number of predictors and the valset size.
    Auto(Auto),
    /// DSPy's `max_full_evals`: this many passes over trainset and valset together.
    MaxFullEvals(usize),
    /// DSPy's `max_metric_calls`.
    MaxMetricCalls(usize),
}

impl Budget {
    /// The metric calls this budget allows for a program with `predictors` predictors.
    /// `valset` is the validation set's size when one was given (DSPy counts the trainset in
    /// its place for `auto`, and leaves it out for `max_full_evals`).
    pub fn metric_calls(self, predictors: usize, trainset: usize, valset: Option<usize>) -> usize {
        match self {
            Budget::Auto(auto) => auto_budget(
                predictors.max(1),
                auto.candidates(),
                valset.unwrap_or(trainset),
            ),
            Budget::MaxFullEvals(n) => n * (trainset + valset.unwrap_or(0)),
            Budget::MaxMetricCalls(n) => n,
        }
    }
}

/// DSPy's `auto_budget` with its defaults (minibatch 35, a full evaluation every 5 trials):
/// `N = max(2 · 2P · log2(n), 1.5 · n)` trials for `P` predictors and `n` candidates, then
/// `V + 5n + 35N` calls plus `((N + 1) / 5 + 1 + [N < 5]) · V` for the full evaluations.
///
/// ```
/// use dspy_optimize::gepa::auto_budget;
/// assert_eq!(auto_budget(1, 6, 8), 412);
/// assert_eq!(auto_budget(2, 18, 50), 1645);
/// ```
pub fn auto_budget(predictors: usize, candidates: usize, valset: usize) -> usize {
    let n = candidates as f64;
    let trials = (2.0 * (predictors as f64 * 2.0) * n.log2()).max(1.5 * n) as usize;
    let mut total = valset + 5 * candidates + trials * 35;
    if trials == 0 {
        return total;
    }
    total += ((trials + 1) / 5 + 1 + usize::from(trials < 5)) * valset;
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dspy_for_every_auto_level() {
        // (predictors, candidates) -> budgets for valsets of 8, 20, 50 (from DSPy 3.4.1).
        let table = [
            ((1, 6), [412, 460, 580]),
            ((1, 12), [730, 790, 940]),
            ((1, 18), [1091, 1175, 1385]),
            ((2, 6), [778, 850, 1030]),
            ((2, 12), [1096, 1180, 1390]),
            ((2, 18), [1309, 1405, 1645]),
        ];
        for ((p, n), budgets) in table {
            for (v, want) in [8, 20, 50].into_iter().zip(budgets) {
                assert_eq!(auto_budget(p, n, v), want, "P={p} n={n} V={v}");
            }
        }
        assert_eq!(Budget::MaxFullEvals(2).metric_calls(1, 10, Some(5)), 30);
        assert_eq!(Budget::MaxFullEvals(2).metric_calls(1, 10, None), 20);
        assert_eq!(
            Budget::Auto(Auto::Light).metric_calls(0, 8, None),
            auto_budget(1, 6, 8)
        );
    }
}
