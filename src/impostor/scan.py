"""The scan pipeline behind ``impostor scan``: records in, one result row per record out, in order.

    inputs --read_batches--> chunks of records --scan_chunk (in the worker processes, or in this one)-->
           VerdictMemo: names met before, and screen_names for the new ones --> format_chunk --> (output, counts)
           --> Sink + Summary, in input order

Each process that screens chunks keeps its own memo of verdicts by name, and formats its chunks' output too: the
main process only reads, sends chunks (as columns: see Rows) and writes what comes back.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, Iterator

from . import kernel
from .decide import BLOCK, PASS, REVIEW, Verdict
from .detector import RECENT_NAMES, Detector
from .parallel import screen_chunks
from .records import (OK, InputOptions, Record, Sink, delimited, escape_jsonl, flat, format_rows, new_record,
                      read_batches)

CHUNK = 4096
VERDICT_FIELDS = ("name", "decision", "score", "category", "target", "reasons")  # what Verdict.to_dict gives, but status
BASE_FIELDS = ("line", *VERDICT_FIELDS, "status")
ROW_FIELDS = {"file", "line", "id", "status", "lexicon_version"}  # what a row adds to its verdict
_name, _line, _status = operator.attrgetter("name"), operator.attrgetter("line"), operator.attrgetter("status")
_decision, _category = operator.attrgetter("decision"), operator.attrgetter("category")
_json_members, _cells = operator.attrgetter("json_members"), operator.attrgetter("cells")  # see OUTPUT_FORMS
_first, _second = operator.itemgetter(0), operator.itemgetter(1)
_scan_ids = itertools.count()
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


def screen_names(detector: Detector, names: list[str], ids: list[str | None] | None) -> list[Verdict]:
    """Screen names (with account ids, or None) into verdicts."""
    # Names new to the scan (the memo is the caller's): check_many's own memo would only hold them twice.
    return [detector.check(name, account_id) for name, account_id in zip(names, ids or itertools.repeat(None))]


OUTPUT_FORMS: dict[str, Callable[[Verdict], Any]] = {"jsonl": _json_members, "csv": _cells, "tsv": _cells}


class VerdictMemo:
    """The verdicts of the names one process met in a scan, by name, each with its output form beside it in a tuple
    (JSON members or CSV cells, made once per name; reading them from the verdict would cost a cache miss or two
    per row): account tables repeat names a lot, so each name is screened once per process.  Emptied when full."""

    def __init__(self, fmt: str) -> None:
        self.form = OUTPUT_FORMS.get(fmt)  # None: Parquet rows are made from the verdicts
        self.entries: dict[Any, tuple[Verdict, Any]] = {}

    def verdicts(self, detector: Detector, records: list[Record], with_ids: bool) -> tuple[list[Verdict], list | None]:
        """The verdict of each record and its output form, screening the names met for the first time."""
        keys = [(r.name, r.id) for r in records] if with_ids else list(map(_name, records))
        known = list(map(self.entries.get, keys))
        missing = list(itertools.compress(range(len(keys)), map(operator.not_, known)))
        if missing:
            new = list(dict.fromkeys(map(keys.__getitem__, missing)))
            fresh = (screen_names(detector, [k[0] for k in new], [k[1] for k in new]) if with_ids
                     else screen_names(detector, new, None))
            if len(self.entries) + len(new) > RECENT_NAMES:
                self.entries.clear()
            forms = map(self.form, fresh) if self.form is not None else itertools.repeat(None)
            found = dict(zip(new, zip(fresh, forms)))
            self.entries.update(found)
            for i in missing:
                known[i] = found[keys[i]]
        return list(map(_first, known)), list(map(_second, known)) if self.form is not None else None


_memos: dict[str, VerdictMemo] = {}  # by scan: the memo of each scan this process screens chunks of


def scan_chunk(detector: Detector, records: list[Record], *, scan: str, fmt: str, fields: tuple[str, ...],
               only: str | None, lexicon_version: str, with_ids: bool) -> tuple[Any, Counter]:
    """One chunk of a scan, records in, its output and counts out: what each worker process does (or the scanning
    process itself, with one worker).  ``scan`` names the scan, whose memo of verdicts the process keeps."""
    memo = _memos.get(scan)
    if memo is None:
        memo = _memos[scan] = VerdictMemo(fmt)
    verdicts, forms = memo.verdicts(detector, records, with_ids)
    return format_chunk(records, verdicts, fmt, fields, only, lexicon_version, forms)


class Rows(list):
    """A chunk of records that travels to a worker process as five columns: pickled one by one, records would cost
    several times more than the screening saved by the worker."""

    def __reduce__(self) -> tuple[Callable[..., list[Record]], tuple]:
        return _rows_from_columns, (tuple(zip(*self)),)


def _rows_from_columns(columns: tuple[tuple, ...]) -> list[Record]:
    return list(map(new_record, zip(*columns)))


def format_chunk(records: list[Record], verdicts: list[Verdict], fmt: str, fields: tuple[str, ...],
                 only: str | None, lexicon_version: str, forms: list | None = None) -> tuple[Any, Counter]:
    """One chunk's output (text, or records for Parquet) and its counts for the summary; ``forms``: the verdicts'
    output forms (OUTPUT_FORMS), when the caller has them at hand."""
    # A row's status is its record's, unless that is OK: then its verdict's (nearly always OK too).
    statuses = list(map(_status, records))
    if statuses.count(OK) == len(statuses):
        statuses = list(map(_status, verdicts))
    else:
        statuses = [s if s != OK else v.status for s, v in zip(statuses, verdicts)]
    counts: Counter = Counter()
    for kind, values, usual in (("decision", list(map(_decision, verdicts)), PASS),
                                ("category", list(map(_category, verdicts)), None), ("status", statuses, OK)):
        # Most chunks hold one value of a kind: list.count tells so faster than a Counter counts.
        tally = {usual: len(values)} if values.count(usual) == len(values) else Counter(values)
        counts.update({(kind, value): n for value, n in tally.items() if value and value != OK})
    kept = range(len(records))
    if only:
        keep = ONLY[only]
        kept = [i for i, v in enumerate(verdicts) if v.decision in keep]
    if fmt == "jsonl":
        return jsonl_rows(records, verdicts, statuses, kept, fields, lexicon_version, forms), counts
    if fmt in ("csv", "tsv"):
        return delimited_rows(records, verdicts, statuses, kept, fields, lexicon_version, fmt, forms), counts
    rows = []
    for i in kept:
        record = records[i]
        row = verdicts[i].to_dict()
        row.update(file=record.file, line=record.line, id=record.id, status=statuses[i],
                   lexicon_version=lexicon_version)
        rows.append(row)
    return format_rows(rows, fields, fmt), counts


def _around_verdict(fields: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The row's own fields before and after the verdict's (output_fields keeps the verdict's together)."""
    first, last = fields.index(VERDICT_FIELDS[0]), fields.index(VERDICT_FIELDS[-1])
    if fields[first:last + 1] != VERDICT_FIELDS or not set(fields) <= ROW_FIELDS | set(VERDICT_FIELDS):
        raise ValueError(f"unexpected output fields {fields}")
    return fields[:first], fields[last + 1:]


def delimited_rows(records: list[Record], verdicts: list[Verdict], statuses: list[str], kept: Iterable[int],
                   fields: tuple[str, ...], lexicon_version: str, fmt: str, cells: list[tuple] | None = None) -> str:
    """The CSV or TSV text of the ``kept`` rows, as ``format_rows`` writes it, from each verdict's cells (``cells``:
    those cells, when the caller has them at hand)."""
    before, after = _around_verdict(fields)
    if cells is None:
        cells = list(map(_cells, verdicts))
    tails = {status: [{"status": status, "lexicon_version": lexicon_version}[f] for f in after]
             for status in set(statuses)}
    rows = [[flat(getattr(records[i], f)) for f in before] + [*cells[i], *tails[statuses[i]]] for i in kept]
    return delimited(rows, fmt)


def jsonl_rows(records: list[Record], verdicts: list[Verdict], statuses: list[str], kept: Iterable[int],
               fields: tuple[str, ...], lexicon_version: str, members: list[bytes] | None = None) -> bytes:
    """The JSONL of the ``kept`` rows in UTF-8, as ``format_rows`` writes it, but from each verdict's JSON members
    (made once per verdict, and a verdict is shared by every row of its name; ``members``: those members, when the
    caller has them at hand): this is the hot path of ``scan``."""
    if members is None:
        members = list(map(_json_members, verdicts))
    before, after = _around_verdict(fields)
    dumps = functools.partial(json.dumps, ensure_ascii=False)
    tails = {status: escape_jsonl("".join(f", {dumps(f)}: {dumps({'status': status, 'lexicon_version': lexicon_version}[f])}"
                                          for f in after) + "}\n").encode()
             for status in set(statuses)}
    if not isinstance(kept, range):
        records, members, statuses = ([values[i] for i in kept] for values in (records, members, statuses))
    if before == ("line",) and len(tails) == 1:  # the common case: one bytes object for the chunk, none per row
        return join_rows(b'{"line": ', list(map(_line, records)), b", ", members, tails[statuses[0]])
    heads = [escape_jsonl("{" + "".join(f"{dumps(f)}: {dumps(getattr(record, f))}, " for f in before)).encode()
             for record in records]
    return b"".join(b"".join(row) for row in zip(heads, members, map(tails.__getitem__, statuses)))


def _join_rows(head: bytes, numbers: list[int], sep: bytes, texts: list[bytes], tail: bytes) -> bytes:
    """head + str(number) + sep + text + tail for every row, as one bytes object (the kernel's join_rows in
    Python)."""
    pieces = zip(itertools.repeat(head), map(b"%d".__mod__, numbers), itertools.repeat(sep), texts,
                 itertools.repeat(tail))
    return b"".join(itertools.chain.from_iterable(pieces))


join_rows = kernel.compiled.join_rows if kernel.compiled is not None else _join_rows


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
    # Account ids matter only to the allowlist; without one, a name's verdict is the same on every row.
    with_ids = detector.allowlist_path is not None and "id" in sink.fields
    scan = f"{os.getpid()}-{next(_scan_ids)}"
    task = functools.partial(scan_chunk, scan=scan, fmt=sink.fmt, fields=sink.fields, only=only,
                             lexicon_version=detector.lexicon_version, with_ids=with_ids)
    meter = ByteMeter()
    chunks = _chunks(_all_records(inputs, options, meter), summary)
    try:
        for payload, counts in screen_chunks(detector, chunks, workers, task):
            sink.write(payload)
            summary.counts.update(counts)
            if progress is not None:
                progress.update(summary.rows, meter.done)
    finally:
        _memos.pop(scan, None)
    summary.seconds = time.monotonic() - started
    if progress is not None:
        progress.close()
    return summary


def _all_records(inputs: list[str], options: InputOptions, meter: ByteMeter) -> Iterator[list[Record]]:
    for path in inputs:
        yield from read_batches(path, options, opened=meter.track)
        meter.next_file(path)


def _chunks(batches: Iterator[list[Record]], summary: Summary) -> Iterator[Rows]:
    """The records again in chunks of CHUNK (the last one shorter)."""
    chunk: list[Record] = []
    for batch in batches:
        chunk += batch
        while len(chunk) >= CHUNK:
            summary.rows += CHUNK
            yield Rows(chunk[:CHUNK])
            del chunk[:CHUNK]
    if chunk:
        summary.rows += len(chunk)
        yield Rows(chunk)
