"""The scan pipeline behind ``impostor scan``: records in, one result row per record out, in order.

    inputs --read--> units (blocks of text lines, or chunks of records) --claim--> the names never met before
           --describe (in the worker processes, or in this one)--> their verdicts, as row parts
           --fill the memo, then format the unit's rows--> Sink + Summary, in input order

The scanning process reads, keeps the memo of what each name's row says and writes; the workers only screen names
met for the first time, so each distinct name is screened once per scan however many workers there are.  Text
inputs take the line path (lines.py: raw lines are the memo keys, and the kernel makes the rows); other inputs, and
Parquet output, take the record path (RecordPath: names are the keys, output.format_chunk makes the rows).
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator

from .decide import BLOCK, PASS, REVIEW, Verdict
from .detector import RECENT_NAMES, Detector
from .lines import LineMemo, describe_lines
from .parallel import screen_chunks
from .output import ONLY, OUTPUT_FORMS, Sink, format_chunk, output_fields, row_head
from .records import BAD_QUOTE, InputOptions, Record, input_format, read_batches, read_line_blocks

__all__ = ["FAIL_ON", "ONLY", "Progress", "Summary", "input_size", "output_fields", "run_scan"]
CHUNK = 4096  # records per unit of the record path
LINE_BLOCK = 1 << 16  # bytes of text per unit of the line path (about 4,000 names)
_name, _first, _second = operator.attrgetter("name"), operator.itemgetter(0), operator.itemgetter(1)
FAIL_ON = {"block": {BLOCK}, "review": {BLOCK, REVIEW}}  # --fail-on review: anything a person must look at


def screen_names(detector: Detector, names: list[str], ids: list[str | None] | None) -> list[Verdict]:
    """Screen names (with account ids, or None) into verdicts."""
    # Names new to the scan (the memo is the caller's): check_many's own memo would only hold them twice.
    return [detector.check(name, account_id) for name, account_id in zip(names, ids or itertools.repeat(None))]


def describe_names(detector: Detector, keys: list, *, with_ids: bool, fmt: str) -> list[tuple[Verdict, Any]]:
    """Screen names met for the first time (keys: names, or (name, account id) pairs): each one's verdict and its
    output form (OUTPUT_FORMS: JSON members or CSV cells), made once per name.  What a worker does for the record
    path."""
    verdicts = (screen_names(detector, [k[0] for k in keys], [k[1] for k in keys]) if with_ids
                else screen_names(detector, keys, None))
    form = OUTPUT_FORMS.get(fmt)  # None: Parquet rows are made from the verdicts
    return list(zip(verdicts, map(form, verdicts) if form is not None else itertools.repeat(None)))


class RecordPath:
    """The record path: chunks of records, whose names (or (name, id) pairs, where an allowlist makes account ids
    matter) are the memo keys.  The memo is emptied when it holds RECENT_NAMES names; each chunk keeps the
    dictionary it was claimed against, so that never takes a verdict from under a chunk still in flight."""

    def __init__(self, detector: Detector, fmt: str, fields: tuple[str, ...], only: str | None,
                 with_ids: bool) -> None:
        self.fmt, self.fields, self.only, self.with_ids = fmt, fields, only, with_ids
        self.lexicon_version = detector.lexicon_version
        self.entries: dict[Any, tuple[Verdict, Any] | None] = {}
        self.task = functools.partial(describe_names, with_ids=with_ids, fmt=fmt)

    def claim(self, records: list[Record]) -> tuple[tuple, list]:
        """A chunk's unit (records, keys, dictionary) and its keys not met before, each once, marked as claimed."""
        if len(self.entries) >= RECENT_NAMES:
            self.entries = {}
        entries = self.entries
        keys = [(r.name, r.id) for r in records] if self.with_ids else list(map(_name, records))
        new = [key for key in dict.fromkeys(keys) if key not in entries]
        entries.update(dict.fromkeys(new))
        return (records, keys, entries), new

    def finish(self, unit: tuple, new: list, described: list) -> tuple[Any, Counter]:
        records, keys, entries = unit
        entries.update(zip(new, described))
        known = list(map(entries.__getitem__, keys))
        forms = list(map(_second, known)) if OUTPUT_FORMS.get(self.fmt) is not None else None
        return format_chunk(records, list(map(_first, known)), self.fmt, self.fields, self.only,
                            self.lexicon_version, forms)


class LinePath:
    """The line path (lines.py): blocks of text lines, whose raw bytes are the memo keys."""

    def __init__(self, detector: Detector, fmt: str, fields: tuple[str, ...], only: str | None,
                 encoding: str) -> None:
        self.memo = LineMemo(ONLY.get(only) if only else None)
        self.fmt, self.fields, self.lexicon_version = fmt, fields, detector.lexicon_version
        self.task = functools.partial(describe_lines, encoding=encoding, fmt=fmt, fields=fields,
                                      lexicon_version=detector.lexicon_version)

    def claim(self, block: tuple[str, int, bytes]) -> tuple[tuple, tuple[str, list[bytes]]]:
        label, first_line, data = block
        table, ids, first_new, new = self.memo.claim(data)
        return (label, first_line, table, ids, first_new), (label, new)

    def finish(self, unit: tuple, new: tuple[str, list[bytes]], described: list) -> tuple[bytes, Counter]:
        label, first_line, table, ids, first_new = unit
        self.memo.fill(table, first_new, described)
        head = row_head(label, self.fmt, self.fields)
        return self.memo.rows(table, ids, head, first_line)


def _run_units(detector: Detector, path: RecordPath | LinePath, units: Iterable, workers: int
               ) -> Iterator[tuple[Any, Counter]]:
    """Each unit's output and counts, in input order: claimed here as the workers ask for work, described by them,
    then filled and formatted here."""
    claimed: deque = deque()

    def work() -> Iterator:
        for unit in units:
            whole, new = path.claim(unit)
            claimed.append((whole, new))
            yield new

    for described in screen_chunks(detector, work(), workers, path.task):
        whole, new = claimed.popleft()
        yield path.finish(whole, new, described)


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
        if statuses.get(BAD_QUOTE):
            out.append(f"  warning: {statuses[BAD_QUOTE]:,} CSV/TSV records have quotes that do not pair up: each was "
                       "read from its first line alone, and the lines after it as records of their own")
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


PARALLEL_FROM_BYTES = 4 << 20  # inputs this large are screened on every core by default (as ripgrep does)


def default_workers(size: int | None) -> int:
    """Workers when none are asked for: one per core (0) for inputs of PARALLEL_FROM_BYTES or more, where starting
    them pays for itself; one for smaller inputs and for standard input, whose size is not known."""
    return 0 if size is not None and size >= PARALLEL_FROM_BYTES else 1


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
    meter = ByteMeter()
    path: RecordPath | LinePath
    if takes_line_path(inputs, options, sink.fmt):
        path = LinePath(detector, sink.fmt, sink.fields, only, options.encoding)
        units: Iterable = _line_blocks(inputs, options, meter, summary)
    else:
        # Account ids matter only to the allowlist; without one, a name's verdict is the same on every row.
        with_ids = detector.allowlist_path is not None and "id" in sink.fields
        path = RecordPath(detector, sink.fmt, sink.fields, only, with_ids)
        units = _chunks(_all_records(inputs, options, meter), summary)
    for payload, counts in _run_units(detector, path, units, workers):
        sink.write(payload)
        summary.counts.update(counts)
        if progress is not None:
            progress.update(summary.rows, meter.done)
    summary.seconds = time.monotonic() - started
    if progress is not None:
        progress.close()
    return summary


def takes_line_path(inputs: list[str], options: InputOptions, fmt: str) -> bool:
    """Text inputs only, and rows written as text: the line path (lines.py) gives the same rows faster."""
    return fmt != "parquet" and all(input_format(p, options) == "text" for p in inputs)


def _line_blocks(inputs: list[str], options: InputOptions, meter: ByteMeter,
                 summary: Summary) -> Iterator[tuple[str, int, bytes]]:
    for path in inputs:
        label = "<stdin>" if path == "-" else path
        for first_line, data in read_line_blocks(path, options, LINE_BLOCK, opened=meter.track):
            summary.rows += data.count(b"\n") + 1
            yield label, first_line, data
        meter.next_file(path)


def _all_records(inputs: list[str], options: InputOptions, meter: ByteMeter) -> Iterator[list[Record]]:
    for path in inputs:
        yield from read_batches(path, options, opened=meter.track)
        meter.next_file(path)


def _chunks(batches: Iterator[list[Record]], summary: Summary) -> Iterator[list[Record]]:
    """The records again in chunks of CHUNK (the last one shorter)."""
    chunk: list[Record] = []
    for batch in batches:
        chunk += batch
        while len(chunk) >= CHUNK:
            summary.rows += CHUNK
            yield chunk[:CHUNK]
            del chunk[:CHUNK]
    if chunk:
        summary.rows += len(chunk)
        yield chunk
