"""Where a single-name check spends its time, stage by stage, on the names that take the full path.

    python benchmarks/check_stages.py            # the speed corpus (1,000,000 names, generated once into /tmp)
    python benchmarks/check_stages.py --n 200000
    python benchmarks/check_stages.py --registry /tmp/impostor-brands-100000.tsv   # with custom names (speed.py)

A Detector is warmed on the distinct names of the first half of the corpus; each distinct name of the second half
that the screen does not pass is then checked stage by stage (screen, normalize, learn, search, align, evidence,
decide), the first time and at once again (the difference is what a name met for the first time costs: cache
misses and memo misses).  Printed: median microseconds per stage for all full-path names, the blocked ones, and
the slowest eighth (where the check p99 of speed.py lies).  Wall-clock on a shared machine: compare stages within
one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import corpus  # noqa: E402

STAGES = ("screen", "normalize", "learn", "search", "align", "evidence", "decide", "total")


def stage_times(detector, name: str) -> tuple[dict[str, float], str]:
    from impostor.decide import Evidence

    clock = time.perf_counter
    t0 = clock()
    detector.index.plain(name)
    t1 = clock()
    normalized = detector.normalizer.normalize(name)
    t2 = clock()
    detector.index.learn(name)
    t3 = clock()
    tokens = normalized.tokens
    found = detector.index.search(tokens)
    t4 = clock()
    alignments = detector.scorer.align_all(found, tokens)
    t5 = clock()
    evidence = Evidence(normalized, alignments, detector._initials(normalized), detector.index.words)
    t6 = clock()
    verdict = detector.decider.decide(evidence)
    t7 = clock()
    times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6, t7 - t0)
    return dict(zip(STAGES, times)), verdict.decision


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="corpus size")
    parser.add_argument("--registry", action="append", default=[], help="a custom registry file (repeatable)")
    args = parser.parse_args()

    from impostor import Detector

    names = corpus(args.n).read_text(encoding="utf-8").split("\n")[: args.n]
    distinct = list(dict.fromkeys(names))
    detector = Detector(registries=args.registry)
    for name in distinct[: len(distinct) // 2]:
        detector.check(name)
    full = [name for name in distinct[len(distinct) // 2:] if not detector.index.plain(name)]
    rows = []
    for name in full:
        first, decision = stage_times(detector, name)
        again, _ = stage_times(detector, name)
        rows.append((first, again, decision))
    rows.sort(key=lambda row: row[0]["total"])
    groups = {"all full-path names": rows, "blocked": [row for row in rows if row[2] == "block"],
              "slowest eighth": rows[len(rows) * 7 // 8:]}
    print(f"{len(full):,} of {len(distinct) - len(distinct) // 2:,} distinct names take the full path")
    print("| names | n | " + " | ".join(STAGES) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in STAGES) + " |")
    for label, group in groups.items():
        cells = [f"{statistics.median(row[0][s] for row in group) * 1e6:.1f} / "
                 f"{statistics.median(row[1][s] for row in group) * 1e6:.1f}" for s in STAGES]
        print(f"| {label} | {len(group):,} | " + " | ".join(cells) + " |")
    print("(µs, median: the first check of a name / the same name at once again)")
    totals = [f"{sum(row[0][s] for row in rows):.2f}" for s in STAGES]
    print("seconds in all, first checks: " + ", ".join(f"{s} {t}" for s, t in zip(STAGES, totals)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
