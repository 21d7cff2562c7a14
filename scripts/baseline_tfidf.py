#!/usr/bin/env python3
"""Plain TF-IDF-centroid story clusterer: the baseline storyd's engine is compared with.

Reads articles as JSON Lines ({"id","title","summary","published"}, in stream order),
files each into the active story whose TF-IDF centroid is most similar (cosine, title
counted twice plus the lead, document frequencies counted online), found through an
inverted index over the stories, or founds a new story below the threshold. Stories quiet
for longer than the window leave the index. Prints articles per second per slice, like
`cargo bench --bench engine`. Standard library only.

usage: baseline_tfidf.py FILE [--threshold 0.2] [--window-hours 72]
"""
import argparse
import collections
import json
import math
import re
import resource
import time
from datetime import datetime

WORD = re.compile(r"\w+")
STOP = set("""a about after all also an and are as at be been but by can could did do for
from had has have he her his i if in into is it its more new no not of on or our out over
said says she so some than that the their them there they this to up was we were what when
which who will with would you""".split())
MARKS = [10_000, 20_000, 50_000, 100_000, 200_000, 400_000, 700_000, 1_000_000]


class Clusterer:
    def __init__(self, threshold, window):
        self.threshold, self.window = threshold, window
        self.df = collections.Counter()
        self.docs = 0
        self.centroids = {}  # story -> {term: weight}
        self.norms = {}
        self.updated = {}
        self.index = collections.defaultdict(set)  # term -> stories
        self.next_story = 0

    def idf(self, term):
        return math.log((self.docs + 1) / (self.df[term] + 1)) + 1

    def add(self, title, summary, now):
        self.expire(now)
        terms = [w for w in WORD.findall(title.lower()) if w not in STOP] * 2
        terms += [w for w in WORD.findall(summary.lower()) if w not in STOP]
        self.docs += 1
        self.df.update(set(terms))
        tf = collections.Counter(terms)
        vec = {t: (1 + math.log(c)) * self.idf(t) for t, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in vec.values())) or 1.0
        vec = {t: x / norm for t, x in vec.items()}
        candidates = set()
        for t in vec:
            candidates |= self.index.get(t, set())
        best, best_score = None, 0.0
        for s in candidates:
            c = self.centroids[s]
            score = sum(x * c.get(t, 0.0) for t, x in vec.items()) / self.norms[s]
            if score > best_score:
                best, best_score = s, score
        if best is None or best_score < self.threshold:
            best = self.next_story
            self.next_story += 1
            self.centroids[best] = {}
        c = self.centroids[best]
        for t, x in vec.items():
            c[t] = c.get(t, 0.0) + x
            self.index[t].add(best)
        self.norms[best] = math.sqrt(sum(x * x for x in c.values())) or 1.0
        self.updated[best] = now
        return best

    def expire(self, now):
        gone = [s for s, t in self.updated.items() if now - t > self.window]
        for s in gone:
            for t in self.centroids.pop(s):
                self.index[t].discard(s)
                if not self.index[t]:
                    del self.index[t]
            del self.norms[s], self.updated[s]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--threshold", type=float, default=0.2)
    ap.add_argument("--window-hours", type=float, default=72)
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.file, encoding="utf-8") if line.strip()]
    total = len(rows)
    marks = [m for m in MARKS if m < total] + [total]
    engine = Clusterer(args.threshold, args.window_hours * 3600)
    print(f"python tf-idf centroid baseline: {total} articles")
    print("  articles   slice art/s   stories open   peak RSS MiB")
    done, all_secs = 0, 0.0
    for mark in marks:
        start, t0 = done, time.perf_counter()
        while done < mark:
            r = rows[done]
            now = datetime.fromisoformat(r["published"]).timestamp()
            engine.add(r.get("title") or "", r.get("summary") or "", now)
            done += 1
        secs = time.perf_counter() - t0
        all_secs += secs
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{done:>10}   {(done - start) / max(secs, 1e-9):>11.0f}   "
              f"{len(engine.centroids):>12}   {peak:>12.1f}")
    print(f"overall: {done / max(all_secs, 1e-9):.0f} articles/s")


if __name__ == "__main__":
    main()
