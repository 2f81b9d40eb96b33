"""A memo with bounded memory: a dict of computed values that empties itself when full.

Account names repeat a lot, so several stages keep what they computed for a key; emptying the whole memo when it
reaches its limit keeps memory flat over a scan of any length at the cost of recomputing after each clear.
"""

from __future__ import annotations

from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict, Generic[K, V]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def recall(self, key: K, compute: Callable[[K], V]) -> V:
        """The value for ``key``: remembered, or ``compute(key)`` remembered now."""
        value = self.get(key)
        if value is None:
            if len(self) >= self.limit:
                self.clear()
            value = self[key] = compute(key)
        return value
