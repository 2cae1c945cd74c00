"""Prints what Python DSPy 3.4.1's `dspy.Predict` sends to its LM and returns, for the cases
`crates/dspy-core/tests/predict.rs` and `crates/dspy-core/tests/predict_n_completions.rs` check.

The LM is scripted with raw completion texts (no adapter formatting) and records every call's
messages and `n` / `temperature`. The Rust tests hold the printed message texts as literals, so
they compare `Predict`'s requests with DSPy's bytes rather than with our own adapter's output.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_predict_prompts.py
"""

import json
import sys
import warnings

import dspy
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine
from dspy.lm15 import Message, Response, TextPart, Usage


class RawEngine(DummyEngine):
    """Answers each completion with the next scripted text, as it is."""

    def complete_legacy(self, lm, request, **context):
        self.owner.calls.append(
            {"n": request.get("n"), "temperature": request.get("temperature"), "completions": []}
        )
        return super().complete_legacy(lm, request, **context)

    def _complete_messages(self, messages):
        owner = self.owner
        call = owner.calls[-1]
        call["messages"] = messages
        text = next(owner.texts)
        call["completions"].append(text)
        return Response(
            id=None,
            model="raw",
            message=Message.assistant([TextPart(text)]),
            finish_reason="stop",
            usage=Usage(input_tokens=0, output_tokens=0, total_tokens=0),
        )


class RawLM(dspy.utils.DummyLM):
    def __init__(self, texts):
        super().__init__([])
        self.texts = iter(texts)
        self.calls = []
        self._engine_spec = RawEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)


CHAT_4 = "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"


def run(name, texts, inputs, adapter=None, **config):
    lm = RawLM(texts)
    predict = dspy.Predict("question -> answer", **config)
    with dspy.context(lm=lm, adapter=adapter):
        try:
            pred = predict(**inputs)
            outcome = {"answers": [c["answer"] for c in pred.completions]}
        except Exception as e:  # noqa: BLE001 - the error is what is recorded
            outcome = {"error": type(e).__name__, "message": str(e).splitlines()[0]}
    return {"case": name, "inputs": inputs, "calls": lm.calls, **outcome}


def main():
    # The scripted engine uses DSPy 3.4's `complete_legacy` shortcut, which warns.
    warnings.simplefilter("ignore", DeprecationWarning)
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    cases = [
        # predict.rs: formats_calls_and_parses
        run("chat", [CHAT_4], {"question": "What is 2 + 2?"}),
        # predict.rs: an_unparseable_chat_completion_is_retried_with_the_json_adapter
        run("fallback", ["The answer is 4.", '{"answer": "4"}'], {"question": "2 + 2?"}),
        # predict.rs: the_call_lm_beats_the_predictor_lm_which_beats_the_scope (scoped JSON)
        run("scoped-json", ['{"answer": "x"}'], {"question": "?"}, adapter=dspy.JSONAdapter()),
        # predict_n_completions.rs: n = 2, the second chat completion does not parse; the JSON
        # fallback's completions both parse.
        run(
            "n2-one-bad-then-json-ok",
            [CHAT_4, "garbage", '{"answer": "x"}', '{"answer": "y"}'],
            {"question": "2 + 2?"},
            n=2,
        ),
        # n = 2, the first chat completion does not parse (the order does not matter).
        run(
            "n2-first-bad-then-json-ok",
            ["garbage", CHAT_4, '{"answer": "x"}', '{"answer": "y"}'],
            {"question": "2 + 2?"},
            n=2,
        ),
        # n = 2, one bad completion in the chat call and one in the JSON fallback: an error.
        run(
            "n2-one-bad-twice",
            [CHAT_4, "garbage", '{"answer": "x"}', "still garbage"],
            {"question": "2 + 2?"},
            n=2,
        ),
        # n = 2, the second chat completion is empty: the same as an unparseable one.
        run(
            "n2-one-empty-then-json-ok",
            [CHAT_4, "", '{"answer": "x"}', '{"answer": "y"}'],
            {"question": "2 + 2?"},
            n=2,
        ),
        # n = 2 with the JSON adapter: no fallback, one bad completion fails the call.
        run(
            "n2-json-one-bad",
            ['{"answer": "x"}', "garbage"],
            {"question": "2 + 2?"},
            adapter=dspy.JSONAdapter(),
            n=2,
        ),
    ]
    print(json.dumps(cases, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
