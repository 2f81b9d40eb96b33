"""Verified accounts and reviewed names: the real owner of 人民日报 passes, everyone else using the name does not.

An allowlist is a TSV file with an ``account_id`` column, a ``name`` column, or both.  Names are compared in
normalized form, so 人民日報 is 人民日报.

- ``account_id`` and ``name``: that account passes under that name only;
- ``account_id`` alone: that account passes under any name;
- ``name`` alone: a name a reviewer cleared passes for every account (梁老师数理化 is a tutor, not an impostor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .lexicon import LexiconError, read_table


class Allowlist:
    def __init__(self, rows: dict[str, set[str] | None] | None = None, names: set[str] | None = None) -> None:
        self._rows: dict[str, set[str] | None] = dict(rows or {})
        self._names: set[str] = set(names or ())  # cleared for every account

    @classmethod
    def load(cls, path: str | Path, normalize: Callable[[str], str]) -> "Allowlist":
        table = read_table(path, provenance=False)
        if "account_id" not in table.columns and "name" not in table.columns:
            raise LexiconError(path, None, "an allowlist needs an 'account_id' column, a 'name' column, or both")
        rows: dict[str, set[str] | None] = {}
        names: set[str] = set()
        for lineno, row in table.rows:
            account, name = row.get("account_id", ""), row.get("name", "")
            if not account and not name:
                raise LexiconError(path, lineno, "row has neither account_id nor name")
            if not account:
                names.add(normalize(name))
            elif not name:
                rows[account] = None
            elif rows.get(account, set()) is not None:
                rows.setdefault(account, set()).add(normalize(name))
        return cls(rows, names)

    def allows(self, account_id: str | None, normalized_name: str) -> bool:
        if normalized_name in self._names:
            return True
        if account_id is None or account_id not in self._rows:
            return False
        names = self._rows[account_id]
        return names is None or normalized_name in names
