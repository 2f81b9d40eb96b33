"""Word boundaries: does a stretch of a name stand as a word of it, or straddle two?

山海关胡杨林 carries the characters of 海关 (the customs), but reads 山海关 / 胡杨林: 海关 is part of a place name.
行政协同软件 carries 政协 across 行政 / 协同; 海军蓝毛衣店 carries 海军 inside 海军蓝 (navy blue).  A carried name
counts where the name's best reading keeps it whole.

The reading is the most probable segmentation under a unigram model of word frequencies (the standard dictionary
segmentation, as jieba's precise mode does it), over the word list ``lexicons/words/jieba.tsv`` (jieba 0.42.1's
dictionary).  Only runs of Han characters are segmented: every other token (a Latin letter or syllable, a digit)
is a word boundary on both sides.  The stretch asked about counts as a word too, at the cost of its own best
reading (a registry name the dictionary lacks, 央广, is not penalised for that): it stands when a best reading of
the whole name has a boundary at both of its ends.

The 350,000 words are held as sorted integer keys (a word of up to KEY_CHARS characters packed from its
characters' numbers) with their costs: read with numpy in a few tens of milliseconds, a few megabytes in memory,
and looked up for all the substrings of a name in one search.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .lexicon import LexiconError, Source, read_header, read_text
from .memo import Memo

COLUMNS = ("word", "freq", "tag")
MAX_WORD = 8  # longer dictionary words (idioms, long names: 0.3% of the list) do not decide a boundary of a name
KEY_CHARS = 4  # words up to this long are packed keys; longer ones (2%) are kept in a dict
CHAR_BITS = 15  # a character's number in the list's alphabet (the list has about 20,000 characters)
MAX_STRETCHES = 1 << 14  # answers kept; the same names and registry names recur
TIE = 1e-9  # readings this close are equally good: the stretch stands
# Tags of ordinary words in jieba's list (common nouns, verbs, adjectives, adverbs, locality and time words…), not
# of proper names (ns place, nr person, nrt, nz other proper noun, nt organisation).
ORDINARY_TAGS = frozenset({"n", "v", "a", "d", "s", "f", "t", "vn", "an", "ad", "vd", "i", "l", "b", "z", "m", "q"})
ORDINARY_MIN_LOG = math.log(100)  # and used at least this often (frequency 100) in jieba's corpus

Texts = Sequence["str | None"]  # one entry per token: a Han character, or None for any other token (a boundary)


class Words:
    """A word list with frequencies, and the best segmentation of a name under it.

    The list is read when first needed (0.1 s, and most names never need it: only those that carry a registry
    name inside a longer one); ``load`` reads it now, as a service or a scan about to fork its workers does.  A
    malformed list is refused then, whole, with its path and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keys: np.ndarray | None = None  # None: not read yet
        self._lock = threading.Lock()
        self._stands: Memo[tuple, bool] = Memo(MAX_STRETCHES)
        self._readings: Memo[tuple, list[tuple[int, int]]] = Memo(MAX_STRETCHES)

    def load(self) -> "Words":
        with self._lock:
            if self.keys is None:
                (self.meta, alphabet, keys, self.key_costs, self.key_tags, self.long_words, self.unknown, rows,
                 self._organisations) = _read(self.path)  # organisations: words tagged nt (机构团体), 国务院, 新华社
                self.char_ids = dict(zip(alphabet, range(len(alphabet))))
                self._source = Source(self.path, self.meta, rows)
                self.keys = keys  # last: the list counts as read once everything is in place
        return self

    @property
    def source(self) -> Source:
        return self.load()._source

    @property
    def organisations(self) -> frozenset[str]:
        return self.load()._organisations

    # -- the questions ------------------------------------------------------------------------------------------------
    def stands(self, texts: Texts, start: int, end: int) -> bool:
        """Whether ``texts[start:end]`` is kept whole by a best reading of ``texts``."""
        if _boundary(texts, start) and _boundary(texts, end):  # what no reading can avoid
            return True
        key = (tuple(texts), start, end)
        known = self._stands.get(key)
        if known is None:
            known = self._stands[key] = self._keeps(key[0], start, end)
        return known

    def segment(self, texts: Texts) -> list[tuple[int, int]]:
        """The best reading of ``texts`` as (start, end) token spans."""
        key = tuple(texts)
        known = self._readings.get(key)
        if known is None:
            known = self._readings[key] = self._segment(key)
        return known

    def _segment(self, texts: tuple[str | None, ...]) -> list[tuple[int, int]]:
        words = self.lattice(texts)
        n = len(texts)
        best = _costs(words, n, 0, n)
        spans, i = [], 0
        while i < n:
            end = next(j for j in sorted(words.get(i, {i + 1: 0.0}))
                       if abs(words.get(i, {i + 1: 0.0})[j] + best[j] - best[i]) <= TIE)
            spans.append((i, end))
            i = end
        return spans

    def entry(self, text: str) -> tuple[float, str] | None:
        """A listed word of up to KEY_CHARS characters: (its cost, its part-of-speech tag); None when not listed."""
        if self.keys is None:
            self.load()
        key = 0
        for k, ch in enumerate(text):
            number = self.char_ids.get(ch)
            if number is None or k >= KEY_CHARS:
                return None
            key |= (number + 1) << (CHAR_BITS * k)
        at = min(int(np.searchsorted(self.keys, key)), len(self.keys) - 1)
        if not text or int(self.keys[at]) != key:
            return None
        code = int(self.key_tags[at])
        return float(self.key_costs[at]), bytes((code >> (8 * k)) & 0xFF for k in range(4)).rstrip(b"\0").decode()

    def ordinary(self, text: str) -> bool:
        """Whether ``text`` is an ordinary word: listed as a common noun, verb, adjective and the like (not a place,
        person, organisation or other proper name), and frequent."""
        found = self.entry(text)
        return found is not None and found[1] in ORDINARY_TAGS and found[0] <= self.unknown - ORDINARY_MIN_LOG

    def is_word(self, text: str) -> bool:
        """Whether ``text``, of two or more Han characters, is a word of the list."""
        if len(text) < 2:
            return False
        if len(text) <= KEY_CHARS:
            return self.entry(text) is not None
        return len(text) <= MAX_WORD and text in self.load().long_words

    # -- how ----------------------------------------------------------------------------------------------------------
    def _keeps(self, texts: tuple[str | None, ...], start: int, end: int) -> bool:
        words = self.lattice(texts)
        n = len(texts)
        inner = _costs(words, n, start, end)[start]
        kept = _costs(words, n, 0, start)[0] + inner + _costs(words, n, end, n)[end]
        words.setdefault(start, {})[end] = min(inner, words.get(start, {}).get(end, math.inf))
        return kept <= _costs(words, n, 0, n)[0] + TIE

    def lattice(self, texts: Texts) -> dict[int, dict[int, float]]:
        """Every dictionary word in ``texts``: start -> {end: cost}; a Han character the list lacks is a word of
        frequency 1 (as jieba counts it), and any other token a word of cost 0 (it changes no comparison)."""
        if self.keys is None:
            self.load()
        n = len(texts)
        ids = [self.char_ids.get(t, -1) if t is not None else -2 for t in texts]
        words: dict[int, dict[int, float]] = {i: {i + 1: 0.0 if ids[i] == -2 else self.unknown} for i in range(n)}
        spans, keys = [], []
        for i in range(n):
            key = 0
            for j in range(i, min(n, i + KEY_CHARS)):
                if ids[j] < 0:
                    break
                key |= (ids[j] + 1) << (CHAR_BITS * (j - i))
                spans.append((i, j + 1))
                keys.append(key)
        if keys:
            wanted = np.array(keys, dtype=np.int64)
            where = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
            listed = (self.keys[where] == wanted).tolist()
            for (i, j), cost, found in zip(spans, self.key_costs[where].tolist(), listed):
                if found:
                    words[i][j] = cost
        if self.long_words:
            for i in range(n):
                if ids[i] < 0:
                    continue
                word = texts[i]
                for j in range(i + 1, min(n, i + MAX_WORD)):
                    if ids[j] < 0:
                        break
                    word += texts[j]  # type: ignore[operator]
                    if j + 1 - i > KEY_CHARS and word in self.long_words:
                        words[i][j + 1] = self.long_words[word]
        return words


def _boundary(texts: Texts, at: int) -> bool:
    return at == 0 or at == len(texts) or texts[at - 1] is None or texts[at] is None


def _costs(words: dict[int, dict[int, float]], n: int, lo: int, hi: int) -> list[float]:
    """best[i]: the cost of the best reading of [i, hi), for i in [lo, hi] (indices as in the name)."""
    best = [math.inf] * (n + 1)
    best[hi] = 0.0
    for i in range(hi - 1, lo - 1, -1):
        best[i] = min(cost + best[j] for j, cost in words[i].items() if j <= hi)
    return best


def _read(path: Path):
    """The word list, in bulk with numpy over its code points: (meta, alphabet, sorted keys, their costs and tags,
    long words, the cost of an unlisted character, rows, the words tagged as organisations).  A malformed row is
    refused with its line, and nothing is loaded."""
    text = read_text(path)
    if not text.endswith("\n"):
        text += "\n"
    meta, offset, first = _header(path, text)
    body = text[offset:]
    if not body:
        raise LexiconError(path, first, "no words")
    # One array element per character (UTF-32): a word's first characters, its tabs and digits are plain indexes.
    points = np.frombuffer(body.encode("utf-32-le"), dtype=np.uint32)
    starts, word_end, freq_end, ends = _fields(path, body, points, first)
    counts = _frequencies(path, points, word_end, freq_end, first)
    total = float(counts.sum())
    costs = math.log(total) - np.log(counts.astype(np.float64))
    del counts
    keys, short, alphabet = _keys(points, starts, word_end)
    # Each row's tag (1 to 4 ASCII letters) as an integer, its bytes packed.
    tag_length = np.minimum(ends - freq_end - 1, 4)
    tags = np.zeros(len(starts), dtype=np.int64)
    for k in range(4):
        letter = points[np.minimum(freq_end + 1 + k, len(points) - 1)].astype(np.int64) & 0xFF
        tags |= np.where(tag_length > k, letter << (8 * k), 0)
    key_costs, key_tags = costs[short], tags[short]
    order = np.argsort(keys)
    keys, key_costs, key_tags = keys[order], key_costs[order], key_tags[order]
    keep = np.concatenate(([True], keys[1:] != keys[:-1]))  # a word listed twice is looked up once

    def word(row: int) -> str:
        return body[int(starts[row]):int(word_end[row])]

    long_words: dict[str, float] = {}
    lengths = word_end - starts
    for row in np.flatnonzero(~short & (lengths <= MAX_WORD)).tolist():
        long_words.setdefault(word(row), float(costs[row]))
    tagged = (ends - freq_end == 3) & (points[freq_end + 1] == ord("n")) & (points[freq_end + 2] == ord("t"))
    organisations = frozenset(map(word, np.flatnonzero(tagged).tolist()))
    return (meta, [chr(c) for c in alphabet.tolist()], keys[keep], key_costs[keep], key_tags[keep], long_words,
            math.log(total), len(starts), organisations)


def _header(path: Path, text: str) -> tuple[dict[str, str], int, int]:
    """The provenance lines and the column header: (meta, the offset of the first row, its line number)."""
    lines = text[:1 << 14].split("\n")[:-1]
    meta, _, number = read_header(path, lines, COLUMNS)
    return meta, sum(len(line) + 1 for line in lines[:number]), number + 1


def _fields(path: Path, body: str, points: np.ndarray, first: int):
    """Per row: where it starts, where its word and its frequency end (their tabs), and its line feed."""
    ends = np.flatnonzero(points == 10).astype(np.int32)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int32)
    tabs = np.flatnonzero(points == 9).astype(np.int32)
    rows = len(starts)
    # Exactly two tabs per row, in order: word, tab, frequency, tab, tag.
    if len(tabs) == 2 * rows:
        word_end, freq_end = tabs[0::2].copy(), tabs[1::2].copy()
        bad = ~((starts < word_end) & (word_end + 1 < freq_end) & (freq_end + 1 < ends))
    else:
        word_end = freq_end = starts
        bad = np.ones(rows, dtype=bool)
    if bad.any():
        row = int(np.argmax(bad))
        if len(tabs) != 2 * rows:  # the first row that is not a word, a frequency and a tag
            row = next(i for i, line in enumerate(body.split("\n"))
                       if line.count("\t") != 2 or line.startswith("\t") or "\t\t" in line or line.endswith("\t"))
        raise LexiconError(path, first + row, "a row must be: a word, its frequency and its tag, by tabs")
    return starts, word_end, freq_end, ends


def _frequencies(path: Path, points: np.ndarray, word_end: np.ndarray, freq_end: np.ndarray, first: int
                 ) -> np.ndarray:
    """The frequency column, read digit by digit."""
    digits = freq_end - word_end - 1
    if digits.max() > 15:
        raise LexiconError(path, first + int(np.argmax(digits > 15)), "the frequency must be a whole number")
    counts = np.zeros(len(digits), dtype=np.int64)
    for k in range(int(digits.max())):
        more = digits > k
        digit = points[np.where(more, word_end + 1 + k, 0)].astype(np.int64) - 48
        bad = more & ((digit < 0) | (digit > 9))
        if bad.any():
            raise LexiconError(path, first + int(np.argmax(bad)), "the frequency must be a whole number")
        counts = np.where(more, counts * 10 + digit, counts)
    if counts.min() < 1:
        raise LexiconError(path, first + int(np.argmax(counts < 1)), "the frequency must be at least 1")
    return counts


def _keys(points: np.ndarray, starts: np.ndarray, word_end: np.ndarray):
    """Each word of up to KEY_CHARS characters as a key packed from its characters' numbers, which words those
    are, and the alphabet (code points, in order; a character's number is its place + 1)."""
    short = word_end - starts <= KEY_CHARS
    first, last = starts[short], word_end[short]
    chars = np.empty((KEY_CHARS, len(first)), dtype=np.int32)  # code points; -1 past the word's end
    for k in range(KEY_CHARS):
        chars[k] = np.where(first + k < last, points[np.minimum(first + k, len(points) - 1)].view(np.int32), -1)
    alphabet = np.flatnonzero(np.bincount(chars.ravel() + 1)[1:])
    if len(alphabet) >= 1 << CHAR_BITS:  # pragma: no cover - a list of another script
        raise ValueError(f"more than {(1 << CHAR_BITS) - 1} distinct characters")
    number = np.zeros(int(alphabet[-1]) + 2, dtype=np.int64)
    number[alphabet] = np.arange(1, len(alphabet) + 1)  # -1 (no character) reads the last entry: 0
    keys = np.zeros(len(first), dtype=np.int64)
    for k in range(KEY_CHARS):
        keys |= number[chars[k]] << (CHAR_BITS * k)
    return keys, short, alphabet
