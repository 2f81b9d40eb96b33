"""Reading and validating the plain-text lexicons (registries and character tables).

Every lexicon is UTF-8 TSV: ``#`` comment lines first (which must name the source, version and licence),
then one header row of column names, then rows.  A malformed file is rejected as a whole with its path and line,
never half-loaded.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

REQUIRED_HEADER_KEYS = ("source", "version", "licence")
_CODEPOINTS = re.compile(r"^U\+[0-9A-Fa-f]{4,6}( U\+[0-9A-Fa-f]{4,6})*$")
_HEADER_KEY = re.compile(r"^#\s*(source|version|licen[cs]e)s?\b[^:]*:", re.IGNORECASE)
DENYLIST = "denylist"  # the category of names from a denylist
KINDS = ("entity", "pattern", "region", "title", "keyword", "affix", "synonym", "filler")


class LexiconError(ValueError):
    """A lexicon, character table or manifest that cannot be used; the message names the path and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Table:
    """One parsed TSV lexicon: its header metadata, column names and rows (each with its line number)."""

    path: Path
    meta: dict[str, str]
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]

    def source(self) -> "Source":
        return Source(self.path, self.meta, len(self.rows))


class Source(NamedTuple):
    """What is kept of a table once read (for ``impostor lexicon list``): its file, metadata and row count."""

    path: Path
    meta: dict[str, str]
    rows: int


def header_key(line: str) -> tuple[str, str] | None:
    """``# source: …``, ``# version: …`` or ``# licence: …`` (or ``license``) as (key, value); None otherwise."""
    found = _HEADER_KEY.match(line)
    if found is None:
        return None
    return found.group(1).lower().replace("license", "licence"), line[found.end():].strip()


def decode_field(text: str) -> str:
    """A field is literal text, or ``U+XXXX`` code points (space-separated) for characters one cannot see."""
    if text.startswith("U+") and _CODEPOINTS.match(text):  # (most fields are plain text: no regex for them)
        return "".join(chr(int(cp[2:], 16)) for cp in text.split(" "))
    return text


def read_text(path: Path) -> str:
    """A lexicon file's text; refused with its path (and the line of the first byte that is not UTF-8)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LexiconError(path, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LexiconError(path, raw[:exc.start].count(b"\n") + 1, "not valid UTF-8") from None


def read_header(path: Path, lines: list[str], columns: tuple[str, ...]) -> tuple[dict[str, str], list[str], int]:
    """The ``#`` lines that open a table of fixed ``columns`` and its column header: (the provenance, the other
    comment lines, the column header's line number).  A table without provenance or with other columns is
    refused with its path and line."""
    meta: dict[str, str] = {}
    comments: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.startswith("#"):
            break
        found = header_key(line)
        if found is not None:
            meta.setdefault(*found)
        else:
            comments.append(line)
    else:
        raise LexiconError(path, None, "no column header row")
    missing = [k for k in REQUIRED_HEADER_KEYS if not meta.get(k)]
    if missing:
        raise LexiconError(path, 1, "header must name " + ", ".join(f"'# {k}:'" for k in missing))
    if tuple(line.rstrip("\r").split("\t")) != columns:
        raise LexiconError(path, number, f"the column header must be {chr(9).join(columns)!r}")
    return meta, comments, number


def read_table(path: Path | str, required: tuple[str, ...] = (), codepoints: bool = False,
               provenance: bool = True) -> Table:
    """Parse one lexicon file.  ``required`` columns must be present and non-empty in every row; with
    ``provenance`` (shipped lexicons) the header must name source, version and licence."""
    path = Path(path)
    text = read_text(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    meta: dict[str, str] = {}
    columns: tuple[str, ...] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#"):
            found = header_key(line) if columns is None else None
            if found is not None:
                meta.setdefault(*found)
            continue
        cells = line.split("\t")
        if columns is None:
            columns = tuple(c.strip() for c in cells)
            width = len(columns)
            if len(set(columns)) != len(columns) or not all(columns):
                raise LexiconError(path, lineno, f"bad column header {columns!r}")
            missing = [c for c in required if c not in columns]
            if missing:
                raise LexiconError(path, lineno, f"missing column(s) {', '.join(missing)}; has {', '.join(columns)}")
            missing_meta = [k for k in REQUIRED_HEADER_KEYS if provenance and not meta.get(k)]
            if missing_meta:
                raise LexiconError(path, 1, "header must name " + ", ".join(f"'# {k}:'" for k in missing_meta))
            continue
        if len(cells) != width:
            if len(cells) > width:
                raise LexiconError(path, lineno, f"{len(cells)} fields, header has {width}")
            cells += [""] * (width - len(cells))
        if not codepoints:
            cells = map(str.strip, cells)
        elif "U+" in line:  # (most rows are plain text: no field to decode)
            cells = map(decode_field, cells)
        row = dict(zip(columns, cells))
        for col in required:
            if not row[col]:
                raise LexiconError(path, lineno, f"empty required field '{col}'")
        rows.append((lineno, row))
    if columns is None:
        raise LexiconError(path, None, "no column header row")
    return Table(path=path, meta=meta, columns=columns, rows=tuple(rows))


@dataclass(frozen=True)
class FileSpec:
    """One ``[[file]]`` of the manifest: a registry file and how its columns are read."""

    path: Path
    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    provenance: bool = True  # shipped lexicons must name source, version and licence; a user's own file need not
    default_category: str = "other"
    # Where the manifest declared it: (the manifest, the line of each key); None for a user's own file, whose
    # optional columns (aliases, category) may be absent.
    declared: tuple[Path, dict[str, int]] | None = None

    def category_of(self, row: dict[str, str]) -> str:
        if self.category:
            return self.category
        value = row.get(self.columns.get("category_column", ""), "")
        return self.categories.get(value) or self.categories.get("*") or value or self.default_category

    def check_columns(self, table: "Table") -> None:
        """A declared file must have every column the manifest names for it (``aliases = "aliasse"`` would read
        no alias at all): refused with the manifest's line."""
        if self.declared is None:
            return
        manifest, lines = self.declared
        for key, column in self.columns.items():
            if key in _SPEC_COLUMN_KEYS and column not in table.columns:
                raise LexiconError(manifest, lines.get(key), f"{key} = {column!r}: {table.path.name} has no column "
                                                             f"{column!r}; its columns: {', '.join(table.columns)}")


_SPEC_COLUMN_KEYS = ("name", "aliases", "status", "group", "short", "short_alt", "common_word", "level",
                     "weight", "position", "category_column", "other", "cost", "claim")
_SPEC_VALUE_KEYS = ("level_value", "status_value")  # a fixed value for every row of a file that lacks the column
_SPEC_KEYS = ("path", "kind", "category", "categories", *_SPEC_COLUMN_KEYS, *_SPEC_VALUE_KEYS)


def read_manifest(path: Path | str) -> list[FileSpec]:
    """Parse ``manifest.toml``: the list of registry files.  An unknown or misspelt key, a value of the wrong type
    or a missing one is refused with the manifest's path and line, and nothing is loaded."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise LexiconError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LexiconError(path, None, "not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(path, getattr(exc, "lineno", None), f"invalid TOML: {exc}") from None
    text_lines = text.split("\n")
    blocks = table_blocks(text_lines, "file")
    for key in data:
        if key != "file":
            raise LexiconError(path, key_line(text_lines, key, 1, len(text_lines) + 1),
                               f"unknown key {key!r}; a manifest holds only [[file]] tables")
    entries = data.get("file", [])
    if not isinstance(entries, list):
        raise LexiconError(path, None, "file must be an array of tables: [[file]]")
    specs = []
    for i, entry in enumerate(entries, start=1):
        start, end = blocks[i - 1] if i <= len(blocks) else (None, None)
        key_lines = {key: key_line(text_lines, key, start, end) for key in entry} if start is not None else {}
        for key, value in entry.items():
            if key not in _SPEC_KEYS:
                raise LexiconError(path, key_lines.get(key) or start,
                                   f"file #{i}: unknown key {key!r}; known: {', '.join(_SPEC_KEYS)}")
            if key == "categories":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise LexiconError(path, key_lines.get(key),
                                       f"file #{i}: categories must map values to categories")
            elif not isinstance(value, str) or not value:
                raise LexiconError(path, key_lines.get(key), f"file #{i}: {key} must be a non-empty string")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise LexiconError(path, key_lines.get("kind") or start,
                               f"file #{i}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if "path" not in entry or "name" not in entry:
            raise LexiconError(path, start, f"file #{i}: needs 'path' and 'name'")
        columns = {k: entry[k] for k in (*_SPEC_COLUMN_KEYS, *_SPEC_VALUE_KEYS) if k in entry}
        specs.append(FileSpec(path=path.parent / entry["path"], kind=kind, columns=columns,
                              category=entry.get("category"), categories=dict(entry.get("categories", {})),
                              declared=(path, key_lines)))
    if not specs:
        raise LexiconError(path, None, "lists no [[file]]")
    return specs


def table_blocks(lines: list[str], name: str) -> list[tuple[int, int]]:
    """The line spans (first line, line after the last) of each ``[[name]]`` table of a TOML file's lines."""
    opening = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
    starts = [n for n, line in enumerate(lines, 1) if opening.match(line)]
    return list(zip(starts, starts[1:] + [len(lines) + 1]))


def key_line(lines: list[str], key: str, start: int, end: int) -> int | None:
    """The line, from ``start`` to before ``end``, that sets ``key`` (or opens the table ``[key]`` / ``[[key]]``)."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[\[?\s*{re.escape(key)}\s*\]\]?)")
    return next((number for number in range(start, end) if pattern.match(lines[number - 1])), None)


def custom_registry(path: Path | str) -> FileSpec:
    """A user's own registry of protected names (brands, company names, platform accounts): a TSV with a
    ``name`` column, optional ``aliases`` (``|``-separated) and ``category`` (default ``brand``) columns."""
    return FileSpec(path=Path(path), kind="entity",
                    columns={"name": "name", "aliases": "aliases", "category_column": "category"},
                    provenance=False, default_category="brand")


def denylist_registry(path: Path | str) -> FileSpec:
    """Names of closed accounts that must not come back under any variant: a TSV with a ``name`` column (other
    columns, such as ``account_id`` or ``note``, are kept for people and ignored here)."""
    return FileSpec(path=Path(path), kind="entity", columns={"name": "name"}, category=DENYLIST, provenance=False)


def default_lexicon_dir() -> Path:
    """The shipped lexicons: inside the installed package, or the repository's ``lexicons/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "lexicons", here.parents[1] / "lexicons"):
        if (candidate / "manifest.toml").is_file():
            return candidate
    raise LexiconError(here / "lexicons", None, "shipped lexicons not found (broken install?)")


def load_config(path: Path | str) -> dict[str, Any]:
    """A small TOML settings file (thresholds, costs)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(path, getattr(exc, "lineno", None), f"invalid TOML: {exc}") from None
