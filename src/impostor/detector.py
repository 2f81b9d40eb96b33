"""The library front end: load once, then check names one at a time or in batches.

    >>> from impostor import Detector
    >>> detector = Detector()                 # the shipped lexicons
    >>> detector.check("人民曰报首发").decision
    'block'
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .candidates import CandidateIndex
from .chars import CharTables
from .decide import Decider, Evidence, Verdict
from .lexicon import default_lexicon_dir, load_config
from .normalize import LATIN, Normalized, Normalizer
from .registry import Registry, build_registry
from .scoring import Costs, align

MIN_INITIALS = 3


class Detector:
    """Screens account names against the registries of one lexicon directory."""

    def __init__(self, lexicons: str | Path | None = None) -> None:
        self.lexicon_dir = Path(lexicons) if lexicons is not None else default_lexicon_dir()
        config = load_config(self.lexicon_dir / "scoring.toml")
        self.costs = Costs.from_config(config.get("costs", {}))
        self.tables = CharTables(self.lexicon_dir / "chars")
        self.normalizer = Normalizer(self.tables)
        self.registry: Registry = build_registry(self.lexicon_dir / "manifest.toml", self.normalizer)
        self.index = CandidateIndex(self.registry, self.costs)
        self.decider = Decider(self.registry, self.costs, {k: float(v) for k, v in config.get("scores", {}).items()})

    # -- public API ---------------------------------------------------------------------------------------------
    def check(self, name: str) -> Verdict:
        """Screen one name."""
        return self.decider.decide(self.evidence(self.normalizer.normalize(name)))

    def check_many(self, names: Iterable[str]) -> list[Verdict]:
        """Screen many names; one verdict per name, in order (repeated names are screened once)."""
        cache: dict[str, Verdict] = {}
        out = []
        for name in names:
            verdict = cache.get(name)
            if verdict is None:
                verdict = cache[name] = self.check(name)
            out.append(verdict)
        return out

    def normalize(self, name: str) -> Normalized:
        return self.normalizer.normalize(name)

    # -- the stages -----------------------------------------------------------------------------------------------
    def evidence(self, normalized: Normalized) -> Evidence:
        """Everything the search and scoring stages find in one normalized name."""
        tokens = normalized.tokens
        evidence = Evidence(normalized)
        weights = self.registry.weight
        near = self.tables.near
        for form in self.index.search(tokens):
            alignment = align(form.tokens, [weights(t) for t in form.tokens], tokens, self.costs, near)
            evidence.alignments.append((form, alignment))
        evidence.initials = self._initials(normalized)
        variant = normalized.variant
        if variant:
            evidence.patterns = self.index.patterns(variant)
            evidence.regions = self.index.regions(variant)
            evidence.titles = self.index.words(variant, self.registry.titles)
            evidence.keywords = self.index.words(variant, self.registry.keywords)
        return evidence

    def _initials(self, normalized: Normalized) -> list:
        """Runs of Latin letters that spell a registry name's pinyin initials (RMRB)."""
        found = []
        tokens = normalized.tokens
        i = 0
        while i < len(tokens):
            if tokens[i].kind != LATIN:
                i += 1
                continue
            j = i
            while j < len(tokens) and tokens[j].kind == LATIN:
                j += 1
            if j - i >= MIN_INITIALS:
                forms = self.index.by_initials("".join(t.text for t in tokens[i:j]))
                if forms:
                    found.append((i, j, forms))
            i = j
        return found
