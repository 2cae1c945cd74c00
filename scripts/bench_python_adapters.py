"""Python DSPy 3.4.1 baseline for `cargo bench -p dspy-adapters --bench format_parse`.

Same signature, inputs, demos and completions as the Rust benchmark. Needs `pip install dspy==3.4.1`.
Run: python3 scripts/bench_python_adapters.py
"""
import timeit

import dspy

sig = dspy.Signature("context, question -> answer, confidence: float")
inputs = {
    "context": "France is a country in Europe. Its capital is Paris.",
    "question": "What is the capital of France?",
}
demos = [
    {
        "context": f"Fact number {i}: the sky is blue on clear days.",
        "question": f"What colour is the sky in example {i}?",
        "answer": "blue",
        "confidence": 0.9,
    }
    for i in range(4)
]
completions = {
    "ChatAdapter": "[[ ## answer ## ]]\nParis\n\n[[ ## confidence ## ]]\n0.95\n\n[[ ## completed ## ]]",
    "JSONAdapter": '{\n  "answer": "Paris",\n  "confidence": 0.95\n}',
    "XMLAdapter": "<answer>\nParis\n</answer>\n\n<confidence>\n0.95\n</confidence>",
}
adapters = {"ChatAdapter": dspy.ChatAdapter(), "JSONAdapter": dspy.JSONAdapter(), "XMLAdapter": dspy.XMLAdapter()}


def per_call_us(fn, number=2000):
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


for name, adapter in adapters.items():
    for n in (0, 4):
        d = demos[:n]
        f = per_call_us(lambda: adapter.format(sig, d, inputs))
        print(f"{name}/format/{n}: {f:.1f} us")
    p = per_call_us(lambda: adapter.parse(sig, completions[name]))
    print(f"{name}/parse: {p:.1f} us")
