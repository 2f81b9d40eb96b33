"""Recording review decisions: rows appended to an allowlist or a denylist (``impostor allow`` / ``deny``).

A row is checked by the loader's own rules before anything is written (the new file is read back with
``Allowlist.load`` or the registry's entity rules), so an append never leaves a list that breaks a later run.  The
file is rewritten whole, through a temporary file beside it that replaces it in one step, under a lock, so that
two reviewers appending at once both keep their rows and a reader never sees half a row.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator

from .allowlist import Allowlist
from .atomic import write_atomically
from .lexicon import LexiconError, denylist_registry
from .normalize import Normalizer

ALLOW_COLUMNS = ("account_id", "name", "note", "added")
DENY_COLUMNS = ("name", "account_id", "note", "added")
HEADER_COMMENT = "# review decisions appended by `impostor allow` / `impostor deny`\n"

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: appends are still atomic, only not serialized
    fcntl = None  # type: ignore[assignment]


class ListError(ValueError):
    """A decision that cannot be recorded (an invalid row, an unwritable or malformed list); nothing was written."""


def append_allowed(path: Path, rows: list[dict[str, str]], normalizer: Normalizer) -> None:
    """Append allowlist rows (``account_id``, ``name``, ``note``, ``added``)."""
    _append(path, rows, ALLOW_COLUMNS, lambda p: Allowlist.load(p, lambda n: normalizer.normalize(n).variant))


def append_denied(path: Path, rows: list[dict[str, str]], normalizer: Normalizer) -> None:
    """Append denylist rows (``name``, ``account_id``, ``note``, ``added``)."""
    from .registry import check_entity_file

    _append(path, rows, DENY_COLUMNS, lambda p: check_entity_file(denylist_registry(p), normalizer))


def _cell(value: str) -> str:
    """A TSV cell: tabs and line breaks inside a value become spaces (the lists have no quoting)."""
    return " ".join(value.split())


def _append(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...], load: Callable[[Path], object]) -> None:
    with _locked(path):
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        lines = old.splitlines(keepends=True)
        header_at = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
        if header_at is None:  # a new (or empty) list: its header first
            lines += [HEADER_COMMENT, "\t".join(columns) + "\n"]
            header = list(columns)
        else:
            header = [c.strip() for c in lines[header_at].rstrip("\r\n").split("\t")]
            missing = [c for c in columns if c not in header]
            if missing:  # rows before have fewer cells, which the loader reads as empty
                header += missing
                lines[header_at] = "\t".join(header) + "\n"
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        first_new = len(lines) + 1  # the line number of the first appended row
        lines += ["\t".join(_cell(row.get(c, "")) for c in header) + "\n" for row in rows]
        _write_checked(path, "".join(lines), load, first_new, rows)


def _write_checked(path: Path, text: str, load: Callable[[Path], object], first_new: int,
                   rows: list[dict[str, str]]) -> None:
    """Write ``text`` beside ``path``, load it as the detector would, and only then put it in place."""

    def check(tmp: str) -> None:
        try:
            load(Path(tmp))
        except LexiconError as exc:
            message = str(exc).split(": ", 1)[-1]  # without the temporary file's name
            if exc.line is not None and exc.line >= first_new:
                row = rows[min(exc.line - first_new, len(rows) - 1)]
                shown = row.get("name") or row.get("account_id") or ""
                raise ListError(f"not recorded: {shown!r}: {message}") from None
            where = f"{path}:{exc.line}" if exc.line else str(path)
            raise ListError(f"{where}: {message} (the list is malformed already; fix it first)") from None

    try:
        write_atomically(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8", newline=""), check)
    except OSError as exc:
        raise ListError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-replace of ``path``, held on its directory (the file itself is replaced,
    and may not exist yet)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        raise ListError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
