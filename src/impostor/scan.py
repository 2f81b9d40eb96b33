"""The scan pipeline behind ``impostor scan``: records in, one result row per record out, in order.

    inputs --read_records--> chunks --screen_chunk (in workers)--> (formatted rows, counts) --> Sink + Summary

Rows are screened *and formatted* where they are screened (in the workers with ``--workers``), so the main process
only reads, writes and counts.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator

from .decide import BLOCK, PASS, REVIEW, Verdict
from .detector import Detector
from .parallel import screen_chunks
from .records import OK, InputOptions, Record, Sink, escape_jsonl, format_rows, read_records

CHUNK = 4096
VERDICT_FIELDS = ("name", "decision", "score", "category", "target", "reasons")  # what Verdict.to_dict gives, but status
BASE_FIELDS = ("line", *VERDICT_FIELDS, "status")
ROW_FIELDS = {"file", "line", "id", "status", "lexicon_version"}  # what a row adds to its verdict
ONLY = {"flagged": {BLOCK, REVIEW}, "block": {BLOCK}, "review": {REVIEW}}
FAIL_ON = {"block": {BLOCK}, "review": {BLOCK, REVIEW}}  # --fail-on review: anything a person must look at


def output_fields(multiple_inputs: bool, with_ids: bool, with_version: bool) -> tuple[str, ...]:
    fields = list(BASE_FIELDS)
    if with_ids:
        fields.insert(1, "id")
    if multiple_inputs:
        fields.insert(0, "file")
    if with_version:
        fields.append("lexicon_version")
    return tuple(fields)


def screen_chunk(detector: Detector, records: list[Record], fmt: str, fields: tuple[str, ...],
                 only: str | None) -> tuple[Any, Counter]:
    """Screen one chunk; returns its output (text, or records for Parquet) and counts for the summary."""
    names = [r.name for r in records]
    # Account ids matter only to the allowlist; without one, repeated names are screened once (check_many's memo).
    ids = [r.id for r in records] if detector.allowlist_path is not None and "id" in fields else None
    verdicts = detector.check_many(names, ids)
    statuses = [r.status if r.status != OK else v.status for r, v in zip(records, verdicts)]
    counts: Counter = Counter(("decision", v.decision) for v in verdicts)
    counts.update(("category", v.category) for v in verdicts if v.category)
    counts.update(("status", s) for s in statuses if s != OK)
    kept = range(len(records))
    if only:
        keep = ONLY[only]
        kept = [i for i, v in enumerate(verdicts) if v.decision in keep]
    if fmt == "jsonl":
        return jsonl_rows(records, verdicts, statuses, kept, fields, detector.lexicon_version), counts
    rows = []
    for i in kept:
        record = records[i]
        row = verdicts[i].to_dict()
        row.update(file=record.file, line=record.line, id=record.id, status=statuses[i],
                   lexicon_version=detector.lexicon_version)
        rows.append(row)
    return format_rows(rows, fields, fmt), counts


def jsonl_rows(records: list[Record], verdicts: list[Verdict], statuses: list[str], kept: Iterable[int],
               fields: tuple[str, ...], lexicon_version: str) -> str:
    """The JSONL text of the ``kept`` rows, as ``format_rows`` writes it, but from each verdict's JSON members (made
    once per verdict, and a verdict is shared by every row of its name): this is the hot path of ``scan``."""
    first, last = fields.index(VERDICT_FIELDS[0]), fields.index(VERDICT_FIELDS[-1])
    if fields[first:last + 1] != VERDICT_FIELDS or not set(fields) <= ROW_FIELDS | set(VERDICT_FIELDS):
        raise ValueError(f"unexpected output fields {fields}")
    before, after = fields[:first], fields[last + 1:]
    dumps = functools.partial(json.dumps, ensure_ascii=False)
    tails = {status: "".join(f", {dumps(f)}: {dumps({'status': status, 'lexicon_version': lexicon_version}[f])}"
                             for f in after) + "}\n"
             for status in set(statuses)}
    if before == ("line",):
        lines = [f'{{"line": {records[i].line}, {verdicts[i].json_members}{tails[statuses[i]]}' for i in kept]
    else:
        lines = ["{" + "".join(f"{dumps(f)}: {dumps(getattr(records[i], f))}, " for f in before)
                 + verdicts[i].json_members + tails[statuses[i]] for i in kept]
    return escape_jsonl("".join(lines))


@dataclass
class Summary:
    rows: int = 0
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def of(self, kind: str) -> dict[str, int]:
        return {key: n for (k, key), n in self.counts.most_common() if k == kind}

    @property
    def per_minute(self) -> float:
        return self.rows / self.seconds * 60 if self.seconds > 0 else 0.0

    def found(self, decisions: set[str]) -> bool:
        return any(self.counts["decision", d] for d in decisions)

    def lines(self) -> list[str]:
        decisions = self.of("decision")
        head = (f"impostor: {self.rows:,} rows in {self.seconds:.1f} s ({human(self.per_minute)} names/min): "
                + ", ".join(f"{d} {decisions.get(d, 0):,}" for d in (BLOCK, REVIEW, PASS)))
        out = [head]
        if self.of("category"):
            out.append("  by category: " + ", ".join(f"{c} {n:,}" for c, n in self.of("category").items()))
        statuses = self.of("status")
        if statuses:
            out.append("  rows with a status: " + ", ".join(f"{s} {n:,}" for s, n in statuses.items()))
        if statuses.get("invalid-encoding"):
            out.append("  some rows are not in the input encoding: for GB18030 or GBK files, try --encoding gb18030")
        return out


def human(rate: float) -> str:
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= size:
            return f"{rate / size:.2f}{unit}"
    return f"{rate:.0f}"


class Progress:
    """One self-overwriting status line on a terminal: rows, rate and, for files, percentage and ETA."""

    INTERVAL = 0.25

    def __init__(self, stream: IO[str], total_bytes: int | None) -> None:
        self.stream, self.total = stream, total_bytes
        self.started = self.last = time.monotonic()
        self.shown = False

    def update(self, rows: int, bytes_read: int) -> None:
        now = time.monotonic()
        if now - self.last < self.INTERVAL:
            return
        self.last = now
        elapsed = now - self.started
        text = f"scanning: {rows:,} rows, {human(rows / elapsed * 60 if elapsed else 0)} names/min"
        if self.total and bytes_read:
            share = min(bytes_read / self.total, 1.0)
            eta = elapsed * (1 - share) / share if share else 0
            text += f", {share:.0%}, ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        self.stream.write("\r" + text.ljust(72))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 72 + "\r")
            self.stream.flush()


class ByteMeter:
    """How far the reader has got through the input files, in bytes read from disk (compressed ones for gzip)."""

    def __init__(self) -> None:
        self.finished = 0
        self.current: IO[bytes] | None = None

    def track(self, raw: IO[bytes]) -> None:
        self.current = raw

    def next_file(self, path: str) -> None:
        if path != "-" and os.path.isfile(path):
            self.finished += os.path.getsize(path)
        self.current = None

    @property
    def done(self) -> int:
        try:
            return self.finished + (self.current.tell() if self.current is not None else 0)
        except (OSError, ValueError):  # closed, or not seekable
            return self.finished


def input_size(paths: list[str]) -> int | None:
    try:
        return sum(os.path.getsize(p) for p in paths) if "-" not in paths else None
    except OSError:
        return None


def run_scan(detector: Detector, inputs: list[str], options: InputOptions, sink: Sink, *, workers: int = 1,
             only: str | None = None, progress: Progress | None = None) -> Summary:
    """Screen every record of ``inputs`` into ``sink``; returns the counts."""
    summary = Summary()
    started = time.monotonic()
    task = functools.partial(screen_chunk, fmt=sink.fmt, fields=sink.fields, only=only)
    meter = ByteMeter()
    records = _all_records(inputs, options, meter)
    for payload, counts in screen_chunks(detector, _chunks(records, summary), workers, task):
        sink.write(payload)
        summary.counts.update(counts)
        if progress is not None:
            progress.update(summary.rows, meter.done)
    summary.seconds = time.monotonic() - started
    if progress is not None:
        progress.close()
    return summary


def _all_records(inputs: list[str], options: InputOptions, meter: ByteMeter) -> Iterator[Record]:
    for path in inputs:
        yield from read_records(path, options, opened=meter.track)
        meter.next_file(path)


def _chunks(records: Iterator[Record], summary: Summary) -> Iterator[list[Record]]:
    while chunk := list(itertools.islice(records, CHUNK)):
        summary.rows += len(chunk)
        yield chunk

