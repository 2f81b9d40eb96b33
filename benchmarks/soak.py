"""Soak test: scan millions of names through `impostor scan --workers`, and show that memory stays flat and that
nothing is lost, duplicated or reordered.

    python benchmarks/soak.py                   # 10 million names, all cores: several minutes
    python benchmarks/soak.py --n 1000000       # a shorter run

The input is a CSV (id, name) built from the realistic corpus of `corpus.py`, cycled to N rows with ids 1..N. The
scan writes TSV to a pipe that this script reads as it comes, so the output never touches the disk: every output
row's id is hashed in order, and the count and the hash must equal the input's. The resident memory of the scan
(its process and all its workers) is sampled every second.

Writes benchmarks/results/soak.md and soak.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
IMPOSTOR = [sys.executable, "-c", "from impostor.cli import main; main()"]


def make_input(n: int) -> tuple[Path, str]:
    """The CSV input and the hash of its ids in order."""
    corpus = Path(tempfile.gettempdir()) / "impostor-corpus-1000000.txt"
    if not corpus.exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--n", "1000000", "--out",
                        str(corpus)], check=True)
    names = corpus.read_text(encoding="utf-8").splitlines()
    path = Path(tempfile.gettempdir()) / f"impostor-soak-{n}.csv"
    digest = hashlib.sha256()
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("id,name\n")
        for i in range(1, n + 1):
            name = names[(i - 1) % len(names)].replace('"', '""')
            out.write(f'{i},"{name}"\n')
            digest.update(f"{i}\n".encode())
    return path, digest.hexdigest()


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--workers", default="0")
    args = parser.parse_args()

    path, expected = make_input(args.n)
    cmd = IMPOSTOR + ["--no-config", "scan", str(path), "--id-column", "id", "--format", "tsv", "-j", args.workers,
                      "-q"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter() - started, tree_rss_mb(proc.pid)))
            done.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    digest = hashlib.sha256()
    rows = 0
    decisions: dict[str, int] = {}
    assert proc.stdout is not None
    header = proc.stdout.readline().decode().rstrip("\n").split("\t")
    id_at, decision_at = header.index("id"), header.index("decision")
    for raw in proc.stdout:
        cells = raw.decode("utf-8").rstrip("\n").split("\t")
        digest.update(f"{cells[id_at]}\n".encode())
        decisions[cells[decision_at]] = decisions.get(cells[decision_at], 0) + 1
        rows += 1
    done.set()  # the output is complete: what follows is the workers shutting down
    sampler.join()
    code = proc.wait()
    seconds = time.perf_counter() - started

    rss = [mb for _, mb in samples if mb > 0]
    # The caches (characters seen, scored pairs, the memo of recent names) fill during the first part of a run and
    # are bounded; after that memory must not grow: compare the second half of the run with its end.
    second_half = [mb for t, mb in samples if t >= seconds / 2 and mb > 0] or rss
    last_tenth = [mb for t, mb in samples if t >= seconds * 0.9 and mb > 0] or rss
    figures = {
        "names": args.n, "workers": args.workers, "exit_status": code, "seconds": round(seconds, 1),
        "names_per_min": round(args.n / seconds * 60), "rows_out": rows, "rows_lost": args.n - rows,
        "ids_hash_in": expected, "ids_hash_out": digest.hexdigest(), "ids_match": digest.hexdigest() == expected,
        "decisions": decisions, "rss_mb_peak": round(max(rss), 1) if rss else None,
        "rss_mb_at_half_time": round(second_half[0], 1) if rss else None,
        "rss_mb_second_half_range": [round(min(second_half), 1), round(max(second_half), 1)] if rss else None,
        "rss_mb_last_tenth_mean": round(sum(last_tenth) / len(last_tenth), 1) if rss else None,
        "rss_samples": [[round(t, 1), round(mb, 1)] for t, mb in samples[:: max(1, len(samples) // 60)]],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    report = [
        "# Soak test",
        "",
        f"`python benchmarks/soak.py --n {args.n} --workers {args.workers}` on a shared 2-core machine: "
        f"`impostor scan` of a {args.n:,}-row CSV (id, name) with `--workers {args.workers}`, TSV piped to the checker.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| rows in / out | {args.n:,} / {rows:,} (lost: {args.n - rows}) |",
        f"| ids in order (SHA-256 of the id sequence) | {'identical' if figures['ids_match'] else 'DIFFERENT'} |",
        f"| exit status | {code} |",
        f"| time | {seconds:.0f} s ({figures['names_per_min']:,} names/min) |",
        f"| resident memory, scan and workers | peak {figures['rss_mb_peak']} MB; while the bounded caches fill it "
        f"grows, then stays flat: {figures['rss_mb_at_half_time']} MB at half time, "
        f"{figures['rss_mb_second_half_range'][0]}–{figures['rss_mb_second_half_range'][1]} MB over the second half, "
        f"{figures['rss_mb_last_tenth_mean']} MB mean over the last tenth |",
        f"| memory over time (s, MB) | {' '.join(f'{t:.0f}:{mb:.0f}' for t, mb in figures['rss_samples'][::6])} |",
        f"| decisions | {', '.join(f'{k} {v:,}' for k, v in sorted(decisions.items()))} |",
    ]
    (RESULTS / "soak.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    return 0 if code == 0 and figures["ids_match"] and rows == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
