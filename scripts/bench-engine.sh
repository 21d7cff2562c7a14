#!/bin/sh
# Runs the story-engine benchmark and the Python TF-IDF-centroid baseline on the same
# synthetic stream, one after the other. usage: scripts/bench-engine.sh [ARTICLES]
# (default 100000; the engine alone goes to 1000000 in a few minutes, the baseline is slower).
set -eu
cd "$(dirname "$0")/.."
n="${1:-100000}"
stream="${TMPDIR:-/tmp}/storyd-bench-stream.jsonl"
STORYD_BENCH_ARTICLES="$n" STORYD_BENCH_JSONL="$stream" cargo bench --bench engine
python3 scripts/baseline_tfidf.py "$stream"
rm -f "$stream"
