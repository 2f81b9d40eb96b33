"""What evaluate.py and heldout_report.py both need: the evaluation TSVs read as rows, and rates written as the
tables show them."""
from __future__ import annotations

from pathlib import Path


def read_tsv(path: Path) -> list[dict]:
    rows, header = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)))))
    return rows


def pct(num: int, den: int) -> str:
    return "–" if den == 0 else f"{100.0 * num / den:.1f}%"


def pctn(num: int, den: int) -> str:
    """Small rates with more digits and the count: 0.004% (4)."""
    if den == 0:
        return "–"
    x = 100.0 * num / den
    return f"{x:.1f}% ({num})" if x >= 1 or num == 0 else f"{x:.3f}% ({num})"


def rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den
