//! A GEPA run's state: the candidate pool with its scores and Pareto fronts, the counters,
//! and both generators, so a run written to its folder after every iteration resumes exactly
//! where it stopped.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::pyset::PySet;
use super::select::BatchSampler;
use super::Iteration;
use crate::random::PyRandom;
use dspy_core::Error;

/// The file a run folder holds.
const STATE_FILE: &str = "gepa_state.json";
/// Bumped when the layout changes; other versions are not resumed.
const VERSION: u64 = 1;
/// The largest state file read.
const MAX_STATE_BYTES: u64 = 256 << 20;

/// Everything a run needs to continue.
#[derive(Debug, Clone)]
pub(super) struct State {
    /// One text per component (predictor instructions), per candidate.
    pub(super) candidates: Vec<Vec<String>>,
    /// Each candidate's parents (none for the seed, two for a merge).
    pub(super) parents: Vec<Vec<usize>>,
    /// Each candidate's score on every validation example.
    pub(super) val_scores: Vec<Vec<f64>>,
    /// Per validation example, the candidates with its best score.
    pub(super) fronts: Vec<PySet>,
    /// Per candidate, the next component to rewrite (round robin).
    pub(super) pointers: Vec<usize>,
    /// Metric calls made before each candidate's full evaluation.
    pub(super) discovery: Vec<usize>,
    /// The last iteration started (`None` before the first).
    pub(super) iteration: Option<usize>,
    /// Metric calls so far (the budget's unit).
    pub(super) metric_calls: usize,
    /// Full validation passes so far.
    pub(super) full_evals: usize,
    /// gepa's generator: parents, minibatches, merges.
    pub(super) rng: PyRandom,
    /// DSPy's adapter's generator: which call of a predictor feeds the reflection.
    pub(super) adapter_rng: PyRandom,
    pub(super) sampler: BatchSampler,
    pub(super) merges_due: usize,
    pub(super) merges_tested: usize,
    pub(super) last_found_new: bool,
    /// Merges tried: (i, j, ancestor) and (i, j, which side each component came from).
    pub(super) merged_triplets: Vec<(usize, usize, usize)>,
    pub(super) merged_descs: Vec<(usize, usize, Vec<usize>)>,
    pub(super) iterations: Vec<Iteration>,
}

impl State {
    /// A run starting from the seed candidate, already scored on the valset.
    pub(super) fn new(seed: Vec<String>, val_scores: Vec<f64>, rng_seed: u64) -> State {
        let fronts = (0..val_scores.len())
            .map(|_| PySet::from_list([0]))
            .collect();
        State {
            metric_calls: val_scores.len(),
            candidates: vec![seed],
            parents: vec![Vec::new()],
            val_scores: vec![val_scores],
            fronts,
            pointers: vec![0],
            discovery: vec![0],
            iteration: None,
            full_evals: 1,
            rng: PyRandom::new(rng_seed),
            adapter_rng: PyRandom::new(rng_seed),
            sampler: BatchSampler::default(),
            merges_due: 0,
            merges_tested: 0,
            last_found_new: false,
            merged_triplets: Vec::new(),
            merged_descs: Vec::new(),
            iterations: Vec::new(),
        }
    }

    /// Average validation score per candidate.
    pub(super) fn averages(&self) -> Vec<f64> {
        self.val_scores
            .iter()
            .map(|s| {
                if s.is_empty() {
                    0.0
                } else {
                    s.iter().sum::<f64>() / s.len() as f64
                }
            })
            .collect()
    }

    /// Adds a fully evaluated candidate and updates the fronts; returns its index.
    pub(super) fn add(
        &mut self,
        texts: Vec<String>,
        parents: Vec<usize>,
        scores: Vec<f64>,
        discovery: usize,
    ) -> usize {
        let index = self.candidates.len();
        let pointer = parents.iter().map(|&p| self.pointers[p]).max().unwrap_or(0);
        for (v, &score) in scores.iter().enumerate() {
            let best = self.val_scores[self.fronts[v].iter().next().unwrap_or(0)][v];
            if score > best {
                self.fronts[v] = PySet::from_list([index]);
            } else if score == best {
                self.fronts[v].add(index);
            }
        }
        self.candidates.push(texts);
        self.parents.push(parents);
        self.val_scores.push(scores);
        self.pointers.push(pointer);
        self.discovery.push(discovery);
        self.full_evals += 1;
        index
    }

    /// Every ancestor of `candidate` (parents, their parents, ...), found depth first and
    /// kept in a set as gepa's `get_ancestors` does (its iteration order matters).
    pub(super) fn ancestors(&self, candidate: usize) -> PySet {
        fn visit(parents: &[Vec<usize>], node: usize, found: &mut PySet) {
            for &p in &parents[node] {
                if !found.contains(p) {
                    found.add(p);
                    visit(parents, p, found);
                }
            }
        }
        let mut found = PySet::default();
        visit(&self.parents, candidate, &mut found);
        found
    }

    fn to_json(&self) -> Value {
        let (words, index) = self.rng.state();
        let (a_words, a_index) = self.adapter_rng.state();
        json!({
            "version": VERSION,
            "candidates": self.candidates,
            "parents": self.parents,
            "val_scores": self.val_scores,
            "fronts": self.fronts,
            "pointers": self.pointers,
            "discovery": self.discovery,
            "iteration": self.iteration,
            "metric_calls": self.metric_calls,
            "full_evals": self.full_evals,
            "rng": {"words": words, "index": index},
            "adapter_rng": {"words": a_words, "index": a_index},
            "sampler": self.sampler.to_json(),
            "merges_due": self.merges_due,
            "merges_tested": self.merges_tested,
            "last_found_new": self.last_found_new,
            "merged_triplets": self.merged_triplets,
            "merged_descs": self.merged_descs,
            "iterations": self.iterations,
        })
    }

    fn from_json(v: &Value) -> Option<State> {
        fn field<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Option<T> {
            serde_json::from_value(v.get(key)?.clone()).ok()
        }
        fn rng(v: &Value) -> Option<PyRandom> {
            let words: Vec<u32> = field(v, "words")?;
            PyRandom::from_state(&words, field(v, "index")?)
        }
        if v.get("version")?.as_u64()? != VERSION {
            return None;
        }
        let state = State {
            candidates: field(v, "candidates")?,
            parents: field(v, "parents")?,
            val_scores: field(v, "val_scores")?,
            fronts: field(v, "fronts")?,
            pointers: field(v, "pointers")?,
            discovery: field(v, "discovery")?,
            iteration: field(v, "iteration")?,
            metric_calls: field(v, "metric_calls")?,
            full_evals: field(v, "full_evals")?,
            rng: rng(v.get("rng")?)?,
            adapter_rng: rng(v.get("adapter_rng")?)?,
            sampler: BatchSampler::from_json(v.get("sampler")?)?,
            merges_due: field(v, "merges_due")?,
            merges_tested: field(v, "merges_tested")?,
            last_found_new: field(v, "last_found_new")?,
            merged_triplets: field(v, "merged_triplets")?,
            merged_descs: field(v, "merged_descs")?,
            iterations: field(v, "iterations")?,
        };
        state.is_consistent().then_some(state)
    }

    /// Whether a loaded state is one a run could have written: every index in range, every
    /// set a valid table (a corrupt file must not make the run panic or spin).
    fn is_consistent(&self) -> bool {
        let n = self.candidates.len();
        let components = self.candidates.first().map_or(0, Vec::len);
        let lengths = [
            self.parents.len(),
            self.val_scores.len(),
            self.pointers.len(),
            self.discovery.len(),
        ];
        n > 0
            && lengths.iter().all(|&len| len == n)
            && self.candidates.iter().all(|c| c.len() == components)
            && self.pointers.iter().all(|&p| p < components.max(1))
            && self
                .parents
                .iter()
                .enumerate()
                .all(|(i, ps)| ps.iter().all(|&p| p < i))
            && self
                .fronts
                .iter()
                .all(|f| f.is_valid() && f.len() > 0 && f.iter().all(|c| c < n))
            && self
                .merged_triplets
                .iter()
                .all(|&(a, b, c)| a < n && b < n && c < n)
            && self
                .merged_descs
                .iter()
                .all(|(a, b, d)| *a < n && *b < n && d.iter().all(|&c| c < n))
    }

    /// Writes the state into `dir` (atomically: a temporary file renamed into place).
    pub(super) fn save(&self, dir: &Path) -> Result<(), Error> {
        let failed = |e: std::io::Error| {
            Error::custom(format!(
                "GEPA could not write its state to {}: {e}; check the run folder is writable",
                dir.display()
            ))
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
        serde_json::to_writer(&mut file, &self.to_json())
            .map_err(|e| failed(std::io::Error::other(e)))?;
        file.persist(state_path(dir)).map_err(|e| failed(e.error))?;
        Ok(())
    }

    /// The state saved in `dir`, if any. A file that cannot be read as this run's state is an
    /// error (delete it, or use another folder, to start over).
    pub(super) fn load(
        dir: &Path,
        components: usize,
        trainset: usize,
        valset: usize,
    ) -> Result<Option<State>, Error> {
        let path = state_path(dir);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_STATE_BYTES) {
            return Err(Error::custom(format!(
                "{} is larger than {MAX_STATE_BYTES} bytes, too large to be a GEPA state; delete it \
                 or choose another run folder",
                path.display()
            )));
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::custom(format!(
                    "GEPA could not read {}: {e}",
                    path.display()
                )))
            }
        };
        let state = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| State::from_json(&v))
            .filter(|s| {
                s.candidates.iter().all(|c| c.len() == components)
                    && s.val_scores.iter().all(|v| v.len() == valset)
                    && s.fronts.len() == valset
                    && s.sampler.ids_below(trainset)
            });
        match state {
            Some(state) => Ok(Some(state)),
            None => Err(Error::custom(format!(
                "{} is not the state of this GEPA run (another program or valset, or another \
                 version); delete it or choose another run folder to start over",
                path.display()
            ))),
        }
    }
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}
