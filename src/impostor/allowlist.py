"""Verified accounts: the real owner of 人民日报 passes, everyone else using the name does not.

An allowlist is a TSV file with an ``account_id`` column and an optional ``name`` column.  A row with a name allows
that account under that name only (compared in normalized form, so 人民日報 is 人民日报); a row without one allows
the account under any name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .lexicon import read_table


class Allowlist:
    def __init__(self, rows: dict[str, set[str] | None] | None = None) -> None:
        self._rows: dict[str, set[str] | None] = dict(rows or {})

    @classmethod
    def load(cls, path: str | Path, normalize: Callable[[str], str]) -> "Allowlist":
        table = read_table(path, required=("account_id",), provenance=False)
        rows: dict[str, set[str] | None] = {}
        for _, row in table.rows:
            account, name = row["account_id"], row.get("name", "")
            if not name:
                rows[account] = None
            elif rows.get(account, set()) is not None:
                rows.setdefault(account, set()).add(normalize(name))
        return cls(rows)

    def allows(self, account_id: str | None, normalized_name: str) -> bool:
        if account_id is None or account_id not in self._rows:
            return False
        names = self._rows[account_id]
        return names is None or normalized_name in names
