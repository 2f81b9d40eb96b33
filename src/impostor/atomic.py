"""Writing an output so that a reader sees the old one or the new one, never half of either.

Everything impostor writes in place of something (scan and batch outputs, the batch state and its saved chunks,
allow- and denylists) is written beside its final path first, checked where it must be, and then renamed into
place: ``write_atomically``.  A scan streams its output, so ``Sink`` (output.py) makes its temporary file itself
and ends with ``put_in_place``.  The output may be a file or a directory of parts (Spark writes directories): the
one replaces the other.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Callable


def temporary_beside(path: Path | str) -> str:
    """A path in ``path``'s directory that nothing uses: ``.NAME.PID.RANDOM.partial`` (hidden, and named for the
    output it will become)."""
    path = Path(path)
    return str(path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")


def write_atomically(path: Path | str, write: Callable[[str], None],
                     check: Callable[[str], None] | None = None) -> None:
    """``write(tmp)`` a file or a directory at a temporary path beside ``path``, ``check(tmp)`` it (it raises to
    refuse), then put it in place.  On any failure the temporary output is removed and ``path`` stays as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        write(tmp)
        if check is not None:
            check(tmp)
        put_in_place(tmp, path)
    finally:
        remove(tmp)


def put_in_place(tmp: str, path: Path | str) -> None:
    """Rename the finished ``tmp`` to ``path``, replacing the file or directory there.  A file takes the
    permissions of the file it replaces, or ordinary ones (a temporary file may have been made private)."""
    path = str(path)
    if os.path.isfile(tmp):
        if os.path.isfile(path):
            mode = os.stat(path).st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.isdir(tmp) and os.path.lexists(path):
        os.unlink(path)
    os.replace(tmp, path)


def remove(path: str) -> None:
    """Remove a file or directory if it is there."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
