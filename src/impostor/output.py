"""The output layer: every field impostor writes and every encoder that writes it.

A verdict (decide.Verdict, plain data) becomes output here and nowhere else: as a dict (``verdict_dict``: check
--json, serve, Parquet rows), as CSV/TSV cells (``verdict_cells``), as JSON members (``verdict_json_members``: the
scan's hot path, made once per distinct name) and as columns (``verdict_columns``: batch and Spark).  A scan's
chunk of records and verdicts becomes JSONL, CSV or TSV text, or records for Parquet, in the order of
``output_fields`` (``format_chunk``), with the counts the summary adds up; the line path takes each row's head and
frame from here (``row_head``, ``jsonl_frame``); ``Sink`` writes it all to standard output or, atomically, a file."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import operator
import os
import sys
import tempfile
from collections import Counter
from typing import IO, Any, Callable, Iterable

from . import kernel
from .atomic import put_in_place
from .decide import BLOCK, PASS, REVIEW, Verdict
from .records import OK, InputError, Record, _pyarrow_parquet

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: temporary files are not locked
    fcntl = None  # type: ignore[assignment]

OUTPUT_FORMATS = ("jsonl", "csv", "tsv", "parquet")

VERDICT_FIELDS = ("name", "decision", "score", "category", "target", "reasons")  # what Verdict.to_dict gives, but status
BASE_FIELDS = ("line", *VERDICT_FIELDS, "status")
ROW_FIELDS = {"file", "line", "id", "status", "lexicon_version"}  # what a row adds to its verdict
ONLY = {"flagged": {BLOCK, REVIEW}, "block": {BLOCK}, "review": {REVIEW}}
_line, _status = operator.attrgetter("line"), operator.attrgetter("status")
_decision, _category = operator.attrgetter("decision"), operator.attrgetter("category")
_json_string = json.encoder.encode_basestring  # a str as JSON, as json.dumps(..., ensure_ascii=False) writes it
_dumps = functools.partial(json.dumps, ensure_ascii=False)


# -- one verdict ------------------------------------------------------------------------------------------------------
def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    """A verdict as JSON-ready data: its fields, the score rounded, the reasons a list."""
    return {"name": verdict.name, "decision": verdict.decision, "score": round(verdict.score, 3),
            "category": verdict.category, "target": verdict.target, "reasons": list(verdict.reasons),
            "status": verdict.status}


def verdict_cells(verdict: Verdict) -> tuple[str, str, float, str, str, str]:
    """The members of ``verdict_dict`` but status as CSV/TSV cells (None as "", reasons joined by "; ")."""
    return (verdict.name, verdict.decision, round(verdict.score, 3), verdict.category or "", verdict.target or "",
            "; ".join(verdict.reasons))


_NOTHING_FOUND = (0.0, None, None, ())  # score, category, target and reasons of a name with nothing in it
_NOTHING_FOUND_JSON = b', "decision": "pass", "score": 0.0, "category": null, "target": null, "reasons": []'


def verdict_json_members(verdict: Verdict) -> bytes:
    """The members of ``verdict_dict`` but status, as JSON without the braces (what ``json.dumps`` writes, with
    the line breaks JSON leaves raw escaped), in UTF-8.  A scan makes them once per name (its memo: scan.py)."""
    string = _json_string
    if verdict[2:6] == _NOTHING_FOUND and verdict.decision == PASS:  # most verdicts: only the name varies
        return b'"name": ' + escape_jsonl(string(verdict.name)).encode() + _NOTHING_FOUND_JSON
    reasons = json.dumps(list(verdict.reasons), ensure_ascii=False) if verdict.reasons else "[]"
    return escape_jsonl(f'"name": {string(verdict.name)}, "decision": {string(verdict.decision)}, '
                        f'"score": {round(verdict.score, 3)!r}, '
                        f'"category": {"null" if verdict.category is None else string(verdict.category)}, '
                        f'"target": {"null" if verdict.target is None else string(verdict.target)}, '
                        f'"reasons": {reasons}').encode()


def verdict_columns(verdicts: list[Verdict], reasons_as_json: bool = False) -> dict[str, list]:
    """Verdicts as columns (batch state rows, Spark's Arrow batches): decision, score (rounded), category, target,
    reasons (lists, or JSON arrays in strings) and status."""
    reasons = [list(v.reasons) for v in verdicts]
    return {"decision": [v.decision for v in verdicts], "score": [round(v.score, 3) for v in verdicts],
            "category": [v.category for v in verdicts], "target": [v.target for v in verdicts],
            "reasons": [json.dumps(r, ensure_ascii=False) for r in reasons] if reasons_as_json else reasons,
            "status": [v.status for v in verdicts]}


# -- rows -------------------------------------------------------------------------------------------------------------
def output_fields(multiple_inputs: bool, with_ids: bool, with_version: bool) -> tuple[str, ...]:
    fields = list(BASE_FIELDS)
    if with_ids:
        fields.insert(1, "id")
    if multiple_inputs:
        fields.insert(0, "file")
    if with_version:
        fields.append("lexicon_version")
    return tuple(fields)


OUTPUT_FORMS: dict[str, Callable[[Verdict], Any]] = {"jsonl": verdict_json_members, "csv": verdict_cells,
                                                       "tsv": verdict_cells}


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
        row = verdict_dict(verdicts[i])
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
        cells = list(map(verdict_cells, verdicts))
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
        members = list(map(verdict_json_members, verdicts))
    before, after = _around_verdict(fields)
    tails = {status: _jsonl_tail(after, status, lexicon_version) for status in set(statuses)}
    if not isinstance(kept, range):
        records, members, statuses = ([values[i] for i in kept] for values in (records, members, statuses))
    if before == ("line",) and len(tails) == 1:  # the common case: one bytes object for the chunk, none per row
        return kernel.backend.join_rows(b'{"line": ', list(map(_line, records)), b", ", members, tails[statuses[0]])
    # Each row's own fields (file, line, id) through a template: json.dumps per field would cost most of a row.
    template = _jsonl_head(before)
    own = map(operator.attrgetter(*before), records)
    values = own if len(before) > 1 else zip(own)  # attrgetter of one field gives the value, not a tuple
    heads = [escape_jsonl(template % tuple(map(_json_value, row))).encode() for row in values]
    return b"".join(b"".join(row) for row in zip(heads, members, map(tails.__getitem__, statuses)))


def _jsonl_head(before: tuple[str, ...]) -> str:
    """The start of a JSONL row up to the verdict's members, as a %-template of the row's own fields ``before``
    them (each a JSON value, ``_json_value``)."""
    return "{" + "".join(f"{_dumps(f)}: %s, " for f in before)


def _jsonl_tail(after: tuple[str, ...], status: str, lexicon_version: str) -> bytes:
    """What a JSONL row holds after the verdict's members: its fields after them (status, lexicon_version), and
    the closing brace and line feed."""
    values = {"status": status, "lexicon_version": lexicon_version}
    return escape_jsonl("".join(f", {_dumps(f)}: {_dumps(values[f])}" for f in after) + "}\n").encode()


@functools.lru_cache(maxsize=64)
def row_head(label: str, fmt: str, fields: tuple[str, ...]) -> bytes:
    """What every row of the file ``label`` starts with, up to its line number (the line path, lines.py, writes
    each row as this head, the line number and the line's tail)."""
    before = fields[:fields.index("line")]
    if set(before) - {"file"}:
        raise ValueError(f"unexpected output fields {fields}")
    if fmt == "jsonl":
        return escape_jsonl(_jsonl_head(before) % ((_json_value(label),) * len(before)) + '"line": ').encode()
    if not before:
        return b""
    return delimited([[label, "-"]], fmt)[:-2].encode()  # the file's cell and the separator after it


@functools.lru_cache(maxsize=256)
def jsonl_frame(fields: tuple[str, ...], lexicon_version: str, status: str) -> tuple[bytes, bytes]:
    """A JSONL row with this status, after its line number: (what comes before the verdict's JSON members, what
    comes after them)."""
    before, after = _around_verdict(fields)
    if before[-1:] != ("line",):
        raise ValueError(f"unexpected output fields {fields}")
    return b", ", _jsonl_tail(after, status, lexicon_version)


def _json_value(value: str | int | None) -> str:
    """A row's own field as JSON, as json.dumps(..., ensure_ascii=False) writes it."""
    return "null" if value is None else _json_string(value) if isinstance(value, str) else str(value)




# -- text and files -------------------------------------------------------------------------------------------------------
# Line separators JSON leaves raw: escaped, so that no reader splits a JSONL row (Python's splitlines does).
JSONL_ESCAPES = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def escape_jsonl(text: str) -> str:
    """JSON lines with the line separators JSON leaves raw escaped."""
    for raw, escaped in JSONL_ESCAPES.items():  # str.translate would be far slower on a whole chunk
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def format_rows(rows: list[dict[str, Any]], fields: tuple[str, ...], fmt: str) -> str | list[dict[str, Any]]:
    """Rows as output text (JSONL, CSV, TSV); Parquet rows stay records, written by the sink."""
    if fmt == "jsonl":
        return escape_jsonl("".join(json.dumps({f: row[f] for f in fields}, ensure_ascii=False) + "\n"
                                    for row in rows))
    if fmt == "parquet":
        return [{f: row[f] for f in fields} for row in rows]
    return delimited([[flat(row[f]) for f in fields] for row in rows], fmt)


def flat(value: Any) -> Any:
    """A value as one CSV/TSV cell: None as empty, a list joined by '; '."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    return value


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def delimited(rows: list[list[Any]], fmt: str) -> str:
    """Rows as CSV or TSV text, one line per row.

    CSV quotes a cell holding a comma, a quote, a line feed or a carriage return (RFC 4180).  TSV has no quoting
    (``cut`` and ``awk`` read it by tabs and line feeds): a backslash, tab, line feed or carriage return in a cell
    is written as ``\\``, ``\t``, ``\n`` or ``\r``, as PostgreSQL's text format and the IANA TSV convention do."""
    if fmt == "tsv":
        return _tsv(rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    if "\r" not in text:
        return text
    # The csv module quotes only the characters of its line terminator: a cell holding a bare CR is written again
    # by a writer that ends lines with CRLF (so it quotes CR too), and its line ends with LF like the others.
    buffer, crlf_buffer = io.StringIO(), io.StringIO()
    plain, crlf = csv.writer(buffer, lineterminator="\n"), csv.writer(crlf_buffer, lineterminator="\r\n")
    for row in rows:
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            crlf_buffer.seek(0)
            crlf_buffer.truncate()
            crlf.writerow(row)
            buffer.write(crlf_buffer.getvalue()[:-2] + "\n")
        else:
            plain.writerow(row)
    return buffer.getvalue()


def _tsv(rows: list[list[Any]]) -> str:
    text = "".join(["\t".join(map(str, row)) + "\n" for row in rows])
    cells = sum(map(len, rows))
    if "\\" not in text and "\r" not in text and text.count("\t") == cells - len(rows) \
            and text.count("\n") == len(rows):
        return text  # no cell held a character to escape: nearly every chunk
    return "".join(["\t".join([str(cell).translate(_TSV_ESCAPES) for cell in row]) + "\n" for row in rows])


class Sink:
    """Where results go: standard output, or a file written atomically (a temporary file beside it, renamed into
    place only when everything was written; on failure it is removed and the old file, if any, stays).

    The temporary file (``.NAME.PID.XXXX.partial``) is locked while it is written.  One that a killed scan left
    behind (unlocked, its process gone) is removed by the next scan to the same output; ``notices`` say so."""

    def __init__(self, path: str | None, fmt: str, fields: tuple[str, ...]) -> None:
        if fmt == "parquet" and path is None:
            raise InputError("Parquet output needs --output FILE")
        self.path, self.fmt, self.fields = path, fmt, fields
        self.tmp: str | None = None
        self.notices: list[str] = []
        self._text: IO[str] | None = None
        self._parquet: Any = None
        self._lock: int | None = None

    def __enter__(self) -> "Sink":
        if self.path is None:
            self._text = sys.stdout
        else:
            directory = os.path.dirname(os.path.abspath(self.path))
            base = os.path.basename(self.path)
            self.notices = _remove_stale_partials(directory, base)
            try:
                fd, self.tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".partial", dir=directory)
            except OSError as exc:
                raise InputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
            if self.fmt == "parquet":
                self._lock = fd  # pyarrow opens the file itself; this descriptor only holds the lock
            else:
                self._text = io.open(fd, "w", encoding="utf-8", newline="")
        if self.fmt in ("csv", "tsv"):
            self.write(delimited([list(self.fields)], self.fmt))
        return self

    def write(self, payload: str | bytes | list[dict[str, Any]]) -> None:
        """Write output text (bytes: already UTF-8) or, for Parquet, records."""
        if isinstance(payload, bytes):
            assert self._text is not None
            buffer = getattr(self._text, "buffer", None)
            if buffer is None or codecs.lookup(self._text.encoding).name != "utf-8":
                self._text.write(payload.decode())
            else:  # straight to the bytes underneath, after what was written as text
                self._text.flush()
                buffer.write(payload)
        elif isinstance(payload, str):
            assert self._text is not None
            self._text.write(payload)
        elif payload:
            self._write_parquet(payload)

    def _write_parquet(self, records: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        if self._parquet is None:
            pq = _pyarrow_parquet("write Parquet")
            self._parquet = pq.ParquetWriter(self.tmp, parquet_schema(pa, self.fields), compression="zstd")
        self._parquet.write_table(pa.Table.from_pylist(records, schema=self._parquet.schema))

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path is None:
            assert self._text is not None
            self._text.flush()
            return
        try:
            if self.fmt == "parquet":
                if self._parquet is None and exc_type is None:
                    self._write_parquet([])  # an empty input still gives a readable, empty table
                if self._parquet is not None:
                    self._parquet.close()
            elif self._text is not None:
                self._text.close()
            if exc_type is None:
                put_in_place(self.tmp, self.path)  # (mkstemp made it private: it takes ordinary permissions)
        finally:
            if self.tmp and os.path.exists(self.tmp):
                os.unlink(self.tmp)
            if self._lock is not None:
                os.close(self._lock)


def _remove_stale_partials(directory: str, base: str) -> list[str]:
    """Remove the temporary files of earlier scans to ``base`` that were killed before they could (SIGKILL, a
    power cut): those nobody holds locked and whose process is gone.  What was found is returned as notices."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".partial")]
    except OSError:
        return []
    notices = []
    for name in names:
        path = os.path.join(directory, name)
        pid_text = name[len(prefix):].split(".", 1)[0]
        if pid_text.isdigit() and _process_exists(int(pid_text)):
            notices.append(f"left {path}: process {pid_text}, which may be writing it, is still running")
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)
            notices.append(f"removed {path}, the unfinished output of a scan that was killed")
        except OSError:  # locked: a scan is writing it now
            notices.append(f"left {path}: another scan is writing it")
        finally:
            os.close(fd)
    return notices


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a file of this very process can only be left over from a process before it with this pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is another user's
        return True
    return True


def verdict_arrow_fields(pa, reasons_as_json: bool = False) -> list[tuple[str, Any]]:
    """The verdict's columns (``verdict_columns``) with their Arrow types: scan's Parquet, the batch state (reasons
    as JSON text) and Spark (which derives its own types from these)."""
    return [("decision", pa.string()), ("score", pa.float64()), ("category", pa.string()), ("target", pa.string()),
            ("reasons", pa.string() if reasons_as_json else pa.list_(pa.string())), ("status", pa.string())]


def parquet_schema(pa, fields: tuple[str, ...]):
    types = {"line": pa.int64(), **dict(verdict_arrow_fields(pa))}
    return pa.schema([(f, types.get(f, pa.string())) for f in fields])
