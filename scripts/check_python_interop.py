"""Checks that programs compiled in Rust run unchanged in Python DSPy.

Needs `pip install dspy==3.4.1`. Run after the quick start has saved its program:

    cargo run --release -p dspy-examples --example quickstart
    python3 scripts/check_python_interop.py

1. The quick start's `Predict<QA>` compiled by BootstrapFewShot: it loads the saved JSON into
   the same signature in Python DSPy, formats a question with `dspy.ChatAdapter`, compares the
   messages with those the Rust program sends (`examples/quickstart_prompt.rs`), and checks
   that Python saves the file back unchanged (metadata aside).
2. A typed two-predictor program compiled by MIPROv2 (`examples/optimize_instructions.rs`,
   offline, new instructions and demos): the same checks for each predictor, loaded into the
   same `dspy.Module` in Python.

Exits 1 on any difference.
"""

import json
import os
import subprocess
import sys
import tempfile

import dspy

QUESTION = "What is the capital of France?"


class QA(dspy.Signature):
    """Answer questions with short factoid answers."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="often between 1 and 5 words")


class Draft(dspy.Signature):
    """Write a first answer to the question."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


class Check(dspy.Signature):
    """Check the draft answer and give the final one."""

    question: str = dspy.InputField()
    draft: str = dspy.InputField(desc="a first answer, possibly wrong")
    answer: str = dspy.OutputField()


class DraftAndCheck(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.Predict(Draft)
        self.check = dspy.Predict(Check)


def resaves_unchanged(program, path) -> bool:
    """Whether Python saves the loaded file back unchanged (metadata aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        resaved = os.path.join(tmp, "resaved.json")
        program.save(resaved)
        with open(path) as f:
            original = json.load(f)
        with open(resaved) as f:
            again = json.load(f)
    original.pop("metadata", None)
    again.pop("metadata", None)
    return original == again


def check_optimized() -> bool:
    """The MIPROv2-compiled two-predictor program of examples/optimize_instructions.rs."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "optimized.json")
        messages = os.path.join(tmp, "messages.json")
        subprocess.run(
            ["cargo", "run", "-q", "-p", "dspy-examples", "--example", "optimize_instructions",
             "--", saved, messages],
            check=True, capture_output=True, text=True)
        with open(messages) as f:
            rust = json.load(f)
        program = DraftAndCheck()
        program.load(saved)
        inputs = {"question": "What is the code of the amber item number 7?", "draft": "unknown"}
        ok = True
        for name, predictor in program.named_predictors():
            python = dspy.ChatAdapter().format(predictor.signature, predictor.demos, inputs)
            if python != rust.get(name):
                ok = False
                print(f"MIPROv2 program, predictor {name}: messages differ")
            else:
                print(f"MIPROv2 program, predictor {name}: {len(python)} messages, byte-identical "
                      f"(instructions {predictor.signature.instructions!r}, {len(predictor.demos)} demos)")
        if resaves_unchanged(program, saved):
            print("Python saves the MIPROv2 program back unchanged (metadata aside)")
        else:
            ok = False
            print("Python saves the MIPROv2 program differently")
        return ok


def main() -> int:
    optimized_ok = check_optimized()
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        tempfile.gettempdir(), "dspy-quickstart-compiled.json")
    rust = json.loads(subprocess.run(
        ["cargo", "run", "-q", "-p", "dspy-examples", "--example", "quickstart_prompt", "--",
         path, QUESTION],
        check=True, capture_output=True, text=True).stdout)

    program = dspy.Predict(QA)
    program.load(path)
    python = dspy.ChatAdapter().format(program.signature, program.demos, {"question": QUESTION})
    ok = True
    if python != rust:
        ok = False
        print(f"messages differ: Python {len(python)}, Rust {len(rust)}")
        for p, r in zip(python, rust):
            if p != r:
                print("python:", repr(p)[:600])
                print("rust:  ", repr(r)[:600])
                break
    else:
        print(f"{len(python)} messages, byte-identical in Python DSPy {dspy.__version__} and Rust")

    if not resaves_unchanged(program, path):
        ok = False
        print("Python saves a different file")
    else:
        print("Python saves the Rust file back unchanged (metadata aside)")
    return 0 if ok and optimized_ok else 1


if __name__ == "__main__":
    sys.exit(main())
