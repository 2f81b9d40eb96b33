"""The scan pipeline behind ``impostor scan``: records in, one result row per record out, in order.

    inputs --read_records--> chunks --names new to the scan--> screen_names (in workers) --> verdicts
           --format_chunk--> (output rows, counts) --> Sink + Summary

The main process keeps a memo of verdicts by name, so a name is screened once per scan whichever worker meets it,
and only new names travel to the workers (with their verdict's JSON made there); it reads, formats and writes.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, Iterator

from . import kernel
from .decide import BLOCK, PASS, REVIEW, Verdict
from .detector import RECENT_NAMES, Detector
from .parallel import screen_chunks
from .records import OK, InputOptions, Record, Sink, delimited, escape_jsonl, flat, format_rows, read_batches

CHUNK = 4096
VERDICT_FIELDS = ("name", "decision", "score", "category", "target", "reasons")  # what Verdict.to_dict gives, but status
BASE_FIELDS = ("line", *VERDICT_FIELDS, "status")
ROW_FIELDS = {"file", "line", "id", "status", "lexicon_version"}  # what a row adds to its verdict
_name, _line, _status = operator.attrgetter("name"), operator.attrgetter("line"), operator.attrgetter("status")
_decision, _category = operator.attrgetter("decision"), operator.attrgetter("category")
_json_members = operator.attrgetter("json_members")
_first, _second = operator.itemgetter(0), operator.itemgetter(1)
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


def screen_names(detector: Detector, work: tuple[list[str], list[str | None] | None],
                 json_members: bool) -> list[Verdict]:
    """Screen names (with account ids, or None) into verdicts: the part of a scan that runs in the workers.  With
    ``json_members`` each verdict's JSON is made here too, and travels back with it."""
    names, ids = work
    # Names new to the scan (the memo is the caller's): check_many's own memo would only hold them twice.
    verdicts = [detector.check(name, account_id) for name, account_id in zip(names, ids or itertools.repeat(None))]
    if json_members:
        for verdict in verdicts:
            verdict.json_members  # noqa: B018 - a cached property: made here, on the worker's core
    return verdicts


def format_chunk(records: list[Record], verdicts: list[Verdict], fmt: str, fields: tuple[str, ...],
                 only: str | None, lexicon_version: str, members: list[bytes] | None = None) -> tuple[Any, Counter]:
    """One chunk's output (text, or records for Parquet) and its counts for the summary; ``members``: the verdicts'
    JSON members, when the caller has them at hand."""
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
        return jsonl_rows(records, verdicts, statuses, kept, fields, lexicon_version, members), counts
    if fmt in ("csv", "tsv"):
        return delimited_rows(records, verdicts, statuses, kept, fields, lexicon_version, fmt), counts
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
                   fields: tuple[str, ...], lexicon_version: str, fmt: str) -> str:
    """The CSV or TSV text of the ``kept`` rows, as ``format_rows`` writes it, from each verdict's cells."""
    before, after = _around_verdict(fields)
    tails = {status: [{"status": status, "lexicon_version": lexicon_version}[f] for f in after]
             for status in set(statuses)}
    rows = [[flat(getattr(records[i], f)) for f in before] + [*verdicts[i].cells, *tails[statuses[i]]] for i in kept]
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
    with_json = sink.fmt == "jsonl"
    task = functools.partial(screen_names, json_members=with_json)
    meter = ByteMeter()
    chunks = _chunks(_all_records(inputs, options, meter), summary)
    for records, verdicts, members in _screened(detector, chunks, workers, with_ids, with_json, task):
        payload, counts = format_chunk(records, verdicts, sink.fmt, sink.fields, only, detector.lexicon_version,
                                       members)
        sink.write(payload)
        summary.counts.update(counts)
        if progress is not None:
            progress.update(summary.rows, meter.done)
    summary.seconds = time.monotonic() - started
    if progress is not None:
        progress.close()
    return summary


def _screened(detector: Detector, chunks: Iterator[list[Record]], workers: int, with_ids: bool, with_json: bool,
              task: Callable[[Detector, Any], list[Verdict]]
              ) -> Iterator[tuple[list[Record], list[Verdict], list[bytes] | None]]:
    """Each chunk with its verdicts (and ``with_json``, their JSON members), in order.  Verdicts of names met before
    come from a memo here, so the workers screen only names new to the whole scan, each once, whichever worker meets
    it (account tables repeat names a lot), and rows never travel to the workers."""
    # By name: the verdict and its JSON members, side by side in a tuple, as reading them from the verdict would
    # cost a cache miss or two per row.
    memo: dict[Any, tuple[Verdict, bytes | None]] = {}
    pending: deque = deque()

    def work() -> Iterator[tuple[list[str], list[str | None] | None]]:
        for records in chunks:
            keys = [(r.name, r.id) for r in records] if with_ids else list(map(_name, records))
            known = list(map(memo.get, keys))
            missing = list(itertools.compress(range(len(keys)), map(operator.not_, known)))
            new = list(dict.fromkeys(map(keys.__getitem__, missing)))
            pending.append((records, keys, known, missing, new))
            yield ([k[0] for k in new], [k[1] for k in new]) if with_ids else (new, None)

    for fresh in screen_chunks(detector, work(), workers, task):
        records, keys, known, missing, new = pending.popleft()
        if len(memo) + len(fresh) > RECENT_NAMES:
            memo.clear()
        found = dict(zip(new, [(verdict, verdict.json_members if with_json else None) for verdict in fresh]))
        memo.update(found)
        for i in missing:
            known[i] = found[keys[i]]
        yield records, list(map(_first, known)), list(map(_second, known)) if with_json else None


def _all_records(inputs: list[str], options: InputOptions, meter: ByteMeter) -> Iterator[list[Record]]:
    for path in inputs:
        yield from read_batches(path, options, opened=meter.track)
        meter.next_file(path)


def _chunks(batches: Iterator[list[Record]], summary: Summary) -> Iterator[list[Record]]:
    """The records again in lists of CHUNK (the last one shorter)."""
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
