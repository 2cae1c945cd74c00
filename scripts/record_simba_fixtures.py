"""Records what Python DSPy 3.4.1's SIMBA does on a deterministic world, so the Rust port can be
checked to make the same choices, step by step and draw by draw.

The world is the keyword world of `record_gepa_fixtures.py` (twin: `dspy_testkit::keyword_world`),
extended so that both SIMBA strategies (append a demo, append a rule) can change scores:

- the task model answers "Item <n> (<kind>): what is the code of the <word> item?" (ChatAdapter
  format) with the item's code (`record_optimizer_fixtures.true_answer`) or "unknown". Kind
  "easy" is always right and "hard" never. Kinds "alpha", "beta" and "delta" are right when
  (a) the answering request's system message contains the kind's keyword (ALPHA, BETA; delta
  has none), or, in the two-step program, the `draft` input names that keyword; or (b) a demo in
  the prompt (an earlier user message) asks a question of the same kind; or (c) the request is
  "lucky": it carries a rollout_id r with (r + n) % 3 == 0. Only SIMBA's trajectory sampling
  sends rollout ids (its LM copies at temperature 1.0), so luck makes trajectories differ while
  candidate and final evaluations (the configured LM, no rollout id) score only what demos and
  rules changed. In the two-step program the `draft` step writes "notes: <keywords>" listing the
  keywords its own system message contains ("notes: none" without any).
- the prompt model (SIMBA's OfferFeedback calls, through dspy.Predict and the ChatAdapter)
  reads the question kind from the `better_program_trajectory` field (from `program_inputs`
  when that trajectory is empty) and advises every module named in `module_names`:
  "If the question is marked (<kind>), mention <KEYWORD> before answering." for alpha/beta,
  "If the question is marked (<kind>), answer with the item's code." otherwise. Its reply is a
  chat completion with `discussion` and `module_advice` (a JSON object), a pure function of
  the request messages.

Both models are pure functions of the request (messages, plus the rollout id for the task
model). The metric returns 1.0 or 0.0 (case "single"), dspy.Prediction(score, feedback) (case
"two-step", so the reward-info fields of OfferFeedback are non-empty), or partial credit 0.5 for a
"hard" item answered "unknown" (case "rules-teacher", so a bucket of equal scores between the
10th and 90th percentiles takes the "N/A" path). In "rules-teacher" SIMBA gets no prompt model,
so the configured task LM answers OfferFeedback too (`task_reply` hands those requests to
`prompt_reply`; the fixture still lists them under prompt_calls). The program classes are
defined here, so the `program_code` SIMBA sends (inspect.getsource of the program class) is
this file's text; the fixtures store it so a Rust test can hand the same string over.

The run is single-threaded (num_threads=1), so the order of LM calls is deterministic. SIMBA
reads no Python set or hash order; PYTHONHASHSEED is pinned to 0 anyway (the script re-executes
itself), as in record_gepa_fixtures.py.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_simba_fixtures.py

It writes crates/dspy-optimize/tests/fixtures/simba/<case>.json for the cases in CASES, and
numpy-poisson.json (test vectors of numpy's default_rng(seed) PCG64 stream and Generator.poisson,
which SIMBA uses to decide how many demos to drop). Each case holds the config, the trainset,
every task-model request (messages, request kwargs, output) and every prompt-model request in
order, every random draw SIMBA made (Python random.Random and numpy, in order), and per step:
the batch indices, the LM copies, the program sampled per (model, example), the trajectory
scores, the 10th/90th percentiles, the bucket order and stats, per candidate the source
program, the demos dropped, the strategy and what it changed, the candidates' batch scores;
finally the winning programs evaluated on the trainset, their scores, the returned program's
dump_state(), candidate_programs and trial_logs. CI needs no Python.
"""

import contextlib
import inspect
import io
import json
import logging
import os
import pathlib
import random
import sys
import types
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import dspy  # noqa: E402
import dspy.teleprompt.simba as simba_module  # noqa: E402
import numpy  # noqa: E402
from dspy.clients.call_result import CallResult  # noqa: E402
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine  # noqa: E402

from fixture_json import jsonable  # noqa: E402
from record_gepa_fixtures import WRONG, examples, make_rows, question_kind  # noqa: E402
from record_instruction_fixtures import chat_completion, output_fields, response  # noqa: E402
from record_optimizer_fixtures import field_value, true_answer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/dspy-optimize/tests/fixtures/simba"

KEYWORD_OF_KIND = {"alpha": "ALPHA", "beta": "BETA"}


# ---------------------------------------------------------------------------------------------
# The world


def lucky(rollout_id, question):
    if rollout_id is None:
        return False
    n = int(question.split(" ", 2)[1])
    return (rollout_id + n) % 3 == 0


def demo_kinds(messages):
    """The kinds of the questions asked in the demo user messages (all but the last message)."""
    kinds = []
    for m in messages[:-1]:
        if m["role"] != "user":
            continue
        question = field_value(m["content"], "question")
        if question and "(" in question:
            kinds.append(question_kind(question))
    return kinds


def task_answer(messages, rollout_id):
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    user = messages[-1]["content"]
    question = field_value(user, "question") or ""
    kind = question_kind(question) if "(" in question else "easy"
    if kind in ("easy", "hard"):
        return true_answer(question) if kind == "easy" else WRONG
    keyword = KEYWORD_OF_KIND.get(kind)
    draft = field_value(user, "draft")
    right = (
        (keyword is not None and (keyword in system or (draft is not None and keyword in draft)))
        or kind in demo_kinds(messages)
        or lucky(rollout_id, question)
    )
    return true_answer(question) if right else WRONG


def task_reply(messages, request):
    """The task model's completion (ChatAdapter format) for one request."""
    user = messages[-1]["content"]
    if "module_advice" in output_fields(user):  # the prompt model's job (when it is the same LM)
        return prompt_reply(messages, request)
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    values = []
    for name in output_fields(user):
        if name == "draft":
            found = [kw for kw in ("ALPHA", "BETA") if kw in system]
            values.append((name, "notes: " + (", ".join(found) if found else "none")))
        else:
            values.append((name, task_answer(messages, request.get("rollout_id"))))
    return chat_completion(values)


def section(user, name):
    """The text of the input field `name` in a chat-formatted user message."""
    marker = f"[[ ## {name} ## ]]\n"
    start = user.find(marker)
    if start < 0:
        return None
    rest = user[start + len(marker):]
    end = rest.find("\n\n[[ ## ")
    return rest if end < 0 else rest[:end]


def first_kind(text):
    """The kind of the first "Item <n> (<kind>)" in the text, or None."""
    start = text.find("Item ")
    while start >= 0:
        rest = text[start:]
        open_, close = rest.find("("), rest.find(")")
        if 0 <= open_ < close:
            return rest[open_ + 1:close]
        start = text.find("Item ", start + 1)
    return None


def prompt_reply(messages, request):
    """The prompt model's completion (ChatAdapter format) for an OfferFeedback request."""
    user = messages[-1]["content"]
    kind = first_kind(section(user, "better_program_trajectory") or "") or first_kind(
        section(user, "program_inputs") or "") or "easy"
    names = json.loads((section(user, "module_names") or "[]").split("\n\n", 1)[0])
    keyword = KEYWORD_OF_KIND.get(kind)
    if keyword:
        tip = f"If the question is marked ({kind}), mention {keyword} before answering."
    else:
        tip = f"If the question is marked ({kind}), answer with the item's code."
    discussion = f"The better trajectory answered the {kind} question; the worse one did not."
    advice = json.dumps({name: tip for name in names})
    return chat_completion([("discussion", discussion), ("module_advice", advice)])


class WorldEngine(DummyEngine):
    def complete_legacy(self, lm, request, *, prompt=None, messages=None, **context):
        messages = [{"role": m["role"], "content": m["content"]} for m in request["messages"]]
        if (request.get("n") or 1) != 1:
            raise ValueError("the world answers one completion per request")
        kwargs = {k: jsonable(v) for k, v in request.items() if k not in ("model", "messages")}
        text = self.owner.reply(messages, kwargs)
        self.owner.log.append({"lm": self.owner.name, "messages": messages, "request_kwargs": kwargs,
                               "output": text})
        return CallResult.native(response(text))


class WorldLM(dspy.utils.DummyLM):
    """A world model as a DSPy LM; every call (copies included) lands in `self.log`."""

    def __init__(self, reply, name):
        super().__init__([])
        self.reply = reply
        self.name = name
        self.log = []
        self.cache = False
        self._engine_spec = WorldEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)

    def copy(self, **kwargs):
        copied = super().copy(**kwargs)  # shares self.log by reference
        copied.cache = False
        copied._engine_spec = WorldEngine(copied)
        copied._async_engine_spec = AsyncDummyEngine(copied._engine_spec)
        return copied


# ---------------------------------------------------------------------------------------------
# Data, programs, metrics


def float_metric(gold, pred, trace=None):
    return 1.0 if pred is not None and pred.answer == gold.answer else 0.0


def feedback_metric(gold, pred, trace=None):
    if pred is not None and pred.answer == gold.answer:
        return dspy.Prediction(score=1.0, feedback=f"Correct: the code is {gold.answer}.")
    return dspy.Prediction(score=0.0, feedback=f"Wrong: the code of this {question_kind(gold.question)} item "
                                                f"is {gold.answer}.")


def partial_metric(gold, pred, trace=None):
    """1.0 when right; 0.5 for a "hard" item answered "unknown" (nothing can fix those); else 0.0."""
    if pred is not None and pred.answer == gold.answer:
        return 1.0
    return 0.5 if question_kind(gold.question) == "hard" and pred is not None and pred.answer == WRONG else 0.0


class QA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.respond = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.respond(question=question)


class DraftThenAnswer(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.Predict("question -> draft")
        self.finish = dspy.Predict("question, draft -> answer")

    def forward(self, question):
        draft = self.draft(question=question).draft
        return self.finish(question=question, draft=draft)


PROGRAMS = {"qa": QA, "draft_then_answer": DraftThenAnswer}
METRICS = {"float": float_metric, "feedback": feedback_metric, "partial": partial_metric}


# ---------------------------------------------------------------------------------------------
# Observing SIMBA (patched into dspy.teleprompt.simba for the run only)


class Observer:
    """Collects, in order, every random draw and every hook event of one compile() run."""

    def __init__(self, trainset):
        self.trainset = trainset
        self.index_of = {id(ex): i for i, ex in enumerate(trainset)}
        self.events = []
        self.candidate_ids = {}  # id(system candidate) -> (step, ordinal)
        self.step = -1

    def add(self, **event):
        self.events.append(event)


def make_random_class(observer):
    class RecordingRandom(random.Random):
        # random()/getrandbits() stay inherited, so _randbelow keeps using getrandbits.
        def shuffle(self, x):
            super().shuffle(x)
            observer.add(kind="rng", method="shuffle", n=len(x), result=list(x))

        def choices(self, population, weights=None, *, cum_weights=None, k=1):
            out = super().choices(population, weights, cum_weights=cum_weights, k=k)
            observer.add(kind="rng", method="choices", population=list(population),
                         weights=None if weights is None else [float(w) for w in weights], k=k, result=out)
            return out

        def choice(self, seq):
            out = super().choice(seq)
            observer.add(kind="rng", method="choice", n=len(seq),
                         result=getattr(out, "__name__", repr(out)))
            return out

        def randrange(self, start, stop=None, step=1):
            out = super().randrange(start, stop, step) if stop is not None else super().randrange(start)
            observer.add(kind="rng", method="randrange", start=int(start), result=out)
            return out

    return RecordingRandom


class RecordingGenerator:
    def __init__(self, observer, seed):
        self.observer = observer
        self.inner = numpy.random.default_rng(seed)
        observer.add(kind="np_rng", method="default_rng", seed=seed)

    def poisson(self, lam):
        out = self.inner.poisson(lam)
        self.observer.add(kind="np_rng", method="poisson", lam=float(lam), result=int(out))
        return out


def make_numpy_proxy(observer):
    def default_rng(seed):
        return RecordingGenerator(observer, seed)

    def percentile(values, q):
        out = numpy.percentile(values, q)
        observer.add(kind="percentile", q=q, values=[float(v) for v in values], result=float(out))
        return out

    proxy = types.SimpleNamespace(exp=numpy.exp, percentile=percentile,
                                  random=types.SimpleNamespace(default_rng=default_rng))
    return proxy


def install(observer, optimizer):
    """Patches SIMBA's module globals and the optimizer's strategies; returns an undo function."""
    saved = {name: getattr(simba_module, name) for name in
             ("random", "np", "prepare_models_for_resampling", "wrap_program")}
    prepare, wrap = saved["prepare_models_for_resampling"], saved["wrap_program"]

    def prepare_models(program, n, teacher_settings=None):
        observer.step += 1
        models = prepare(program, n, teacher_settings)
        observer.add(kind="models", step=observer.step,
                     models=[{"lm": m.name, "kwargs": jsonable(dict(m.kwargs))} for m in models])
        observer.models = models
        return models

    def wrap_program(program, metric):
        inner = wrap(program, metric)

        def wrapped(example):
            out = inner(example)
            lm = program.get_lm()
            if lm is not None:  # a trajectory: a copy of a pool program with a sampling LM set
                phase, who = "trajectory", {"program": program.simba_idx,
                                            "model": next(i for i, m in enumerate(observer.models) if m is lm)}
            elif id(program) in observer.candidate_ids:
                phase, who = "candidate", {"candidate": observer.candidate_ids[id(program)][1]}
            else:
                phase, who = "final", {"program_object": id(program),
                                       "candidate_of": getattr(program, "fixture_tag", "baseline")}
            prediction = out["prediction"]
            observer.add(kind="run", phase=phase, **who, example=observer.index_of[id(example)],
                         score=out["score"],
                         answer=None if prediction is None else prediction.get("answer"),
                         output_metadata=jsonable(out["output_metadata"]))
            return out

        return wrapped

    def wrap_strategy(strategy):
        def run(bucket, system, **kwargs):
            before = program_summary(system)
            record = {"kind": "strategy", "name": strategy.__name__, "step": observer.step,
                      "source_program": system.simba_idx,
                      "bucket_example": observer.index_of[id(bucket[0]["example"])],
                      "bucket_scores": [jsonable(o["score"]) for o in bucket],
                      "batch_10p": float(kwargs["batch_10p_score"]), "batch_90p": float(kwargs["batch_90p_score"]),
                      "after_drop": before}
            try:
                applied = strategy(bucket, system, **kwargs)
            except Exception as e:  # SIMBA logs it and skips the candidate; keep the record
                record.update(error=repr(e))
                observer.add(**record)
                raise
            ordinal = sum(1 for i in observer.candidate_ids.values() if i[0] == observer.step)
            observer.candidate_ids[id(system)] = (observer.step, ordinal)
            system.fixture_tag = {"step": observer.step, "candidate": ordinal}  # deep copies keep it
            record.update(applied=applied, candidate=ordinal, after_strategy=program_summary(system))
            observer.add(**record)
            return applied

        run.__name__ = strategy.__name__
        return run

    simba_module.random = types.SimpleNamespace(Random=make_random_class(observer))
    simba_module.np = make_numpy_proxy(observer)
    simba_module.prepare_models_for_resampling = prepare_models
    simba_module.wrap_program = wrap_program
    optimizer.strategies = [wrap_strategy(s) for s in optimizer.strategies]

    def undo():
        for name, value in saved.items():
            setattr(simba_module, name, value)

    return undo


def program_summary(program):
    return {name: {"instructions": p.signature.instructions, "demos": [jsonable(d.toDict()) for d in p.demos]}
            for name, p in program.named_predictors()}


# ---------------------------------------------------------------------------------------------
# Turning the event stream into per-step records


def bucket_order(batch_positions_scores, bsize):
    """Recomputes SIMBA's bucket order from the trajectory scores (checked against the strategy
    calls): (batch position, (max-min gap, max, max-avg gap)) sorted descending, stable."""
    buckets = []
    for idx in range(bsize):
        bucket = sorted([batch_positions_scores[i] for i in range(idx, len(batch_positions_scores), bsize)],
                        reverse=True)
        max_score, min_score = float(bucket[0]), float(bucket[-1])
        avg = sum(bucket) / len(bucket)
        buckets.append((idx, (max_score - min_score, max_score, max_score - avg)))
    buckets.sort(key=lambda b: b[1], reverse=True)
    return buckets


def build_steps(observer, config):
    bsize = config["bsize"]
    steps, current = [], None
    data_indices = None
    instance_idx = 0
    pending = None  # the candidate being built (between its source draw and its strategy call)
    reshuffled = False
    for ev in observer.events:
        kind = ev["kind"]
        if kind == "rng" and ev["method"] == "shuffle":
            data_indices = ev["result"]
            instance_idx = 0
            if current is None:
                initial_order = list(data_indices)
            else:
                reshuffled = True
            continue
        if kind == "models":
            if current is not None:
                steps.append(current)
            if instance_idx + bsize > len(data_indices):
                raise RuntimeError("expected a reshuffle before this step")
            batch = data_indices[instance_idx:instance_idx + bsize]
            current = {"step": ev["step"], "reshuffled": reshuffled, "data_order": list(data_indices),
                       "instance_idx": instance_idx,
                       "batch_indices": batch, "models": ev["models"], "samples": [], "trajectories": [],
                       "candidates": [], "candidate_runs": []}
            instance_idx += bsize
            reshuffled = False
            continue
        if current is None:
            continue
        if kind == "rng" and ev["method"] == "choices" and "percentile_10" not in current:
            n = len(current["samples"])
            current["samples"].append({"model": n // bsize, "batch_position": n % bsize,
                                       "example": current["batch_indices"][n % bsize],
                                       "top_programs": ev["population"], "weights": ev["weights"],
                                       "program": ev["result"][0]})
        elif kind == "run" and ev["phase"] == "trajectory":
            current["trajectories"].append({k: ev[k] for k in ("model", "program", "example", "score", "answer")})
        elif kind == "percentile":
            current["percentile_10" if ev["q"] == 10 else "percentile_90"] = ev["result"]
            if ev["q"] == 90:
                scores = [t["score"] for t in current["trajectories"]]
                current["baseline_score"] = sum(scores) / len(scores)
                current["bucket_order"] = [{"batch_position": p, "example": current["batch_indices"][p],
                                            "max_to_min_gap": s[0], "max_score": s[1], "max_to_avg_gap": s[2]}
                                           for p, s in bucket_order(scores, bsize)]
        elif kind == "rng" and ev["method"] == "choices":
            pending = {"bucket_rank": len(current["candidates"]),
                       "source_top_programs": ev["population"], "source_weights": ev["weights"],
                       "source_program": ev["result"][0], "demos_to_drop": []}
            current["candidates"].append(pending)
        elif kind == "np_rng" and ev["method"] == "poisson":
            pending.update(poisson_lambda=ev["lam"], poisson=ev["result"])
        elif kind == "rng" and ev["method"] == "randrange":
            pending["demos_to_drop"].append(ev["result"])
        elif kind == "rng" and ev["method"] == "choice":
            pending["strategy_draw"] = ev["result"]
        elif kind == "strategy":
            rank = pending["bucket_rank"]
            expected = current["bucket_order"][rank]["example"]
            if ev["bucket_example"] != expected or ev["source_program"] != pending["source_program"]:
                raise RuntimeError(f"step {current['step']}: bucket {rank} is not the recomputed one")
            pending.update({k: ev[k] for k in ("name", "bucket_example", "bucket_scores", "after_drop")})
            pending["strategy"] = pending.pop("name")
            if "error" in ev:
                pending["error"] = ev["error"]
            else:
                pending.update(applied=ev["applied"], candidate=ev["candidate"],
                               after_strategy=ev["after_strategy"])
        elif kind == "run" and ev["phase"] == "candidate":
            current["candidate_runs"].append({k: ev[k] for k in ("candidate", "example", "score", "answer")})
    if current is not None:
        steps.append(current)
    next_idx = 0
    for step in steps:
        made = [c for c in step["candidates"] if "candidate" in c]
        per = [[r["score"] for r in step["candidate_runs"] if r["candidate"] == c["candidate"]] for c in made]
        for c in made:
            next_idx += 1
            c["registered_as"] = next_idx
        step["candidate_batch_scores"] = per
        step["candidate_averages"] = [sum(s) / len(s) for s in per]
        step["winning_candidate"] = step["candidate_averages"].index(max(step["candidate_averages"])) if per else None
    return initial_order, steps


def final_runs(observer, n_train):
    groups, order = {}, []
    for ev in observer.events:
        if ev["kind"] == "run" and ev["phase"] == "final":
            key = ev["program_object"]
            if key not in groups:
                groups[key] = []
                order.append((key, ev["candidate_of"]))
            groups[key].append({k: ev[k] for k in ("example", "score", "answer")})
    out = []
    for key, candidate_of in order:
        runs = groups[key]
        assert [r["example"] for r in runs] == list(range(n_train))
        out.append({"program": candidate_of, "scores": [r["score"] for r in runs],
                    "average": sum(r["score"] for r in runs) / len(runs), "answers": [r["answer"] for r in runs]})
    return out


# ---------------------------------------------------------------------------------------------
# Cases

CASES = {
    # One predictor, float metric, separate prompt model, both strategies.
    "single": {
        "program": "qa", "metric": "float", "prompt_model": "separate", "teacher": None,
        "kinds": ["alpha", "beta", "delta", "easy", "hard", "delta"] * 2,
        "simba": {"bsize": 6, "num_candidates": 3, "max_steps": 4, "max_demos": 2},
        "seed": 0,
    },
    # Two predictors, Prediction metric (reward info), demo inputs truncated to 40 characters.
    "two-step": {
        "program": "draft_then_answer", "metric": "feedback", "prompt_model": "separate", "teacher": None,
        "kinds": ["alpha", "beta", "delta", "easy", "hard", "alpha", "beta"] * 2,
        "simba": {"bsize": 5, "num_candidates": 3, "max_steps": 4, "max_demos": 1,
                  "demo_input_field_maxlen": 40, "temperature_for_sampling": 0.5},
        "seed": 3,
    },
    # Rules only (max_demos=0), a teacher LM as the first sampling model, the prompt model left
    # None (so the configured task LM answers OfferFeedback), trainset not a multiple of bsize,
    # partial scores (a bucket of equal 0.5 scores between the percentiles gets the "N/A" path),
    # 5 steps for 3 final candidates (round(2.5) == 2 picks the winning programs).
    "rules-teacher": {
        "program": "qa", "metric": "partial", "prompt_model": None, "teacher": "copy",
        "kinds": ["alpha", "beta", "easy", "hard", "alpha", "delta", "beta", "easy", "alpha", "beta", "hard"],
        "simba": {"bsize": 4, "num_candidates": 2, "max_steps": 5, "max_demos": 0,
                  "temperature_for_candidates": 0.7},
        "seed": 7,
    },
}


def record_case(case):
    rows = make_rows(case["kinds"])
    trainset = examples(rows)
    task = WorldLM(task_reply, "task")
    prompt = WorldLM(prompt_reply, "prompt") if case["prompt_model"] == "separate" else None
    teacher_settings = None
    if case["teacher"] == "copy":
        teacher = task.copy()
        teacher.name = "teacher"
        teacher_settings = {"lm": teacher}
    program_cls = PROGRAMS[case["program"]]
    student = program_cls()
    config = {"num_threads": 1, **case["simba"]}
    observer = Observer(trainset)
    with dspy.context(lm=task, adapter=dspy.ChatAdapter()), contextlib.redirect_stdout(io.StringIO()):
        optimizer = dspy.SIMBA(metric=METRICS[case["metric"]], prompt_model=prompt,
                               teacher_settings=teacher_settings, **config)
        undo = install(observer, optimizer)
        try:
            program = optimizer.compile(student, trainset=trainset, seed=case["seed"])
        finally:
            undo()
    initial_order, steps = build_steps(observer, config)
    finals = final_runs(observer, len(trainset))
    strategies_used = {c.get("strategy") for s in steps for c in s["candidates"]}
    prompt_log = prompt.log if prompt is not None else [c for c in task.log if "module_advice" in c["output"]]
    task_log = task.log if prompt is not None else [c for c in task.log if "module_advice" not in c["output"]]
    return {
        "config": {**config, "seed": case["seed"], "program": case["program"], "metric": case["metric"],
                   "prompt_model": case["prompt_model"] or "None (the configured task LM)",
                   "teacher_settings": "{'lm': task.copy()}" if case["teacher"] else None,
                   "adapter": "ChatAdapter", "task_lm_kwargs": dict(task.kwargs)},
        "program_code": inspect.getsource(program_cls),
        "trainset": rows,
        "initial_data_order": initial_order,
        "random_draws": [e for e in observer.events if e["kind"] in ("rng", "np_rng")],
        "steps": steps,
        "final_evaluation": finals,
        "final_scores": [f["average"] for f in finals],
        "candidate_programs": [{"score": c["score"], "program": c["program"].dump_state()}
                               for c in program.candidate_programs],
        "trial_logs": jsonable(program.trial_logs),
        "program": program.dump_state(),
        "strategies_used": sorted(s for s in strategies_used if s),
        "task_calls": task_log,
        "prompt_calls": prompt_log,
    }


def summarize(name, case):
    print(f"{name}: {len(case['steps'])} steps, {len(case['task_calls'])} task calls, "
          f"{len(case['prompt_calls'])} prompt calls, {len(case['random_draws'])} draws, "
          f"final scores {case['final_scores']}")
    for s in case["steps"]:
        cands = ", ".join(
            f"{c['strategy']}(src {c['source_program']}, drop {c['demos_to_drop']}, "
            f"{'ok' if c.get('applied') else 'skipped' if 'applied' in c else 'error'})"
            for c in s["candidates"])
        print(f"  step {s['step']}: batch {s['batch_indices']} p10={s['percentile_10']} p90={s['percentile_90']} "
              f"-> {cands}; scores {s['candidate_averages']}")


def numpy_vectors():
    """Test vectors for numpy's default_rng(seed) (PCG64 seeded through SeedSequence) and its
    Generator.poisson, the only numpy draws SIMBA makes."""
    cases = []
    for seed in (0, 1, 3, 7, 42, 2**32 + 5, 2**64 - 1, 2**70 + 3):
        bitgen = numpy.random.PCG64(seed)
        state = bitgen.state["state"]
        raw = numpy.random.PCG64(seed)
        gen = numpy.random.default_rng(seed)
        lams = [0.0, 0.25, 1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.5, 9.99, 10.0, 12.5, 33.3, 0.0, 1.0]
        cases.append({
            "seed": str(seed),
            "seed_sequence_state_u32": [int(x) for x in numpy.random.SeedSequence(seed).generate_state(8)],
            "pcg64_state": f"{state['state']:032x}", "pcg64_inc": f"{state['inc']:032x}",
            "next_u64": [f"{int(x):016x}" for x in raw.random_raw(6)],
            "poisson": [[lam, int(gen.poisson(lam))] for lam in lams],
            "next_u64_after_poisson": f"{int(gen.bit_generator.random_raw()):016x}",
        })
    return {"note": "u64 and 128-bit values are hex strings; poisson pairs are [lam, draw] drawn in order "
                    "from one default_rng(seed) per case",
            "numpy_version": numpy.__version__, "cases": cases}


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    warnings.filterwarnings("ignore")
    logging.getLogger("dspy").setLevel(logging.CRITICAL)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in CASES.items():
        case = record_case(spec)
        if set(case["strategies_used"]) != ({"append_a_rule"} if spec["simba"]["max_demos"] == 0
                                            else {"append_a_demo_", "append_a_rule"}):
            raise RuntimeError(f"{name}: strategies used {case['strategies_used']}")
        case.update({"case": name, "dspy_version": dspy.__version__, "numpy_version": numpy.__version__})
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
        summarize(name, case)
    path = OUT / "numpy-poisson.json"
    path.write_text(json.dumps(numpy_vectors(), indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":  # keep runs byte-identical, as the other recorders do
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    main()
