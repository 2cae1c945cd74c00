//! The limit: waves of at most 16 calls, phase by phase (see the bench's doc comment).

use super::*;

/// The bootstrap calls grouped by demo set, each group's pass/fail outcomes in the order the
/// examples were tried. A set's teacher shows the same labeled demos on every call, except
/// that a demo is left out when its own example is tried.
pub(super) fn demo_set_runs(calls: &[&Call]) -> Vec<Vec<bool>> {
    let full = calls.iter().map(|c| c.demos.len()).max().unwrap_or(0);
    let mut keys: Vec<Vec<String>> = Vec::new();
    for call in calls.iter().filter(|c| c.demos.len() == full) {
        if !keys.contains(&call.demos) {
            keys.push(call.demos.clone());
        }
    }
    let mut runs: Vec<Vec<bool>> = vec![Vec::new(); keys.len()];
    for call in calls {
        let group = keys.iter().position(|k| {
            call.demos.iter().all(|d| k.contains(d))
                && (call.demos.len() == full
                    || call.question.as_ref().is_some_and(|q| k.contains(q)))
        });
        match group {
            Some(g) => runs[g].push(call.right),
            None => {
                keys.push(call.demos.clone());
                runs.push(vec![call.right]);
            }
        }
    }
    runs
}

/// Waves a set needs at best: with `k` of its `m` passes known, the next `m − k` examples at
/// once.
pub(super) fn set_waves(outcomes: &[bool]) -> usize {
    joint_waves(std::slice::from_ref(&outcomes.to_vec()), usize::MAX)
}

/// Waves for sets bootstrapping at once, at most `slots` calls per wave in all.
pub(super) fn joint_waves(sets: &[Vec<bool>], slots: usize) -> usize {
    let mut need: Vec<usize> = sets
        .iter()
        .map(|s| s.iter().filter(|&&p| p).count())
        .collect();
    let mut pos = vec![0usize; sets.len()];
    let mut waves = 0;
    loop {
        for (s, set) in sets.iter().enumerate() {
            if pos[s] >= set.len() {
                need[s] = 0;
            }
        }
        if need.iter().all(|&n| n == 0) {
            return waves;
        }
        let mut free = slots;
        for (s, set) in sets.iter().enumerate() {
            let take = need[s].min(free).min(set.len() - pos[s]);
            let passes = set[pos[s]..pos[s] + take].iter().filter(|&&p| p).count();
            pos[s] += take;
            need[s] -= passes;
            free -= take;
        }
        waves += 1;
    }
}

pub(super) fn waves_of(calls: usize) -> usize {
    calls.div_ceil(LIMIT)
}

/// One evaluation of the search, as the report lists it.
pub(super) struct Eval {
    pub(super) label: String,
    pub(super) examples: usize,
    pub(super) misses: usize,
}
