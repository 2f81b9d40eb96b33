"""Candidate search: which registry names could a name be imitating, and which words and regions does it carry.

Recall comes from key bigrams: each token has keys (its look-alike key and its fuzzy pinyin keys), and every
registry name is indexed under the key pairs of its neighbouring tokens.  A name that shares enough pairs with a
registry name is a candidate, however it was disguised, as long as the disguise changed a character into a
look-alike, a homophone, a variant or a pinyin syllable; insertions and deletions cost a pair each, and the
threshold leaves room for as many as the scorer could still accept.  A name must also be long enough to hold the
registry name: each token fewer is one of its characters left out, and the scorer charges for that.
"""

from __future__ import annotations

import string
from collections import defaultdict
from types import ModuleType
from typing import NamedTuple

import numpy as np

from . import kernel
from .arrays import run_starts, run_sums, stable_order
from .channels import key_floors
from .normalize import HAN, SEPARATOR_KINDS, Normalizer, Token
from .registry import Form, Pattern, RegionName, Registry, TokenTable, Word
from .scoring import Costs, Substitutes, deletion_costs


class Hit(NamedTuple):  # a tuple: quick to make, and a name with regions makes several
    """A word, region or pattern found in a name's variant form, at [start, end) of that string."""

    start: int
    end: int
    text: str


class WordHits:
    """The region names, titles, keywords and region patterns found in one name."""

    __slots__ = ("regions", "titles", "keywords", "patterns")

    def __init__(self) -> None:  # by hand: a dataclass's default factories cost more than the search (words)
        self.regions: list[tuple[Hit, list[RegionName]]] = []
        self.titles: list[tuple[Hit, Word]] = []
        self.keywords: list[tuple[Hit, Word]] = []
        self.patterns: list[tuple[Hit, Pattern, RegionName]] = []


MAX_PAIR_BIT = 63
BUILD_SLICE = 1 << 15  # registry pairs per step of the index build


class Postings(NamedTuple):
    """The key-pair index as arrays: the postings of keys[k] are forms and positions[offsets[k]:offsets[k + 1]]."""

    keys: np.ndarray  # uint64: first key << 32 | second key, sorted
    offsets: np.ndarray  # int64, len(keys) + 1
    forms: np.ndarray  # int32: registry form ids
    positions: np.ndarray  # uint8: the pair's position in the form (up to MAX_PAIR_BIT)
    fits_from: np.ndarray  # uint8: the form's shortest (up to 255), ascending within each key pair
    covered_pairs: np.ndarray  # int64 per form: how many of its pair positions are indexed


class CandidateIndex:
    """Bigram index over registry names, plus exact lookups for regions, titles, keywords and affixes."""

    def __init__(self, registry: Registry, normalizer: Normalizer, costs: Costs, substitutes: Substitutes,
                 max_candidates: int = 24, max_postings: int = 300, backend: ModuleType | None = None) -> None:
        backend = backend or kernel.backend  # the twin of the kernel.py's choice, for tests that compare the two
        self.registry = registry
        self.costs = costs
        self.max_candidates = max_candidates
        self.max_postings = max_postings
        table = registry.table
        self.lengths = table.lengths.astype(np.int32)  # tokens per form
        self.initials = self._initials(table)
        self.shortest = self._shortest(table, deletion_costs(registry, costs), costs)
        postings = self.build_postings(registry, table, normalizer, costs)
        # A name character also searches under the keys of its scored substitutes (冶 under 治, 馆 under 院), so a
        # near look-alike does not cost the two key pairs around it; only under keys some registry name is indexed
        # under (a partner of a character no registry name has, most of the look-alike table's pairs, would only
        # make the screen and the search look for pairs that are not there).
        pair_keys = postings.keys
        indexed = set(np.union1d(pair_keys >> np.uint64(32), pair_keys & np.uint64(0xFFFFFFFF)).tolist())
        partners: dict[str, list[int]] = defaultdict(list)
        for expected, found in substitutes:
            key = normalizer.key_id("v", normalizer.tables.visual_of(expected))
            if key in indexed:
                partners[found].append(key)
        self.partners = {ch: tuple(keys) for ch, keys in partners.items()}
        by_length = np.array([self.required_pairs(n) for n in range(int(self.lengths.max(initial=0)) + 1)])
        self.required = np.minimum(by_length[self.lengths], postings.covered_pairs).astype(np.int32)
        self.searcher = backend.Searcher(postings.keys, postings.offsets, postings.forms, postings.positions,
                                         postings.fits_from, self.required, self.lengths, self.shortest,
                                         self.max_candidates, tuple(registry.forms))
        del postings  # the searcher holds its own copy
        self.normalizer = normalizer
        self._taught: set[str] = set()  # characters the kernel's screen has been told about
        # One vocabulary for the exact word lookups: regions, titles and keywords in one pass over a name.
        self.vocabulary: dict[str, list[str]] = defaultdict(list)
        for kind, table in (("region", registry.regions), ("title", registry.titles), ("keyword", registry.keywords)):
            for word in table:
                if len(word) >= 2:
                    self.vocabulary[word].append(kind)
        # Region patterns by their suffix (nearly all have one), kept with their place in the registry's order.
        self.patterns_by_suffix: dict[str, list[tuple[int, Pattern]]] = defaultdict(list)
        self.patterns_without_suffix: list[tuple[int, Pattern]] = []
        for place, pattern in enumerate(registry.patterns):
            if pattern.suffix:
                self.patterns_by_suffix[pattern.suffix].append((place, pattern))
            else:
                self.patterns_without_suffix.append((place, pattern))
        self.suffix_lengths = sorted({len(suffix) for suffix in self.patterns_by_suffix})
        self.screen = self._screen(backend)

    # -- registry names -----------------------------------------------------------------------------------------
    def required_pairs(self, length: int) -> int:
        """Pairs a candidate must share: all of them, less those the cheapest insertions could break."""
        breakable = int(self.costs.budget(length) / self.costs.insert)
        return max(1, (length - 1) - breakable)

    @staticmethod
    def _shortest(table: TokenTable, deletes: np.ndarray, costs: Costs) -> np.ndarray:
        """Per form: the fewest tokens a name must have for the form to fit in it within budget.  A name shorter
        than the form leaves some of its characters out, and each costs its deletion (the cheapest first); no other
        step makes a name shorter.  (A little slack on the budget: the bound may let a form in, never keep one out.)"""
        lengths, starts = table.lengths, table.starts
        affordable = np.zeros(len(lengths), dtype=np.int64)
        for length in np.flatnonzero(np.bincount(lengths)).tolist():  # the forms of one length as rows of a matrix
            forms = np.flatnonzero(lengths == length)
            spent = np.cumsum(np.sort(deletes[starts[forms, None] + np.arange(length)], axis=1), axis=1)
            affordable[forms] = (spent <= costs.budget(length) + 1e-6).sum(axis=1)
        return (lengths - affordable).astype(np.int32)

    def _initials(self, table: TokenTable) -> dict[str, list[int]]:
        """Registry names of three or more tokens, by the initials of their pinyin (rmrb for 人民日报)."""
        letters = np.array([t.readings[0][0] if t.readings else "-" for t in table.types], dtype="<U1")
        text = "".join(letters[table.sequence].tolist())  # every form's initials, form after form
        initials: dict[str, list[int]] = defaultdict(list)
        start = 0
        for form_id, length in enumerate(self.lengths.tolist()):
            if length >= 3:
                spelled = text[start:start + length]
                if "-" not in spelled:  # every token has a reading
                    initials[spelled].append(form_id)
            start += length
        return initials

    def build_postings(self, registry: Registry, table: TokenTable, normalizer: Normalizer, costs: Costs) -> Postings:
        """Every registry name under the key pairs of its neighbouring tokens, as sorted arrays (built with numpy:
        100,000 custom names make millions of postings).

        A token is indexed under its keys and its readings spelled in Latin (renmin for 人民).  A registry name
        is indexed only under key pairs it could still afford: the least a match through each kind of key costs
        (two homophones never fit a 3-character name's budget, so 杨氏 is no candidate for 央视).  A key pair
        shared by very many registry names (科技 in 100,000 company names) says nothing about which one is meant
        and would make every name carrying it a candidate of all of them: it is left out, and a registry name
        needs correspondingly fewer of its remaining pairs (``covered_pairs``).  Names are counted per registry
        file group (``Registry.groups``): your 100,000 names never crowd the shipped ones out of a key pair, so
        adding them cannot weaken how the shipped names are protected.

        Registry names share most of their neighbouring-token pairs (科技, 集团), so the key pairs are worked out
        once per *combo* (group, left token, right token, name length: what decides them), and the postings are
        spread from the combos at the end.  Within a key pair, postings are by combo (the forms a short name can
        hold first), then in registry order."""
        floor = key_floors(costs)
        kinds = normalizer.key_kinds
        type_keys = [t.keys + tuple(normalizer.key_id("s", r) for r in t.readings) for t in table.types]
        sequence = table.sequence
        forms, rows = len(registry.forms), len(type_keys) + 1
        width = max(map(len, type_keys), default=1)
        keys = np.full((rows, width), -1, dtype=np.int64)
        least = np.full((rows, width), np.inf)
        for row, found in enumerate(type_keys):
            keys[row, :len(found)] = found
            least[row, :len(found)] = [floor[kinds[k]] for k in found]
        lengths, starts = table.lengths, table.starts
        longest = int(lengths.max(initial=0))
        form_of = np.repeat(np.arange(forms), lengths)
        position = np.arange(len(sequence)) - np.repeat(starts, lengths)
        first = np.nonzero(position < np.repeat(lengths - 1, lengths))[0]  # tokens with a next one in their name
        pair_form = form_of[first].astype(np.int32)
        pair_position = np.minimum(position[first], MAX_PAIR_BIT).astype(np.uint8)
        # The combos, and each pair's combo.  A combo also fixes how few tokens a name needs to hold its forms
        # (their shortest, capped at 255), and combos are ordered by that first: within a key pair, the forms a
        # short name can hold come first, and the kernel stops at the first it cannot (100,000 company names are
        # mostly longer than the names screened against them).
        groups = np.array(registry.groups, dtype=np.int64)
        ngroups = int(groups.max(initial=0)) + 1
        fits = np.minimum(self.shortest, 255).astype(np.int64)[pair_form]
        packed = (((fits * ngroups + groups[pair_form]) * rows + sequence[first]) * rows
                  + sequence[first + 1]) * (longest + 1) + lengths[pair_form]
        combos, combo_of_pair = np.unique(packed, return_inverse=True)
        combo_of_pair = combo_of_pair.reshape(-1)
        del packed, fits
        combo_length, rest = combos % (longest + 1), combos // (longest + 1)
        combo_left, combo_right = rest // rows % rows, rest % rows
        combo_group, combo_fits = rest // rows // rows % ngroups, rest // rows // rows // ngroups
        del rest
        budgets = np.array([costs.budget(n) for n in range(longest + 1)])[combo_length]
        # Every (key of the left token, key of the right token) a combo can afford, in the order of a nested loop;
        # a slice of combos at a time, to bound the memory of the width × width tables.
        found_keys, found_combos, found_lookalike = [], [], []
        for lo in range(0, len(combos), BUILD_SLICE):
            l, r = combo_left[lo:lo + BUILD_SLICE], combo_right[lo:lo + BUILD_SLICE]
            combo, x, y = np.nonzero(least[l][:, :, None] + least[r][:, None, :]
                                     <= budgets[lo:lo + BUILD_SLICE, None, None])
            found_keys.append((keys[l[combo], x].astype(np.uint64) << np.uint64(32))
                              | keys[r[combo], y].astype(np.uint64))
            found_combos.append(combo + lo)
            found_lookalike.append((x == 0) & (y == 0))  # a token's first key is its look-alike key
        entry_keys = np.concatenate(found_keys) if found_keys else np.zeros(0, dtype=np.uint64)
        entry_combo = np.concatenate(found_combos) if found_combos else np.zeros(0, dtype=np.int64)
        entry_lookalike = np.concatenate(found_lookalike) if found_lookalike else np.zeros(0, dtype=bool)
        del found_keys, found_combos, found_lookalike
        key_count = np.uint64(len(kinds))
        order = stable_order((entry_keys >> np.uint64(32)) * key_count + (entry_keys & np.uint64(0xFFFFFFFF)),
                              len(kinds) ** 2)
        entry_keys, entry_combo, entry_lookalike = entry_keys[order], entry_combo[order], entry_lookalike[order]
        del order
        # How many postings each key pair has of each group (entries are by key pair, then by combo).
        combo_size = np.bincount(combo_of_pair, minlength=len(combos))
        key_starts = run_starts(entry_keys)
        key_rank = np.repeat(np.arange(len(key_starts)), np.diff(np.append(key_starts, len(entry_keys))))
        by_group = key_rank * ngroups + combo_group[entry_combo]
        counts = np.bincount(by_group, weights=combo_size[entry_combo], minlength=len(key_starts) * ngroups)
        in_kept = counts[by_group] <= self.max_postings
        del by_group, counts
        kept_combo = entry_combo[in_kept]
        # Spread each kept entry into its combo's pairs (the pairs grouped by combo, in registry order), in int32:
        # registry pairs are far fewer than 2**31, and these arrays are the size of the index.
        by_combo = stable_order(combo_of_pair, len(combos))
        form_by_combo, position_by_combo = pair_form[by_combo], pair_position[by_combo]
        del by_combo
        combo_start = np.concatenate(([0], np.cumsum(combo_size)[:-1])) if len(combos) else combo_size
        sizes = combo_size[kept_combo]
        spread = np.cumsum(sizes) - sizes  # where each entry's postings begin
        pair = np.repeat((combo_start[kept_combo] - spread).astype(np.int32), sizes)
        pair += np.arange(len(pair), dtype=np.int32)
        # A pair position counts as covered when its look-alike key pair is kept: a name carrying the same or
        # look-alike characters there (曰报 for 日报) always reaches the required pairs.  A left-out pinyin pair
        # alone does not lower them (it would send tens of thousands more names down the full path).
        lookalike_kept = np.zeros(len(combos), dtype=bool)
        lookalike_kept[entry_combo[in_kept & entry_lookalike]] = True
        covering = lookalike_kept[combo_of_pair]
        covered = np.zeros(forms, dtype=np.uint64)
        np.bitwise_or.at(covered, pair_form[covering], np.left_shift(np.uint64(1),
                                                                     pair_position[covering].astype(np.uint64)))
        # One list per key pair: its kept entries' postings.
        kept_keys = entry_keys[in_kept]
        starts = run_starts(kept_keys)
        key_counts = run_sums(sizes, starts)
        return Postings(kept_keys[starts], np.concatenate(([0], np.cumsum(key_counts))).astype(np.int64),
                        form_by_combo[pair], position_by_combo[pair],
                        np.repeat(combo_fits[kept_combo].astype(np.uint8), sizes),
                        np.bitwise_count(covered).astype(np.int64))

    # -- the screen -------------------------------------------------------------------------------------------
    def _screen(self, backend: ModuleType):
        """The kernel's screen, taught the Latin letters, pinyin syllables, initials and words; it learns the other
        characters as names go through the full path (``learn``)."""
        normalizer = self.normalizer
        screen = backend.Screen(self.searcher)
        for letter in string.ascii_lowercase:
            screen.add_letter(letter, self.search_keys(normalizer.letter_token(letter, letter)))
        for syllable in normalizer.syllables:
            screen.add_syllable(syllable, self.search_keys(normalizer.syllable_token(syllable, syllable)))
        for letters in self.initials:
            screen.add_initials(letters)
        for word in self.vocabulary:
            screen.add_word(word)
        return screen

    def plain(self, name: str) -> bool:
        """True when the kernel's screen can tell from the raw name alone that it holds no candidate registry name,
        no initials and no word, region or pattern: its verdict is a plain pass.  False means: take the full path."""
        return self.screen.screen(name)

    def learn(self, name: str) -> None:
        """Teach the screen the characters of ``name`` (normalized already) that are one token, one letter or
        nothing."""
        if self._taught.issuperset(name):
            return
        pieces_of = self.normalizer.pieces
        for ch in set(name) - self._taught:
            pieces = pieces_of.get(ch)
            if pieces is None:  # not read (past the characters a name is screened on)
                continue
            self._taught.add(ch)
            if not pieces:
                self.screen.add_char(ord(ch), -1, "", ())
            elif len(pieces) == 1 and pieces[0].__class__ is str:
                self.screen.add_char(ord(ch), -2, pieces[0], ())
            elif len(pieces) == 1 and len(pieces[0].text) == 1:
                token = pieces[0]
                kind = 0 if token.kind == HAN else 1 if token.kind in SEPARATOR_KINDS else 2
                self.screen.add_char(ord(ch), kind, token.text, self.search_keys(token))

    def search_keys(self, token: Token) -> tuple[int, ...]:
        """A token's keys, and those of the registry characters it is a scored substitute for (冶 for 治)."""
        extra = self.partners.get(token.text)
        return token.keys + extra if extra else token.keys

    def search(self, tokens: tuple[Token, ...]) -> list[Form]:
        """Registry names a name could be imitating, most promising first."""
        if len(tokens) < 2:
            return []
        return self.searcher.search(list(map(self.search_keys, tokens)))

    def by_initials(self, letters: str) -> list[Form]:
        return [self.registry.forms[i] for i in self.initials.get(letters, ())]

    # -- words and regions ----------------------------------------------------------------------------------------
    def words(self, text: str) -> WordHits:
        """Every region name, title and keyword occurring in ``text`` (a variant form), in one pass."""
        hits = WordHits()
        vocabulary, registry = self.vocabulary, self.registry
        for i, j in self.screen.word_spans(text):  # by start, longest first
            word = text[i:j]
            kinds = vocabulary.get(word)
            if kinds is not None:
                hit = Hit(i, j, word)
                for kind in kinds:
                    if kind == "region":
                        hits.regions.append((hit, registry.regions[word]))
                    elif kind == "title":
                        hits.titles.append((hit, registry.titles[word]))
                    else:
                        hits.keywords.append((hit, registry.keywords[word]))
        hits.patterns = self._patterns(text, hits.regions)
        return hits

    def _patterns(self, text: str, regions: list[tuple[Hit, list[RegionName]]]) -> list[tuple[Hit, Pattern, RegionName]]:
        """Region naming patterns in use: a region name with the pattern's words right before or after it."""
        found = []
        by_suffix, lengths = self.patterns_by_suffix, self.suffix_lengths
        for hit, names in regions:
            before, after = text[: hit.start], text[hit.end:]
            # The patterns whose suffix follows the region (looked up by what follows), and those without one.
            fitting = self.patterns_without_suffix.copy()
            for length in lengths:  # ascending
                if length > len(after):
                    break
                entries = by_suffix.get(after[:length])
                if entries:
                    fitting += entries
            fitting.sort()  # by place in the registry (places are distinct: the patterns themselves never compare)
            province = None  # the first of the names that is a province, looked for once
            for _, pattern in fitting:
                if pattern.prefix and not before.endswith(pattern.prefix):
                    continue
                if pattern.province_only:
                    if province is None:
                        province = next((r for r in names if r.level == 1), False)
                    region = province
                else:
                    region = names[0] if names else None
                if region:
                    start = hit.start - len(pattern.prefix)
                    end = hit.end + len(pattern.suffix)
                    found.append((Hit(start, end, text[start:end]), pattern, region))
        return found
