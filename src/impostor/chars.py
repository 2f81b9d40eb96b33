"""Character tables: what one code point becomes under each normalization layer.

The tables are generated text files in ``lexicons/chars/`` (see its README for sources).  This module only loads
them and answers, per code point and with caching, the layered question UTS #39 answers with its skeleton.  One
input character is folded so (``fold``):

    ignorable.tsv (delete) → radicals.tsv, else NFKC (a non-Han character with a uts39.tsv prototype and no
    ASCII NFKC form: the prototype, then NFKC) → each resulting character: ignorable.tsv; Han: radicals.tsv →
    t2s.tsv → variants.tsv; other non-ASCII: uts39.tsv → NFKC; letters and digits case-folded, anything else
    dropped as noise
    → again until nothing changes (at most MAX_FOLD_ROUNDS)                                   (the *variant* form)
    → visual.tsv: Han and cross-script look-alike clusters                                    (the *visual* form)

Pinyin is read from the variant form, never from the visual one (a look-alike has another sound).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import kernel
from .lexicon import LexiconError, read_table

# Channels a character change is reported under; scoring adds the comparison channels (look-alike, homophone).
WIDTH = "compatibility form"
INVISIBLE = "invisible"
NOISE = "noise"
RADICAL = "radical"
TRADITIONAL = "traditional"
VARIANT = "variant"
CROSS_SCRIPT = "cross-script"


@dataclass(frozen=True)
class Fold:
    """What one input character becomes in the variant form, and the changes on the way (for explanations)."""

    text: str  # "" when the character is dropped
    steps: tuple[tuple[str, str, str], ...]  # (from, to, channel)


def is_han(ch: str) -> bool:
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x3FFFF
            or 0xF900 <= cp <= 0xFAFF or 0x2E80 <= cp <= 0x2FDF or cp == 0x3007)


MAX_FOLD_ROUNDS = 3
MAX_READINGS = 4  # per character in pinyin.tsv: the kernel keeps this many (the shipped table has ≤ 3)
MAX_SYLLABLE = 12  # letters in a reading: the kernel's screen packs a syllable's letters into 64 bits
kernel.require(READINGS=MAX_READINGS, MAX_SYLLABLE=MAX_SYLLABLE)


class CharTables:
    """All character tables of one lexicon directory, compiled into per-code-point lookups."""

    def __init__(self, chars_dir: Path) -> None:
        self.dir = chars_dir
        self.sources: list = []  # the tables read, for `impostor lexicon list`
        self.ignorable = {row["from"] for _, row in self._table("ignorable.tsv", ("from",)).rows}
        self.radicals = self._map("radicals.tsv")
        self.t2s = self._map("t2s.tsv")
        self.variants = self._map("variants.tsv")
        self.uts39 = self._map("uts39.tsv")
        self.visual = self._map("visual.tsv")
        self.near: dict[tuple[str, str], float] = {}
        for lineno, row in self._table("visual_near.tsv", ("a", "b", "cost")).rows:
            try:
                cost = float(row["cost"])
            except ValueError:
                raise LexiconError(chars_dir / "visual_near.tsv", lineno, f"cost {row['cost']!r} is not a number") from None
            self.near[(row["a"], row["b"])] = self.near[(row["b"], row["a"])] = cost
        self.pinyin: dict[str, tuple[str, ...]] = {}
        for lineno, row in self._table("pinyin.tsv", ("char", "readings")).rows:
            readings = tuple(r for r in row["readings"].split("|") if r)
            if len(readings) > MAX_READINGS:
                raise LexiconError(chars_dir / "pinyin.tsv", lineno, f"more than {MAX_READINGS} readings")
            for reading in readings:
                if not (len(reading) <= MAX_SYLLABLE and reading.isascii() and reading.isalpha() and reading.islower()):
                    raise LexiconError(chars_dir / "pinyin.tsv", lineno,
                                       f"reading {reading!r} is not 1 to {MAX_SYLLABLE} letters a-z")
            self.pinyin[row["char"]] = readings
        self.fuzzy_initials: dict[str, str] = {}
        self.fuzzy_finals: dict[str, str] = {}
        for lineno, row in self._table("fuzzy_pinyin.tsv", ("from", "to", "kind")).rows:
            target = {"initial": self.fuzzy_initials, "final": self.fuzzy_finals}.get(row["kind"])
            if target is None:
                raise LexiconError(chars_dir / "fuzzy_pinyin.tsv", lineno, f"kind must be initial or final, got {row['kind']!r}")
            target[row["from"]] = row["to"]
        self._folds: dict[str, Fold] = {}
        # The steps of the characters folded so far whose fold took any (explanations list them).
        self.changed: dict[str, tuple[tuple[str, str, str], ...]] = {}

    def _table(self, name: str, required: tuple[str, ...]):
        table = read_table(self.dir / name, required=required, codepoints=True)
        self.sources.append(table.source())
        return table

    def _map(self, name: str) -> dict[str, str]:
        table = self._table(name, ("from", "to"))
        mapping: dict[str, str] = {}
        for lineno, row in table.rows:
            if row["from"] in mapping:
                raise LexiconError(table.path, lineno, f"duplicate source {row['from']!r}")
            mapping[row["from"]] = row["to"]
        return mapping

    # -- the variant form -------------------------------------------------------------------------------------
    def fold(self, ch: str) -> Fold:
        """The variant form of one input character (cached)."""
        cached = self._folds.get(ch)
        if cached is None:
            cached = self._compute_fold(ch)
            # Folding ends at a fixed point, so that a folded name folds to itself: a folded character can fold
            # further (Ö→ö by case, then UTS #39 takes ö to its prototype ة).
            for _ in range(MAX_FOLD_ROUNDS):
                again = [self._compute_fold(c) for c in cached.text]
                text = "".join(f.text for f in again)
                if text == cached.text:
                    break
                cached = Fold(text, cached.steps + tuple(step for f in again for step in f.steps))
            self._folds[ch] = cached
            if cached.steps:
                self.changed[ch] = cached.steps
        return cached

    def _compute_fold(self, ch: str) -> Fold:
        if ch in self.ignorable:
            return Fold("", ((ch, "", INVISIBLE),))
        steps: list[tuple[str, str, str]] = []
        # Radicals first: NFKC maps Kangxi radicals but not the supplement (⺠); the table covers both.
        text = self.radicals.get(ch)
        if text is not None:
            steps.append((ch, text, RADICAL))
        else:
            text = unicodedata.normalize("NFKC", ch)
            # A look-alike letter is mapped as written: NFKC first would turn Greek Ϲ into Σ, which looks like
            # nothing Latin.  Compatibility forms that NFKC brings to ASCII (Ａ, ①) keep that reading.
            if not text.isascii() and not is_han(ch) and ch in self.uts39:
                text = unicodedata.normalize("NFKC", self.uts39[ch])
                steps.append((ch, text, CROSS_SCRIPT))
            elif text != ch:
                steps.append((ch, text, WIDTH))
        out = []
        for c in text:
            out.append(self._fold_one(c, steps))
        return Fold("".join(out), tuple(steps))

    def _fold_one(self, c: str, steps: list[tuple[str, str, str]]) -> str:
        if c in self.ignorable:
            steps.append((c, "", INVISIBLE))
            return ""
        if is_han(c):
            for table, channel in ((self.radicals, RADICAL), (self.t2s, TRADITIONAL), (self.variants, VARIANT)):
                mapped = table.get(c)
                if mapped and mapped != c:
                    steps.append((c, mapped, channel))
                    c = mapped
            return c
        if not c.isascii():
            mapped = self.uts39.get(c)
            if mapped is not None and mapped != c:
                mapped = unicodedata.normalize("NFKC", mapped)
                steps.append((c, mapped, CROSS_SCRIPT))
                c = mapped
        out = []
        for x in c:
            category = unicodedata.category(x)
            # Letters and digits carry the name; everything else (spaces, punctuation, symbols, emoji, marks,
            # controls) is decoration an impostor inserts to break matching.
            if category[0] == "L" or category == "Nd":
                out.append(x.casefold())
            else:
                steps.append((x, "", NOISE))
        return "".join(out)

    # -- the visual form and pinyin ----------------------------------------------------------------------------
    def visual_of(self, c: str) -> str:
        """The look-alike cluster representative of a variant-form character (itself when it has none)."""
        return self.visual.get(c, c)

    def readings(self, c: str) -> tuple[str, ...]:
        """Toneless pinyin readings of a variant-form Han character, most common first (heteronyms included)."""
        return self.pinyin.get(c, ())

    def fuzzy(self, syllable: str) -> str:
        """A syllable under the IME fuzzy-sound rules (zh→z, ing→in …): the near-homophone key."""
        for initial in ("zh", "ch", "sh"):
            if syllable.startswith(initial):
                head, tail = initial, syllable[2:]
                break
        else:
            head, tail = (syllable[0], syllable[1:]) if syllable[0] in "bpmfdtnlgkhjqxrzcsyw" else ("", syllable)
        head = self.fuzzy_initials.get(head, head)
        for final, folded in self.fuzzy_finals.items():
            if tail.endswith(final):
                tail = tail[: len(tail) - len(final)] + folded
                break
        return head + tail
