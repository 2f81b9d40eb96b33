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
