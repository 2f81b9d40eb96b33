"""The compiled kernel (``_kernel.c``), when the package was built with it.

It is optional: where no C compiler is at hand the package installs without it, and the pure-Python reference
implementations (``CandidateIndex.search_python``, ``Scorer.align_python``, ``lines.PyLineTable``, ...) do the
same work, more slowly.  Set ``IMPOSTOR_KERNEL=python`` to use them even where the kernel is built (to compare,
or to rule the kernel out).
"""

from __future__ import annotations

import os
from types import ModuleType

compiled: ModuleType | None
try:
    from . import _kernel as compiled
except ImportError:
    compiled = None
if os.environ.get("IMPOSTOR_KERNEL") == "python":
    compiled = None

NAME = "compiled" if compiled is not None else "python"


checked: set[str] = set()  # the constants stated so far (a test sees that every exported one is)


class KernelMismatch(ImportError):
    """The compiled kernel was built from other sources than the Python side it is loaded with."""


def require(**expected: object) -> None:
    """Refuse a compiled kernel whose exported constants (token layout, channel codes, length caps) differ from the
    Python side's: each module that shares one with the kernel states it here as it is imported."""
    checked.update(expected)
    if compiled is None:
        return
    for name, value in expected.items():
        built = getattr(compiled, name, None)
        if built != value:
            raise KernelMismatch(f"impostor._kernel was built from other sources: {name} is {built!r} there and "
                                 f"{value!r} here; rebuild it (pip install .) or set IMPOSTOR_KERNEL=python")
