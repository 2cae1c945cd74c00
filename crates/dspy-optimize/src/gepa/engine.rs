//! The GEPA loop: pick a parent, run it on a minibatch with traces, reflect on one component,
//! keep the child if it does strictly better on the same minibatch, then score it on the whole
//! valset; merges of two Pareto candidates in between (gepa 0.1's engine as DSPy runs it).

use dspy_core::example::Example;
use dspy_core::module::Module;
use dspy_core::{settings, Error};

use super::merge;
use super::reflect::{self, Outcome};
use super::select::{self, CandidateSelection, ComponentSelection};
use super::state::State;
use super::{Gepa, Iteration, IterationOutcome};

/// What the loop works on.
pub(super) struct Run<'a, P> {
    pub(super) gepa: &'a Gepa,
    pub(super) student: &'a P,
    pub(super) names: Vec<String>,
    pub(super) trainset: &'a [Example],
    pub(super) valset: &'a [Example],
    pub(super) budget: usize,
}

impl<P: Module + Clone> Run<'_, P> {
    /// `student` with candidate `texts` as its predictors' instructions.
    pub(super) fn build(&self, texts: &[String]) -> P {
        let mut program = self.student.clone();
        for ((_, predictor), text) in program.named_predictors_mut().into_iter().zip(texts) {
            let spec = predictor.signature().with_instructions(text.clone());
            predictor.set_signature(spec);
        }
        program
    }

    fn concurrency(&self) -> usize {
        self.gepa.num_threads.unwrap_or_else(settings::num_threads)
    }

    pub(super) async fn evaluate(&self, texts: &[String], examples: &[&Example]) -> Vec<Outcome> {
        self.evaluate_program(&self.build(texts), examples).await
    }

    async fn evaluate_program(&self, program: &P, examples: &[&Example]) -> Vec<Outcome> {
        reflect::evaluate(
            program,
            &*self.gepa.metric,
            examples,
            self.concurrency(),
            self.gepa.failure_score,
        )
        .await
    }

    /// Scores `texts` on the whole valset and adds it to the pool.
    pub(super) async fn add_candidate(
        &self,
        state: &mut State,
        texts: Vec<String>,
        parents: Vec<usize>,
    ) -> usize {
        let discovery = state.metric_calls;
        let valset: Vec<&Example> = self.valset.iter().collect();
        let scores = self.evaluate(&texts, &valset).await;
        state.metric_calls += valset.len();
        let scores = scores.iter().map(|o| o.score).collect();
        state.add(texts, parents, scores, discovery)
    }

    /// Runs iterations until the budget is used (checked before each one, as gepa does, so
    /// the last one may go past it).
    pub(super) async fn run(&self, state: &mut State) -> Result<(), Error> {
        while state.metric_calls < self.budget {
            if let Some(dir) = &self.gepa.run_dir {
                if dir.join("gepa.stop").exists() {
                    break;
                }
                state.save(dir)?;
            }
            let i = state.iteration.map_or(0, |i| i + 1);
            state.iteration = Some(i);
            let record = self.iteration(state, i).await?;
            state.iterations.push(record);
        }
        if let Some(dir) = &self.gepa.run_dir {
            state.save(dir)?;
        }
        Ok(())
    }

    async fn iteration(&self, state: &mut State, i: usize) -> Result<Iteration, Error> {
        if self.gepa.use_merge && state.merges_due > 0 && state.last_found_new {
            state.last_found_new = false;
            if let Some(record) = merge::attempt(self, state, i).await {
                return Ok(record);
            }
        }
        state.last_found_new = false;
        self.reflect(state, i).await
    }

    async fn reflect(&self, state: &mut State, i: usize) -> Result<Iteration, Error> {
        let parent = match self.gepa.candidate_selection {
            CandidateSelection::Pareto => {
                let averages = state.averages();
                select::pareto_parent(&state.fronts, &averages, &mut state.rng)
            }
            CandidateSelection::CurrentBest => select::best_index(&state.averages()),
        };
        let minibatch = state.sampler.next(
            i,
            self.trainset.len(),
            self.gepa.reflection_minibatch_size,
            &mut state.rng,
        );
        let examples: Vec<&Example> = minibatch.iter().map(|&k| &self.trainset[k]).collect();
        let parent_texts = state.candidates[parent].clone();
        // One program for the run and the look-up of its predictors' calls in the traces.
        let program = self.build(&parent_texts);
        let outcomes = self.evaluate_program(&program, &examples).await;
        state.metric_calls += examples.len();
        let parent_scores: Vec<f64> = outcomes.iter().map(|o| o.score).collect();
        let mut record = Iteration {
            iteration: i,
            parents: vec![parent],
            merge: false,
            ancestor: None,
            components: Vec::new(),
            examples: minibatch,
            parent_scores,
            child_scores: Vec::new(),
            outcome: IterationOutcome::Skipped,
            candidate: None,
            metric_calls: state.metric_calls,
        };
        let perfect = self.gepa.skip_perfect_score
            && record
                .parent_scores
                .iter()
                .all(|&s| s >= self.gepa.perfect_score);
        if outcomes.iter().all(|o| o.run.is_none()) || perfect {
            return Ok(record);
        }

        let k = self.names.len();
        let components: Vec<usize> = match self.gepa.component_selection {
            ComponentSelection::RoundRobin => {
                let next = state.pointers[parent];
                state.pointers[parent] = (next + 1) % k.max(1);
                vec![next]
            }
            ComponentSelection::All => (0..k).collect(),
        };
        record.components = components.iter().map(|&c| self.names[c].clone()).collect();
        record.outcome = IterationOutcome::NothingProposed;

        let ids: Vec<_> = program
            .named_predictors()
            .into_iter()
            .map(|(_, p)| p.id())
            .collect();
        let mut datasets = Vec::new();
        for &c in &components {
            let records = reflect::reflective_records(
                &*self.gepa.metric,
                &self.names[c],
                ids[c],
                &examples,
                &outcomes,
                &mut state.adapter_rng,
            )
            .await?;
            if !records.is_empty() {
                datasets.push((c, records));
            }
        }
        if datasets.is_empty() {
            return Ok(record);
        }
        let Some(proposals) = self.propose(&parent_texts, &datasets).await else {
            return Ok(record);
        };
        let mut child = parent_texts.clone();
        for (c, text) in proposals {
            child[c] = text;
        }
        let child_outcomes = self.evaluate(&child, &examples).await;
        state.metric_calls += examples.len();
        record.child_scores = child_outcomes.iter().map(|o| o.score).collect();
        let (old, new): (f64, f64) = (
            record.parent_scores.iter().sum(),
            record.child_scores.iter().sum(),
        );
        if new > old {
            let index = self.add_candidate(state, child, vec![parent]).await;
            record.outcome = IterationOutcome::Accepted;
            record.candidate = Some(index);
            state.last_found_new = true;
            if state.merges_tested < self.gepa.max_merge_invocations {
                state.merges_due += 1;
            }
        } else {
            record.outcome = IterationOutcome::Rejected;
        }
        record.metric_calls = state.metric_calls;
        Ok(record)
    }

    /// One reflection call per component; the whole proposal is tried twice before the
    /// iteration gives up (DSPy retries a failed proposal once).
    async fn propose(
        &self,
        texts: &[String],
        datasets: &[(usize, Vec<serde_json::Value>)],
    ) -> Option<Vec<(usize, String)>> {
        'attempt: for attempt in 0..2 {
            let mut out = Vec::with_capacity(datasets.len());
            for (c, records) in datasets {
                match reflect::propose(self.gepa.reflection_lm.as_ref(), &texts[*c], records).await
                {
                    Ok(text) => out.push((*c, text)),
                    Err(error) => {
                        tracing::warn!(%error, attempt, "GEPA: the reflection call failed");
                        continue 'attempt;
                    }
                }
            }
            return Some(out);
        }
        None
    }
}
