"""Text in → normalized tokens: the one definition every later stage (registry, search, scoring) builds on.

A name becomes a sequence of tokens.  Each token keeps
  * ``text``: its variant form (traditional→simplified, radicals, widths and invisibles folded),
  * ``visual``: its look-alike key (入→人, 曰→日, Cyrillic С→c, ㄖ→日),
  * ``readings`` / ``fuzzy``: its toneless pinyin and near-homophone keys,
  * ``source``: the raw characters it came from, for explanations.

Latin input is brought into the same pinyin space: a run such as ``renminribao`` that spells pinyin becomes
syllable tokens (ren min ri bao) that compare with Han characters by sound; other runs (cctv, tb) stay letters.
"""

from __future__ import annotations

import itertools
import operator
import struct
from dataclasses import dataclass, field
from functools import lru_cache

from . import kernel
from .chars import MAX_READINGS, CharTables, is_han
from .memo import Memo, cached

HAN, LATIN, SYLLABLE, DIGIT, OTHER = "han", "latin", "syllable", "digit", "other"
MAX_NAME_CHARS = 256  # account names are short; longer input is screened on its first 256 characters
MIN_INTERLEAVED = 2
MAX_LATIN_RUNS = 1 << 16  # Latin runs whose reading is kept; emptied when full
SEPARATOR_KINDS = (LATIN, SYLLABLE, DIGIT)
# A token as integers for the compiled kernel: text, visual, is-syllable, readings, fuzzy keys (-1: none).
TOKEN_CODE = struct.Struct(f"=3i{MAX_READINGS}i{MAX_READINGS}i")
MAX_PINYIN_RUN = 64  # a longer run of letters is not read as pinyin
kernel.require(TOKEN_FIELDS=TOKEN_CODE.size // 4, MAX_SCREENED=MAX_NAME_CHARS,
               MAX_PINYIN_RUN=MAX_PINYIN_RUN)


@dataclass(frozen=True)
class Token:
    text: str
    source: str
    kind: str
    visual: str
    readings: tuple[str, ...] = ()
    fuzzy: tuple[str, ...] = ()
    keys: tuple[int, ...] = ()  # search key ids (see Normalizer.key_id): look-alike, spelled pinyin, fuzzy pinyin
    code: bytes = field(default=b"", repr=False, compare=False)  # TOKEN_CODE, for the compiled kernel


@dataclass(frozen=True)
class Normalized:
    """A name under normalization: its tokens, and the folding steps taken (computed when asked for)."""

    raw: str
    tokens: tuple[Token, ...]
    truncated: bool = False
    tables: CharTables | None = field(default=None, repr=False, compare=False)  # whose folds made it
    interleaved: tuple[str, ...] = ()  # single letters or digits dropped from between Han characters (人1民2日3报)

    def __init__(self, raw: str, tokens: tuple[Token, ...], truncated: bool = False, tables: CharTables | None = None,
                 interleaved: tuple[str, ...] = ()) -> None:
        # Frozen, so the fields are set through __dict__ in one call: a frozen dataclass's own __init__ sets each
        # through object.__setattr__, which costs more than the common case of normalizing.
        self.__dict__.update(raw=raw, tokens=tokens, truncated=truncated, tables=tables, interleaved=interleaved)

    @property
    def steps(self) -> tuple[tuple[str, str, str], ...]:
        """Every folding step (from, to, channel) taken on the raw name, in order: only explanations need them."""
        if self.tables is None:
            return ()
        raw = self.raw[:MAX_NAME_CHARS]
        changed = self.tables.changed  # every character of raw was folded on the way in
        if changed.keys().isdisjoint(raw):
            return ()
        return tuple(itertools.chain.from_iterable(changed.get(ch, ()) for ch in raw))

    @cached
    def variant(self) -> str:
        """Same text, other encoding or script form: 人民曰報網 → 人民曰报网."""
        return variant_of(self.tokens)

    @property
    def skeleton(self) -> str:
        """The visual skeleton: look-alikes folded to one representative: 入民曰報 → 人民日报."""
        return "".join(t.visual for t in self.tokens)

    @property
    def phonetic(self) -> str:
        """Toneless pinyin, one syllable (the most common reading) per token: 人明日报 → ren ming ri bao."""
        return " ".join(t.readings[0] if t.readings else t.text for t in self.tokens)


def drop_interleaved(tokens: list[Token]) -> tuple[list[Token], tuple[str, ...]]:
    """Drop single letters or digits set between Han characters, when a name does it at least MIN_INTERLEAVED times
    (人1民2日3报, 人a民a日a报): interleaving is noise, while one letter among Han characters (A股) may be meant."""
    between = [i for i in range(1, len(tokens) - 1)
               if tokens[i].kind in SEPARATOR_KINDS and len(tokens[i].source) == 1
               and tokens[i - 1].kind == HAN and tokens[i + 1].kind == HAN]
    if len(between) < MIN_INTERLEAVED:
        return tokens, ()
    drop = set(between)
    return [t for i, t in enumerate(tokens) if i not in drop], tuple(tokens[i].source for i in between)


_text = operator.attrgetter("text")


def variant_of(tokens: tuple[Token, ...]) -> str:
    """The variant text of a name's tokens (``Normalized.variant``)."""
    return "".join(map(_text, tokens))


class Normalizer:
    """Compiled once from the character tables; ``normalize`` is then a per-character table walk."""

    def __init__(self, tables: CharTables) -> None:
        self.tables = tables
        readings = {r for rs in tables.pinyin.values() for r in rs}
        # Syllables without a vowel (m, n, ng, hm) are interjections; letting them in would read "tb" as pinyin.
        self.syllables = frozenset(r for r in readings if any(v in r for v in "aeiouv"))
        self.max_syllable = max(map(len, self.syllables), default=6)
        self._han_token = lru_cache(maxsize=None)(self._make_han_token)
        self.pieces: dict[str, tuple[Token | str, ...]] = {}  # per input character, filled on first sight
        self._single: dict[str, Token] = {}  # the characters of pieces that are exactly one token
        self._separators: set[str] = set()  # those of them whose token is a letter, syllable or digit
        self._latin: Memo[tuple[tuple[str, str], ...], list[Token]] = Memo(MAX_LATIN_RUNS)  # Latin runs read before
        # Letter and syllable tokens by (text, source): new runs are mostly made of ones met before (Zhong, ｔｂ).
        self._letters: Memo[tuple[str, str], Token] = Memo(MAX_LATIN_RUNS)
        self._spelled: Memo[tuple[str, str], Token] = Memo(MAX_LATIN_RUNS)
        self._segments: Memo[str, list[int] | None] = Memo(MAX_LATIN_RUNS)  # segment_pinyin by letters
        # Search keys as small integers: "v" look-alike key, "s" pinyin spelled in Latin, "p" fuzzy pinyin.
        self._key_ids: dict[str, int] = {}
        self.key_kinds: list[str] = []
        self._fuzzy = lru_cache(maxsize=None)(tables.fuzzy)
        self._interned: dict[str, int] = {}

    def intern(self, text: str) -> int:
        """A small integer per distinct string (texts, look-alike keys, readings), for the compiled kernel."""
        found = self._interned.get(text)
        if found is None:
            found = self._interned[text] = len(self._interned)
        return found

    def _code(self, text: str, visual: str, syllable: bool, readings: tuple[str, ...], fuzzy: tuple[str, ...]) -> bytes:
        slots = [-1] * (2 * MAX_READINGS)
        for k, r in enumerate(readings):
            slots[k] = self.intern(r)
        for k, f in enumerate(fuzzy):
            slots[MAX_READINGS + k] = self.intern(f)
        return TOKEN_CODE.pack(self.intern(text), self.intern(visual), int(syllable), *slots)

    def normalize(self, name: str) -> Normalized:
        truncated = len(name) > MAX_NAME_CHARS
        tokens, dropped = self._read(name[:MAX_NAME_CHARS] if truncated else name)
        return Normalized(raw=name, tokens=tokens, truncated=truncated, tables=self.tables, interleaved=dropped)

    def tokens(self, name: str) -> tuple[Token, ...]:
        """``normalize(name).tokens`` alone (the registry reads 100,000 custom names through it)."""
        return self._read(name[:MAX_NAME_CHARS])[0]

    def _read(self, raw: str) -> tuple[tuple[Token, ...], tuple[str, ...]]:
        """The tokens of ``raw`` (at most MAX_NAME_CHARS characters), and the interleaved letters dropped."""
        tokens = list(map(self._single.get, raw))
        single = all(tokens)  # the common case: one token per character, no Latin letters
        if not single:
            tokens = self._tokens(raw)
        # Letters or digits may stand between the Han characters only where the name has any.
        if len(tokens) >= MIN_INTERLEAVED * 2 + 1 and (not single or not self._separators.isdisjoint(raw)):
            kept, dropped = drop_interleaved(tokens)
            return tuple(kept), dropped
        return tuple(tokens), ()

    def _tokens(self, raw: str) -> list[Token]:
        pieces_of = self.pieces
        tokens: list[Token] = []
        latin_run: list[tuple[str, str]] = []  # (letter, source char)
        for ch in raw:
            pieces = pieces_of.get(ch)
            if pieces is None:
                pieces = self._compile_char(ch)
            for piece in pieces:
                if piece.__class__ is str:  # a Latin letter: runs are read as pinyin or letters once complete
                    latin_run.append((piece, ch))
                    continue
                if latin_run:
                    tokens.extend(self._latin_tokens(latin_run))
                    latin_run = []
                tokens.append(piece)
        if latin_run:
            tokens.extend(self._latin_tokens(latin_run))
        return tokens

    def _compile_char(self, ch: str) -> tuple[Token | str, ...]:
        """What one input character contributes: tokens, and Latin letters still to be grouped into runs."""
        pieces: list[Token | str] = []
        for c in self.tables.fold(ch).text:
            if "a" <= c <= "z":
                pieces.append(c)
            else:
                pieces.append(self._han_token(c, ch) if is_han(c) else self._other_token(c, ch))
        self.pieces[ch] = result = tuple(pieces)
        if len(result) == 1 and result[0].__class__ is Token:
            self._single[ch] = result[0]
            if result[0].kind in SEPARATOR_KINDS:
                self._separators.add(ch)
        return result

    def key_id(self, kind: str, value: str) -> int:
        """The integer id of search key ``kind``+``value`` (kind: v, s or p), assigned on first use."""
        key = kind + value
        found = self._key_ids.get(key)
        if found is None:
            found = self._key_ids[key] = len(self.key_kinds)
            self.key_kinds.append(kind)
        return found

    def _keys(self, visual: str, spelled: str | None, fuzzy: tuple[str, ...]) -> tuple[int, ...]:
        keys = [self.key_id("v", visual)]
        if spelled is not None:
            keys.append(self.key_id("s", spelled))
        keys += [self.key_id("p", f) for f in fuzzy]
        return tuple(keys)

    # -- token builders -----------------------------------------------------------------------------------------
    def _make_han_token(self, c: str, source: str) -> Token:
        readings = self.tables.readings(c)
        fuzzy = tuple(dict.fromkeys(self._fuzzy(r) for r in readings))
        visual = self.tables.visual_of(c)
        return Token(text=c, source=source, kind=HAN, visual=visual, readings=readings, fuzzy=fuzzy,
                     keys=self._keys(visual, None, fuzzy), code=self._code(c, visual, False, readings, fuzzy))

    def _other_token(self, c: str, source: str) -> Token:
        kind = DIGIT if c.isdigit() else OTHER
        visual = self.tables.visual_of(c)
        return Token(text=c, source=source, kind=kind, visual=visual, keys=self._keys(visual, None, ()),
                     code=self._code(c, visual, False, (), ()))

    def _latin_tokens(self, run: list[tuple[str, str]]) -> list[Token]:
        return self._latin.recall(tuple(run), self._read_latin)

    def _read_latin(self, run: tuple[tuple[str, str], ...]) -> list[Token]:
        letters = "".join(c for c, _ in run)
        cuts = self._segments.recall(letters, self.segment_pinyin)
        if cuts is None:
            return [self.letter_token(c, src) for c, src in run]
        tokens = []
        start = 0
        for end in cuts:
            tokens.append(self.syllable_token(letters[start:end], "".join(src for _, src in run[start:end])))
            start = end
        return tokens

    def letter_token(self, letter: str, source: str) -> Token:
        """A Latin letter of a run that is not pinyin (cctv, tb)."""
        return self._letters.recall((letter, source), self._make_letter_token)

    def syllable_token(self, syllable: str, source: str) -> Token:
        """A pinyin syllable spelled in Latin letters (ren, min)."""
        return self._spelled.recall((syllable, source), self._make_syllable_token)

    def _make_letter_token(self, key: tuple[str, str]) -> Token:
        letter, source = key
        visual = self.tables.visual_of(letter)
        return Token(text=letter, source=source, kind=LATIN, visual=visual, keys=self._keys(visual, None, ()),
                     code=self._code(letter, visual, False, (), ()))

    def _make_syllable_token(self, key: tuple[str, str]) -> Token:
        syllable, source = key
        fuzzy = (self._fuzzy(syllable),)
        return Token(text=syllable, source=source, kind=SYLLABLE, visual=syllable, readings=(syllable,),
                     fuzzy=fuzzy, keys=self._keys(syllable, syllable, fuzzy),
                     code=self._code(syllable, syllable, True, (syllable,), fuzzy))

    def segment_pinyin(self, letters: str) -> list[int] | None:
        """End offsets splitting ``letters`` into the fewest pinyin syllables, or None when it is not pinyin."""
        n = len(letters)
        if n == 0 or n > MAX_PINYIN_RUN:
            return None
        best: list[tuple[int, int] | None] = [None] * (n + 1)  # (syllable count, previous cut)
        best[0] = (0, -1)
        for i in range(n):
            if best[i] is None:
                continue
            count = best[i][0] + 1
            for j in range(min(n, i + self.max_syllable), i, -1):
                if letters[i:j] in self.syllables and (best[j] is None or best[j][0] > count):
                    best[j] = (count, i)
        if best[n] is None:
            return None
        cuts = []
        j = n
        while j > 0:
            cuts.append(j)
            j = best[j][1]
        return cuts[::-1]

