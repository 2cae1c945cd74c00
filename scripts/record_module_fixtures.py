"""Records what Python DSPy 3.4.1's composite modules (ReAct, BestOfN, Refine,
MultiChainComparison) send to their LM and return, and what `dspy.majority` picks, so the Rust
ports can be compared call by call.

The LM is a scripted DummyLM: it answers each completion with the next dict of a list (formatted
by DSPy's ChatAdapter, as DummyLM does), and records every call, including the calls of the copies
BestOfN and Refine make with `lm.copy(rollout_id=..., temperature=...)`:

    {"messages": [{"role", "content"}, ...], "n": <n as requested or null>,
     "temperature": ..., "rollout_id": ... or null, "request_kwargs": {the other request keys},
     "output": <completion text>}

Every program runs under `dspy.context(lm=..., adapter=dspy.ChatAdapter())`. DummyLM never
caches, so no call is hidden. Each fixture holds "dspy_version", "case", "config", the scripted
answers ("lm_answers"), the calls ("calls", "num_calls"), the prediction, and what the run
printed ("stdout") or logged at WARNING level on the `dspy` loggers ("log_warnings"); values that
are not JSON are written as their `repr`. majority.json has no LM: it holds `dspy.majority`'s
inputs and chosen fields per case (a "normalize": null kwarg means `normalize=None`, identity).

ReAct's error observations hold a Python traceback (`format_error_for_lm(err,
traceback_frames=5)`, with this machine's file paths); they are recorded as Python produced
them; a Rust port can compare the "Execution error in <tool>: " prefix and the last line (the
exception's type and message), not the frames in between.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_module_fixtures.py

It writes crates/dspy-core/tests/fixtures/modules/{react, react-class-signature, react-saved,
best_of_n, best_of_n-no-threshold, refine, multi_chain_comparison, majority}.json, for the Rust
module tests in crates/dspy-core/tests (ReAct, BestOfN, Refine, MultiChainComparison and
majority) to read; CI needs no Python.
"""

import contextlib
import io
import json
import logging
import pathlib
import sys
import tempfile
import warnings

import dspy
from dspy.clients.call_result import CallResult, combine
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine
from dspy.lm15 import Message, Response, TextPart, Usage
from fixture_json import jsonable

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/dspy-core/tests/fixtures/modules"


# ---------------------------------------------------------------------------------------------
# The scripted, recording LM


class ScriptExhausted(RuntimeError):
    pass


def response(text):
    return Response(id=None, model="dummy", message=Message.assistant([TextPart(text)]), finish_reason="stop",
                    usage=Usage(input_tokens=0, output_tokens=0, total_tokens=0))


class RecordingEngine(DummyEngine):
    """Answers with the next scripted dict (formatted like DummyLM does) and logs the call."""

    def complete_legacy(self, lm, request, *, prompt=None, messages=None, **context):
        if messages is None and isinstance(prompt, (list, tuple)) and all(
            isinstance(message, dict) and "role" in message for message in prompt
        ):
            messages = prompt
        else:
            messages = request["messages"]
        messages = [{"role": m["role"], "content": m["content"]} for m in messages]
        count = request.get("n") or 1
        outputs = []
        for _ in range(count):
            answer = next(self.owner.answers, None)
            if answer is None:
                raise ScriptExhausted(f"the script has no answer left for call {len(self.owner.log) + 1}")
            outputs.append(self.owner._format_answer_fields(answer))
        call = {
            "messages": messages,
            "n": request.get("n"),
            "temperature": request.get("temperature"),
            "rollout_id": request.get("rollout_id"),
            "request_kwargs": {k: v for k, v in request.items()
                               if k not in ("model", "messages", "n", "temperature", "rollout_id")},
            "output": outputs[0],
        }
        if count > 1:
            call["outputs"] = outputs
        self.owner.log.append(call)
        results = [CallResult.native(response(text)) for text in outputs]
        return results[0] if count == 1 else combine(results, model_type="chat")


class ScriptedLM(dspy.utils.DummyLM):
    """A DummyLM whose every call (copies included: they share `answers` and `log`) is logged."""

    def __init__(self, answers):
        super().__init__(answers)
        self.log = []
        self.cache = False
        self._engine_spec = RecordingEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)

    def copy(self, **kwargs):
        copied = super().copy(**kwargs)  # shallow: shares self.answers (the iterator) and self.log
        copied.cache = False
        copied._engine_spec = RecordingEngine(copied)
        copied._async_engine_spec = AsyncDummyEngine(copied._engine_spec)
        return copied


# ---------------------------------------------------------------------------------------------
# JSON helpers


def prediction_dict(pred):
    if pred is None:
        return None
    return {k: jsonable(v) for k, v in pred.items()}


def value_types(mapping):
    """The Python type name of each value, to show ints versus strings."""
    return {k: type(v).__name__ for k, v in mapping.items()}


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}")


def run(answers, fn):
    """Runs fn() with a fresh scripted LM and ChatAdapter; returns (result, calls, output) where
    output is {"stdout": what was printed, "log_warnings": the dspy loggers' warnings}."""
    lm = ScriptedLM(answers)
    out = io.StringIO()
    collect = Collect()
    logger = logging.getLogger("dspy")
    logger.addHandler(collect)
    try:
        with dspy.context(lm=lm, adapter=dspy.ChatAdapter()), contextlib.redirect_stdout(out):
            result = fn()
    finally:
        logger.removeHandler(collect)
    left = list(lm.answers)
    if left:
        raise RuntimeError(f"{len(left)} scripted answers were not used: {left}")
    return result, lm.log, {"stdout": out.getvalue(), "log_warnings": collect.records}


# ---------------------------------------------------------------------------------------------
# Tools


COUNTRIES = {"paris": "France", "berlin": "Germany", "rome": "Italy"}


def lookup(city: str) -> str:
    """Look up the country of a city in a small table."""
    return COUNTRIES[city.lower()]


def add(a: int, b: int = 1) -> int:
    """Add two integers."""
    return a + b


def route_length(cities: list[str], units: str) -> str:
    """Length of a route through the given cities.
    Cities are visited in the order given."""
    km = 300 * max(len(cities) - 1, 0)
    return f"{km} km" if units == "metric" else f"{round(km * 0.621)} miles"


class TripFacts(dspy.Signature):
    """Answer travel questions using the tools."""

    question: str = dspy.InputField()
    units: str = dspy.InputField(desc="metric or imperial")
    answer: str = dspy.OutputField()
    confidence: float = dspy.OutputField()


def react_facts(react):
    return {
        "react_instructions": react.react.signature.instructions,
        "extract_instructions": react.extract.predict.signature.instructions,
        "tools_str": [str(t) for t in react.tools.values()],
        "tool_args": {name: tool.args for name, tool in react.tools.items()},
    }


def react_prediction(pred):
    traj = pred.trajectory
    return {
        "prediction": prediction_dict(pred),
        "trajectory_value_types": value_types(traj),
        "error_observations": {k: v for k, v in traj.items()
                               if k.startswith("observation_") and isinstance(v, str)
                               and v.startswith("Execution error")},
    }


# ---------------------------------------------------------------------------------------------
# Cases


QUESTION = "Which country is Paris in, and what is 2 plus 3?"

REACT_STEPS = [
    {"next_thought": "I should look up the country of Paris.", "next_tool_name": "lookup",
     "next_tool_args": {"city": "Paris"}},
    {"next_thought": "Now I add two and three.", "next_tool_name": "add",
     "next_tool_args": {"a": "two", "b": 3}},
    {"next_thought": "Let me also check Atlantis.", "next_tool_name": "lookup",
     "next_tool_args": {"city": "Atlantis"}},
    {"next_thought": "The arguments must be integers.", "next_tool_name": "add",
     "next_tool_args": {"a": 2, "b": 3}},
    {"next_thought": "I have everything I need.", "next_tool_name": "finish", "next_tool_args": {}},
]
REACT_EXTRACT = {"reasoning": "Paris is in France, and 2 + 3 = 5.", "answer": "France; 5"}


def record_react():
    answers = REACT_STEPS + [REACT_EXTRACT]
    react = dspy.ReAct("question -> answer", tools=[lookup, add], max_iters=6)
    pred, calls, output = run(answers, lambda: react(question=QUESTION))
    return {
        "config": {"signature": "question -> answer", "tools": ["lookup", "add"], "max_iters": 6,
                   "inputs": {"question": QUESTION}},
        "lm_answers": answers,
        **react_facts(react),
        "num_calls": len(calls),
        "calls": calls,
        **react_prediction(pred),
        **output,
    }


def record_react_class_signature():
    answers = [
        {"next_thought": "I need the route length.", "next_tool_name": "route_length",
         "next_tool_args": {"cities": ["Paris", "Lyon", "Nice"], "units": "metric"}},
        {"next_thought": "Check again in imperial units.", "next_tool_name": "route_length",
         "next_tool_args": {"cities": ["Paris", "Nice"], "units": "imperial"}},
        {"reasoning": "The route through three cities is 600 km.", "answer": "600 km", "confidence": 0.8},
    ]
    react = dspy.ReAct(TripFacts, tools=[route_length], max_iters=2)
    inputs = {"question": "How long is the drive from Paris to Nice via Lyon?", "units": "metric"}
    pred, calls, output = run(answers, lambda: react(**inputs))
    return {
        "config": {"signature": "TripFacts", "signature_instructions": TripFacts.instructions,
                   "tools": ["route_length"], "max_iters": 2, "inputs": inputs},
        "lm_answers": answers,
        **react_facts(react),
        "num_calls": len(calls),
        "calls": calls,
        **react_prediction(pred),
        "prediction_value_types": value_types(pred),
        **output,
    }


REACT_DEMO = dspy.Example(
    question="Which country is Rome in?",
    trajectory="[[ ## thought_0 ## ]]\nLook it up.\n\n[[ ## tool_name_0 ## ]]\nlookup\n\n"
               "[[ ## tool_args_0 ## ]]\n{\"city\": \"Rome\"}\n\n[[ ## observation_0 ## ]]\nItaly",
    next_thought="I know the answer now.",
    next_tool_name="finish",
    next_tool_args={},
)
EXTRACT_DEMO = dspy.Example(
    question="Which country is Rome in?",
    trajectory="[[ ## thought_0 ## ]]\nLook it up.\n\n[[ ## tool_name_0 ## ]]\nlookup\n\n"
               "[[ ## tool_args_0 ## ]]\n{\"city\": \"Rome\"}\n\n[[ ## observation_0 ## ]]\nItaly",
    reasoning="The lookup said Italy.",
    answer="Italy",
)


def record_react_saved():
    react = dspy.ReAct("question -> answer", tools=[lookup, add], max_iters=6)
    react.react.demos = [REACT_DEMO]
    react.extract.predict.demos = [EXTRACT_DEMO]
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "react.json"
        react.save(str(path), save_program=False)
        saved = json.loads(path.read_text())
        loaded = dspy.ReAct("question -> answer", tools=[lookup, add], max_iters=6)
        loaded.load(str(path))
    answers = [
        {"next_thought": "Look up Berlin.", "next_tool_name": "lookup", "next_tool_args": {"city": "Berlin"}},
        {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "The lookup said Germany.", "answer": "Germany"},
    ]
    inputs = {"question": "Which country is Berlin in?"}
    pred, calls, output = run(answers, lambda: loaded(**inputs))
    return {
        "config": {"signature": "question -> answer", "tools": ["lookup", "add"], "max_iters": 6,
                   "save_program": False, "inputs": inputs,
                   "react_demos": [jsonable(d.toDict()) for d in [REACT_DEMO]],
                   "extract_demos": [jsonable(d.toDict()) for d in [EXTRACT_DEMO]]},
        "saved": saved,
        "lm_answers": answers,
        "num_calls": len(calls),
        "first_react_messages": calls[0]["messages"],
        "extract_messages": calls[-1]["messages"],
        "calls": calls,
        "prediction": prediction_dict(pred),
        **output,
    }


BELGIUM = "What is the capital of Belgium?"


def record_best_of_n():
    answers = [
        {"reasoning": "Belgium's capital is Brussels.", "answer": "The city of Brussels"},
        {"reasoning": "One word: Brussels.", "answer": "Brussels"},
    ]
    rewards = []

    def reward(args, pred):
        r = 1.0 if len(pred.answer.split()) == 1 else 0.0
        rewards.append(r)
        return r

    best = dspy.BestOfN(module=dspy.ChainOfThought("question -> answer"), N=3, reward_fn=reward, threshold=1.0)
    pred, calls, output = run(answers, lambda: best(question=BELGIUM))
    return {
        "config": {"module": "ChainOfThought('question -> answer')", "N": 3, "threshold": 1.0,
                   "reward_fn": "lambda args, pred: 1.0 if len(pred.answer.split()) == 1 else 0.0",
                   "inputs": {"question": BELGIUM}},
        "lm_answers": answers,
        "rewards": rewards,
        "num_calls": len(calls),
        "calls": calls,
        "prediction": prediction_dict(pred),
        **output,
    }


def record_best_of_n_no_threshold():
    answers = [
        {"reasoning": "First try.", "answer": "Brussels, Belgium"},
        {"reasoning": "Second try.", "answer": "Brussels"},
        {"reasoning": "Third try.", "answer": "Brussels city"},
    ]
    table = {"Brussels, Belgium": 0.0, "Brussels": 1.0, "Brussels city": 0.5}
    rewards = []

    def reward(args, pred):
        r = table[pred.answer]
        rewards.append(r)
        return r

    best = dspy.BestOfN(module=dspy.ChainOfThought("question -> answer"), N=3, reward_fn=reward, threshold=2.0)
    pred, calls, output = run(answers, lambda: best(question=BELGIUM))
    return {
        "config": {"module": "ChainOfThought('question -> answer')", "N": 3, "threshold": 2.0,
                   "reward_fn": "table lookup on pred.answer", "reward_table": table,
                   "inputs": {"question": BELGIUM}},
        "lm_answers": answers,
        "rewards": rewards,
        "num_calls": len(calls),
        "calls": calls,
        "prediction": prediction_dict(pred),
        **output,
    }


def one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


def record_refine():
    answers = [
        {"reasoning": "Belgium's capital is Brussels.", "answer": "The city of Brussels"},
        {"discussion": "The predict module answered with several words, so the reward was 0.",
         "advice": {"predict": "Answer in one word."}},
        {"reasoning": "The hint asks for one word.", "answer": "Brussels"},
    ]
    refine = dspy.Refine(module=dspy.ChainOfThought("question -> answer"), N=3, reward_fn=one_word, threshold=1.0)
    pred, calls, output = run(answers, lambda: refine(question=BELGIUM))
    return {
        "config": {"module": "ChainOfThought('question -> answer')", "N": 3, "threshold": 1.0,
                   "reward_fn": "one_word", "inputs": {"question": BELGIUM}},
        "module_code": refine.module_code,
        "reward_fn_code": refine.reward_fn_code,
        "lm_answers": answers,
        "num_calls": len(calls),
        "calls": calls,
        "prediction": prediction_dict(pred),
        **output,
    }


def record_multi_chain_comparison():
    completions = [
        dspy.Prediction(reasoning="Paris is the capital of France.\nIt is on the Seine.", answer="Paris"),
        {"reasoning": "  France's capital city is Paris.  ", "answer": " Paris \nextra line"},
        dspy.Prediction(reasoning="I think it is Lyon.", answer="Lyon"),
    ]
    answers = [{"rationale": "Two attempts say Paris, which is right.", "answer": "Paris"}]
    mcc = dspy.MultiChainComparison("question -> answer", M=3)
    inputs = {"question": "What is the capital of France?"}
    pred, calls, output = run(answers, lambda: mcc(completions=completions, **inputs))
    return {
        "config": {"signature": "question -> answer", "M": 3, "temperature": 0.7, "inputs": inputs,
                   "completions": [{"kind": type(c).__name__, **jsonable(dict(c.items()))} for c in completions]},
        "signature_fields": {
            name: {"kind": field.json_schema_extra["__dspy_field_type"],
                   "prefix": field.json_schema_extra.get("prefix"), "desc": field.json_schema_extra.get("desc")}
            for name, field in mcc.predict.signature.fields.items()
        },
        "lm_answers": answers,
        "num_calls": len(calls),
        "calls": calls,
        "prediction": prediction_dict(pred),
        **output,
    }


def record_majority():
    P = dspy.Prediction
    sig = dspy.Signature("question -> answer, confidence")
    cases = [
        ("normalized-equal", [{"answer": "Paris"}, {"answer": "paris."}, {"answer": "Lyon"}], {}),
        ("tie-first-wins", [{"answer": "Lyon"}, {"answer": "Paris"}, {"answer": "Paris"}, {"answer": "Lyon"}], {}),
        ("tie-of-singletons", [{"answer": "Rome"}, {"answer": "Milan"}, {"answer": "Turin"}], {}),
        ("empty-ignored", [{"answer": ""}, {"answer": "  "}, {"answer": "the"}, {"answer": "Rome"}], {}),
        ("all-empty", [{"answer": ""}, {"answer": "a"}], {}),
        ("last-key-without-signature", [{"answer": "x", "reasoning": "r1"}, {"answer": "y", "reasoning": "r2"},
                                        {"answer": "x", "reasoning": "R2."}], {}),
        ("explicit-field", [{"answer": "x", "reasoning": "r1"}, {"answer": "y", "reasoning": "r2"},
                            {"answer": "y", "reasoning": "r3"}], {"field": "answer"}),
        ("normalize-none", [{"answer": "Paris"}, {"answer": "paris"}, {"answer": "paris"}], {"normalize": None}),
        ("articles-and-punctuation", [{"answer": "The Eiffel Tower!"}, {"answer": "eiffel tower"},
                                      {"answer": "Louvre"}, {"answer": "Louvre"}, {"answer": "an Eiffel tower"}], {}),
    ]
    results = []
    for name, rows, kwargs in cases:
        chosen = dspy.majority([P(**r) for r in rows], **kwargs)
        results.append({"name": name, "input_kind": "list[Prediction]", "completions": rows,
                        "kwargs": {k: (None if v is None else v) for k, v in kwargs.items()},
                        "output": prediction_dict(chosen)})
    # A Prediction carrying Completions with a signature: the field is the signature's last output.
    rows = [{"answer": "Paris", "confidence": "high"}, {"answer": "Lyon", "confidence": "low"},
            {"answer": "Nice", "confidence": "low"}]
    chosen = dspy.majority(P.from_completions(rows, signature=sig))
    results.append({"name": "prediction-with-signature", "input_kind": "Prediction.from_completions",
                    "signature": "question -> answer, confidence", "completions": rows, "kwargs": {},
                    "output": prediction_dict(chosen)})
    # Completions with a signature where the last output field is `answer`.
    sig2 = dspy.Signature("question -> confidence, answer")
    rows = [{"confidence": "low", "answer": "Lyon"}, {"confidence": "high", "answer": "Paris"},
            {"confidence": "low", "answer": "Paris"}]
    chosen = dspy.majority(dspy.Completions(rows, signature=sig2))
    results.append({"name": "completions-with-signature", "input_kind": "Completions",
                    "signature": "question -> confidence, answer", "completions": rows, "kwargs": {},
                    "output": prediction_dict(chosen)})
    from dspy.evaluate import normalize_text

    texts = sorted({r[k] for c in cases for r in c[1] for k in r})
    return {
        "config": {"normalize": "dspy.predict.aggregation.default_normalize (normalize_text(s) or None)"},
        "cases": results,
        "normalize_text": {t: normalize_text(t) for t in texts},
    }


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    # The completion shortcut of a custom engine warns that it is deprecated; it is what we want.
    warnings.filterwarnings("ignore", message=".*complete_legacy.*")
    OUT.mkdir(parents=True, exist_ok=True)
    cases = {
        "react": record_react,
        "react-class-signature": record_react_class_signature,
        "react-saved": record_react_saved,
        "best_of_n": record_best_of_n,
        "best_of_n-no-threshold": record_best_of_n_no_threshold,
        "refine": record_refine,
        "multi_chain_comparison": record_multi_chain_comparison,
        "majority": record_majority,
    }
    for name, record in cases.items():
        case = {"dspy_version": dspy.__version__, "case": name, **record()}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
        calls = f" ({case['num_calls']} LM calls)" if "num_calls" in case else ""
        print(f"wrote {path.relative_to(ROOT)}{calls}")


if __name__ == "__main__":
    main()
