"""The line path of a scan: text inputs screened line by line as raw bytes, without a Python object per row.

    raw blocks of lines --LineMemo.claim (kernel LineTable)--> each line's id, and the lines never met before
        --describe_lines (in a worker process, or in this one)--> each new line's row tail and kind
        --LineMemo.fill, then LineMemo.rows (LineTable again)--> the block's output and counts, in input order

A row is head + line number + tail: the head is the same for every row of a file (the file name, when there are
several), the tail is everything after the line number (the verdict and the status), and it depends only on the
line's bytes.  So the memo, line bytes → (tail, kind), lives in the scanning process: however many workers there
are, each distinct line is screened once per scan, and the workers screen only lines met for the first time.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any

from . import kernel
from .detector import RECENT_NAMES, Detector
from .output import format_chunk, jsonl_frame, row_head, verdict_json_members
from .records import OK, decode_lines, new_record

Kind = tuple[str, str | None, str]  # (decision, category, status) of a row: what the summary counts


def _rows(text: str | bytes) -> list[bytes]:
    """Formatted rows, one per line (a row's fields never hold a raw line break: JSON escapes it, and neither a
    name read from a line nor a lexicon text has one)."""
    data = text.encode() if isinstance(text, str) else text
    return data.split(b"\n")[:-1]


def describe_lines(detector: Detector, work: tuple[str, list[bytes]], *, encoding: str, fmt: str,
                   fields: tuple[str, ...], lexicon_version: str) -> list[tuple[bytes, Kind]]:
    """Screen the lines of a file (``work``: its label and lines) met for the first time: each one's row tail (its
    row after the line number) and kind.  What a worker does with a block's new lines."""
    label, keys = work
    if not keys:
        return []
    named = decode_lines(keys, encoding)
    verdicts = [detector.check(name) for name, _ in named]
    statuses = [status if status != OK else v.status for (_, status), v in zip(named, verdicts)]
    kinds = [(v.decision, v.category, status) for v, status in zip(verdicts, statuses)]
    if fmt == "jsonl":  # the verdict's members (made once per verdict, templated for most) in the row's frame
        frames = [jsonl_frame(fields, lexicon_version, status) for status in statuses]
        return [(before + verdict_json_members(v) + after, kind)
                for v, (before, after), kind in zip(verdicts, frames, kinds)]
    records = [new_record((label, 1, None, name, status)) for name, status in named]
    rows = _rows(format_chunk(records, verdicts, fmt, fields, None, lexicon_version)[0])
    start = len(row_head(label, fmt, fields)) + 1  # past the head and "1"
    if len(rows) != len(keys):
        raise AssertionError(f"describe_lines: {len(keys)} lines gave {len(rows)} rows")
    return [(row[start:] + b"\n", kind) for row, kind in zip(rows, kinds)]


class LineMemo:
    """The row tails of the lines met so far in a scan (kernel LineTable: an id per distinct line), and the kinds of
    row they count as.  Started afresh when it holds RECENT_NAMES lines.

    Blocks are claimed (each line given its id, new lines marked as on their way) before their new lines are
    screened, and filled and turned into rows in input order afterwards; each block keeps the table it was claimed
    in, so starting afresh never takes a tail from under a block still in flight."""

    def __init__(self, keep: set[str] | None) -> None:
        self.table = kernel.backend.LineTable()
        self.keep = keep  # the decisions whose rows are written; None: all
        self.kinds: dict[Kind, int] = {}

    def claim(self, block: bytes) -> tuple[Any, Any, int, list[bytes]]:
        """(the table, each line's id, the first new id, the lines not met before, each once)."""
        if len(self.table) >= RECENT_NAMES:
            self.table = kernel.backend.LineTable()
        return (self.table, *self.table.claim(block))

    def fill(self, table: Any, first_new: int, described: list[tuple[bytes, Kind]]) -> None:
        kinds, keep = self.kinds, self.keep
        numbers = [kinds.setdefault(kind, len(kinds)) for _, kind in described]
        tails = [tail if keep is None or kind[0] in keep else None for tail, kind in described]
        table.fill(first_new, tails, numbers)

    def rows(self, table: Any, ids: Any, head: bytes, first_line: int) -> tuple[bytes, Counter]:
        """The output of a claimed block whose new lines are filled, and its counts for the summary."""
        tally = array("q", bytes(8 * len(self.kinds)))
        out = table.rows(ids, first_line, head, tally)
        counts: Counter = Counter()
        for (decision, category, status), n in zip(self.kinds, tally):
            if n:
                counts["decision", decision] += n
                if category:
                    counts["category", category] += n
                if status != OK:
                    counts["status", status] += n
        return out, counts
