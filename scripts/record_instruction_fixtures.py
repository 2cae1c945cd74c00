"""Records what Python DSPy 3.4.1's instruction optimizers (COPRO and MIPROv2) do on a
deterministic world, so the Rust optimizers can be checked to make the same choices.

The world has two models:

- the task model, the oracle of `record_optimizer_fixtures.py` (twin of `dspy_testkit::Oracle`)
  with a magic phrase: a system message containing "hex code" makes a right answer likely
  (900 per mille instead of 200 + 30 per demo), so better instructions score better;
- the prompt model, the twin of `dspy_testkit::PromptWorld`: every completion is a pure
  function of the request messages and the completion's index (0..n-1 for a request of n),
  answering the output fields the chat prompt asks for with values drawn by SHA-256 from small
  fixed lists (some proposed instructions contain "hex code").

Both sides therefore see the same answers exactly when they send byte-identical prompts. The
fixtures keep every prompt-model call (messages, n, temperature, rollout id, completions), so a
Rust optimizer can be compared call by call, not only by its result.

Run (needs `pip install dspy==3.4.1 optuna`, e.g. in a venv):

    python scripts/record_instruction_fixtures.py

It writes the data set crates/dspy-optimize/tests/data/instruction_qa.json and the fixtures
crates/dspy-optimize/tests/fixtures/instructions/{copro,mipro-light,mipro-zeroshot}-<world>.json,
which the Rust COPRO and MIPROv2 tests in crates/dspy-optimize read (CI needs no Python).
"""

import copy
import hashlib
import json
import pathlib
import sys
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import dspy  # noqa: E402
import dspy.teleprompt.mipro_optimizer_v2 as mipro_module  # noqa: E402
import dspy.teleprompt.utils as teleprompt_utils  # noqa: E402
from dspy.clients.call_result import CallResult, combine  # noqa: E402
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine  # noqa: E402
from dspy.lm15 import Message, Response, TextPart, Usage  # noqa: E402

import record_optimizer_fixtures as oracle  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "crates/dspy-optimize/tests/data/instruction_qa.json"
OUT = ROOT / "crates/dspy-optimize/tests/fixtures/instructions"

# The task model's reward for an instruction (keep in sync with dspy_testkit::PromptWorld::MAGIC).
MAGIC = ("hex code", 900)

# The two worlds: (name, task-model salt, prompt-model salt).
WORLDS = [("world-a", "task-a", "prompts-a"), ("world-b", "task-b", "prompts-b")]

WORDS = ["amber", "blue", "coral", "denim", "emerald", "fuchsia", "gold", "hazel", "ivory", "jade", "khaki"]

RESPOND = "Respond with the corresponding output fields"

# The prompt world's values by output field name (keep in sync with dspy_testkit::PromptWorld).
VALUES = {
    "observations": [
        "The questions ask for the code of a colored item.",
        "COMPLETE",
        "Observations: every answer is six hex digits.",
    ],
    "summary": [
        "Summary: The data set asks for the six-digit hex code of named items.",
        "The questions ask for item codes.",
    ],
    "program_description": [
        "Program Description: It answers a question with one call.",
        "The program maps questions to codes.",
    ],
    "module_description": [
        "It maps a question to an answer.",
        "Module Description: It looks up the code.",
    ],
    "proposed_instruction": [
        "Answer the question.",
        "Proposed Instruction: Give the hex code of the item.",
        "Reply with one word.",
        '"Give the hex code of the item."',
        "Think about the colour, then answer.",
    ],
    "proposed_prefix_for_output_field": ["Answer:", "Code:", '"Hex code:"'],
}


# ---------------------------------------------------------------------------------------------
# The prompt world (twin of dspy_testkit::PromptWorld)


def output_fields(text):
    """Every `[[ ## name ## ]]` after the last "Respond with the corresponding output fields",
    except `completed`; `["answer"]` when the sentence is absent."""
    start = text.rfind(RESPOND)
    if start < 0:
        return ["answer"]
    rest = text[start:]
    fields = []
    while True:
        opening = rest.find("[[ ## ")
        if opening < 0:
            break
        after = rest[opening + len("[[ ## "):]
        closing = after.find(" ## ]]")
        if closing < 0:
            break
        name = after[:closing]
        if name != "completed":
            fields.append(name)
        rest = after[closing + len(" ## ]]"):]
    return fields


def field_value(salt, messages, name, index):
    digest = hashlib.sha256()
    digest.update(salt.encode())
    for m in messages:
        digest.update(b"\x00")
        digest.update(m["role"].encode())
        digest.update(b"\x00")
        digest.update(m["content"].encode())
    digest.update(b"\x00")
    digest.update(name.encode())
    digest.update(b"\x00")
    digest.update(str(index).encode())
    pick = int.from_bytes(digest.digest()[:8], "little")
    choices = VALUES.get(name)
    if choices is None:
        return f"value of {name}"
    return choices[pick % len(choices)]


def chat_completion(pairs):
    """The text dspy_testkit::chat_completion writes for these (field, value) pairs."""
    return "\n\n".join([f"[[ ## {name} ## ]]\n{value}" for name, value in pairs] + ["[[ ## completed ## ]]"])


def prompt_completion(salt, messages, index):
    """The prompt world's completion number `index` to these messages."""
    fields = output_fields(messages[-1]["content"] if messages else "")
    return chat_completion([(name, field_value(salt, messages, name, index)) for name in fields])


def response(text):
    return Response(id=None, model="dummy", message=Message.assistant([TextPart(text)]), finish_reason="stop",
                    usage=Usage(input_tokens=0, output_tokens=0, total_tokens=0))


class PromptEngine(DummyEngine):
    def complete_legacy(self, lm, request, *, prompt=None, messages=None, **context):
        if messages is None and isinstance(prompt, (list, tuple)) and all(
            isinstance(message, dict) and "role" in message for message in prompt
        ):
            messages = prompt
        else:
            messages = request["messages"]
        messages = [{"role": m["role"], "content": m["content"]} for m in messages]
        count = request.get("n") or 1
        outputs = [prompt_completion(self.owner.salt, messages, i) for i in range(count)]
        self.owner.log.append({
            "messages": messages,
            "n": count,
            "n_requested": request.get("n"),  # None when the request names no n
            "temperature": request.get("temperature"),
            "rollout_id": request.get("rollout_id"),
            "outputs": outputs,
        })
        results = [CallResult.native(response(text)) for text in outputs]
        return results[0] if count == 1 else combine(results, model_type="chat")


class PromptWorldLM(dspy.utils.DummyLM):
    """The prompt world as a DSPy LM; every call (copies included) lands in `self.log`."""

    def __init__(self, salt):
        super().__init__([])
        self.salt = salt
        self.log = []
        self.cache = False
        self._engine_spec = PromptEngine(self)
        self._async_engine_spec = AsyncDummyEngine(self._engine_spec)

    def copy(self, **kwargs):
        copied = super().copy(**kwargs)  # shares self.log by reference
        copied.cache = False
        copied._engine_spec = PromptEngine(copied)
        copied._async_engine_spec = AsyncDummyEngine(copied._engine_spec)
        return copied


def task_lm(salt):
    lm = oracle.OracleLM(salt, magic=MAGIC)
    lm.cache = False
    return lm


# ---------------------------------------------------------------------------------------------
# Data


def make_rows():
    rows = []
    for i in range(120):
        question = f"What is the code of the {WORDS[i % len(WORDS)]} item number {i}?"
        rows.append({"question": question, "answer": oracle.true_answer(question)})
    return rows


def examples(rows):
    return [dspy.Example(question=r["question"], answer=r["answer"]).with_inputs("question") for r in rows]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def demo_dict(demo):
    return {k: v for k, v in demo.toDict().items() if not k.startswith("dspy_")}


# ---------------------------------------------------------------------------------------------
# Recorders


def record_copro(task_salt, prompt_salt, data):
    task = task_lm(task_salt)
    prompts = PromptWorldLM(prompt_salt)
    oracle.CALLS["n"] = 0
    config = {"breadth": 4, "depth": 2, "init_temperature": 1.4, "trainset": "rows[:20]", "num_threads": 1}
    optimizer = dspy.COPRO(prompt_model=prompts, metric=exact, breadth=4, depth=2, init_temperature=1.4)
    before_drop = []
    drop_duplicates = optimizer._drop_duplicates

    def counted_drop(candidates):  # wraps COPRO's own, to see how many it removes
        before_drop.append(len(candidates))
        return drop_duplicates(candidates)

    optimizer._drop_duplicates = counted_drop
    with dspy.context(lm=task, adapter=dspy.ChatAdapter()):
        result = optimizer.compile(dspy.Predict("question -> answer"), trainset=data[:20],
                                   eval_kwargs={"num_threads": 1})
    return {
        "config": config,
        "prompt_calls": prompts.log,
        "task_calls": oracle.CALLS["n"],
        "program": result.dump_state(),
        "candidates": [
            {"instruction": c["instruction"], "prefix": c["prefix"], "score": c["score"], "depth": c["depth"]}
            for c in result.candidate_programs
        ],
        "candidates_before_drop_duplicates": before_drop[0],
        "total_calls": result.total_calls,
    }


def record_mipro(task_salt, prompt_salt, data, demos):
    task = task_lm(task_salt)
    prompts = PromptWorldLM(prompt_salt)
    oracle.CALLS["n"] = 0
    seen = {"valset": None, "demo_candidates": None, "instruction_candidates": None, "minibatches": []}

    # Wrap (never change) what the MIPROv2 module and teleprompt.utils look up.
    original_valset_batch = mipro_module.create_minibatch
    original_minibatch = teleprompt_utils.create_minibatch
    original_demo_sets = mipro_module.create_n_fewshot_demo_sets
    original_propose = mipro_module.MIPROv2._propose_instructions

    def valset_batch(trainset, batch_size=50, rng=None):
        batch = original_valset_batch(trainset, batch_size=batch_size, rng=rng)
        seen["valset"] = [ex.question for ex in batch]
        return batch

    def minibatch(trainset, batch_size=50, rng=None):
        batch = original_minibatch(trainset, batch_size=batch_size, rng=rng)
        position = {id(ex): i for i, ex in enumerate(trainset)}
        seen["minibatches"].append([position[id(ex)] for ex in batch])
        return batch

    def demo_sets(*args, **kwargs):
        sets = original_demo_sets(*args, **kwargs)
        seen["demo_candidates"] = {i: [[demo_dict(d) for d in s] for s in per] for i, per in sets.items()}
        return sets

    def propose(self, *args, **kwargs):
        candidates = original_propose(self, *args, **kwargs)
        seen["instruction_candidates"] = copy.deepcopy(candidates)
        return candidates

    mipro_module.create_minibatch = valset_batch
    teleprompt_utils.create_minibatch = minibatch
    mipro_module.create_n_fewshot_demo_sets = demo_sets
    mipro_module.MIPROv2._propose_instructions = propose
    config = {"auto": "light", "num_threads": 1, "seed": 9, "max_bootstrapped_demos": demos,
              "max_labeled_demos": demos, "trainset": "rows[:40]", "valset": "rows[40:100]"}
    try:
        with dspy.context(adapter=dspy.ChatAdapter()):
            optimizer = dspy.MIPROv2(metric=exact, prompt_model=prompts, task_model=task, auto="light",
                                     num_threads=1, max_bootstrapped_demos=demos, max_labeled_demos=demos)
            result = optimizer.compile(dspy.Predict("question -> answer"), trainset=data[:40],
                                       valset=data[40:100])
    finally:
        mipro_module.create_minibatch = original_valset_batch
        teleprompt_utils.create_minibatch = original_minibatch
        mipro_module.create_n_fewshot_demo_sets = original_demo_sets
        mipro_module.MIPROv2._propose_instructions = original_propose

    import optuna

    return {
        "config": config,
        "optuna_version": optuna.__version__,
        "valset": seen["valset"],
        "demo_candidates": seen["demo_candidates"],
        "instruction_candidates": seen["instruction_candidates"],
        "prompt_calls": prompts.log,
        "minibatches": seen["minibatches"],
        "task_calls": oracle.CALLS["n"],
        "program": result.dump_state(),
        "score": getattr(result, "score", None),
        "trial_logs": trial_logs(result),
    }


def summarize(name, case):
    """One line per fact worth eyeballing."""
    magic = MAGIC[0]
    lines = [f"{name} {case['world']}: {len(case['prompt_calls'])} prompt calls "
             f"(n = {[c['n'] for c in case['prompt_calls']]}), {case['task_calls']} task calls"]
    if "candidates" in case:
        cands = case["candidates"]
        with_magic = [c["score"] for c in cands if magic in c["instruction"]]
        without = [c["score"] for c in cands if magic not in c["instruction"]]
        lines.append(f"  {len(cands)} candidates ({case['candidates_before_drop_duplicates']} before dropping "
                     f"duplicates), {len({c['instruction'] for c in cands})} distinct instructions; "
                     f"scores with {magic!r}: {with_magic}, without: {without}")
        lines.append(f"  best: {case['program']['signature']['instructions']!r}")
    else:
        instructions = case["instruction_candidates"][0]
        lines.append(f"  demo set sizes {[len(s) for s in case['demo_candidates'][0]]}; "
                     f"{len(case['minibatches'])} minibatches; instructions "
                     f"{[(i, magic in i) for i in instructions]}")
        lines.append(f"  best: {case['program']['signature']['instructions']!r} "
                     f"with {len(case['program']['demos'])} demos, score {case['score']}")
    print("\n".join(lines))


def trial_logs(result):
    """MIPROv2's per-trial log (chosen parameters, scores, eval counts), without the programs."""
    keep = ("_predictor_instruction", "_predictor_demos", "mb_score", "full_eval_score", "total_eval_calls_so_far")
    return {str(number): {k: v for k, v in log.items() if k.endswith(keep)}
            for number, log in sorted(getattr(result, "trial_logs", {}).items())}


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    # The completion shortcut of a custom engine warns that it is deprecated; it is what we want.
    warnings.filterwarnings("ignore", message=".*complete_legacy.*")
    rows = make_rows()
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {DATA.relative_to(ROOT)} ({len(rows)} rows)")
    data = examples(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    for world, task_salt, prompt_salt in WORLDS:
        cases = {
            "copro": record_copro(task_salt, prompt_salt, data),
            "mipro-light": record_mipro(task_salt, prompt_salt, data, demos=2),
            "mipro-zeroshot": record_mipro(task_salt, prompt_salt, data, demos=0),
        }
        for name, case in cases.items():
            case.update({"world": world, "task_salt": task_salt, "prompt_salt": prompt_salt,
                         "magic": {"phrase": MAGIC[0], "per_mille": MAGIC[1]}, "dspy_version": dspy.__version__})
            path = OUT / f"{name}-{world}.json"
            path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {path.relative_to(ROOT)}")
            summarize(name, case)


if __name__ == "__main__":
    main()
