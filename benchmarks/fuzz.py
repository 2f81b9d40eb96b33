"""Fuzz the screening and scan paths with hypothesis at high example counts.

    python benchmarks/fuzz.py                     # about 5 minutes on 2 cores
    python benchmarks/fuzz.py --names 2000 --files 200   # a quick run

Two targets:
  * names: arbitrary Unicode strings, biased towards registry names, their disguises and hostile code points
    (bidi controls, tags, variation selectors, surrogates' neighbours, NUL): ``Detector.check`` must return a
    well-formed verdict and normalization must be idempotent;
  * files: arbitrary bytes as text, CSV, TSV and JSONL files, gzip-compressed or not, scanned through the same
    path as ``impostor scan``: every record must yield exactly one row, in order, and nothing may raise except
    a one-line ``InputError`` (a corrupt gzip stream).

Writes benchmarks/results/fuzz.md (counts and findings) and benchmarks/results/fuzz-corpus.jsonl (a sample of
the inputs tried, escaped as JSON, so a run can be looked at and replayed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impostor import Detector
from impostor.normalize import MAX_NAME_CHARS
from impostor.output import Sink
from impostor.records import InputError, InputOptions, read_records
from impostor.scan import output_fields, run_scan

RESULTS = Path(__file__).resolve().parent / "results"
HOSTILE = ["人民日报", "入民曰報", "央视新闻", "CCTV", "ССТV", "renminribao", "四川本地", "夏爽律师", "首发", "官方",
           "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\ufe0f", "\U000e0041", "\U000e0100", "⿰", "㊥", "ㄖ",
           "\x00", "\r", "\n", "\t", "\"", ",", "'", "\\", "{", "}", "★", "🇨🇳", "𝐂", "ﷺ", "\u0301" * 30]
NAMES = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6),
                           st.text(alphabet=st.characters(codec="utf-8"), max_size=3)), max_size=16).map("".join)
# Lines that once lost rows or aborted a scan: a JSON escape of half a UTF-16 pair, nesting deeper than the JSON
# parser recurses, a number of more than 4,300 digits, quotes that are never closed or text after a closing one,
# a bare carriage return.
HOSTILE_LINES = [b'{"name": "\\ud800"}', b'{"name": "x", "id": "\\udfff"}', b"[" * 100_000 + b"]" * 100_000,
                 b'{"name": ' + b"1" * 5000 + b"}", b'15,"\xe5\x85\xa5\xe6\xb0\x91', b'"a"b,c', b'x,"y', b"a\rb",
                 b"\r", b'"', b'""', b'\t"\t', b'{"name": "\\u2028\\r\\n\\t,\\""}']
LINES = st.lists(st.one_of(NAMES.map(lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=60),
                           st.sampled_from(HOSTILE_LINES)), max_size=25)
FORMATS = ["text", "csv", "tsv", "jsonl"]
OUTPUTS = ["jsonl", "csv", "tsv"]


@contextmanager
def recorded(findings: list, item: dict) -> Iterator[None]:
    """A failure is recorded with its input, then re-raised so that hypothesis shrinks it."""
    try:
        yield
    except Exception as exc:
        findings.append({**item, "error": f"{type(exc).__name__}: {exc}"})
        raise


def run_reporting(test: Callable[[], None]) -> None:
    """Run a hypothesis test to its end; its (shrunk) failure is printed, and the run goes on to the report."""
    try:
        test()
    except Exception:
        traceback.print_exc()


def fuzz_names(detector: Detector, count: int, corpus: list, findings: list) -> int:
    tried = 0

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(name=NAMES)
    def run(name: str) -> None:
        nonlocal tried
        tried += 1
        if tried % 200 == 0:
            corpus.append({"target": "names", "input": name})
        with recorded(findings, {"target": "names", "input": name}):
            verdict = detector.check(name)
            assert verdict.decision in ("block", "review", "pass") and 0 <= verdict.score <= 1
            json.dumps(verdict.to_dict(), ensure_ascii=False)
            normalized = detector.normalize(name)
            if len(normalized.variant) <= MAX_NAME_CHARS:
                assert detector.normalize(normalized.variant).variant == normalized.variant, "not idempotent"

    run_reporting(run)
    return tried


def expected_records(fmt: str, lines: list[bytes]) -> int | None:
    """Records a reader must yield: one per line for text and JSONL; CSV quoting may join lines (checked apart)."""
    return len(lines) if fmt in ("text", "jsonl") else None


def check_quoted_records(rows: list[dict], lines: list[bytes], fmt: str) -> None:
    """A CSV/TSV record spans several lines only where a quote opened on its first line is closed on its last: an
    unclosed quote must never swallow the lines after it.  Every line belongs to exactly one record."""
    starts = [r["line"] for r in rows]
    header = 1 if starts and starts[0] == 2 else 0
    bounds = starts + [len(lines) + 1]
    assert starts == sorted(set(starts)) and (not starts or starts[0] in (1, 2)), starts
    for start, end in zip(bounds, bounds[1:]):
        if end - start > 1:
            assert b'"' in lines[start - 1] and b'"' in lines[end - 2], (fmt, start, end, lines[start - 1][:80])
    if not rows:
        assert len(lines) <= header + 1 or all(not line.strip() for line in lines), lines[:3]


def read_back(fmt: str, text: str) -> list[dict]:
    """A scan's output rows, as a reader of that format reads them (TSV: backslash escapes, as CLI.md says)."""
    import csv
    import io

    if fmt == "jsonl":
        return [json.loads(line) for line in text.split("\n")[:-1]]
    if fmt == "csv":
        return [dict(r, line=int(r["line"])) for r in csv.DictReader(io.StringIO(text, newline=""))]
    lines = text.split("\n")[:-1]
    head = lines[0].split("\t")
    escapes = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == len(head), line
        row = {}
        for key, cell in zip(head, cells):
            out, i = [], 0
            while i < len(cell):
                pair = cell[i:i + 2]
                out.append(escapes.get(pair, cell[i]))
                i += 2 if pair in escapes else 1
            row[key] = "".join(out)
        rows.append(dict(row, line=int(row["line"])))
    return rows


def fuzz_files(detector: Detector, count: int, corpus: list, findings: list, statuses: Counter) -> int:
    tried = 0
    tmp = Path(tempfile.mkdtemp(prefix="impostor-fuzz-"))

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(lines=LINES, fmt=st.sampled_from(FORMATS), output=st.sampled_from(OUTPUTS), compress=st.booleans(),
           cut=st.booleans())
    def run(lines: list[bytes], fmt: str, output: str, compress: bool, cut: bool) -> None:
        nonlocal tried
        tried += 1
        lines = [line.replace(b"\n", b" ") for line in lines]
        data = b"\n".join(lines) + (b"\n" if lines else b"")
        if compress:
            data = gzip.compress(data)
            if cut and len(data) > 20:
                data = data[: len(data) // 2]  # a truncated gzip stream: must be a clean InputError
        src = tmp / f"input.{fmt}"
        src.write_bytes(data)
        out = tmp / f"out.{output}"
        if tried % 50 == 0:
            corpus.append({"target": "files", "format": fmt, "gzip": compress, "input": data.decode("latin-1")})
        with recorded(findings, {"target": "files", "format": fmt, "gzip": compress,
                                 "input": data.decode("latin-1")}):
            scan_once(src, out, fmt, output, lines, data, statuses)

    run_reporting(run)
    return tried


def scan_once(src: Path, out: Path, fmt: str, output: str, lines: list[bytes], data: bytes,
              statuses: Counter) -> None:
    fields = output_fields(False, False, False)
    try:
        with Sink(str(out), output, fields) as sink:
            summary = run_scan(Detector.shared, [str(src)], InputOptions(format=fmt), sink)
    except InputError as exc:
        statuses["InputError"] += 1
        # Only a broken gzip stream, or a header without the name column, stops a file.
        assert data.startswith(b"\x1f\x8b\x08") or "column" in str(exc), f"unexpected InputError: {exc}"
        return
    rows = read_back(output, out.read_bytes().decode("utf-8"))
    statuses.update(r["status"] for r in rows)
    assert len(rows) == summary.rows
    records = [r.name for r in read_records(str(src), InputOptions(format=fmt))]
    assert [r["name"] for r in rows] == records, "a name did not survive the output format"
    want = expected_records(fmt, lines)
    if want is not None:
        assert len(rows) == want, (fmt, len(rows), want)
        assert [r["line"] for r in rows] == list(range(1, want + 1))
    elif not data.startswith(b"\x1f\x8b\x08"):
        # CSV's lines end at LF, CR or CRLF (as the csv module reads them); the last one ends the file.
        physical = re.split(b"\r\n|\r|\n", data)[:-1] if data else []
        check_quoted_records(rows, physical, fmt)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=30_000)
    parser.add_argument("--files", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    detector = Detector.shared = Detector()
    corpus: list = []
    findings: list = []
    statuses: Counter = Counter()
    started = time.perf_counter()
    names = fuzz_names(detector, args.names, corpus, findings)
    files = fuzz_files(detector, args.files, corpus, findings, statuses)
    seconds = time.perf_counter() - started
    RESULTS.mkdir(exist_ok=True)
    # hypothesis shrinks a failure through many inputs: keep the shortest input per distinct error
    shortest: dict = {}
    for finding in findings:
        known = shortest.get(finding["error"])
        if known is None or len(finding["input"]) < len(known["input"]):
            shortest[finding["error"]] = finding
    findings = list(shortest.values())
    with open(RESULTS / "fuzz-corpus.jsonl", "w", encoding="utf-8") as out:
        for item in corpus + findings:
            out.write(json.dumps(item, ensure_ascii=True) + "\n")
    report = [
        "# Fuzzing the screening and scan paths",
        "",
        f"`python benchmarks/fuzz.py --names {args.names} --files {args.files}`: {seconds:.0f} s, "
        f"hypothesis {sys.modules['hypothesis'].__version__}.",
        "",
        "| target | inputs tried | failures |",
        "| --- | ---: | ---: |",
        f"| names (`Detector.check`, idempotent normalization) | {names:,} | "
        f"{sum(f['target'] == 'names' for f in findings)} |",
        f"| files (text, CSV, TSV, JSONL; gzip, truncated gzip) through the scan path, written as JSONL, CSV or TSV "
        f"and read back | {files:,} | "
        f"{sum(f['target'] == 'files' for f in findings)} |",
        "",
        "Row statuses seen in the scanned files: "
        + ", ".join(f"{k} {v:,}" for k, v in statuses.most_common()) + ".",
        "",
        "Findings: " + ("none." if not findings else ""),
    ]
    report += [f"- `{f['error']}` on {json.dumps(f['input'][:80], ensure_ascii=True)}" for f in findings]
    report += ["", "A sample of the inputs (and every failing one) is in `fuzz-corpus.jsonl`."]
    (RESULTS / "fuzz.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
