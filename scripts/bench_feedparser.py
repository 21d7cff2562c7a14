"""The feedparser side of benchmark 1 (benches/parse.rs runs it on the same files).

Usage: bench_feedparser.py FILE_LIST SECONDS RUNS
Parses every file named in FILE_LIST over and over for about SECONDS, RUNS times, and prints
one JSON object: feedparser's version and the median MB/s and items/s.
"""

import json
import statistics
import sys
import time

import feedparser


def main():
    list_path, seconds, runs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    with open(list_path, encoding="utf-8") as f:
        paths = [line for line in f.read().splitlines() if line]
    bodies = []
    for path in paths:
        with open(path, "rb") as f:
            bodies.append(f.read())
    mb_s, items_s = [], []
    for _ in range(runs):
        started = time.perf_counter()
        total_bytes = items = 0
        while True:
            for body in bodies:
                items += len(feedparser.parse(body).entries)
                total_bytes += len(body)
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
        mb_s.append(total_bytes / elapsed / 1e6)
        items_s.append(items / elapsed)
    print(
        json.dumps(
            {
                "version": feedparser.__version__,
                "mb_s": statistics.median(mb_s),
                "items_s": statistics.median(items_s),
            }
        )
    )


if __name__ == "__main__":
    main()
