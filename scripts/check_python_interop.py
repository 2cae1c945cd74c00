"""Checks that a program compiled by the Rust quick start runs unchanged in Python DSPy.

Needs `pip install dspy==3.4.1`. Run after the quick start has saved its program:

    cargo run --release -p dspy-examples --example quickstart
    python3 scripts/check_python_interop.py

It loads the saved JSON into the same signature in Python DSPy, formats a question with
`dspy.ChatAdapter`, compares the messages with those the Rust program sends
(`examples/quickstart_prompt.rs`), and checks that Python saves the file back unchanged
(metadata aside). Exits 1 on any difference.
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


def main() -> int:
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

    with tempfile.TemporaryDirectory() as tmp:
        resaved = os.path.join(tmp, "resaved.json")
        program.save(resaved)
        with open(path) as f:
            original = json.load(f)
        with open(resaved) as f:
            again = json.load(f)
    original.pop("metadata", None)
    again.pop("metadata", None)
    if original != again:
        ok = False
        print("Python saves a different file")
    else:
        print("Python saves the Rust file back unchanged (metadata aside)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
