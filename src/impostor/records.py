"""Reading names from files and writing results: plain text, CSV, TSV, JSONL and Parquet, gzip or not.

Every input record becomes exactly one ``Record`` (file, line, id, name, status), in order, whatever it holds: a
record that cannot be read as asked gets a status instead of disappearing.  Only what stops the whole file (it
cannot be opened, a named column is missing, a gzip stream is cut short) is an ``InputError``.
"""

from __future__ import annotations

import codecs
import csv
import functools
import gzip
import io
import itertools
import json
import os
import re
import sys
import zlib
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator, NamedTuple, TypeVar


INPUT_FORMATS = ("text", "csv", "tsv", "jsonl", "parquet")
EXTENSIONS = {".txt": "text", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
              ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
DEFAULT_COLUMN = "name"
GZIP_MAGIC = b"\x1f\x8b\x08"  # the magic number and deflate, the only method gzip defines
PARQUET_BATCH = 65536
TEXT_BLOCK = 1 << 20
BATCH = 4096  # records per list from the record-at-a-time readers (CSV, TSV, JSONL, Parquet)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: temporary files are not locked
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

# Per-record statuses
OK, EMPTY, INVALID_ENCODING, INVALID_JSON, MISSING_COLUMN = "ok", "empty", "invalid-encoding", "invalid-json", "missing-column"
BAD_QUOTE = "bad-quote"  # a CSV/TSV record whose quotes do not pair up: read from its first line alone
_SURROGATES = re.compile("[\ud800-\udfff]")  # what a JSON \ud800 escape decodes to: no character at all


class InputError(Exception):
    """A file that cannot be read at all, or not as asked; the message names the file (and line)."""


class Record(NamedTuple):
    file: str
    line: int  # 1-based: the physical line where the record starts; the row number for Parquet
    id: str | None
    name: str
    status: str


new_record = functools.partial(tuple.__new__, Record)  # Record(*fields) without the Python-level __new__


@dataclass(frozen=True)
class InputOptions:
    format: str | None = None  # None: from the file name (text for standard input)
    column: str | None = None  # the name column: a header name, or a 1-based number; default "name" or column 1
    id_column: str | None = None  # the account-id column, kept in the output
    encoding: str = "utf-8"


def input_format(path: str, options: InputOptions) -> str:
    if options.format:
        return options.format
    base = path[:-3] if path.endswith(".gz") else path
    return EXTENSIONS.get(os.path.splitext(base)[1].lower(), "text")


def read_records(path: str, options: InputOptions,
                 opened: Callable[[IO[bytes]], None] | None = None) -> Iterator[Record]:
    """The records of one input (``-`` is standard input), in order.  ``opened`` is given the raw file once it is
    open (a progress display reads its position)."""
    return itertools.chain.from_iterable(read_batches(path, options, opened))


def read_batches(path: str, options: InputOptions,
                 opened: Callable[[IO[bytes]], None] | None = None) -> Iterator[list[Record]]:
    """``read_records`` in lists of consecutive records (a block of a text file, BATCH records of other formats):
    what a scan reads, without a generator step per record."""
    fmt = input_format(path, options)
    label = _checked_label(path, fmt, options)
    if fmt == "parquet":
        yield from _batched(_parquet(path, label, options))
        return
    stream = _open(path, label, opened)
    try:
        if fmt == "text":
            batches = _text(stream, label, options)
        else:
            batches = _batched({"csv": _delimited, "tsv": _delimited, "jsonl": _jsonl}[fmt](stream, label, options, fmt))
        yield from _guard_stream(batches, label)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _checked_label(path: str, fmt: str, options: InputOptions) -> str:
    """The input's name in messages, once its options are known to suit its format."""
    label = "<stdin>" if path == "-" else path
    if fmt == "text" and (options.column or options.id_column):
        raise InputError(f"{label}: --column and --id-column need CSV, TSV, JSONL or Parquet input "
                         "(name the format with --input-format)")
    try:
        codecs.lookup(options.encoding)
    except LookupError:
        raise InputError(f"unknown encoding {options.encoding!r}") from None
    return label


def read_line_blocks(path: str, options: InputOptions, size: int,
                     opened: Callable[[IO[bytes]], None] | None = None) -> Iterator[tuple[int, bytes]]:
    """The lines of a text input as raw blocks of about ``size`` bytes, (first line number, lines joined by \n):
    what a scan's line path reads (lines.py).  The lines' names and statuses are ``decode_lines`` of them, less
    any \r at their end."""
    label = _checked_label(path, "text", options)
    stream = _open(path, label, opened)
    try:
        yield from _guard_stream(_line_blocks(stream, options.encoding, size), label,
                                 lambda block: block[0] + block[1].count(b"\n"))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _open(path: str, label: str, opened: Callable[[IO[bytes]], None] | None = None) -> IO[bytes]:
    """The input as bytes, gunzipped when it starts with the gzip magic number (whatever its name)."""
    try:
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot open {label}: {exc.strerror or exc}") from None
    if opened is not None and path != "-":
        opened(raw.raw)  # type: ignore[attr-defined]
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    if buffered.peek(3)[:3] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def _batched(records: Iterator[Record]) -> Iterator[list[Record]]:
    while batch := list(itertools.islice(records, BATCH)):
        yield batch


def _guard_stream(batches: Iterator[T], label: str, last_line: Callable[[T], int] = lambda batch: batch[-1].line
                  ) -> Iterator[T]:
    """Turn a stream that breaks off (a truncated or corrupt gzip file) into an error naming where."""
    line = 0
    try:
        for batch in batches:
            line = last_line(batch) if batch else line
            yield batch
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        where = f"after line {line}" if line else "before its first line"
        raise InputError(f"{label}: compressed stream is truncated or corrupt {where} ({exc})") from None


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    try:
        return raw.decode(encoding), OK
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="replace"), INVALID_ENCODING


def decode_lines(lines: list[bytes], encoding: str) -> list[tuple[str, str]]:
    """Lines of a text input (without their line breaks or a \r before them) as names and their statuses: a line
    that is not in the encoding is kept, decoded with replacement characters.  They are decoded all at once, and
    only where that fails one by one (the encodings read here never use the byte of a newline inside a
    character)."""
    try:
        names = b"\n".join(lines).decode(encoding).split("\n") if lines else []
    except UnicodeDecodeError:
        named = [_decode(line, encoding) for line in lines]
    else:
        named = [(name, OK) for name in names]
    return [(name, EMPTY if status == OK and (not name or name.isspace()) else status) for name, status in named]


def _line_blocks(stream: IO[bytes], encoding: str, size: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines, read about ``size`` bytes at a time: (the number of the block's first line, its lines
    joined by \n without the one after the last).  A UTF-8 byte order mark at the start is dropped."""
    utf8 = codecs.lookup(encoding).name == "utf-8"
    read = getattr(stream, "read1", stream.read)  # read1: what is there, so that a pipe is screened as it comes
    number = 0
    pending = b""
    while True:
        block = read(size)
        if block:
            block = pending + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                pending = block
                continue
            block, pending = block[:cut - 1], block[cut:]
        elif pending:
            block, pending = pending, b""
        else:
            return
        if number == 0 and utf8 and block.startswith(codecs.BOM_UTF8):
            block = block[3:]
        yield number + 1, block
        number += block.count(b"\n") + 1


def _text(stream: IO[bytes], label: str, options: InputOptions) -> Iterator[list[Record]]:
    """One name per line (``decode_lines``), a block of lines at a time."""
    for first, block in _line_blocks(stream, options.encoding, TEXT_BLOCK):
        lines = block.split(b"\n")
        if b"\r" in block:
            lines = [line.rstrip(b"\r") for line in lines]
        yield [new_record((label, number, None, name, status))
               for number, (name, status) in enumerate(decode_lines(lines, options.encoding), first)]


class _Columns:
    """Where the name and id are in a delimited file, decided from its first row."""

    def __init__(self, first_row: list[str], options: InputOptions, label: str) -> None:
        requested = [c for c in (options.column, options.id_column) if c is not None]
        named = [c for c in requested if not c.isdigit()]
        header = [cell.strip() for cell in first_row]
        if options.column is None and DEFAULT_COLUMN in header:
            named.append(DEFAULT_COLUMN)
        self.has_header = bool(named) and any(c in header for c in named)
        missing = [c for c in named if c not in header]
        if named and missing:
            shown = ", ".join(header[:20]) or "(empty row)"
            raise InputError(f"{label}: no column {missing[0]!r} in the header row (columns: {shown})")
        self.name = self._index(options.column or (DEFAULT_COLUMN if self.has_header else "1"), header, label)
        self.id = self._index(options.id_column, header, label) if options.id_column else None

    def _index(self, column: str, header: list[str], label: str) -> int:
        if column.isdigit():
            if int(column) < 1:
                raise InputError(f"{label}: column numbers start at 1")
            return int(column) - 1
        return header.index(column)


class _Lines:
    """The physical lines of a delimited file as the csv reader takes them: counted, with the lines of the record
    being read kept (``taken``), so that a record that does not parse can give them back to be read again."""

    def __init__(self, text: IO[str]) -> None:
        self._next = iter(text).__next__
        self.given_back: list[str] = []  # lines to read again, last first
        self.taken: list[str] = []
        self.count = 0  # lines read so far, less those given back

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self.given_back.pop() if self.given_back else self._next()
        self.taken.append(line)
        self.count += 1
        return line

    def give_back(self, lines: list[str]) -> None:
        self.given_back += reversed(lines)
        self.count -= len(lines)


def _delimited(stream: IO[bytes], label: str, options: InputOptions, fmt: str) -> Iterator[Record]:
    """The records of a CSV or TSV file.  Quotes are read strictly: a quote that is never closed, or text after a
    closing quote, would otherwise make one record of every line up to the next quote (or the end of the file),
    and those rows would be lost.  Such a record is read from its first line alone (status ``bad-quote``), and the
    lines after it are read again as records of their own: one record per line where the quoting is broken."""
    csv.field_size_limit(sys.maxsize)  # a megabyte-long name is a row to screen, not a reason to stop
    delimiter = "," if fmt == "csv" else "\t"
    text = io.TextIOWrapper(stream, encoding=options.encoding, errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    columns: _Columns | None = None
    while True:
        start = lines.count + 1
        lines.taken = []
        quoting = OK
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            first, rest = lines.taken[0], lines.taken[1:]
            lines.give_back(rest)
            cells = _lenient_cells(first, delimiter)
            quoting = BAD_QUOTE
        if columns is None:
            if start == 1 and cells and cells[0].startswith("\ufeff"):
                cells[0] = cells[0][1:]
            columns = _Columns(cells, options, label)
            if columns.has_header:
                continue
        if not cells:  # a blank line is a record too: every line of a one-column file is a name
            yield Record(label, start, None, "", EMPTY)
            continue
        record_id = _cell(cells, columns.id)[0] if columns.id is not None else None
        name, status = _cell(cells, columns.name)
        if columns.id is not None and record_id is None:
            status = MISSING_COLUMN
        if quoting != OK and status in (OK, EMPTY):
            status = quoting
        yield Record(label, start, record_id, name, status)


def _lenient_cells(line: str, delimiter: str) -> list[str]:
    """The cells of one line read on its own, as lenient CSV readers do (an unclosed quote ends with the line)."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:  # pragma: no cover - a single line without its line break always parses leniently
        return [line.rstrip("\r\n")]


_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape decodes undecodable bytes to


def _cell(cells: list[str], index: int) -> tuple[str, str]:
    if index >= len(cells):
        return "", MISSING_COLUMN
    value = cells[index]
    if _UNDECODED.search(value):  # bytes the encoding could not decode
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), INVALID_ENCODING
    return value, OK if value.strip() else EMPTY


def _jsonl(stream: IO[bytes], label: str, options: InputOptions, _fmt: str) -> Iterator[Record]:
    field, id_field = options.column or DEFAULT_COLUMN, options.id_column
    for number, raw in enumerate(stream, start=1):
        text, status = _decode(raw.strip(), options.encoding)
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        if not text.strip():
            yield Record(label, number, None, "", EMPTY)
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, a number of more than 4,300 digits, or nested too deep
            yield Record(label, number, None, "", INVALID_JSON)
            continue
        if not isinstance(obj, dict):
            yield Record(label, number, None, "", INVALID_JSON)
            continue
        record_id = _json_text(obj.get(id_field)) if id_field else None
        if record_id is not None and _SURROGATES.search(record_id):
            record_id, status = _SURROGATES.sub("\ufffd", record_id), INVALID_ENCODING
        if field not in obj or obj[field] is None:
            yield Record(label, number, record_id, "", MISSING_COLUMN)
            continue
        name = _json_text(obj[field]) or ""
        if _SURROGATES.search(name):  # "\ud800": an escape of half a UTF-16 pair, which no text can hold
            name, status = _SURROGATES.sub("\ufffd", name), INVALID_ENCODING
        yield Record(label, number, record_id, name, status if name.strip() else EMPTY)


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - whatever json.loads made, json.dumps writes
        return None


def _parquet(path: str, label: str, options: InputOptions) -> Iterator[Record]:
    pq = _pyarrow_parquet("read Parquet")
    if path == "-":
        raise InputError("Parquet cannot be read from standard input; give the file name")
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise InputError(f"cannot read {label} as Parquet: {exc}") from None
    names = parquet.schema_arrow.names
    column = options.column or DEFAULT_COLUMN
    if column.isdigit():
        column = names[int(column) - 1] if 0 < int(column) <= len(names) else column
    wanted = [c for c in (column, options.id_column) if c]
    for c in wanted:
        if c not in names:
            raise InputError(f"{label}: no column {c!r} (columns: {', '.join(names[:20])})")
    number = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, columns=list(dict.fromkeys(wanted))):
        values = [_as_text(v) for v in batch.column(column).to_pylist()]
        ids = [_as_text(v) for v in batch.column(options.id_column).to_pylist()] if options.id_column else None
        for i, name in enumerate(values):
            number += 1
            record_id = ids[i] if ids is not None else None
            if name is None:
                yield Record(label, number, record_id, "", MISSING_COLUMN)
            else:
                yield Record(label, number, record_id, name, OK if name.strip() else EMPTY)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _pyarrow_parquet(purpose: str):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"to {purpose}, install pyarrow: pip install 'impostor[parquet]'") from None
    return pq
