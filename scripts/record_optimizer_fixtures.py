"""Records what Python DSPy 3.4.1's few-shot optimizers do on a deterministic world, so the
Rust optimizers can be checked to make the same choices.

The world is an oracle LM (the twin of `dspy_testkit::OracleLm`): whether it answers a question
right is a pure function of the prompt bytes (SHA-256 of a salt and every message), with a
better chance per demo in the prompt. Both sides therefore see the same answers exactly when
they send byte-identical prompts, and the same compiled program exactly when they consume
randomness in the same order.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_optimizer_fixtures.py

It writes crates/dspy-optimize/tests/fixtures/parity/*.json; `cargo test -p dspy-optimize
--test parity` compares against them (CI needs no Python).
"""

import hashlib
import json
import pathlib
import random
import sys

import dspy
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "crates/dspy-optimize/tests/data/parity_qa.json"
OUT = ROOT / "crates/dspy-optimize/tests/fixtures/parity"

# Oracle parameters (keep in sync with dspy_testkit::OracleLm).
BASE_PER_MILLE = 200
BONUS_PER_DEMO = 30
WRONG = "unknown"

CALLS = {"n": 0}


def true_answer(question):
    """The right answer to a question of the data set."""
    return hashlib.sha256(("answer:" + question).encode()).hexdigest()[:6]


def field_value(content, name):
    marker = f"[[ ## {name} ## ]]\n"
    start = content.find(marker)
    if start < 0:
        return None
    rest = content[start + len(marker):]
    return rest.split("\n", 1)[0].strip()


def oracle_answer(salt, messages, magic=None):
    """The oracle's answer to one request (see the module docs).

    `magic`, when given, is a `(phrase, per_mille)` pair (the twin of `Oracle::with_magic`): if
    the first message (the system message) contains the phrase, the answer is right when the
    roll is below `per_mille` instead of the base-plus-demos threshold.
    """
    digest = hashlib.sha256()
    digest.update(salt.encode())
    for m in messages:
        digest.update(b"\x00")
        digest.update(m["role"].encode())
        digest.update(b"\x00")
        digest.update(m["content"].encode())
    roll = int.from_bytes(digest.digest()[:8], "little") % 1000
    demos = sum(1 for m in messages[:-1] if m["role"] == "assistant")
    question = field_value(messages[-1]["content"], "question")
    if question is None:
        return WRONG
    threshold = BASE_PER_MILLE + BONUS_PER_DEMO * demos
    if magic is not None and messages and magic[0] in messages[0]["content"]:
        threshold = magic[1]
    if roll < threshold:
        return true_answer(question)
    return WRONG


class OracleEngine(DummyEngine):
    def _complete_messages(self, messages):
        CALLS["n"] += 1
        answer = oracle_answer(self.owner.salt, messages, self.owner.magic)
        self.owner.answers = iter([{"answer": answer}])
        return super()._complete_messages(messages)


class OracleLM(dspy.utils.DummyLM):
    def __init__(self, salt, magic=None):
        super().__init__([])
        self.salt = salt
        self.magic = magic
        self._engine_spec = OracleEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)

    def copy(self, **kwargs):
        copied = super().copy(**kwargs)
        copied._engine_spec = OracleEngine(copied)
        copied._async_engine_spec = AsyncDummyEngine(copied._engine_spec)
        return copied


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def load_data():
    rows = json.loads(DATA.read_text())
    examples = [dspy.Example(question=r["question"], answer=r["answer"]).with_inputs("question") for r in rows]
    return examples[:24], examples[24:]


def run(salt, compile_fn):
    lm = OracleLM(salt)
    CALLS["n"] = 0
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        result = compile_fn()
    return result, CALLS["n"]


def record_labeled(salt, train):
    program, calls = run(salt, lambda: dspy.LabeledFewShot(k=5).compile(dspy.Predict("question -> answer"), trainset=train))
    return {"program": program.dump_state(), "lm_calls": calls}


def record_bootstrap(salt, train):
    def compile_fn():
        opt = dspy.BootstrapFewShot(metric=exact, max_bootstrapped_demos=4, max_labeled_demos=16)
        return opt.compile(dspy.Predict("question -> answer"), trainset=train)

    program, calls = run(salt, compile_fn)
    return {"program": program.dump_state(), "lm_calls": calls}


def record_random_search(salt, train, dev):
    def compile_fn():
        opt = dspy.BootstrapFewShotWithRandomSearch(
            metric=exact, max_bootstrapped_demos=3, max_labeled_demos=6, num_candidate_programs=8, num_threads=1
        )
        return opt.compile(dspy.Predict("question -> answer"), trainset=train, valset=dev)

    program, calls = run(salt, compile_fn)
    by_seed = sorted(program.candidate_programs, key=lambda c: c["seed"])
    return {
        "program": program.dump_state(),
        "lm_calls": calls,
        "candidates": [{"seed": c["seed"], "score": c["score"], "program": c["program"].dump_state()} for c in by_seed],
    }


def record_ensemble(salt, seed, train, dev):
    def compile_fn():
        members = []
        for k in (2, 4, 6):
            members.append(dspy.LabeledFewShot(k=k).compile(dspy.Predict("question -> answer"), trainset=train))
        ensemble = dspy.Ensemble(reduce_fn=dspy.majority, size=2).compile(members)
        random.seed(seed)
        answers = [ensemble(question=ex.question).answer for ex in dev[:8]]
        return answers

    answers, calls = run(salt, compile_fn)
    return {"answers": answers, "lm_calls": calls}


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    train, dev = load_data()
    OUT.mkdir(parents=True, exist_ok=True)
    for salt in ("world-a", "world-b"):
        cases = {
            "labeled_few_shot": record_labeled(salt, train),
            "bootstrap_few_shot": record_bootstrap(salt, train),
            "random_search": record_random_search(salt, train, dev),
        }
        for name, case in cases.items():
            case.update({"salt": salt, "dspy_version": dspy.__version__})
            path = OUT / f"{name}-{salt}.json"
            path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {path.relative_to(ROOT)} ({case['lm_calls']} LM calls)")
    for seed in (0, 7):
        case = record_ensemble("world-a", seed, train, dev)
        case.update({"salt": "world-a", "seed": seed, "dspy_version": dspy.__version__})
        path = OUT / f"ensemble-seed{seed}.json"
        path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({case['lm_calls']} LM calls)")


if __name__ == "__main__":
    main()
