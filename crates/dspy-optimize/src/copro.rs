//! [`Copro`]: DSPy's COPRO, coordinate ascent over each predictor's instruction and output
//! prefix, with an LM proposing new pairs from the scores of earlier ones.

use std::fmt;
use std::sync::Arc;

use dspy_adapters::render::py_repr::float_repr;
use dspy_adapters::{SignatureSpec, Values};
use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::Value;

use super::propose::signatures;
use super::{Candidate, CompileReport, Compiled, InstructionCandidate, OptimizeError, Optimizer};
use dspy_core::evaluate::{Evaluate, Metric};
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, SharedLm};
use dspy_core::module::Module;
use dspy_core::predict::{LmConfig, Predict};
use dspy_core::{settings, Error};

/// DSPy's `COPRO`: proposes (instruction, output prefix) pairs for every predictor and keeps
/// the best-scoring ones.
///
/// Round 0 asks the prompt LM for `breadth - 1` new pairs from each predictor's instruction
/// (plus the original pair). Each of `depth` rounds scores every new pair on the trainset (or
/// the valset, when given; DSPy always uses the trainset), sets each predictor to its best pair
/// so far, and asks for `breadth` more pairs, showing the LM the best attempts in ascending
/// order of score. The result is the best program found; duplicates are dropped from the
/// candidate list. The pairs of one round are scored concurrently (`candidate_concurrency` at
/// once), which gives the same result as DSPy's one-at-a-time loop.
///
/// With more than one predictor, every pair generated so far is re-scored in each round with
/// the other predictors' current best, as in DSPy.
///
/// ```no_run
/// use dspy_core::evaluate::metric_fn;
/// use dspy_optimize::{Copro, Optimizer};
/// use dspy_core::predict::Predict;
/// # async fn run(train: Vec<dspy_core::Example>) -> Result<(), dspy_core::Error> {
/// let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
/// let copro = Copro::new(exact).breadth(6).depth(2);
/// let student = Predict::parse("question -> answer").unwrap();
/// let compiled = copro.compile_with_report(&student, &train, None).await?;
/// println!("{}", compiled.report);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Copro {
    metric: Arc<dyn Metric>,
    /// The LM that proposes instructions (default: the configured LM).
    pub prompt_lm: Option<SharedLm>,
    /// New pairs per round (DSPy default 10; must be more than 1).
    pub breadth: usize,
    /// Rounds of scoring and proposing (DSPy default 3).
    pub depth: usize,
    /// Temperature of the proposal calls (DSPy default 1.4).
    pub init_temperature: f64,
    /// Record score statistics per round in the report (DSPy's `track_stats`).
    pub track_stats: bool,
    /// Examples scored at once per candidate (default: `settings::num_threads`).
    pub num_threads: Option<usize>,
    /// Failed examples tolerated per evaluation (default: `settings::max_errors`).
    pub max_errors: Option<usize>,
    /// Candidates scored at once (default 4).
    pub candidate_concurrency: usize,
    /// Show a progress bar over candidates.
    pub display_progress: bool,
}

impl fmt::Debug for Copro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Copro")
            .field(
                "prompt_lm",
                &self.prompt_lm.as_ref().map(|lm| lm.model().to_string()),
            )
            .field("breadth", &self.breadth)
            .field("depth", &self.depth)
            .field("init_temperature", &self.init_temperature)
            .field("track_stats", &self.track_stats)
            .finish()
    }
}

/// A pair scored for one predictor (DSPy's `evaluated_candidates` entry).
#[derive(Clone)]
struct Scored<P> {
    instruction: String,
    prefix: String,
    score: f64,
    depth: usize,
    predictor: usize,
    program: P,
}

impl Copro {
    /// DSPy's defaults with this metric: breadth 10, depth 3, temperature 1.4.
    pub fn new(metric: impl Metric + 'static) -> Copro {
        Copro {
            metric: Arc::new(metric),
            prompt_lm: None,
            breadth: 10,
            depth: 3,
            init_temperature: 1.4,
            track_stats: false,
            num_threads: None,
            max_errors: None,
            candidate_concurrency: 4,
            display_progress: false,
        }
    }

    /// Sets the LM that proposes instructions.
    pub fn prompt_lm(mut self, lm: SharedLm) -> Self {
        self.prompt_lm = Some(lm);
        self
    }

    /// Sets the pairs proposed per round (more than 1).
    pub fn breadth(mut self, n: usize) -> Self {
        self.breadth = n;
        self
    }

    /// Sets the number of rounds.
    pub fn depth(mut self, n: usize) -> Self {
        self.depth = n;
        self
    }

    /// Sets the temperature of the proposal calls.
    pub fn init_temperature(mut self, t: f64) -> Self {
        self.init_temperature = t;
        self
    }

    /// Records score statistics per round.
    pub fn track_stats(mut self, on: bool) -> Self {
        self.track_stats = on;
        self
    }

    /// Sets the examples scored at once.
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = Some(n.max(1));
        self
    }

    /// Sets the failed examples tolerated per evaluation.
    pub fn max_errors(mut self, n: usize) -> Self {
        self.max_errors = Some(n);
        self
    }

    /// Sets how many candidates are scored at once.
    pub fn candidate_concurrency(mut self, n: usize) -> Self {
        self.candidate_concurrency = n.max(1);
        self
    }

    /// Shows a progress bar.
    pub fn display_progress(mut self, show: bool) -> Self {
        self.display_progress = show;
        self
    }

    /// One proposal call: `n` completions of `spec`, as (instruction, prefix) pairs.
    async fn propose(
        &self,
        lm: &SharedLm,
        spec: SignatureSpec,
        input: (&str, Value),
        n: usize,
    ) -> Result<Vec<(String, String)>, Error> {
        let predict = Predict::new(spec).with_lm(lm.clone()).with_config(
            LmConfig::default()
                .n(n as u32)
                .temperature(self.init_temperature),
        );
        let mut values = Values::new();
        values.insert(input.0.to_string(), input.1);
        let prediction = predict.forward(values).await?;
        let text = |v: &Values, k: &str| match v.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => dspy_adapters::render::py_repr::py_str(other),
            None => String::new(),
        };
        Ok(prediction
            .completions()
            .iter()
            .map(|c| {
                (
                    text(c, "proposed_instruction"),
                    text(c, "proposed_prefix_for_output_field"),
                )
            })
            .collect())
    }
}

/// The name of a signature's last field (DSPy's `*_, last_key = signature.fields.keys()`).
fn last_field(spec: &SignatureSpec) -> Option<String> {
    spec.fields().last().map(|f| f.name.clone())
}

/// DSPy's clean-up of a proposed value: `.strip('"').strip()`.
fn clean(text: &str) -> String {
    dspy_pytext::strip(text.trim_matches('"')).to_string()
}

/// Sets predictor `index` of `program` to `instruction` and the last field's `prefix`.
fn apply<P: Module>(program: &mut P, index: usize, instruction: &str, prefix: &str) {
    if let Some((_, p)) = program.named_predictors_mut().into_iter().nth(index) {
        let spec = p.signature().with_instructions(instruction);
        let spec = match last_field(&spec) {
            Some(last) => spec.with_updated_field(&last, |f| f.prefix = prefix.to_string()),
            None => spec,
        };
        p.set_signature(spec);
    }
}

/// Whether two programs have the same instructions and last fields everywhere (DSPy's
/// `_check_candidates_equal`).
fn same_prompts<P: Module>(a: &P, b: &P) -> bool {
    a.named_predictors()
        .iter()
        .zip(b.named_predictors().iter())
        .all(|((_, p), (_, q))| {
            let (s, t) = (p.signature(), q.signature());
            s.instructions() == t.instructions() && s.fields().last() == t.fields().last()
        })
}

/// Min, max, mean and population standard deviation of some scores.
fn stats(scores: &[f64]) -> Option<crate::ScoreStats> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
    Some(crate::ScoreStats {
        max: scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        min: scores.iter().cloned().fold(f64::INFINITY, f64::min),
        average: mean,
        std: var.sqrt(),
    })
}

impl Optimizer for Copro {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            if self.breadth <= 1 {
                return Err(OptimizeError::InvalidSetting {
                    setting: "breadth",
                    reason: format!("is {}; COPRO needs a breadth greater than 1", self.breadth),
                }
                .into());
            }
            if trainset.is_empty() {
                return Err(OptimizeError::EmptyTrainset.into());
            }
            let lm = self
                .prompt_lm
                .clone()
                .or_else(settings::lm)
                .ok_or(Error::NoLm)?;
            let lm = &lm;
            let devset = valset.unwrap_or(trainset);
            let mut evaluate = Evaluate::new(devset.to_vec())
                .num_threads(self.num_threads.unwrap_or_else(settings::num_threads));
            if let Some(n) = self.max_errors {
                evaluate = evaluate.max_errors(n);
            }
            let module = student.clone();
            let specs: Vec<SignatureSpec> = module
                .named_predictors()
                .iter()
                .map(|(_, p)| p.signature().clone())
                .collect();
            let names: Vec<String> = module
                .named_predictors()
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            let count = specs.len();

            // Round 0: breadth - 1 new pairs per predictor, plus the original pair.
            let first: Vec<_> = specs
                .iter()
                .map(|spec| async move {
                    let basic = spec.instructions().to_string();
                    let prefix = last_field(spec)
                        .and_then(|name| {
                            spec.fields()
                                .find(|f| f.name == name)
                                .map(|f| f.prefix.clone())
                        })
                        .unwrap_or_default();
                    let mut pairs = self
                        .propose(
                            lm,
                            signatures::basic_generate_instruction(),
                            ("basic_instruction", Value::String(basic.clone())),
                            self.breadth - 1,
                        )
                        .await?;
                    pairs.push((basic, prefix));
                    Ok::<_, Error>(pairs)
                })
                .collect();
            let mut all: Vec<Vec<(String, String)>> =
                futures_util::future::try_join_all(first).await?;
            let mut latest = all.clone();

            let progress = if self.display_progress {
                ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            } else {
                ProgressBar::hidden()
            };
            let mut evaluated: Vec<Vec<Scored<P>>> = vec![Vec::new(); count];
            let mut current = module.clone();
            let mut total_calls = 0usize;
            let mut errors = 0usize;
            let mut report = CompileReport::default();
            let metric = &*self.metric;
            let evaluate = &evaluate;

            for d in 0..self.depth {
                tracing::info!(depth = d + 1, of = self.depth, "COPRO round");
                for p in 0..count {
                    let pairs = if count > 1 { &all[p] } else { &latest[p] };
                    let runs: Vec<_> = pairs
                        .iter()
                        .map(|(instruction, prefix)| {
                            let (instruction, prefix) = (clean(instruction), clean(prefix));
                            let mut program = current.clone();
                            apply(&mut program, p, &instruction, &prefix);
                            async move {
                                let result = evaluate.run(&program, metric).await;
                                (instruction, prefix, program, result)
                            }
                        })
                        .collect();
                    let results: Vec<_> = stream::iter(runs)
                        .buffered(self.candidate_concurrency)
                        .collect()
                        .await;
                    let mut latest_scores = Vec::new();
                    for (c_i, (instruction, prefix, program, result)) in
                        results.into_iter().enumerate()
                    {
                        progress.inc(1);
                        total_calls += 1;
                        let score = match result {
                            Ok(r) => r.score,
                            Err(error) => {
                                tracing::error!(predictor = %names[p], %error, "scoring a COPRO candidate failed");
                                errors += 1;
                                continue;
                            }
                        };
                        let seen = evaluated[p]
                            .iter()
                            .position(|s| s.instruction == instruction && s.prefix == prefix);
                        let entry = Scored {
                            instruction,
                            prefix,
                            score,
                            depth: d,
                            predictor: p,
                            program,
                        };
                        match seen {
                            Some(i) if evaluated[p][i].score >= score => {}
                            Some(i) => evaluated[p][i] = entry,
                            None => evaluated[p].push(entry),
                        }
                        if c_i + self.breadth >= pairs.len() {
                            latest_scores.push(score);
                        }
                    }
                    if self.track_stats {
                        let mut best: Vec<f64> = evaluated[p].iter().map(|s| s.score).collect();
                        best.sort_by(|a, b| b.total_cmp(a));
                        best.truncate(10);
                        if let Some(latest) = stats(&latest_scores) {
                            report.round_stats.push(crate::RoundStats {
                                predictor: names[p].clone(),
                                depth: d,
                                latest,
                                best: stats(&best),
                            });
                        }
                    }
                    // Keep this predictor's best pair so far (the first of equal scores).
                    let best = evaluated[p]
                        .iter()
                        .fold(None::<&Scored<P>>, |best, s| match best {
                            Some(b) if b.score >= s.score || s.score.is_nan() => Some(b),
                            _ => Some(s),
                        });
                    match best {
                        Some(best) => {
                            let (i, x) = (best.instruction.clone(), best.prefix.clone());
                            apply(&mut current, p, &i, &x);
                        }
                        None => {
                            return Err(Error::custom(format!(
                                "COPRO could not score any instruction of predictor `{}`; see the logged errors",
                                names[p]
                            )))
                        }
                    }
                }
                if d + 1 == self.depth {
                    break;
                }

                // Ask for `breadth` new pairs per predictor, showing the best attempts.
                let asks: Vec<_> = (0..count)
                    .map(|p| {
                        let mut ranked: Vec<&Scored<P>> = evaluated[p].iter().collect();
                        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
                        let shown = ranked.len().min(self.breadth);
                        let mut attempts = Vec::new();
                        for i in (0..shown).rev() {
                            let k = shown - i;
                            attempts.push(Value::String(format!(
                                "Instruction #{k}: {}",
                                ranked[i].instruction
                            )));
                            attempts
                                .push(Value::String(format!("Prefix #{k}: {}", ranked[i].prefix)));
                            attempts.push(Value::String(format!(
                                "Resulting Score #{k}: {}",
                                float_repr(ranked[i].score)
                            )));
                        }
                        async move {
                            self.propose(
                                lm,
                                signatures::generate_instruction_given_attempts(),
                                ("attempted_instructions", Value::Array(attempts)),
                                self.breadth,
                            )
                            .await
                        }
                    })
                    .collect();
                let new = futures_util::future::try_join_all(asks).await?;
                for (p, pairs) in new.iter().enumerate() {
                    all[p].extend(pairs.iter().cloned());
                }
                latest = new;
            }
            progress.finish_and_clear();

            let mut candidates: Vec<Scored<P>> = evaluated.into_iter().flatten().collect();
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
            let candidates = drop_duplicates(candidates);
            let Some(best) = candidates.first() else {
                return Err(Error::custom("COPRO scored no candidate"));
            };
            let program = best.program.clone();
            let mut full = CompileReport::new("COPRO", student, &program);
            full.round_stats = report.round_stats;
            full.errors = errors;
            full.evaluations = total_calls;
            full.instruction_candidates = candidates
                .iter()
                .map(|c| InstructionCandidate {
                    predictor: names[c.predictor].clone(),
                    instruction: c.instruction.clone(),
                    prefix: Some(c.prefix.clone()),
                    depth: c.depth,
                    score: c.score,
                })
                .collect();
            let candidates = candidates
                .into_iter()
                .map(|c| Candidate {
                    report: crate::CandidateReport {
                        seed: c.depth as i64,
                        score: c.score,
                        subscores: Vec::new(),
                        bootstrapped: 0,
                        error: None,
                    },
                    program: c.program,
                })
                .collect();
            Ok(Compiled {
                program,
                report: full,
                candidates,
            })
        })
    }
}

/// DSPy's `_drop_duplicates` on candidates sorted best first: among runs of equal scores,
/// later candidates with the same prompts as an earlier one are dropped.
fn drop_duplicates<P: Module>(candidates: Vec<Scored<P>>) -> Vec<Scored<P>> {
    let mut kept: Vec<Scored<P>> = Vec::new();
    let mut batch_start = 0usize;
    let mut batch_score: Option<f64> = None;
    for c in candidates {
        if batch_score == Some(c.score) {
            if kept[batch_start..]
                .iter()
                .any(|k| same_prompts(&k.program, &c.program))
            {
                continue;
            }
        } else {
            batch_start = kept.len();
            batch_score = Some(c.score);
        }
        kept.push(c);
    }
    kept
}
