"""Records what Python DSPy 3.4.1's GEPA (with gepa 0.1.4) does on a deterministic world, so the
Rust port can be checked to make the same choices, iteration by iteration.

The world has two scripted models, both pure functions of the request messages:

- the task model answers a question "Item <n> (<kind>): what is the code of the <word> item?"
  with its code (`record_optimizer_fixtures.true_answer`) or "unknown":
  kind "easy" is always right; "alpha" is right when the answering predictor's system message
  contains "ALPHA" (in the two-step program: when the `draft` input is "alpha-route", which
  the draft predictor writes iff its system message contains "ALPHA", else "plain-route");
  "beta" is right when the answering system message contains "BETA"; "gamma" (two-step only)
  is right when the draft is "plain-route"; "hard" is never right. The metric (`metric`)
  returns dspy.Prediction(score=1.0 or 0.0, feedback=...); for the predictor GEPA asks about
  (`pred_name`: "self", or "draft" / "finish" in the two-step program) the feedback of a wrong
  answer says "The ... must mention ALPHA|BETA." when that predictor can fix it.
- the reflection model (GEPA's InstructionProposer talks to it through dspy.Predict and a
  JSONAdapter) reads "current_instruction" from the user message and counts the phrases
  "must mention ALPHA" / "must mention BETA" in it; every keyword counted at least twice and not
  yet in the instruction is appended as " Mention <KW>."; with none, it proposes the
  instruction plus " Be precise." wrapped in ``` fences (DSPy keeps the fences; such children
  never score better, so they are rejected). The reply is the JSON {"new_instruction": ...}.

The run is single-threaded (num_threads=1) and PYTHONHASHSEED is pinned to 0 (the script
re-executes itself) because the merge step iterates a Python set of component names.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_gepa_fixtures.py

It writes crates/dspy-optimize/tests/fixtures/gepa/<case>.json for the cases in CASES. Each
holds the config, the data sets, every reflection call (messages, request kwargs, reply), the
task-model call count (in total and per iteration), the iterations (GEPA's own run-log entry
plus what its callbacks reported: parent, component, minibatch ids, parent and child minibatch
scores, proposed texts, accepted or rejected, merge details, metric calls used), the final
candidate pool with parents and per-example valset scores, the best index, and the compiled
program's dump_state(). CI needs no Python.
"""

import contextlib
import io
import json
import logging
import os
import pathlib
import sys
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import dspy  # noqa: E402
from dspy.clients.call_result import CallResult  # noqa: E402
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine  # noqa: E402

from fixture_json import jsonable  # noqa: E402
from record_instruction_fixtures import chat_completion, output_fields, response  # noqa: E402
from record_optimizer_fixtures import field_value, true_answer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/dspy-optimize/tests/fixtures/gepa"

WORDS = ["amber", "blue", "coral", "denim", "emerald", "fuchsia", "gold", "hazel", "ivory", "jade"]
WRONG = "unknown"
KEYWORDS = ("ALPHA", "BETA")


# ---------------------------------------------------------------------------------------------
# The world


def question_kind(question):
    return question.split("(", 1)[1].split(")", 1)[0]


def task_reply(messages):
    """The task model's completion (ChatAdapter format) for one request."""
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    user = messages[-1]["content"]
    fields = output_fields(user)
    question = field_value(user, "question") or ""
    kind = question_kind(question) if "(" in question else "easy"
    values = []
    for name in fields:
        if name == "draft":
            values.append((name, "alpha-route" if "ALPHA" in system else "plain-route"))
            continue
        draft = field_value(user, "draft")
        if kind in ("easy", "hard"):
            right = kind == "easy"
        elif kind == "alpha":
            right = draft == "alpha-route" if draft is not None else "ALPHA" in system
        elif kind == "beta":
            right = "BETA" in system
        elif kind == "gamma":
            right = draft == "plain-route"
        else:  # any other kind: right when the instructions name it (K3 for k3)
            right = kind.upper() in system
        values.append((name, true_answer(question) if right else WRONG))
    return chat_completion(values)


def current_instruction(user):
    marker = "[[ ## current_instruction ## ]]\n"
    start = user.find(marker)
    if start < 0:
        return ""
    rest = user[start + len(marker):]
    end = rest.find("\n\n[[ ## ")
    return rest if end < 0 else rest[:end]


def reflection_reply(messages, keywords=KEYWORDS, min_mentions=2, replace=False):
    """The reflection model's completion (a JSON object) for one request: every keyword the
    feedback asks for at least `min_mentions` times and the instruction lacks is appended as
    " Mention <KW>."; with `replace`, only the first such keyword is kept, in place of any
    earlier " Mention ..." (so candidates hold one keyword each and do not dominate each other)."""
    user = messages[-1]["content"]
    current = current_instruction(user)
    add = [kw for kw in keywords if user.count(f"must mention {kw}") >= min_mentions and kw not in current]
    if add and replace:
        new = current.split(" Mention ", 1)[0] + f" Mention {add[0]}."
    elif add:
        new = current + "".join(f" Mention {kw}." for kw in add)
    else:
        new = f"```\n{current} Be precise.\n```"
    return json.dumps({"new_instruction": new})


class WorldEngine(DummyEngine):
    def complete_legacy(self, lm, request, *, prompt=None, messages=None, **context):
        messages = [{"role": m["role"], "content": m["content"]} for m in request["messages"]]
        if (request.get("n") or 1) != 1:
            raise ValueError("the world answers one completion per request")
        text = self.owner.reply(messages)
        self.owner.log.append({
            "messages": messages,
            "request_kwargs": {k: jsonable(v) for k, v in request.items() if k not in ("model", "messages")},
            "output": text,
        })
        return CallResult.native(response(text))


class WorldLM(dspy.utils.DummyLM):
    """A world model as a DSPy LM; every call (copies included) lands in `self.log`."""

    def __init__(self, reply):
        super().__init__([])
        self.reply = reply
        self.log = []
        self.cache = False
        self._engine_spec = WorldEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)

    def copy(self, **kwargs):
        copied = super().copy(**kwargs)
        copied.cache = False
        copied._engine_spec = WorldEngine(copied)
        copied._async_engine_spec = AsyncDummyEngine(copied._engine_spec)
        return copied


# ---------------------------------------------------------------------------------------------
# Data, programs, metric


def make_rows(kinds, offset=0):
    rows = []
    for i, kind in enumerate(kinds):
        n = offset + i
        question = f"Item {n} ({kind}): what is the code of the {WORDS[n % len(WORDS)]} item?"
        rows.append({"question": question, "answer": true_answer(question), "kind": kind})
    return rows


def examples(rows):
    return [dspy.Example(question=r["question"], answer=r["answer"]).with_inputs("question") for r in rows]


def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    """Score 1.0 or 0.0; the feedback names the fix for the predictor GEPA asks about."""
    if pred.answer == gold.answer:
        return dspy.Prediction(score=1.0, feedback=f"Correct: the answer is {gold.answer}.")
    kind = question_kind(gold.question)
    if kind == "hard":
        feedback = "Wrong answer. No instruction can fix this one."
    elif kind == "gamma":
        feedback = "Wrong answer. The draft step must not mention ALPHA."
    elif pred_name in (None, "self"):
        feedback = f"Wrong answer. The instruction must mention {kind.upper()}."
    elif (pred_name, kind) in (("draft", "alpha"), ("finish", "beta")):
        feedback = f"Wrong answer. The {pred_name} step must mention {kind.upper()}."
    else:
        feedback = f"Wrong answer, but the {pred_name} step is not at fault."
    return dspy.Prediction(score=0.0, feedback=feedback)


class TwoStep(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.Predict("question -> draft")
        self.finish = dspy.Predict("question, draft -> answer")

    def forward(self, question):
        draft = self.draft(question=question).draft
        return self.finish(question=question, draft=draft)


# ---------------------------------------------------------------------------------------------
# Recording GEPA's callbacks


class Recorder:
    """A gepa callback (gepa calls the on_* methods it finds) that turns the events of each
    iteration into one record; "iteration" is gepa's 1-based number (state.i + 1)."""

    def __init__(self, task_lm):
        self.task_lm = task_lm
        self.iterations = []
        self.valset_evaluations = []
        self.errors = []
        self.seed_task_calls = None

    def _wrap(fn):
        def wrapped(self, event):
            try:
                fn(self, event)
            except Exception as e:  # gepa swallows callback errors; keep them to fail loudly
                self.errors.append(f"{fn.__name__}: {e!r}")
        return wrapped

    @property
    def it(self):
        return self.iterations[-1]

    @_wrap
    def on_iteration_start(self, event):
        if self.seed_task_calls is None:
            self.seed_task_calls = len(self.task_lm.log)
        self.iterations.append({"iteration": event["iteration"], "task_calls_before": len(self.task_lm.log),
                                "kind": None, "outcome": None})

    @_wrap
    def on_candidate_selected(self, event):
        self.it.update(kind="reflective", parent=event["candidate_idx"])

    @_wrap
    def on_minibatch_sampled(self, event):
        self.it["minibatch_ids"] = list(event["minibatch_ids"])

    @_wrap
    def on_evaluation_start(self, event):
        if not event["capture_traces"]:  # only the merge proposer evaluates without traces
            self.it["kind"] = "merge"

    @_wrap
    def on_evaluation_end(self, event):
        if event["candidate_idx"] is not None:
            self.it["parent_minibatch_scores"] = list(event["scores"])
        elif self.it["kind"] == "merge":
            self.it["merged_subsample_scores"] = list(event["scores"])
        else:
            self.it["child_minibatch_scores"] = list(event["scores"])

    @_wrap
    def on_evaluation_skipped(self, event):
        self.it["outcome"] = f"skipped: {event['reason']}"

    @_wrap
    def on_reflective_dataset_built(self, event):
        self.it["components"] = list(event["components"])
        self.it["reflective_dataset"] = jsonable(event["dataset"])

    @_wrap
    def on_proposal_end(self, event):
        self.it["proposed_texts"] = dict(event["new_instructions"])

    @_wrap
    def on_candidate_accepted(self, event):
        self.it["outcome"] = "accepted"
        self.it["new_candidate_idx"] = event["new_candidate_idx"]

    @_wrap
    def on_candidate_rejected(self, event):
        self.it["outcome"] = "rejected"
        self.it["reject_reason"] = event["reason"]

    @_wrap
    def on_merge_attempted(self, event):
        self.it.update(merge_parents=list(event["parent_ids"]), merged_candidate=dict(event["merged_candidate"]))

    @_wrap
    def on_merge_rejected(self, event):
        self.it["outcome"] = "merge rejected"

    @_wrap
    def on_valset_evaluated(self, event):
        self.valset_evaluations.append({"iteration": event["iteration"], "candidate_idx": event["candidate_idx"],
                                        "scores": {str(k): v for k, v in event["scores_by_val_id"].items()},
                                        "average": event["average_score"], "is_best": event["is_best_program"]})

    @_wrap
    def on_iteration_end(self, event):
        state = event["state"]
        self.it["gepa_run_log"] = jsonable(state.full_program_trace[-1])
        self.it["metric_calls_after"] = state.total_num_evals
        self.it["task_calls_after"] = len(self.task_lm.log)
        if self.it["kind"] is None and self.it["outcome"] is None:
            self.it["kind"] = "nothing proposed"


# ---------------------------------------------------------------------------------------------
# Cases

CASES = {
    "single": {
        "program": "predict", "kinds_train": ["alpha", "beta", "easy", "hard"] * 2,
        "kinds_val": ["alpha", "beta", "easy", "hard"] * 2,
        "gepa": {"max_metric_calls": 90, "use_merge": False, "seed": 0},
    },
    "two-step-merge": {
        "program": "two_step", "kinds_train": ["alpha", "beta", "gamma", "easy"] * 2,
        "kinds_val": ["alpha", "beta", "gamma", "easy"] * 2,
        "gepa": {"max_metric_calls": 120, "use_merge": True, "max_merge_invocations": 5, "seed": 0},
    },
    "many": {
        "program": "predict", "kinds_train": [f"k{i}" for i in range(10)] + ["easy", "hard"],
        "kinds_val": [f"k{i}" for i in range(10)] + ["easy", "hard"],
        "keywords": [f"K{i}" for i in range(10)], "min_mentions": 1, "replace": True,
        "gepa": {"max_metric_calls": 500, "use_merge": True, "seed": 3},
    },
    "two-step-all": {
        "program": "two_step", "kinds_train": ["alpha", "beta", "gamma", "easy"] * 2,
        "kinds_val": ["alpha", "beta", "gamma", "easy"] * 2,
        "gepa": {"max_metric_calls": 80, "use_merge": False, "component_selector": "all", "seed": 7},
    },
}


def record_case(case):
    train_rows = make_rows(case["kinds_train"], 0)
    val_rows = make_rows(case["kinds_val"], 100)
    keywords = tuple(case.get("keywords", KEYWORDS))
    min_mentions, replace = case.get("min_mentions", 2), case.get("replace", False)
    task = WorldLM(task_reply)
    reflection = WorldLM(lambda messages: reflection_reply(messages, keywords, min_mentions, replace))
    recorder = Recorder(task)
    student = dspy.Predict("question -> answer") if case["program"] == "predict" else TwoStep()
    config = {"reflection_minibatch_size": 3, "num_threads": 1, "track_stats": True, **case["gepa"]}
    optimizer = dspy.GEPA(metric=metric, reflection_lm=reflection, gepa_kwargs={"callbacks": [recorder]},
                          **config)
    with dspy.context(lm=task, adapter=dspy.ChatAdapter()), contextlib.redirect_stdout(io.StringIO()):
        program = optimizer.compile(student, trainset=examples(train_rows), valset=examples(val_rows))
    if recorder.errors:
        raise RuntimeError(f"recorder callbacks failed: {recorder.errors}")
    details = program.detailed_results
    return {
        "config": {**config, "program": case["program"], "adapter": "ChatAdapter", "keywords": list(keywords), "min_mentions": min_mentions, "replace": replace},
        "trainset": train_rows,
        "valset": val_rows,
        "seed_candidate": {name: p.signature.instructions for name, p in student.named_predictors()},
        "reflection_calls": reflection.log,
        "task_calls": len(task.log),
        "seed_eval_task_calls": recorder.seed_task_calls,
        "iterations": recorder.iterations,
        "valset_evaluations": recorder.valset_evaluations,
        "candidates": [details._candidate_components(c) for c in details.candidates],
        "parents": details.parents,
        "val_aggregate_scores": details.val_aggregate_scores,
        "val_subscores": [{str(k): v for k, v in s.items()} for s in details.val_subscores],
        "per_val_instance_best_candidates": {str(k): sorted(v) for k, v in
                                             details.per_val_instance_best_candidates.items()},
        "discovery_eval_counts": details.discovery_eval_counts,
        "total_metric_calls": details.total_metric_calls,
        "num_full_val_evals": details.num_full_val_evals,
        "best_idx": details.best_idx,
        "program": program.dump_state(),
    }


def summarize(name, case):
    its = case["iterations"]
    print(f"{name}: {len(its)} iterations, {len(case['candidates'])} candidates, best {case['best_idx']} "
          f"({case['val_aggregate_scores']}), {case['total_metric_calls']} metric calls, "
          f"{case['task_calls']} task calls, {len(case['reflection_calls'])} reflection calls")
    for it in its:
        print(f"  it {it['iteration']}: {it['kind']} parent={it.get('parent', it.get('merge_parents'))} "
              f"comp={it.get('components')} mb={it.get('minibatch_ids')} "
              f"{it.get('parent_minibatch_scores')} -> {it.get('child_minibatch_scores', it.get('merged_subsample_scores'))}"
              f" {it['outcome']} (calls {it['metric_calls_after']})")


def gepa_version():
    from importlib.metadata import version

    return version("gepa")


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    # The completion shortcut of a custom engine warns that it is deprecated; it is what we want.
    warnings.filterwarnings("ignore", message=".*complete_legacy.*")
    logging.getLogger("dspy").setLevel(logging.WARNING)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in CASES.items():
        case = record_case(spec)
        case.update({"case": name, "dspy_version": dspy.__version__, "gepa_version": gepa_version()})
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
        summarize(name, case)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":  # set iteration order must not vary between runs
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    main()
