#!/usr/bin/env bash
# Benchmark 1: storyd's parse+normalize next to Python's feedparser, on the same files, in one run.
# Usage: scripts/bench-parse.sh [--seconds N] [--runs N]
# feedparser goes into a venv under the target directory; without pip, the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
venv="$target/bench-venv"
peer=()
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import feedparser' 2>/dev/null; then
  peer=(--peer "$venv/bin/python")
elif python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install --quiet feedparser >/dev/null 2>&1; then
  peer=(--peer "$venv/bin/python")
else
  echo "peer: could not install feedparser with pip into $venv; running storyd alone"
fi
exec cargo bench --bench parse -- "${peer[@]}" "$@"
