#!/usr/bin/env bash
# Counts what the story-engine benchmark costs under cachegrind: instructions and misses of a
# simulated 2 MiB last-level cache, per article. The counts do not depend on other work on
# the machine, so two builds compare on a shared machine where timings do not.
# Usage: scripts/count-engine.sh [ARTICLES]   (default 20000; 200000 takes a few minutes)
# Needs valgrind (Debian: apt-get install valgrind). The counts include the bench's own
# generation of the stream (about a sixth of the instructions), which is the same for any
# build. It does not model hardware prefetching: misses on sequential scans are overstated.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed (Debian: apt-get install valgrind); nothing counted" >&2
  exit 1
fi
exe=$(cargo bench --bench engine --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "engine" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
STORYD_BENCH_ARTICLES="$n" valgrind --tool=cachegrind --cache-sim=yes --LL=2097152,16,64 \
  --cachegrind-out-file="$out" "$exe" 2>&1 >/dev/null |
  python3 -c 'import re, sys
n = int(sys.argv[1])
text = sys.stdin.read()
def count(label):
    m = re.search(label + r"\s*:\s*([\d,]+)", text)
    return int(m.group(1).replace(",", "")) if m else None
ir, ll = count(r"I\s+refs"), count(r"LL misses")
if ir is None or ll is None:
    sys.exit("cachegrind printed no totals:\n" + text[-2000:])
print(f"{n} articles: {ir:,} instructions ({ir / n:,.0f} per article), "
      f"{ll:,} LL misses ({ll / n:,.1f} per article)")' "$n"
