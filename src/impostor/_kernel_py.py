"""The compiled kernel's Python twin: ``_kernel.c`` line for line, with the same types, constructors, methods,
constants and errors (the way rapidfuzz keeps ``fuzz_py`` beside its compiled ``fuzz``).

    Aligner     the weighted edit distance placing registry names in a name (scoring.Scorer)
    Searcher    the key-pair candidate search (candidates.CandidateIndex)
    Screen      a name read from its raw characters, passed when it can hold no candidate, word, region, pattern
                or initials; word_spans: where the vocabulary's words may be
    LineTable   the distinct lines of a scan's text input and their row tails (lines.LineMemo)
    join_rows   output rows joined in one pass (output.jsonl_rows)

kernel.py chooses one of the two once, for the whole process; tests/test_kernel.py runs both on the same inputs
and the suite runs once on each (``IMPOSTOR_KERNEL=python``).  Everything works on the integers Python prepares:

    a token code    int32[TOKEN_FIELDS]: text id, visual id, is-syllable, READINGS reading ids, READINGS
                    fuzzy-pinyin ids (-1 where there is none); ids are interned strings (Normalizer.intern)
    a key pair      (first key << 32) | second key, key ids from Normalizer.key_id

The C side hashes words and initials where this side keeps them in sets: a hash may only send a name on to the
full path (never pass one), and the caller checks every word span against the vocabulary.
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable, Sequence

__all__ = ["TOKEN_FIELDS", "READINGS", "MAX_SCREENED", "MAX_WORD", "MAX_PINYIN_RUN", "MAX_SYLLABLE", "CHANNELS",
           "Aligner", "Searcher", "Screen", "LineTable", "join_rows"]  # the compiled kernel's API, no more
TOKEN_FIELDS = 11
READINGS = 4
MAX_SCREENED = 256  # normalize.MAX_NAME_CHARS: longer names are never screened
MAX_WORD = 32
MAX_PINYIN_RUN = 64  # normalize.Normalizer.segment_pinyin reads no longer run as pinyin
MAX_SYLLABLE = 12
CHANNELS = ("identical", "look-alike", "pinyin", "homophone", "near-homophone", "near look-alike", "same-kind word",
            "different", "inserted", "repeated", "deleted")
(IDENTICAL, LOOKALIKE, PINYIN, HOMOPHONE, NEAR_HOMOPHONE, NEAR_LOOKALIKE, SYNONYM, OTHER, INSERTED, REPEATED,
 DELETED) = range(len(CHANNELS))
SUB, DEL, INS = 0, 1, 2
CHAR_SLOTS = 1 << 17


def _items(obj: Any, code: str, what: str) -> array:
    """A buffer's items as an array of type ``code``, refused when its size is not a whole number of them."""
    data = bytes(memoryview(obj).cast("B"))
    items = array(code)
    if len(data) % items.itemsize:
        raise ValueError(f"{what}: size {len(data)} is not a multiple of {items.itemsize}")
    items.frombytes(data)
    return items


def _tokens(codes: bytes) -> list[tuple[int, ...]]:
    """Token codes as one tuple of TOKEN_FIELDS ints per token."""
    ints = array("i")
    ints.frombytes(codes)
    return [tuple(ints[k:k + TOKEN_FIELDS]) for k in range(0, len(ints), TOKEN_FIELDS)]


def _ids(token: tuple[int, ...], first: int) -> frozenset[int]:
    """The reading (first = 3) or fuzzy-pinyin (first = 3 + READINGS) ids of a token, up to the first -1."""
    found = []
    for value in token[first:first + READINGS]:
        if value < 0:
            break
        found.append(value)
    return frozenset(found)


# -- the Scorer kernel: weighted edit distance with free prefix and suffix --------------------------------------------
class Aligner:
    """Weighted edit distance of a registry name inside a name (see scoring.Scorer)."""

    def __init__(self, pairs: Any, pair_costs: Any, pair_channels: Any, lookalike: float, pinyin: float,
                 homophone: float, near_homophone: float, insert: float, repeat: float, insert_min_length: int,
                 block_score: float, op_type: type, alignment_type: type, channel_names: tuple[str, ...],
                 filler_texts: Any, filler_costs: Any) -> None:
        for kind in (op_type, alignment_type):
            if not (isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")):
                raise TypeError("op_type and alignment_type must be tuple subclasses without fields of their own "
                                "(NamedTuples)")
        if not isinstance(channel_names, tuple) or len(channel_names) <= DELETED:
            raise ValueError("channel_names must name every channel code")
        if not all(isinstance(name, str) for name in channel_names):
            raise TypeError("channel_names must be strings")
        keys, costs, channels = (_items(pairs, "Q", "pairs"), _items(pair_costs, "d", "pair_costs"),
                                 _items(pair_channels, "i", "pair_channels"))
        if not len(keys) == len(costs) == len(channels):
            raise ValueError("pairs, pair_costs and pair_channels differ in length")
        texts, filling = _items(filler_texts, "Q", "filler_texts"), _items(filler_costs, "d", "filler_costs")
        if len(texts) != len(filling):
            raise ValueError("filler_texts and filler_costs differ in length")
        # (expected text id, found text id) -> (cost, channel code); a later duplicate wins, as in the C map
        self.substitutes = {(key >> 32, key & 0xFFFFFFFF): (cost, channel)
                            for key, cost, channel in zip(keys, costs, channels)}
        self.partnered = {key & 0xFFFFFFFF for key in keys}  # found texts of substitutes
        self.fillers = dict(zip(texts, filling))  # text id -> what inserting it costs (的, 之)
        self.lookalike, self.pinyin, self.homophone, self.near_homophone = lookalike, pinyin, homophone, near_homophone
        self.insert, self.repeat, self.insert_min_length, self.block_score = insert, repeat, insert_min_length, block_score
        self.op_type, self.alignment_type, self.channel_names = op_type, alignment_type, channel_names
        self._patterns: dict[bytes, list[tuple[tuple[int, ...], frozenset[int], frozenset[int]]]] = {}

    def _substitution(self, expected, found, partnered: bool) -> tuple[float, int]:
        """The cheapest channel explaining ``found`` where ``expected`` should be (each: code, readings, fuzzy)."""
        e, e_readings, e_fuzzy = expected
        f, f_readings, f_fuzzy = found
        if e[0] == f[0]:
            return 0.0, IDENTICAL
        if e[1] == f[1]:
            return self.lookalike, LOOKALIKE
        if not e_readings.isdisjoint(f_readings):
            return (self.pinyin, PINYIN) if f[2] else (self.homophone, HOMOPHONE)
        best, how = 1.0, OTHER
        if not e_fuzzy.isdisjoint(f_fuzzy):
            best, how = self.near_homophone, NEAR_HOMOPHONE
        listed = self.substitutes.get((e[0], f[0])) if partnered else None
        if listed is not None and listed[0] < best:
            best, how = listed
        return best, how

    def _read(self, codes: bytes) -> list[tuple[tuple[int, ...], frozenset[int], frozenset[int]]]:
        return [(t, _ids(t, 3), _ids(t, 3 + READINGS)) for t in _tokens(codes)]

    def _score(self, cost: float, budget: float) -> float:  # Costs.score, in the same order of operations
        score = 1.0 - (1.0 - self.block_score) * cost / budget
        score = score if score < 1.0 else 1.0
        return score if score > 0.0 else 0.0

    def _align_one(self, pattern, deletes: Sequence[float], texts: tuple, name, sources: tuple, inserts,
                   budget: float, keep: float, detail: bool, beaten: float) -> list:
        """The placements of one pattern in one name: the cheapest (the latest among equals), and the cheapest
        reaching the end of the name when that is another one within budget.  [] when the rows show it can neither
        come within ``keep`` nor score above ``beaten`` (the nearest so far, when >= 0)."""
        m, n = len(pattern), len(name)
        if len(deletes) != m:
            raise ValueError("align: token codes and cost arrays do not fit together")
        if not isinstance(texts, tuple) or len(texts) != m:
            raise ValueError("align: one text per pattern token")
        cost, channel = inserts[m >= self.insert_min_length]
        subs = [[self._substitution(p, t, partnered) for t, partnered in name] for p in pattern]
        table = [[0.0] * (n + 1)]
        back = [[SUB] * (n + 1)]
        for i in range(1, m + 1):
            prev, d, s = table[i - 1], deletes[i - 1], subs[i - 1]
            row, brow = [prev[0] + d] + [0.0] * n, [DEL] + [SUB] * n
            lowest = row[0]
            for j in range(1, n + 1):
                best, how = prev[j - 1] + s[j - 1][0], SUB
                c = prev[j] + d
                if c < best:
                    best, how = c, DEL
                if i < m:  # never an insertion after the registry name: what follows it is a suffix
                    c = row[j - 1] + cost[j - 1]
                    if c < best:
                        best, how = c, INS
                row[j], brow[j] = best, how
                if best < lowest:
                    lowest = best
            table.append(row)
            back.append(brow)
            # Costs only add up: every placement costs at least the cheapest cell of every row.
            if not detail and beaten >= 0.0 and lowest > keep + 1e-9 and self._score(lowest, budget) <= beaten:
                return []
        last = table[m]
        best_end = 0
        for j in range(1, n + 1):
            if last[j] <= last[best_end]:
                best_end = j
        placements = [self._trace(best_end, last[best_end], detail or last[best_end] <= budget + 1e-9, back, subs,
                                  deletes, cost, channel, texts, sources)]
        if best_end != n and last[n] <= budget:
            placements.append(self._trace(n, last[n], True, back, subs, deletes, cost, channel, texts, sources))
        return placements

    def _trace(self, end: int, total: float, with_ops: bool, back, subs, deletes, inserts, insert_channel,
               texts: tuple, sources: tuple):
        """Walk back from ``end`` to where the placement starts, with its steps when asked for."""
        ops = []
        i, j = len(texts), end
        op, names = self.op_type, self.channel_names
        while i > 0:
            how = back[i][j]
            if how == SUB:
                if with_ops:
                    c, channel = subs[i - 1][j - 1]
                    ops.append(op(names[channel], texts[i - 1], sources[j - 1], c))
                i, j = i - 1, j - 1
            elif how == DEL:
                if with_ops:
                    ops.append(op(names[DELETED], texts[i - 1], "", deletes[i - 1]))
                i -= 1
            else:
                if with_ops:
                    ops.append(op(names[insert_channel[j - 1]], "", sources[j - 1], inserts[j - 1]))
                j -= 1
        ops.reverse()
        return self.alignment_type(total, j, end, tuple(ops))

    @staticmethod
    def _mostly_same(pattern, name, start: int, end: int) -> bool:
        """Whether a placement at [start, end) keeps at least half of the pattern's characters in place: the same
        character at its offset from the placement's start or from its end."""
        m, n = len(pattern), len(name)
        same = 0
        for k in range(m):
            a, b = start + k, end - m + k
            expected = pattern[k][0][0]
            same += (a < n and expected == name[a][0][0][0]) or (b >= 0 and expected == name[b][0][0][0])
        return 2 * same >= m

    def align_many(self, patterns: Sequence[tuple[bytes, bytes, float, tuple, float]], name: bytes,
                   sources: tuple[str, ...], detail: bool) -> list[tuple[int, Any]]:
        """The placements of the registry names ``patterns`` (each (token codes, delete costs, budget, texts,
        keep)) inside the name that can decide something, as (pattern index, Alignment): those within budget, and
        those over budget within ``keep`` that keep most characters in place (``_mostly_same``) of patterns longer
        than any within budget, without their steps, then of the rest the one with the best score (first of
        equals), without its steps.  With ``detail``, every placement, with its steps."""
        if len(name) % (4 * TOKEN_FIELDS) or not isinstance(sources, tuple) \
                or len(sources) != len(name) // (4 * TOKEN_FIELDS):
            raise ValueError("align_many: one token code and source per name token")
        tokens = [(read, read[0][0] in self.partnered) for read in self._read(name)]
        n = len(tokens)
        short, long_, channel = [0.0] * n, [0.0] * n, [INSERTED] * n
        for j, ((code, _, _), _) in enumerate(tokens):
            if j > 0 and code[1] == tokens[j - 1][0][0][1]:  # a copy of the previous character
                short[j] = long_[j] = self.repeat
                channel[j] = REPEATED
            else:
                fill = self.fillers.get(code[0] & 0xFFFFFFFF, -1.0)
                short[j] = fill if fill >= 0 else 1.0
                long_[j] = fill if fill >= 0 else self.insert
        inserts = ((short, channel), (long_, channel))
        found, near = [], []
        nearest, nearest_score, longest = None, -1.0, 0
        for k, given in enumerate(patterns):
            if not (isinstance(given, tuple) and len(given) == 5 and isinstance(given[0], bytes)
                    and isinstance(given[1], bytes) and isinstance(given[2], float) and isinstance(given[4], float)):
                raise TypeError("align_many: a pattern is (bytes, bytes, float, tuple, float)")
            codes, delete_bytes, budget, texts, keep = given
            if len(codes) % (4 * TOKEN_FIELDS) or len(delete_bytes) % 8:
                raise ValueError("align: token codes and cost arrays do not fit together")
            pattern = self._patterns.get(codes)
            if pattern is None:
                pattern = self._patterns[codes] = self._read(codes)
            deletes = array("d")
            deletes.frombytes(delete_bytes)
            m = len(pattern)
            for placement in self._align_one(pattern, deletes, texts, tokens, sources, inserts, budget, keep,
                                             detail, nearest_score):
                cost = placement[0]
                useful = detail or cost <= budget + 1e-9
                if useful and not detail and m > longest:
                    longest = m
                is_near = not useful and cost <= keep + 1e-9 \
                    and self._mostly_same(pattern, tokens, placement[1], placement[2])
                if useful:
                    found.append((k, placement))
                elif is_near:
                    near.append((m, (k, placement)))
                else:
                    score = self._score(cost, budget)
                    if nearest is None or score > nearest_score:
                        nearest, nearest_score = (k, placement), score
        # Near placements of registry names no longer than one within budget decide nothing (decide.py judges what
        # changed only where no registry name of its own is placed): left out.
        found += [entry for m, entry in near if m > longest]
        if nearest is not None:
            found.append(nearest)
        return found


# -- the candidate search: registry names sharing enough key pairs with a name -----------------------------------------
def _buffer(obj: Any, code: str, what: str) -> list:
    return _items(obj, code, what).tolist()


class Searcher:
    """Key-pair index over registry names (see candidates.CandidateIndex)."""

    def __init__(self, pairs: Any, offsets: Any, posting_forms: Any, posting_bits: Any, posting_fits: Any,
                 required: Any, lengths: Any, shortest: Any, max_candidates: int, values: tuple) -> None:
        if not isinstance(max_candidates, int):
            raise TypeError("Searcher: max_candidates must be an int")
        if not isinstance(values, tuple):
            raise TypeError("Searcher: values must be a tuple")
        if max_candidates < 0:
            raise ValueError("Searcher: max_candidates < 0")
        keys, starts = _buffer(pairs, "Q", "pairs"), _buffer(offsets, "q", "offsets")
        forms, bits = _buffer(posting_forms, "i", "posting_forms"), _buffer(posting_bits, "B", "posting_bits")
        fits = _buffer(posting_fits, "B", "posting_fits")
        self.required, self.length = _buffer(required, "i", "required"), _buffer(lengths, "i", "lengths")
        self.shortest = _buffer(shortest, "i", "shortest")
        count = len(self.required)
        if len(starts) != len(keys) + 1 or len(bits) != len(forms) or len(fits) != len(forms) \
                or len(self.length) != count or len(self.shortest) != count or len(values) != count:
            raise ValueError("Searcher: index arrays differ in length")
        for k in range(len(keys)):
            if starts[k] < 0 or starts[k] > starts[k + 1] or starts[k + 1] > len(forms):
                raise ValueError("Searcher: offsets out of order")
        if any(form < 0 or form >= count for form in forms) or any(bit > 63 for bit in bits):
            raise ValueError("Searcher: a posting names no form or a pair position beyond 63")
        # The walk stops at the first posting a name is too short for: a posting's fits must be its form's
        # shortest (capped), ascending within each key pair.
        for k in range(len(keys)):
            for q in range(starts[k], starts[k + 1]):
                if fits[q] != min(self.shortest[forms[q]], 255) or (q > starts[k] and fits[q] < fits[q - 1]):
                    raise ValueError("Searcher: posting fits differ from the forms' shortest or descend")
        self.max_candidates, self.values = max_candidates, values
        # key pair -> (the fewest tokens a name needs for any of its forms, its postings as (fits, form, bit))
        self.pairs: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}
        for k, key in enumerate(keys):
            postings = list(zip(fits[starts[k]:starts[k + 1]], forms[starts[k]:starts[k + 1]],
                                bits[starts[k]:starts[k + 1]]))
            self.pairs[key] = (postings[0][0] if postings else 255, postings)

    def matched(self, pairs: Iterable[int], tokens: int) -> dict[int, int]:
        """Per form touched by the key ``pairs`` of a name of ``tokens`` tokens: the bit set of its pair positions
        seen (postings of forms the name is too short to hold are skipped)."""
        matched: dict[int, int] = {}
        get, index = matched.get, self.pairs
        for pair in pairs:
            entry = index.get(pair)
            if entry is None or entry[0] > tokens:
                continue
            for fits, form, bit in entry[1]:
                if fits > tokens:
                    break
                matched[form] = get(form, 0) | 1 << bit
        return matched

    def fits(self, form: int, bits: int, tokens: int) -> bool:
        return bits.bit_count() >= self.required[form] and tokens >= self.shortest[form]

    def search(self, keys: Sequence[Sequence[int]]) -> list:
        """search(keys per token) -> the ranked candidates (from values)."""
        n = len(keys)
        matched = self.matched(_key_pairs(keys), n)
        length = self.length
        scored = sorted(((bits.bit_count() / (length[form] - 1), length[form], form)
                         for form, bits in matched.items() if self.fits(form, bits, n)), reverse=True)
        scored = scored[:self.max_candidates]
        # Names sharing less than half as much of their pairs as the best candidate are not worth an alignment.
        floor = scored[0][0] * 0.5 if scored else 0.0
        return [self.values[form] for ratio, _, form in scored if ratio >= floor]


def _key_pairs(keys: Sequence[Sequence[int]]) -> Iterable[int]:
    """The key pairs of neighbouring tokens, in the kernel's order."""
    for i in range(1, len(keys)):
        for a in keys[i - 1]:
            for b in keys[i]:
                yield (a & 0xFFFFFFFF) << 32 | b & 0xFFFFFFFF


# -- the screen: names that certainly hold nothing, told from the raw text ---------------------------------------------
KIND_HAN, KIND_SEPARATOR, KIND_OTHER = 0, 1, 2
UNKNOWN, DROPPED, LETTER = -1, -2, -3  # LETTER - k: the character folds to the k-th letter a..z


def _letters(text: Any, what: str, most: int) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what}: expected a str")
    if not 1 <= len(text) <= most or not all("a" <= c <= "z" for c in text):
        raise ValueError(f"{what}: {'one of a..z' if most == 1 else f'1 to {most} letters a..z'}")
    return text


class Screen:
    """Tells names that hold nothing from the raw text (see candidates.CandidateIndex.plain).

    It rebuilds a name's tokens the way normalize.Normalizer does, from what it was taught: characters that are
    one token, characters that fold to nothing, characters that fold to one Latin letter, and how a run of letters
    reads (pinyin syllables, else letters).  A name with any character it was not taught takes the full path.  Then
    it asks what the full path would find: a word of the vocabulary in the variant text, initials of a registry
    name, or a registry name sharing enough key pairs."""

    def __init__(self, searcher: Searcher) -> None:
        if not isinstance(searcher, Searcher):
            raise TypeError("Screen: searcher must be a Searcher")
        self.searcher = searcher
        self.chars: dict[int, int] = {}  # code point -> entry, DROPPED or LETTER - k
        self.kinds: list[int] = []  # per entry (a token a name can be made of): its kind, variant text and keys
        self.texts: list[str] = []
        self.keys: list[tuple[int, ...]] = []
        self.letter = [-1] * 26  # entry of the Latin-letter token of each letter
        self.syllables: dict[str, int] = {}  # letters -> entry
        self.max_syllable = 0
        self.initials: set[str] = set()
        self.words: set[str] = set()
        self.word_lengths: list[int] = []  # longest first

    def _entry(self, kind: int, text: str, keys: Iterable[int]) -> int:
        if not isinstance(text, str):
            raise TypeError("a token's text must be a str")
        self.kinds.append(kind)
        self.texts.append(text)
        self.keys.append(tuple(int(k) for k in keys))
        return len(self.kinds) - 1

    def add_char(self, char: int, kind: int, text: str, keys: Iterable[int]) -> None:
        """``char`` is one token (kind 0 Han, 1 separator, 2 other), nothing (kind -1) or the letter ``text``
        (kind -2)."""
        if char in self.chars or len(self.chars) >= CHAR_SLOTS // 2:
            return
        if kind == -1:
            value = DROPPED
        elif kind == -2:
            value = LETTER - (ord(_letters(text, "add_char: a letter", 1)) - ord("a"))
        elif KIND_HAN <= kind <= KIND_OTHER:
            value = self._entry(kind, text, keys)
        else:
            raise ValueError("add_char: unknown kind")
        self.chars[char] = value

    def add_letter(self, letter: str, keys: Iterable[int]) -> None:
        """The token a letter is when its run is not pinyin."""
        k = ord(_letters(letter, "add_letter", 1)) - ord("a")
        self.letter[k] = self._entry(KIND_SEPARATOR, letter, keys)

    def add_syllable(self, syllable: str, keys: Iterable[int]) -> None:
        """A pinyin syllable and the search keys of its token."""
        _letters(syllable, "add_syllable", MAX_SYLLABLE)
        self.syllables[syllable] = self._entry(KIND_SEPARATOR, syllable, keys)
        self.max_syllable = max(self.max_syllable, len(syllable))

    def add_initials(self, letters: str) -> None:
        """Initials of a registry name."""
        if not isinstance(letters, str):
            raise TypeError("add_initials: expected a str")
        self.initials.add(letters)

    def add_word(self, word: str) -> None:
        """A word of the vocabulary."""
        if not isinstance(word, str):
            raise TypeError("add_word: expected a str")
        if not 2 <= len(word) <= MAX_WORD:
            raise ValueError(f"add_word: 2 to {MAX_WORD} characters")
        self.words.add(word)
        if len(word) not in self.word_lengths:
            self.word_lengths = sorted(self.word_lengths + [len(word)], reverse=True)

    def _run(self, run: list[int], tokens: list[tuple[int, int]]) -> bool:
        """A complete run of letters as tokens (Normalizer._latin_tokens); True when the name needs the full path."""
        n = len(run)
        letters = "".join(chr(ord("a") + k) for k in run)
        if n <= MAX_PINYIN_RUN:
            # Fewest syllables; among equals, the first found (segment_pinyin's order).
            count, previous = [-1] * (n + 1), [0] * (n + 1)
            count[0] = 0
            for i in range(n):
                if count[i] < 0:
                    continue
                following = count[i] + 1
                for j in range(min(i + self.max_syllable, n), i, -1):
                    if letters[i:j] in self.syllables and (count[j] < 0 or count[j] > following):
                        count[j], previous[j] = following, i
            if count[n] >= 0:
                cuts = []
                j = n
                while j > 0:
                    cuts.append(j)
                    j = previous[j]
                start = 0
                for cut in reversed(cuts):
                    tokens.append((self.syllables[letters[start:cut]], cut - start))
                    start = cut
                return False
        for k in run:
            entry = self.letter[k]
            if entry < 0:
                return True
            tokens.append((entry, 1))
        # Letters that are not pinyin may be a registry name's initials (RMRB).
        return n >= 3 and letters in self.initials

    def screen(self, name: str) -> bool:
        """True when ``name`` certainly holds no candidate registry name, no initials and no word of the
        vocabulary (its verdict is a plain pass); False when it must take the full path."""
        if not isinstance(name, str):
            raise TypeError("screen: expected a str")
        if len(name) > MAX_SCREENED:
            return False
        tokens: list[tuple[int, int]] = []  # (entry, characters it came from)
        run: list[int] = []
        chars = self.chars
        for ch in name:
            value = chars.get(ord(ch), UNKNOWN)
            if value == UNKNOWN:
                return False
            if value == DROPPED:  # it does not end a run of letters either
                continue
            if value <= LETTER:
                run.append(LETTER - value)
                continue
            if run:
                if self._run(run, tokens):
                    return False
                run = []
            tokens.append((value, 1))
        if run and self._run(run, tokens):
            return False
        kinds = self.kinds
        # Single letters or digits interleaved with Han characters are dropped by the normalizer: full path.
        interleaved = sum(1 for i in range(1, len(tokens) - 1)
                          if kinds[tokens[i][0]] == KIND_SEPARATOR and tokens[i][1] == 1
                          and kinds[tokens[i - 1][0]] == KIND_HAN and kinds[tokens[i + 1][0]] == KIND_HAN)
        if interleaved >= 2:
            return False
        if self.word_spans("".join([self.texts[entry] for entry, _ in tokens])):
            return False
        keys = [self.keys[entry] for entry, _ in tokens]
        searcher, n = self.searcher, len(tokens)
        return not any(searcher.fits(form, bits, n) for form, bits in searcher.matched(_key_pairs(keys), n).items())

    def word_spans(self, text: str) -> list[tuple[int, int]]:
        """[(start, end)] where a word of the vocabulary is in ``text``: by start, longest first."""
        if not isinstance(text, str):
            raise TypeError("word_spans: expected a str")
        n, words = len(text), self.words
        return [(i, i + length) for i in range(n - 1) for length in self.word_lengths
                if i + length <= n and text[i:i + length] in words]


# -- output rows --------------------------------------------------------------------------------------------------------
def join_rows(head: bytes, numbers: list[int], sep: bytes, texts: list[bytes], tail: bytes) -> bytes:
    """head + str(numbers[i]) + sep + texts[i] + tail for every i, as one bytes object."""
    if not isinstance(numbers, list) or not isinstance(texts, list):
        raise TypeError("join_rows: numbers and texts must be lists")
    if len(numbers) != len(texts):
        raise ValueError("join_rows: numbers and texts differ in length")
    if not all(isinstance(t, bytes) for t in texts) or not all(isinstance(n, int) for n in numbers):
        raise TypeError("join_rows: numbers must be ints and texts bytes")
    head, sep, tail = bytes(head), bytes(sep), bytes(tail)
    return b"".join([b"%s%d%s%s%s" % (head, number, sep, text, tail) for number, text in zip(numbers, texts)])


# -- the line table of a scan's line path (lines.py) --------------------------------------------------------------------
class LineTable:
    """The distinct lines of a scan's text inputs and their row tails (see lines.LineMemo): each distinct line (its
    bytes less any \\r at its end: the key) gets an id in order of first appearance, and, once screened, its row
    tail (bytes, or None where the row is not written) and kind."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.tails: list[bytes | None] = []
        self.kinds: list[int] = []
        self.filled: list[bool] = []

    def __len__(self) -> int:
        return len(self.ids)

    def claim(self, block: bytes) -> tuple[bytes, int, list[bytes]]:
        """(ids, first_new, new): each line's id (uint32, native order, as bytes), and the keys met for the first
        time, whose ids run from first_new."""
        first_new, new, line_ids = len(self.ids), [], array("I")
        for line in bytes(block).split(b"\n"):
            key = line.rstrip(b"\r")
            if key not in self.ids:
                self.ids[key] = len(self.ids)
                new.append(key)
            line_ids.append(self.ids[key])
        self.tails += [None] * len(new)
        self.kinds += [0] * len(new)
        self.filled += [False] * len(new)
        return line_ids.tobytes(), first_new, new

    def fill(self, first_new: int, tails: list[bytes | None], kinds: list[int]) -> None:
        """The row tails and kinds of the ids from first_new on."""
        if not isinstance(tails, list) or not isinstance(kinds, list):
            raise TypeError("LineTable.fill: tails and kinds must be lists")
        if len(kinds) != len(tails) or first_new < 0 or first_new + len(tails) > len(self.ids):
            raise ValueError("LineTable.fill: ids out of range, or tails and kinds differ in length")
        for i, (tail, kind) in enumerate(zip(tails, kinds), first_new):
            if (tail is not None and not isinstance(tail, bytes)) or not isinstance(kind, int) \
                    or not 0 <= kind <= 0x7FFFFFFF:
                raise TypeError("LineTable.fill: a tail must be bytes or None and a kind an int >= 0")
            self.tails[i], self.kinds[i], self.filled[i] = tail, kind, True

    def rows(self, ids: Any, first_line: int, head: bytes, counts: Any) -> bytes:
        """The rows of a claimed block: head + str(first_line + i) + the i-th id's tail, skipped where the tail is
        None; counts[kind] += 1 for each (counts: a writable array of int64)."""
        line_ids = _buffer(ids, "I", "ids")
        tally = memoryview(counts).cast("B").cast("q")
        for line, i in enumerate(line_ids, first_line):
            if i >= len(self.ids) or not self.filled[i] or self.kinds[i] >= len(tally):
                raise KeyError(f"LineTable.rows: line {line} has no row yet")
        rows = []
        head = bytes(head)
        for line, i in enumerate(line_ids, first_line):
            tally[self.kinds[i]] += 1
            if self.tails[i] is not None:
                rows.append(b"%s%d%s" % (head, line, self.tails[i]))
        return b"".join(rows)
