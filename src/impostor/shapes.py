"""Shape similarity of any two Han characters: how alike they look, graded, for pairs no table lists.

The look-alike tables (visual.tsv, visual_near.tsv) name the pairs the search follows.  An impostor also uses
look-alikes nobody listed (阴 for 阳, 固 for 国, 胴 for 铜), so a registry name with one or two characters changed
is judged by how the changed characters are drawn, from two descriptions of every character in
``lexicons/chars/shapes.tsv`` (built by ``lexicons/chars/build_shapes.py``):

- its stroke sequence in the five stroke classes: one stroke added, removed or changed is one edit
  (日/目/旦, 今/令, 西/四);
- its first division into components (cjk-decomp): two characters of the same layout that share a component and
  whose other components are near in strokes look alike (阳/阴: 阝 + 日/月; 国/固: 囗 + 玉/古; 环/坏: 王/土 + 不),
  the more so inside a shared enclosure (闻/闷), and a character inside another (日 in 旦) as much as it fills it.

``similarity`` is the larger of the two, from 0 to 1; the table's ``# threshold:`` is where random pairs of common
characters stop looking alike (calibrated by the build script on the project's own look-alike pairs against
random ones, so it says nothing of the held-out evaluation sets).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import NamedTuple

from .lexicon import LexiconError, Source, read_header, read_text
from .memo import Memo

COLUMNS = ("char", "strokes", "parts")
MAX_PAIRS = 1 << 16  # answers kept
SURROUND = "s"  # cjk-decomp's surround layouts (s, sl, st, sb, str, sbl, stl …) begin with s; the enclosure first
ENCLOSURE_WEIGHT = 2.0  # chosen on the project's own pairs: at the same 2% of random pairs, 87.6% -> 89.8% reach it


class Shape(NamedTuple):
    """One character's description: its strokes, its layout and its components (each with its strokes)."""

    strokes: str
    layout: str  # cjk-decomp's configuration (a: left-right, d: top-bottom, s: surround …); "" when whole
    parts: tuple[tuple[str, str], ...]  # (component, its strokes)
    classes: tuple[int, ...]  # how many strokes of each class


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, bit-parallel (Myers 1999, as Hyyrö 2001 states it for the edit distance): one pass over
    ``a`` with the columns of ``b`` as the bits of an integer."""
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if not m:
        return len(a)
    where: dict[str, int] = {}  # a character of b -> the bits of its places in b
    for i, ch in enumerate(b):
        where[ch] = where.get(ch, 0) | 1 << i
    mask, last = (1 << m) - 1, 1 << (m - 1)
    up, down, distance = mask, 0, m  # vertical deltas +1 and -1 of the current column
    for ch in a:
        eq = where.get(ch, 0)
        xv = eq | down
        xh = (((eq & up) + up) ^ up) | eq
        right = down | ~(xh | up)  # horizontal deltas +1 …
        left = up & xh  # … and -1
        if right & last:
            distance += 1
        elif left & last:
            distance -= 1
        right = (right << 1) | 1
        left <<= 1
        up = (left | ~(xv | right)) & mask
        down = right & xv & mask
    return distance


def similarity(a: str, shape_a: Shape, b: str, shape_b: Shape) -> float:
    """How alike characters ``a`` and ``b`` look, 0..1 (1: drawn the same)."""
    if a == b:
        return 1.0
    longer = max(len(shape_a.strokes), len(shape_b.strokes))
    return max(1.0 - _edits(shape_a.strokes, shape_b.strokes) / longer, structure_similarity(a, shape_a, b, shape_b))


def structure_similarity(a: str, shape_a: Shape, b: str, shape_b: Shape) -> float:
    """The component routes of ``similarity``: one character inside the other, or the same layout with a component
    shared in place."""
    longer = max(len(shape_a.strokes), len(shape_b.strokes))
    best = 0.0
    # One inside the other: 日 in 旦, as much as it fills it.
    if any(part == a for part, _ in shape_b.parts):
        best = max(best, len(shape_a.strokes) / len(shape_b.strokes))
    if any(part == b for part, _ in shape_a.parts):
        best = max(best, len(shape_b.strokes) / len(shape_a.strokes))
    # The same layout, a component shared in place, the others near in strokes.  A shared enclosure (门, 囗, 广: the
    # surround layouts) draws the outline, whatever it holds: what differs inside it counts half (闻/闷, 国/固).
    if shape_a.layout and shape_a.layout == shape_b.layout and len(shape_a.parts) == len(shape_b.parts):
        shared, cost = 0, 0
        for (part_a, strokes_a), (part_b, strokes_b) in zip(shape_a.parts, shape_b.parts):
            if part_a == part_b:
                shared += 1
            else:
                cost += _edits(strokes_a, strokes_b)
        if shared:
            enclosed = shape_a.layout.startswith(SURROUND) and shape_a.parts[0][0] == shape_b.parts[0][0]
            best = max(best, 1.0 - cost / (longer * (ENCLOSURE_WEIGHT if enclosed else 1.0)))
    return max(0.0, best)


class Shapes:
    """The shape table, read when first needed (a few hundredths of a second; most names never need it: only those
    one or two characters from a registry name); ``load`` reads it now.  A malformed table is refused whole, with
    its path and line.  A row is checked when read and parsed when its character is first compared."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, tuple[str, str]] | None = None  # None: not read yet; char -> (strokes, parts)
        self._lock = threading.Lock()
        self._shapes: dict[str, Shape] = {}
        self._alike: Memo[tuple[str, str], bool] = Memo(MAX_PAIRS)  # the same registry characters recur

    def load(self) -> "Shapes":
        with self._lock:
            if self.rows is None:
                self.threshold, self._source, rows = _read(self.path)
                self.rows = rows  # last: the table counts as read once everything is in place
        return self

    @property
    def source(self) -> Source:
        return self.load()._source

    def __contains__(self, char: str) -> bool:
        return char in self.load().rows

    def shape(self, char: str) -> Shape | None:
        """How ``char`` is drawn; None for a character the table does not describe."""
        found = self._shapes.get(char)
        if found is None:
            row = self.load().rows.get(char)
            if row is None:
                return None
            strokes, parts = row
            layout, components = parse_parts(parts)
            found = self._shapes[char] = Shape(strokes, layout, components, tuple(map(strokes.count, "12345")))
        return found

    def similarity(self, a: str, b: str) -> float:
        """How alike ``a`` and ``b`` look, 0..1; 0 for a character the table does not describe."""
        shape_a, shape_b = self.shape(a), self.shape(b)
        if shape_a is None or shape_b is None:
            return 1.0 if a == b else 0.0
        return similarity(a, shape_a, b, shape_b)

    def alike(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` look alike: their similarity reaches the table's calibrated threshold."""
        return self._alike.recall((a, b), self._looks_alike)

    def _looks_alike(self, pair: tuple[str, str]) -> bool:
        a, b = pair
        shape_a, shape_b = self.shape(a), self.shape(b)
        if shape_a is None or shape_b is None:
            return a == b
        # The stroke route costs at least the strokes of one class that the other lacks (a lower bound of the edit
        # distance): most pairs are ruled out by that, and only the cheap component routes are left to try.
        more = fewer = 0
        for x, y in zip(shape_a.classes, shape_b.classes):
            if x > y:
                more += x - y
            else:
                fewer += y - x
        if 1.0 - max(more, fewer) / max(len(shape_a.strokes), len(shape_b.strokes)) < self.threshold:
            return structure_similarity(a, shape_a, b, shape_b) >= self.threshold
        return similarity(a, shape_a, b, shape_b) >= self.threshold


def parse_parts(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``a 阝:52 日:2511`` as (layout, ((component, strokes), …)); "" for a character kept whole."""
    if not text:
        return "", ()
    layout, *parts = text.split(" ")
    return layout, tuple(tuple(p.rsplit(":", 1)) for p in parts)  # type: ignore[misc]


def format_parts(layout: str, parts: tuple[tuple[str, str], ...]) -> str:
    return " ".join([layout, *(f"{part}:{strokes}" for part, strokes in parts)]) if layout else ""


# A row: one character, its strokes (classes 1-5), and nothing or a layout with two or more COMPONENT:STROKES.
_ROW = re.compile(r"(\S)\t([1-5]+)\t((?:[a-z0-9/]+(?: [^\s:]+:[1-5]+){2,})?)\r?")
_THRESHOLD = re.compile(r"#\s*threshold:\s*([0-9.]+)")


def _read(path: Path) -> tuple[float, Source, dict[str, tuple[str, str]]]:
    lines = read_text(path).split("\n")
    meta, comments, header = read_header(path, lines, COLUMNS)
    threshold = None
    for line in comments:
        if (given := _THRESHOLD.match(line)) is not None:
            try:
                threshold = float(given.group(1))
            except ValueError:
                threshold = None
    if threshold is None or not 0.0 < threshold <= 1.0:
        raise LexiconError(path, None, "header must give '# threshold: X' with 0 < X <= 1")
    rows: dict[str, tuple[str, str]] = {}
    match = _ROW.fullmatch
    for number in range(header, len(lines)):  # (0-based: from the line after the column header's)
        line = lines[number]
        row = match(line)
        if row is None:
            if not line.strip():
                continue
            raise LexiconError(path, number + 1, f"{line[:60]!r}: a row is a character, its strokes (digits 1-5) and "
                                                 "its parts (a layout and COMPONENT:STROKES, two or more), or none")
        char = row.group(1)
        if char in rows:
            raise LexiconError(path, number + 1, f"{char} is listed twice")
        rows[char] = (row.group(2), row.group(3))
    if not rows:
        raise LexiconError(path, None, "no characters")
    return threshold, Source(path, meta, len(rows)), rows
