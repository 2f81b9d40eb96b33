"""The library front end: load once, then check names one at a time or in batches.

    >>> from impostor import Detector
    >>> detector = Detector()                 # the shipped lexicons
    >>> detector.check("人民曰报首发").decision
    'block'
"""

from __future__ import annotations

import functools
import gc
import hashlib
import itertools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .candidates import CandidateIndex
from .channels import NEAR_LOOKALIKE, SYNONYM
from .chars import CharTables
from .allowlist import Allowlist
from .decide import PASS, Decider, Evidence, Verdict, allowed
from .lexicon import custom_registry, default_lexicon_dir, denylist_registry, load_config
from .memo import Memo
from .normalize import LATIN, Normalized, Normalizer
from .registry import Registry, build_registry
from .scoring import SETTINGS, Costs, Scorer, Substitutes, check_settings
from .segment import Words
from .shapes import Shapes

MIN_INITIALS = 3
_LETTER = re.compile("[a-z]")  # Latin letters in a variant form (folded to lower case)
RECENT_NAMES = 1 << 18  # verdicts kept for repeated names; the memo is emptied when full
SETTING_SECTIONS = tuple(SETTINGS)  # the sections of scoring.toml that overrides may change
TRUNCATED = "truncated"  # the status of a name longer than the normalizer reads
WORDS_FILE = "words/jieba.tsv"  # the word list that places word boundaries (segment.py)
SHAPES_FILE = "chars/shapes.tsv"  # how each character is drawn, for look-alikes no table lists (shapes.py)
LEXICON_SUFFIXES = (".tsv", ".toml", ".txt")  # what the lexicon version hashes: data, not the scripts beside it


def _without_collections(build: Callable[..., None]) -> Callable[..., None]:
    """Loading makes millions of objects and no reference cycles: the collector would walk them over and over
    (a sixth of loading 100,000 custom names), so it is paused while a Detector loads."""
    @functools.wraps(build)
    def paused(*args: Any, **kwargs: Any) -> None:
        if not gc.isenabled():
            return build(*args, **kwargs)
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            gc.enable()
    return paused


class Detector:
    """Screens account names against the registries of one lexicon directory."""

    @_without_collections
    def __init__(self, lexicons: str | Path | None = None, allowlist: str | Path | None = None,
                 registries: Sequence[str | Path] = (), denylist: str | Path | None = None,
                 overrides: Mapping[str, Mapping[str, float]] | None = None,
                 disabled: Iterable[str] = ()) -> None:
        """Load the lexicons of ``lexicons`` (default: the shipped ones) and optionally:

        - ``allowlist``: TSV of verified accounts (``account_id``) and reviewed names (``name``) that pass;
        - ``registries``: your own protected names (TSV: ``name`` [, ``aliases``, ``category``]), which get every
          technique the shipped ones get;
        - ``denylist``: TSV of names of closed accounts (``name``), blocked under any variant;
        - ``overrides``: ``{"costs": {...}, "scores": {...}}`` over the values of ``scoring.toml``;
        - ``disabled``: categories never reported (``profession``, ``region``, ...).
        """
        self.lexicon_dir = Path(lexicons) if lexicons is not None else default_lexicon_dir()
        scoring_path = self.lexicon_dir / "scoring.toml"
        config = check_settings(load_config(scoring_path), str(scoring_path), complete=True)
        overrides = check_settings({section: dict(values) for section, values in (overrides or {}).items()},
                                   "overrides")
        for section, values in overrides.items():
            config[section].update(values)
        self.costs = Costs.from_config(config.get("costs", {}))
        self.tables = CharTables(self.lexicon_dir / "chars")
        self.normalizer = Normalizer(self.tables)
        self.registry_paths = tuple(Path(p) for p in registries)
        self.denylist_path = Path(denylist) if denylist is not None else None
        extra = [custom_registry(p) for p in self.registry_paths]
        if self.denylist_path is not None:
            extra.append(denylist_registry(self.denylist_path))
        self.registry: Registry = build_registry(self.lexicon_dir / "manifest.toml", self.normalizer, extra)
        # One table of scored substitutions: near look-alikes (杜≈社) and same-kind words (院≈馆).
        self.substitutes: Substitutes = {pair: (cost, NEAR_LOOKALIKE) for pair, cost in self.tables.near.items()}
        for pair, cost in self.registry.synonyms.items():
            if pair not in self.substitutes or cost < self.substitutes[pair][0]:
                self.substitutes[pair] = (cost, SYNONYM)
        self.index = CandidateIndex(self.registry, self.normalizer, self.costs, self.substitutes)
        self.scorer = Scorer(self.costs, self.substitutes, self.registry, self.normalizer.intern)
        self.allowlist_path = Path(allowlist) if allowlist is not None else None
        self.allowlist = Allowlist.load(allowlist, self._variant) if allowlist is not None else Allowlist()
        self.disabled = frozenset(disabled)
        self._recent: Memo[str, Verdict] = Memo(RECENT_NAMES)
        self.words = Words(self.lexicon_dir / WORDS_FILE)
        self.shapes = Shapes(self.lexicon_dir / SHAPES_FILE)
        self.decider = Decider(self.registry, self.costs, {k: float(v) for k, v in config.get("scores", {}).items()},
                               self.disabled, self.words, self.shapes)
        self.lexicon_version = self._version(overrides)
        # What another process needs to build the same Detector (parallel workers that spawn rather than fork).
        self.options = dict(lexicons=self.lexicon_dir, allowlist=self.allowlist_path, registries=self.registry_paths,
                            denylist=self.denylist_path, overrides=overrides, disabled=tuple(sorted(self.disabled)))

    def _version(self, overrides: dict) -> str:
        """A short hash of everything that decides a verdict: the lexicon files, your registries, allow- and
        denylist, overrides and disabled categories, and the Unicode version of this Python's ``unicodedata`` (NFKC
        and the character categories fold names: two Pythons may fold a new character differently).  Equal hashes
        mean equal verdicts for equal names."""
        digest = hashlib.sha256(f"unicode {unicodedata.unidata_version}\0".encode())
        files = sorted(p for p in self.lexicon_dir.rglob("*") if p.suffix in LEXICON_SUFFIXES and p.is_file())
        extra = [*self.registry_paths, self.allowlist_path, self.denylist_path]
        for i, path in enumerate(files + [p for p in extra if p is not None]):
            label = path.relative_to(self.lexicon_dir).as_posix() if i < len(files) else f"extra:{path.name}"
            digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
        digest.update(json.dumps([overrides, sorted(self.disabled)], sort_keys=True).encode())
        return digest.hexdigest()[:12]

    # -- public API ---------------------------------------------------------------------------------------------
    def preload(self) -> "Detector":
        """Read now the tables read when first needed (the word list, the shapes), as a service or a scan about to
        fork its workers does: validated once, and shared."""
        self.words.load()
        self.shapes.load()
        return self

    def check(self, name: str, account_id: str | None = None) -> Verdict:
        """Screen one name; ``account_id`` lets a verified account (see the allowlist) pass under its name."""
        if self.index.plain(name):  # most names: nothing to find, known without the full path
            return Verdict(name, PASS, 0.0)
        normalized = self.normalizer.normalize(name)
        self.index.learn(name)
        verdict = self.decider.decide(self.evidence(normalized))
        if verdict.decision != PASS and self.allowlist.allows(account_id, normalized.variant):
            verdict = allowed(verdict, account_id)
        if normalized.truncated:
            verdict = verdict._replace(status=TRUNCATED)
        return verdict

    def check_many(self, names: Iterable[str], account_ids: Iterable[str | None] | None = None) -> list[Verdict]:
        """Screen many names; one verdict per name, in order.  A name seen recently (in this call or an earlier
        one: account tables repeat names a lot) is screened once."""
        cache = self._recent
        names = list(names)
        if account_ids is not None:  # a name past the end of the ids has none
            ids = itertools.chain(account_ids, itertools.repeat(None))
            return [self.check(name, account_id) if account_id is not None else self._recall(name)
                    for name, account_id in zip(names, ids)]
        out = list(map(cache.get, names))  # most rows: a name seen before
        for i, verdict in enumerate(out):
            if verdict is None:
                out[i] = self._recall(names[i])
        return out

    def _recall(self, name: str) -> Verdict:
        """The verdict on a name without an account id, from the memo of recent names or screened now."""
        return self._recent.recall(name, self.check)

    def normalize(self, name: str) -> Normalized:
        return self.normalizer.normalize(name)

    def _variant(self, name: str) -> str:
        return self.normalizer.normalize(name).variant

    # -- the stages -----------------------------------------------------------------------------------------------
    def evidence(self, normalized: Normalized, detail: bool = False) -> Evidence:
        """Everything the search and scoring stages find in one normalized name (``detail``: with the steps of
        placements over budget too, for explanations)."""
        tokens = normalized.tokens
        alignments = self.scorer.align_all(self.index.search(tokens), tokens, detail)
        return Evidence(normalized, alignments, self._initials(normalized), self.index.words)

    def _initials(self, normalized: Normalized) -> list:
        """Runs of Latin letters that spell a registry name's pinyin initials (RMRB)."""
        if _LETTER.search(normalized.variant) is None:  # most names: no Latin letter at all
            return []
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
