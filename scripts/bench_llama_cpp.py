"""llama.cpp baseline for `cargo run --release -p dspy-local --example bench_local`.

Same measurements on the same GGUF and thread counts: load time, prompt processing of PP tokens
(one batch, empty cache), TG single-token generation steps after it, peak RSS (VmHWM). Best of
REPS runs, each thread count in its own process.

Needs llama-cpp-python built from source, e.g. in a venv:
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    pip install --no-binary llama-cpp-python llama-cpp-python==0.3.36
Run: python scripts/bench_llama_cpp.py MODEL.gguf [--threads 1,2] [--pp 512] [--tg 128] [--reps 3]
"""
import argparse
import os
import subprocess
import sys
import time

TEXT = (
    "Your input fields are:\n1. `question` (str)\nYour output fields are:\n1. `answer` (str)\n"
    "All interactions will be structured in the following way, with the appropriate values filled in.\n"
)


def vm_hwm_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(a):
    from llama_cpp import Llama

    t = time.perf_counter()
    llm = Llama(
        model_path=a.model,
        n_ctx=a.pp + a.tg + 8,
        n_batch=a.pp,
        n_ubatch=a.pp,
        n_threads=a.threads_one,
        n_threads_batch=a.threads_one,
        verbose=False,
    )
    load = time.perf_counter() - t
    tokens = []
    while len(tokens) < a.pp:
        tokens += llm.tokenize(TEXT.encode(), add_bos=False, special=True)
    tokens = tokens[: a.pp]
    llm.eval(tokens[:16])  # warm-up
    for _ in range(4):
        llm.eval([tokens[0]])
    pp_best = tg_best = 0.0
    for _ in range(max(1, a.reps)):
        llm.reset()
        llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
        t = time.perf_counter()
        llm.eval(tokens)
        pp = a.pp / (time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(a.tg):
            llm.eval([tokens[1]])
        tg = a.tg / (time.perf_counter() - t)
        pp_best, tg_best = max(pp_best, pp), max(tg_best, tg)
    print(
        f"llama.cpp   threads={a.threads_one}  load={load:.3f}s  pp{a.pp}={pp_best:.1f} tok/s  "
        f"tg{a.tg}={tg_best:.1f} tok/s  peak_rss={vm_hwm_mib():.1f} MiB",
        flush=True,
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--pp", type=int, default=512)
    p.add_argument("--tg", type=int, default=128)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads-one", type=int, default=0)
    a = p.parse_args()
    if a.threads_one:
        child(a)
        return
    print(f"model: {a.model}")
    for n in [int(x) for x in a.threads.split(",") if x]:
        subprocess.run(
            [sys.executable, __file__, a.model, "--pp", str(a.pp), "--tg", str(a.tg),
             "--reps", str(a.reps), "--threads-one", str(n)],
            check=False,
            env=dict(os.environ),
        )


if __name__ == "__main__":
    main()
