"""Character tables: what one code point becomes under each normalization layer.

The tables are generated text files in ``lexicons/chars/`` (see its README for sources).  Which of them apply, in
which order and to which characters, is declared in ``lexicons/chars/chain.toml`` (read here as a ``Chain``; the
table builder reads the same file and folds with this module).  This module only loads them and answers, per code
point and with caching, the layered question UTS #39 answers with its skeleton: ``fold`` gives the *variant* form
of one input character (from which pinyin is read, never from the visual one: a look-alike has another sound),
``visual_of`` a variant-form character's *visual* form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import kernel
from .lexicon import LexiconError, key_line, read_table, read_text, table_blocks, tomllib

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


MAX_READINGS = 4  # per character in pinyin.tsv: the kernel keeps this many (the shipped table has ≤ 3)
MAX_SYLLABLE = 12  # letters in a reading: the kernel's screen packs a syllable's letters into 64 bits
kernel.require(READINGS=MAX_READINGS, MAX_SYLLABLE=MAX_SYLLABLE)


STAGES = ("whole", "each", "visual")
OPS = ("delete", "map", "nfkc", "keep")
SCOPES = {  # which characters a step applies to (a string of several characters is no Han character)
    "any": lambda text: True,
    "han": lambda text: len(text) == 1 and is_han(text),
    "non-han": lambda text: not (len(text) == 1 and is_han(text)),
    "other": lambda text: not text.isascii() and not (len(text) == 1 and is_han(text)),
    "letter-like": lambda text: not (len(text) == 1 and is_han(text))
    and not unicodedata.normalize("NFKC", text).isascii(),
}
CHANNELS = (INVISIBLE, WIDTH, RADICAL, TRADITIONAL, VARIANT, CROSS_SCRIPT, NOISE, "look-alike")
_STEP_KEYS = {"stage": STAGES, "op": OPS, "table": None, "only": tuple(SCOPES), "then": ("nfkc",),
              "channel": CHANNELS}


class Step(NamedTuple):
    stage: str
    op: str
    table: str | None  # the table's file name in the chars directory (delete and map)
    only: str  # a key of SCOPES
    then_nfkc: bool  # NFKC applied to what the table maps to
    channel: str


class Chain:
    """The declared steps of ``chain.toml`` over the tables they name: folds one character (``fold``)."""

    def __init__(self, steps: tuple[Step, ...], rounds: int, tables: dict[str, Any]) -> None:
        missing = sorted({s.table for s in steps if s.table} - set(tables))
        if missing:
            raise ValueError(f"the chain's tables {', '.join(missing)} were not given")
        self.steps, self.rounds = steps, rounds
        bound = [(s, tables[s.table] if s.table else None, SCOPES[s.only]) for s in steps]
        self._whole = [b for b in bound if b[0].stage == "whole"]
        self._each = [b for b in bound if b[0].stage == "each"]
        self._visual = [table for step, table, _ in bound if step.stage == "visual"]

    @staticmethod
    def read(path: Path) -> tuple[tuple[Step, ...], int]:
        """The steps and rounds of a chain file; an unknown key, op, stage, scope or channel, a missing table or
        a step its stage cannot take is refused with the file's path and line."""
        text = read_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LexiconError(path, getattr(exc, "lineno", None), f"invalid TOML: {exc}") from None
        lines = text.split("\n")
        for key in data:
            if key not in ("rounds", "step"):
                raise LexiconError(path, key_line(lines, key, 1, len(lines) + 1),
                                   f"unknown key {key!r}; a chain holds rounds and [[step]] tables")
        rounds = data.get("rounds")
        if not isinstance(rounds, int) or isinstance(rounds, bool) or not 0 <= rounds <= 10:
            raise LexiconError(path, key_line(lines, "rounds", 1, len(lines) + 1), "rounds must be 0 to 10")
        entries = data.get("step")
        if not isinstance(entries, list) or not entries:
            raise LexiconError(path, None, "lists no [[step]]")
        steps = []
        for (start, end), entry in zip(table_blocks(lines, "step"), entries):
            def fail(key: str | None, message: str):
                return LexiconError(path, (key_line(lines, key, start, end) if key else None) or start, message)
            for key, value in entry.items():
                allowed = _STEP_KEYS.get(key, ())
                if key not in _STEP_KEYS:
                    raise fail(key, f"unknown key {key!r}; known: {', '.join(_STEP_KEYS)}")
                if not isinstance(value, str) or (allowed is not None and value not in allowed):
                    raise fail(key, f"{key} must be one of {', '.join(allowed)}, got {value!r}" if allowed
                               else f"{key} must be a file name")
            for key in ("stage", "op", "channel"):
                if key not in entry:
                    raise fail(None, f"a step needs {key}")
            op, table = entry["op"], entry.get("table")
            if (op in ("delete", "map")) != (table is not None):
                raise fail("table", f"a {op} step {'needs' if table is None else 'takes no'} table")
            if "then" in entry and op != "map":
                raise fail("then", "only a map step takes then")
            if table is not None and not (path.parent / table).is_file():
                raise fail("table", f"table {table!r} is not in {path.parent}")
            if entry["stage"] == "visual" and op != "map":
                raise fail("op", "the visual stage only maps")
            if entry["stage"] == "whole" and op == "keep":
                raise fail("op", "keep is a step of the each stage")
            steps.append(Step(entry["stage"], op, table, entry.get("only", "any"), entry.get("then") == "nfkc",
                              entry["channel"]))
        return tuple(steps), rounds

    def fold(self, ch: str) -> Fold:
        """The variant form of one input character: the chain, then again on its result until nothing changes."""
        folded = self._fold_once(ch)
        for _ in range(self.rounds):
            again = [self._fold_once(c) for c in folded.text]
            text = "".join(f.text for f in again)
            if text == folded.text:
                break
            folded = Fold(text, folded.steps + tuple(step for f in again for step in f.steps))
        return folded

    def _fold_once(self, ch: str) -> Fold:
        steps: list[tuple[str, str, str]] = []
        text = ch
        for step, table, applies in self._whole:  # the first that applies
            if not applies(ch):
                continue
            if step.op == "delete":
                if ch in table:
                    return Fold("", ((ch, "", step.channel),))
                continue
            if step.op == "map":
                mapped = table.get(ch)
                if mapped is None or mapped == ch:
                    continue
                text = unicodedata.normalize("NFKC", mapped) if step.then_nfkc else mapped
            else:  # nfkc
                text = unicodedata.normalize("NFKC", ch)
            if text != ch or step.op != "nfkc":
                steps.append((ch, text, step.channel))
            break
        return Fold("".join([self._each_one(c, steps) for c in text]), tuple(steps))

    def _each_one(self, c: str, steps: list[tuple[str, str, str]]) -> str:
        for step, table, applies in self._each:
            if not applies(c):
                continue
            if step.op == "delete":
                if c in table:
                    steps.append((c, "", step.channel))
                    return ""
            elif step.op == "map":
                mapped = table.get(c)
                if mapped is not None and mapped != c:
                    mapped = unicodedata.normalize("NFKC", mapped) if step.then_nfkc else mapped
                    steps.append((c, mapped, step.channel))
                    c = mapped
            elif step.op == "nfkc":
                mapped = unicodedata.normalize("NFKC", c)
                if mapped != c:
                    steps.append((c, mapped, step.channel))
                    c = mapped
            else:  # keep
                kept = []
                for x in c:
                    category = unicodedata.category(x)
                    # Letters and digits carry the name; everything else (spaces, punctuation, symbols, emoji,
                    # marks, controls) is decoration an impostor inserts to break matching.
                    if category[0] == "L" or category == "Nd":
                        kept.append(x.casefold())
                    else:
                        steps.append((x, "", step.channel))
                c = "".join(kept)
        return c

    def visual_of(self, c: str) -> str:
        """The look-alike cluster representative of a variant-form character (itself when it has none)."""
        for table in self._visual:
            c = table.get(c, c)
        return c


class CharTables:
    """All character tables of one lexicon directory, compiled into per-code-point lookups."""

    def __init__(self, chars_dir: Path) -> None:
        self.dir = chars_dir
        self.sources: list = []  # the tables read, for `impostor lexicon list`
        steps, rounds = Chain.read(chars_dir / "chain.toml")
        tables: dict[str, Any] = {}
        for step in steps:
            if step.table and step.table not in tables:
                tables[step.table] = self._map(step.table) if step.op == "map" else \
                    {row["from"] for _, row in self._table(step.table, ("from",)).rows}
        self.chain = Chain(steps, rounds, tables)
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
            cached = self._folds[ch] = self.chain.fold(ch)
            if cached.steps:
                self.changed[ch] = cached.steps
        return cached

    # -- the visual form and pinyin ----------------------------------------------------------------------------
    def visual_of(self, c: str) -> str:
        """The look-alike cluster representative of a variant-form character (itself when it has none)."""
        return self.chain.visual_of(c)

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
