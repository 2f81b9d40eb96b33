"""Candidate search: which registry names could a name be imitating, and which words and regions does it carry.

Recall comes from key bigrams: each token has keys (its look-alike key and its fuzzy pinyin keys), and every
registry name is indexed under the key pairs of its neighbouring tokens.  A name that shares enough pairs with a
registry name is a candidate, however it was disguised, as long as the disguise changed a character into a
look-alike, a homophone, a variant or a pinyin syllable; insertions and deletions cost a pair each, and the
threshold leaves room for as many as the scorer could still accept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from .normalize import Token
from .registry import Form, Pattern, RegionName, Registry, Word
from .scoring import Costs


def token_keys(token: Token) -> tuple[str, ...]:
    return ("v" + token.visual,) + tuple("p" + f for f in token.fuzzy)


@dataclass(frozen=True)
class Hit:
    """A word, region or pattern found in a name's variant form, at [start, end) of that string."""

    start: int
    end: int
    text: str


class CandidateIndex:
    """Bigram index over registry names, plus exact lookups for regions, titles, keywords and affixes."""

    def __init__(self, registry: Registry, costs: Costs, max_candidates: int = 24) -> None:
        self.registry = registry
        self.costs = costs
        self.max_candidates = max_candidates
        self.bigrams: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        self.single: dict[str, list[int]] = defaultdict(list)  # one-token forms (rare): by key
        self.initials: dict[str, list[int]] = defaultdict(list)
        for form in registry.forms:
            keys = [token_keys(t) for t in form.tokens]
            for i in range(len(keys) - 1):
                for a in keys[i]:
                    for b in keys[i + 1]:
                        self.bigrams[(a, b)].append((form.id, i))
            if len(keys) == 1:
                for a in keys[0]:
                    self.single[a].append(form.id)
            if form.length >= 3 and all(t.readings for t in form.tokens):
                self.initials["".join(t.readings[0][0] for t in form.tokens)].append(form.id)
        self.word_lengths = sorted({len(w) for w in (*registry.regions, *registry.titles, *registry.keywords)},
                                   reverse=True)

    # -- registry names -----------------------------------------------------------------------------------------
    def required_pairs(self, length: int) -> int:
        """Pairs a candidate must share: all of them, less those the cheapest insertions could break."""
        breakable = int(self.costs.budget(length) / self.costs.insert)
        return max(1, (length - 1) - breakable)

    def search(self, tokens: tuple[Token, ...]) -> list[Form]:
        if len(tokens) < 2:
            return []
        matched: dict[int, set[int]] = defaultdict(set)
        keys = [token_keys(t) for t in tokens]
        bigrams = self.bigrams
        for i in range(len(keys) - 1):
            for a in keys[i]:
                for b in keys[i + 1]:
                    postings = bigrams.get((a, b))
                    if postings:
                        for form_id, position in postings:
                            matched[form_id].add(position)
        forms = self.registry.forms
        scored = []
        for form_id, positions in matched.items():
            form = forms[form_id]
            if len(positions) >= self.required_pairs(form.length):
                scored.append((len(positions) / (form.length - 1), form.length, form_id))
        scored.sort(reverse=True)
        return [forms[form_id] for _, _, form_id in scored[: self.max_candidates]]

    def by_initials(self, letters: str) -> list[Form]:
        return [self.registry.forms[i] for i in self.initials.get(letters, ())]

    # -- words and regions ----------------------------------------------------------------------------------------
    def _substrings(self, text: str, table: dict) -> Iterator[tuple[int, int, str]]:
        n = len(text)
        for i in range(n):
            for length in self.word_lengths:
                j = i + length
                if j <= n and text[i:j] in table:
                    yield i, j, text[i:j]

    def words(self, text: str, table: dict[str, Word]) -> list[tuple[Hit, Word]]:
        return [(Hit(i, j, w), table[w]) for i, j, w in self._substrings(text, table)]

    def regions(self, text: str) -> list[tuple[Hit, list[RegionName]]]:
        return [(Hit(i, j, w), self.registry.regions[w]) for i, j, w in self._substrings(text, self.registry.regions)]

    def patterns(self, text: str) -> list[tuple[Hit, Pattern, RegionName]]:
        """Region naming patterns in use: a region name with the pattern's words right before or after it."""
        found = []
        for hit, names in self.regions(text):
            before, after = text[: hit.start], text[hit.end:]
            for pattern in self.registry.patterns:
                if pattern.prefix and not before.endswith(pattern.prefix):
                    continue
                if pattern.suffix and not after.startswith(pattern.suffix):
                    continue
                region = next((r for r in names if r.level == 1 or not pattern.province_only), None)
                if region is not None:
                    start = hit.start - len(pattern.prefix)
                    found.append((Hit(start, hit.end + len(pattern.suffix), text[start: hit.end + len(pattern.suffix)]),
                                  pattern, region))
        return found
