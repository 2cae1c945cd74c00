//! GEPA's merge: two Pareto candidates that improved different components of a common
//! ancestor are combined component by component, scored on five validation examples, and
//! kept when they do at least as well as the better parent there (gepa 0.1's `MergeProposer`).

use dspy_core::example::Example;
use dspy_core::module::Module;

use super::engine::Run;
use super::pyset::PySet;
use super::select;
use super::state::State;
use super::{Iteration, IterationOutcome};

/// Validation examples a merge is scored on.
const SUBSAMPLE: usize = 5;
/// Both parents must be scored on at least this many common validation examples.
const OVERLAP_FLOOR: usize = 5;
/// Tries at finding a pair, and at finding a new merge.
const ATTEMPTS: usize = 10;

/// Tries a merge in iteration `i`; `None` when no merge could be built (the iteration then
/// reflects instead).
pub(super) async fn attempt<P: Module + Clone>(
    run: &Run<'_, P>,
    state: &mut State,
    i: usize,
) -> Option<Iteration> {
    let averages = state.averages();
    // gepa's `find_dominator_programs`: `list(set(programs of the fronts, in order))`.
    let fronts = select::non_dominated(&select::mapping(&state.fronts), &averages);
    let candidates: Vec<usize> = PySet::from_list(fronts.iter().flat_map(PySet::iter))
        .iter()
        .collect();
    if candidates.len() < 2 || state.candidates.len() < 3 {
        return None;
    }
    let (texts, a, b, ancestor) = merged_program(state, &candidates, &averages)?;
    state.merged_triplets.push((a, b, ancestor));

    let ids = subsample(state, a, b);
    let examples: Vec<&Example> = ids.iter().map(|&k| &run.valset[k]).collect();
    let outcomes = run.evaluate(&texts, &examples).await;
    state.metric_calls += examples.len();
    let scores: Vec<f64> = outcomes.iter().map(|o| o.score).collect();
    let sum_of = |c: usize| ids.iter().map(|&k| state.val_scores[c][k]).sum::<f64>();
    let (sum_a, sum_b) = (sum_of(a), sum_of(b));
    let mut record = Iteration {
        iteration: i,
        parents: vec![a, b],
        merge: true,
        ancestor: Some(ancestor),
        components: Vec::new(),
        examples: ids,
        parent_scores: vec![sum_a, sum_b],
        child_scores: scores,
        outcome: IterationOutcome::Rejected,
        candidate: None,
        metric_calls: state.metric_calls,
    };
    if record.child_scores.iter().sum::<f64>() >= sum_a.max(sum_b) {
        let index = run.add_candidate(state, texts, vec![a, b]).await;
        state.merges_due = state.merges_due.saturating_sub(1);
        state.merges_tested += 1;
        record.outcome = IterationOutcome::Accepted;
        record.candidate = Some(index);
        record.metric_calls = state.metric_calls;
    }
    Some(record)
}

/// gepa's `sample_and_attempt_merge_programs_by_common_predictors`: the merged texts, the two
/// parents (ascending) and their common ancestor.
fn merged_program(
    state: &mut State,
    candidates: &[usize],
    averages: &[f64],
) -> Option<(Vec<String>, usize, usize, usize)> {
    for _ in 0..ATTEMPTS {
        let Some((a, b, ancestor)) = common_ancestor_pair(state, candidates, averages) else {
            continue;
        };
        if state.merged_triplets.contains(&(a, b, ancestor)) {
            continue;
        }
        let (anc, ta, tb) = (
            &state.candidates[ancestor],
            &state.candidates[a],
            &state.candidates[b],
        );
        let mut texts = anc.clone();
        let mut desc = Vec::with_capacity(texts.len());
        for c in 0..texts.len() {
            let from = if (anc[c] == ta[c] || anc[c] == tb[c]) && ta[c] != tb[c] {
                if anc[c] == ta[c] {
                    b
                } else {
                    a
                }
            } else if anc[c] != ta[c] && anc[c] != tb[c] {
                if averages[a] > averages[b] {
                    a
                } else if averages[b] > averages[a] {
                    b
                } else {
                    *state.rng.choice(&[a, b]).unwrap_or(&a)
                }
            } else {
                a
            };
            texts[c] = state.candidates[from][c].clone();
            desc.push(from);
        }
        if state.merged_descs.contains(&(a, b, desc.clone())) {
            continue;
        }
        if state.val_scores[a].len().min(state.val_scores[b].len()) < OVERLAP_FLOOR {
            continue;
        }
        state.merged_descs.push((a, b, desc));
        return Some((texts, a, b, ancestor));
    }
    None
}

/// gepa's `find_common_ancestor_pair`.
fn common_ancestor_pair(
    state: &mut State,
    candidates: &[usize],
    averages: &[f64],
) -> Option<(usize, usize, usize)> {
    for _ in 0..ATTEMPTS {
        let pair = state.rng.sample(candidates, 2)?;
        let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
        if a == b {
            continue;
        }
        let (anc_a, anc_b) = (state.ancestors(a), state.ancestors(b));
        if anc_a.contains(b) || anc_b.contains(a) {
            continue;
        }
        // `set(list(ancestors_i)) & set(list(ancestors_j))`, in that set's order.
        let (anc_a, anc_b) = (
            PySet::from_list(anc_a.iter()),
            PySet::from_list(anc_b.iter()),
        );
        let common: Vec<usize> = anc_a
            .intersection(&anc_b)
            .iter()
            .filter(|&x| {
                !state.merged_triplets.contains(&(a, b, x))
                    && averages[x] <= averages[a]
                    && averages[x] <= averages[b]
                    && desirable(state, x, a, b)
            })
            .collect();
        if !common.is_empty() {
            let weights: Vec<f64> = common.iter().map(|&x| averages[x]).collect();
            // DSPy raises when every weight is zero; here the pair is passed over.
            let Some(&ancestor) = state.rng.choices_weighted(&common, &weights, 1).first() else {
                continue;
            };
            return Some((a, b, ancestor));
        }
    }
    None
}

/// Whether some component is unchanged on one side and changed on the other.
fn desirable(state: &State, ancestor: usize, a: usize, b: usize) -> bool {
    let (anc, ta, tb) = (
        &state.candidates[ancestor],
        &state.candidates[a],
        &state.candidates[b],
    );
    (0..anc.len()).any(|c| (anc[c] == ta[c] || anc[c] == tb[c]) && ta[c] != tb[c])
}

/// gepa's `select_eval_subsample_for_merged_program`: up to two examples where `a` wins, two
/// where `b` wins, then ties, topped up at random.
fn subsample(state: &mut State, a: usize, b: usize) -> Vec<usize> {
    let (sa, sb) = (&state.val_scores[a], &state.val_scores[b]);
    let common: Vec<usize> = (0..sa.len().min(sb.len())).collect();
    let p1: Vec<usize> = common.iter().copied().filter(|&k| sa[k] > sb[k]).collect();
    let p2: Vec<usize> = common.iter().copied().filter(|&k| sb[k] > sa[k]).collect();
    let p3: Vec<usize> = common
        .iter()
        .copied()
        .filter(|k| !p1.contains(k) && !p2.contains(k))
        .collect();
    let each = SUBSAMPLE.div_ceil(3).max(1);
    let mut selected: Vec<usize> = Vec::new();
    for bucket in [p1, p2, p3] {
        if selected.len() >= SUBSAMPLE {
            break;
        }
        let available: Vec<usize> = bucket
            .into_iter()
            .filter(|k| !selected.contains(k))
            .collect();
        let take = available.len().min(each).min(SUBSAMPLE - selected.len());
        if take > 0 {
            selected.extend(state.rng.sample(&available, take).unwrap_or_default());
        }
    }
    let remaining = SUBSAMPLE.saturating_sub(selected.len());
    if remaining > 0 {
        let unused: Vec<usize> = common
            .iter()
            .copied()
            .filter(|k| !selected.contains(k))
            .collect();
        if unused.len() >= remaining {
            selected.extend(state.rng.sample(&unused, remaining).unwrap_or_default());
        } else if !common.is_empty() {
            selected.extend(state.rng.choices(&common, remaining));
        }
    }
    selected.truncate(SUBSAMPLE);
    selected
}
