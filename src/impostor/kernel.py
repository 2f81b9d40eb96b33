"""The kernel: what runs for every name, chosen once per process.

Two twin modules with one API: ``_kernel`` (C, built with the package where a compiler is at hand) and
``_kernel_py`` (its Python twin, always there).  ``backend`` is the compiled one when it is built, else the twin;
set ``IMPOSTOR_KERNEL=python`` to use the twin even where the kernel is built (to compare, or to rule the kernel
out).  Every other module reaches the kernel through ``backend``; tests pass a backend of their choice to compare
the two on the same inputs.
"""

from __future__ import annotations

import os
from types import ModuleType

from . import _kernel_py as python

compiled: ModuleType | None
try:
    from . import _kernel as compiled
except ImportError:
    compiled = None
if os.environ.get("IMPOSTOR_KERNEL") == "python":
    compiled = None

backend: ModuleType = compiled if compiled is not None else python
NAME = "compiled" if compiled is not None else "python"
BACKENDS: tuple[ModuleType, ...] = (python,) if compiled is None else (compiled, python)  # those usable here


checked: set[str] = set()  # the constants stated so far (a test sees that every exported one is)


class KernelMismatch(ImportError):
    """A kernel was built from other sources than the Python side it is loaded with."""


def require(**expected: object) -> None:
    """Refuse a kernel whose constants (token layout, channel codes, length caps) differ from the Python side's:
    each module that shares one with the kernel states it here as it is imported, and both twins are checked."""
    checked.update(expected)
    for module in BACKENDS:
        for name, value in expected.items():
            built = getattr(module, name, None)
            if built != value:
                raise KernelMismatch(f"{module.__name__} was built from other sources: {name} is {built!r} there "
                                     f"and {value!r} here; rebuild it (pip install .) or set IMPOSTOR_KERNEL=python")
