"""Rows of a scan's output: a chunk of records and their verdicts as JSONL, CSV or TSV text, or as records for
Parquet, in the order of ``output_fields``, and the counts the summary adds up."""

from __future__ import annotations

import functools
import itertools
import json
import operator
from collections import Counter
from typing import Any, Callable, Iterable

from . import kernel
from .decide import BLOCK, PASS, REVIEW, Verdict
from .records import OK, Record, delimited, escape_jsonl, flat, format_rows

VERDICT_FIELDS = ("name", "decision", "score", "category", "target", "reasons")  # what Verdict.to_dict gives, but status
BASE_FIELDS = ("line", *VERDICT_FIELDS, "status")
ROW_FIELDS = {"file", "line", "id", "status", "lexicon_version"}  # what a row adds to its verdict
ONLY = {"flagged": {BLOCK, REVIEW}, "block": {BLOCK}, "review": {REVIEW}}
_line, _status = operator.attrgetter("line"), operator.attrgetter("status")
_decision, _category = operator.attrgetter("decision"), operator.attrgetter("category")
_json_members, _cells = operator.attrgetter("json_members"), operator.attrgetter("cells")  # see OUTPUT_FORMS
_json_string = json.encoder.encode_basestring  # a str as JSON, as json.dumps(..., ensure_ascii=False) writes it


def output_fields(multiple_inputs: bool, with_ids: bool, with_version: bool) -> tuple[str, ...]:
    fields = list(BASE_FIELDS)
    if with_ids:
        fields.insert(1, "id")
    if multiple_inputs:
        fields.insert(0, "file")
    if with_version:
        fields.append("lexicon_version")
    return tuple(fields)


OUTPUT_FORMS: dict[str, Callable[[Verdict], Any]] = {"jsonl": _json_members, "csv": _cells, "tsv": _cells}


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
    # Each row's own fields (file, line, id) through a template: json.dumps per field would cost most of a row.
    template = "{" + "".join(f"{dumps(f)}: %s, " for f in before)
    own = map(operator.attrgetter(*before), records)
    values = own if len(before) > 1 else zip(own)  # attrgetter of one field gives the value, not a tuple
    heads = [escape_jsonl(template % tuple(map(_json_value, row))).encode() for row in values]
    return b"".join(b"".join(row) for row in zip(heads, members, map(tails.__getitem__, statuses)))


def _json_value(value: str | int | None) -> str:
    """A row's own field as JSON, as json.dumps(..., ensure_ascii=False) writes it."""
    return "null" if value is None else _json_string(value) if isinstance(value, str) else str(value)


def _join_rows(head: bytes, numbers: list[int], sep: bytes, texts: list[bytes], tail: bytes) -> bytes:
    """head + str(number) + sep + text + tail for every row, as one bytes object (the kernel's join_rows in
    Python)."""
    pieces = zip(itertools.repeat(head), map(b"%d".__mod__, numbers), itertools.repeat(sep), texts,
                 itertools.repeat(tail))
    return b"".join(itertools.chain.from_iterable(pieces))


join_rows = kernel.compiled.join_rows if kernel.compiled is not None else _join_rows
