"""Python DSPy 3.4.1 baseline for `cargo run --release -p dspy-bench --example react_bench`.

The same trace as the Rust bench: `dspy.ReAct("question -> answer", tools=[lookup, add],
max_iters=6)` on the question of crates/dspy-core/tests/fixtures/modules/react.json, answered by
a scripted LM with the fixture's 6 completion texts (5 steps, two of them failing tool calls,
then the extract). The LM is the recorder's DummyLM engine approach
(scripts/record_module_fixtures.py) with the formatting taken out: the engine returns the
recorded text of call i, so the LM costs next to nothing; DummyLM never caches. Everything runs
under `dspy.context(lm=..., adapter=dspy.ChatAdapter())` with DSPy's default settings (LM
history on, callbacks none, the garbage collector on).

The first run's messages are compared with the fixture (failed tool calls' texts masked, as in
crates/dspy-core/tests/react_parity.rs), and every run's prediction and call count are checked
outside the timed span. "Inside the LM" is the time in the engine's `_complete_messages`
(picking the text and building the response: the provider's place); DSPy's LM client code
around it (request preparation, history) counts as outside, as everything but the replay LM's
`call` does on the Rust side.

Run (needs `pip install dspy==3.4.1`):

    python scripts/bench_python_react.py [--runs N] [--warmup W]
"""

import argparse
import json
import pathlib
import re
import statistics
import time

import dspy
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine
from dspy.lm15 import Message, Response, TextPart, Usage

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "crates/dspy-core/tests/fixtures/modules/react.json"
CALLS = 6


# The recorder's tools, unchanged.
COUNTRIES = {"paris": "France", "berlin": "Germany", "rome": "Italy"}


def lookup(city: str) -> str:
    """Look up the country of a city in a small table."""
    return COUNTRIES[city.lower()]


def add(a: int, b: int = 1) -> int:
    """Add two integers."""
    return a + b


class ReplayEngine(DummyEngine):
    """DummyLM's own engine (its built-in `complete_legacy` path, as the recorder's DummyLM
    took), answering call i of a run with the recorded text i instead of formatting a dict;
    adds up the time spent here."""

    def _complete_messages(self, messages):
        start = time.perf_counter_ns()
        owner = self.owner
        if owner.record is not None:
            owner.record.append([{"role": m["role"], "content": m["content"]} for m in messages])
        text = owner.outputs[owner.index]
        owner.index += 1
        response = Response(id=None, model="dummy", message=Message.assistant([TextPart(text)]),
                            finish_reason="stop", usage=Usage(input_tokens=0, output_tokens=0, total_tokens=0))
        owner.inside_ns += time.perf_counter_ns() - start
        return response


class ReplayLM(dspy.utils.DummyLM):
    def __init__(self, outputs):
        super().__init__([])
        self.outputs = outputs
        self.index = 0
        self.inside_ns = 0
        self.record = None
        self.cache = False
        self._engine_spec = ReplayEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)


ERROR = re.compile(r"(?s)Execution error in (\w+): .*?(\n\n\[\[ ## |\Z)")


def mask(text):
    return ERROR.sub(r"Execution error in \1: <error>\2", text)


def masked(value):
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    return value


def check(pred, lm):
    assert lm.index == CALLS, f"{lm.index} LM calls, want {CALLS}"
    assert pred.answer == "France; 5", pred.answer
    traj = pred.trajectory
    assert len(traj) == 20, list(traj)
    assert traj["observation_3"] == 5 and traj["tool_name_4"] == "finish", traj


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    fixture = json.loads(FIXTURE.read_text())
    assert fixture["dspy_version"] == "3.4.1" and dspy.__version__ == "3.4.1", dspy.__version__
    outputs = [c["output"] for c in fixture["calls"]]
    question = fixture["config"]["inputs"]["question"]
    agent = dspy.ReAct("question -> answer", tools=[lookup, add], max_iters=6)
    assert agent.react.signature.instructions == fixture["react_instructions"]
    lm = ReplayLM(outputs)

    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        # One checked run: the same messages as the recording, the same prediction.
        lm.record = []
        pred = agent(question=question)
        check(pred, lm)
        assert len(lm.record) == CALLS
        for i, (ours, want) in enumerate(zip(lm.record, fixture["calls"], strict=True)):
            want = [(m["role"], mask(m["content"])) for m in want["messages"]]
            assert [(m["role"], mask(m["content"])) for m in ours] == want, f"call {i} differs"
        got = {k: v for k, v in pred.items()}
        assert json.loads(json.dumps(masked(got))) == masked(fixture["prediction"]), "prediction"
        lm.record = None

        for _ in range(args.warmup):
            lm.index = 0
            check(agent(question=question), lm)

        times = []
        lm.inside_ns = 0
        cpu_start = time.thread_time_ns()
        for _ in range(args.runs):
            lm.index = 0
            start = time.perf_counter_ns()
            pred = agent(question=question)
            times.append(time.perf_counter_ns() - start)
            check(pred, lm)
        cpu = time.thread_time_ns() - cpu_start

    n = args.runs
    total = sum(times)
    ordered = sorted(times)
    mean, median = total / n, statistics.median(times)
    p90, low = ordered[min(n * 9 // 10, n - 1)], ordered[0]
    print(f"bench_python_react: DSPy {dspy.__version__}, react.json trace ({CALLS} LM calls), "
          "replay LM; checked against the fixture")
    print(f"{n} runs one after another (after {args.warmup} warm-up runs)")
    print(f"  {'':<18} {'mean µs':>10} {'median µs':>10} {'p90 µs':>10} {'min µs':>10}")
    for label, div in (("per agent run", 1), ("per LM call/step", CALLS)):
        print(f"  {label:<18} {mean / div / 1e3:>10.1f} {median / div / 1e3:>10.1f} "
              f"{p90 / div / 1e3:>10.1f} {low / div / 1e3:>10.1f}")
    print(f"  CPU (this thread) per run {cpu / n / 1e3:.1f} µs, per LM call {cpu / n / CALLS / 1e3:.1f} µs")
    print(f"  inside the LM {lm.inside_ns / n / 1e3:.2f} µs per run; outside the LM "
          f"{100 * (1 - lm.inside_ns / total):.2f}% of the run time")


if __name__ == "__main__":
    main()
