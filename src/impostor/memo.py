"""A memo with bounded memory: a dict of computed values that empties itself when full.

Account names repeat a lot, so several stages keep what they computed for a key; emptying the whole memo when it
reaches its limit keeps memory flat over a scan of any length at the cost of recomputing after each clear.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING: Any = object()  # a value no computation returns: None is a value like any other


class Memo(dict, Generic[K, V]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def recall(self, key: K, compute: Callable[[K], V]) -> V:
        """The value for ``key``: remembered, or ``compute(key)`` remembered now."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            if len(self) >= self.limit:
                self.clear()
            value = self[key] = compute(key)
        return value


class cached:  # noqa: N801 - a decorator, named like functools.cached_property
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first access, about a
    microsecond: a scan makes hundreds of thousands of verdicts).  The value is computed once per object and
    stored in its ``__dict__``, which then answers every later access."""

    def __init__(self, func: Callable[[Any], V]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value
