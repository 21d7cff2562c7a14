#!/usr/bin/env bash
# Counts what the story-engine benchmark costs under cachegrind: instructions and misses of a
# simulated 2 MiB last-level cache, per article. The counts do not depend on other work on
# the machine, so two builds compare on a shared machine where timings do not.
# Usage: scripts/count-engine.sh [ARTICLES]   (default 20000; 200000 takes a few minutes)
#        scripts/count-engine.sh TO FROM      (the engine alone on articles FROM..TO of the
#                                              1M stream, e.g. 230000 200000: a full window;
#                                              32 MiB L3 simulated; about ten minutes)
# Needs valgrind (Debian: apt-get install valgrind). The first form's counts include the
# bench's own generation of the stream (about a sixth of the instructions), which is the same
# for any build; the second counts only `Engine::add` (callgrind, `engine::counted`). Neither
# models hardware prefetching: misses on sequential scans are overstated.
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
if [ -n "${2:-}" ]; then
  from="$2"
  STORYD_BENCH_ARTICLES=1000000 STORYD_BENCH_STOP="$n" STORYD_BENCH_COUNT_FROM="$from" \
    valgrind --tool=callgrind --cache-sim=yes --LL=33554432,16,64 \
    --toggle-collect='engine::counted' --callgrind-out-file="$out" "$exe" >/dev/null 2>&1
  python3 -c 'import sys
path, n = sys.argv[1], int(sys.argv[2]) - int(sys.argv[3])
events = totals = None
for line in open(path):
    if line.startswith("events:"):
        events = line.split()[1:]
    if line.startswith(("summary:", "totals:")):
        totals = dict(zip(events, map(int, line.split()[1:])))
        break
if not totals:
    sys.exit("callgrind wrote no totals")
ir = totals["Ir"]
d1 = totals.get("D1mr", 0) + totals.get("D1mw", 0)
ll = totals.get("DLmr", 0) + totals.get("DLmw", 0)
print(f"articles {sys.argv[3]}-{sys.argv[2]} of the 1M stream, per article: "
      f"{ir / n:,.0f} instructions, {d1 / n:,.0f} L1 data misses, "
      f"{ll / n:,.1f} L3 data misses")' "$out" "$n" "$from"
  exit 0
fi
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
