"""Records test vectors of CPython's random.Random for dspy-optimize's PyRandom.

Run with CPython 3.11 (`python3 scripts/record_pyrandom_vectors.py`); writes
crates/dspy-optimize/tests/data/pyrandom_vectors.json, which `cargo test -p dspy-optimize`
compares against. Every method the optimizers use is pinned for several seeds.
"""

import json
import pathlib
import random
import struct
import sys

SEEDS = [0, 1, 42, 2**40, -1, -42, 2**32 - 1, 2**63 - 1]
OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/dspy-optimize/tests/data/pyrandom_vectors.json"


def bits(x):
    """A float's IEEE-754 bits, so the Rust test compares exactly (no decimal parsing)."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def record(seed):
    case = {"seed": seed}
    r = random.Random(seed)
    case["random_bits"] = [bits(r.random()) for _ in range(8)]
    r = random.Random(seed)
    case["getrandbits"] = [[k, r.getrandbits(k)] for k in [1, 5, 31, 32, 33, 40, 63, 64, 0, 17]]
    r = random.Random(seed)
    case["randbelow"] = [[n, r._randbelow(n)] for n in [1, 2, 3, 7, 10, 100, 1000, 2**31, 2**32 + 5, 2**40]]
    r = random.Random(seed)
    case["randrange"] = [[a, b, r.randrange(a, b)] for a, b in [(0, 10), (5, 6), (-5, 5), (3, 1000), (-100, -3)]]
    r = random.Random(seed)
    case["randint"] = [[a, b, r.randint(a, b)] for a, b in [(1, 10), (0, 0), (1, 4), (-3, 3), (0, 2**33)]]
    r = random.Random(seed)
    items = list(range(30))
    case["choice"] = [r.choice(items[:n]) for n in [1, 2, 5, 30, 30, 7]]
    r = random.Random(seed)
    case["choices"] = r.choices(items[:13], k=9)
    r = random.Random(seed)
    weights = [0.5, 2.0, 0.0, 1.25, 3.0]
    case["choices_weighted"] = {"weights": weights, "picks": r.choices(list(range(5)), weights=weights, k=12)}
    r = random.Random(seed)
    shuffles = []
    for n in [0, 1, 2, 5, 16, 50]:
        x = list(range(n))
        r.shuffle(x)
        shuffles.append(x)
    case["shuffle"] = shuffles
    r = random.Random(seed)
    samples = []
    for n, k in [(10, 0), (10, 3), (10, 10), (30, 6), (100, 4), (100, 40), (1000, 10), (25, 5)]:
        samples.append([n, k, r.sample(range(n), k)])
    case["sample"] = samples
    r = random.Random(seed)
    case["uniform_bits"] = [[a, b, bits(r.uniform(a, b))] for a, b in [(0.0, 1.0), (-2.5, 7.0), (10.0, 10.0)]]
    return case


def main():
    if sys.version_info[:2] != (3, 11):
        print(f"note: recorded with Python {sys.version.split()[0]}; the vectors were pinned with 3.11", file=sys.stderr)
    data = {"python": sys.version.split()[0], "cases": [record(s) for s in SEEDS]}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
