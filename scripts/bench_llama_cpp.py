"""llama.cpp baseline for `cargo run --release -p dspy-local --example bench_local`.

Same measurements on the same GGUF and thread counts: load time, prompt processing of PP tokens
(one batch, empty cache), TG single-token generation steps after it, peak RSS (VmHWM). Best of
REPS runs, each thread count in its own process.

It needs llama-cpp-python built from source for this CPU. When `llama_cpp` cannot be imported,
the script builds it once into a venv (~/.cache/dspy-rs/llama-venv, or $DSPY_RS_LLAMA_VENV) with
the instruction sets /proc/cpuinfo reports: AVX-512 flags only on a CPU with AVX-512, never
GGML_NATIVE (its detection enabled AMX on some machines and crashed) and never AMX; then it runs
itself under that venv. `--print-cmake-args` shows the flags it would use. `--avx2-only` builds
(into ~/.cache/dspy-rs/llama-venv-avx2) and runs a llama.cpp without any AVX-512 or AVX-VNNI
code, to compare with `DSPY_LOCAL_ISA=avx2` on an AVX-512 machine.

Run: python scripts/bench_llama_cpp.py MODEL.gguf [--threads 1,2] [--pp 512] [--tg 128] [--reps 3]
     [--avx2-only]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"

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
        f"llama.cpp{' isa=avx2' if AVX2_ONLY else ''}  threads={a.threads_one}  load={load:.3f}s  pp{a.pp}={pp_best:.1f} tok/s  "
        f"tg{a.tg}={tg_best:.1f} tok/s  peak_rss={vm_hwm_mib():.1f} MiB",
        flush=True,
    )


AVX2_ONLY = "--avx2-only" in sys.argv


def cpu_flags():
    """The CPU feature flags of the first processor in /proc/cpuinfo (empty elsewhere), without
    AVX-512 and AVX-VNNI under --avx2-only."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    if AVX2_ONLY:
        flags = {f for f in flags if not f.startswith("avx512") and f != "avx_vnni"}
    return flags


def cmake_args(flags):
    """llama.cpp build flags for a CPU with `flags`: what it has, nothing it lacks, no AMX."""
    args = ["-DGGML_NATIVE=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    wanted = [
        ("avx", "GGML_AVX"), ("avx2", "GGML_AVX2"), ("fma", "GGML_FMA"), ("f16c", "GGML_F16C"),
        ("avx512f", "GGML_AVX512"), ("avx512vbmi", "GGML_AVX512_VBMI"),
        ("avx512_vnni", "GGML_AVX512_VNNI"), ("avx512_bf16", "GGML_AVX512_BF16"),
        ("avx_vnni", "GGML_AVX_VNNI"),
    ]
    for flag, option in wanted:
        args.append(f"-D{option}={'ON' if flag in flags else 'OFF'}")
    return " ".join(args)


def ensure_llama_cpp():
    """Re-runs this script under a venv with llama-cpp-python built for this CPU, building it
    the first time; returns when `llama_cpp` imports here."""
    try:
        import llama_cpp  # noqa: F401
        return
    except ImportError:
        pass
    default = pathlib.Path.home() / ".cache/dspy-rs" / ("llama-venv-avx2" if AVX2_ONLY else "llama-venv")
    venv = pathlib.Path(os.environ.get("DSPY_RS_LLAMA_VENV", default))
    python = venv / "bin" / "python"
    # A venv's python is a symlink to the base interpreter: compare prefixes, not executables.
    if pathlib.Path(sys.prefix).resolve() == venv.resolve():
        sys.exit("llama_cpp is not importable even in its venv; delete " + str(venv) + " and retry")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import llama_cpp"], capture_output=True)
    if probe.returncode != 0:
        args = cmake_args(cpu_flags())
        print(f"building {LLAMA_CPP_PYTHON} for this CPU (a few minutes): CMAKE_ARGS={args}", flush=True)
        env = dict(os.environ, CMAKE_ARGS=args, FORCE_CMAKE="1")
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-binary", "llama-cpp-python",
                        "--no-cache-dir", LLAMA_CPP_PYTHON], check=True, env=env)
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", nargs="?" if "--print-cmake-args" in sys.argv else None)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--pp", type=int, default=512)
    p.add_argument("--tg", type=int, default=128)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads-one", type=int, default=0)
    p.add_argument("--print-cmake-args", action="store_true")
    p.add_argument("--avx2-only", action="store_true")
    a = p.parse_args()
    if a.print_cmake_args:
        print(cmake_args(cpu_flags()))
        return
    ensure_llama_cpp()
    if a.threads_one:
        child(a)
        return
    print(f"model: {a.model}")
    for n in [int(x) for x in a.threads.split(",") if x]:
        subprocess.run(
            [sys.executable, __file__, a.model, "--pp", str(a.pp), "--tg", str(a.tg),
             "--reps", str(a.reps), "--threads-one", str(n)] + (["--avx2-only"] if a.avx2_only else []),
            check=False,
            env=dict(os.environ),
        )


if __name__ == "__main__":
    main()
