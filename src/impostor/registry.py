"""The registry: protected bodies and the names, patterns and words the rule cares about, normalized once.

Built from the lexicon files listed in ``manifest.toml``.  Everything here is already in normalized form, so the
search and scoring stages compare like with like.
"""

from __future__ import annotations

import math
import itertools
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import kernel
from .arrays import run_starts
from .lexicon import FileSpec, LexiconError, Source, Table, read_manifest, read_table
from .memo import cached
from .normalize import Normalizer, Token, variant_of

REGION_SLOT, PROVINCE_SLOT, PARTY_SLOT = "{地}", "{省}", "{党委}"
PARTY_COMMITTEES = ("省委", "市委", "县委", "区委", "州委")
# A short alias ending in 局 (统计局, 气象局) names a kind of office that exists in every county: not one body.
GENERIC_OFFICE_ENDINGS = ("局",)
MAX_WORD = 32  # the longest region name, title or keyword: the kernel's word lookups take no longer
kernel.require(MAX_WORD=MAX_WORD)
# What a role word attached to a body's name claims the account is (roles.tsv): the body's person, part, channel,
# account or edition.
CLAIMS = {"person": "person", "department": "department", "channel": "channel", "account": "account",
          "edition": "edition"}


class Body(NamedTuple):  # tuples, Body and Form: quick to make (a custom registry brings 100,000 of each)
    """One protected official body (a news unit, organ, military unit or institution)."""

    name: str
    category: str
    group: str
    status: str
    source: str


class Form(NamedTuple):
    """One searchable name of a body: its official name or an alias, as tokens."""

    id: int
    text: str  # as written in the lexicon
    tokens: tuple[Token, ...]
    body: Body
    is_alias: bool
    weak: bool  # shared with local bodies or an organ-type word: carrying it means review, imitating it no more
    length: int  # how many tokens (asked for at every step of a decision: kept, not counted)


@dataclass(frozen=True)
class RegionName:
    text: str  # variant form
    division: str  # the full official name
    level: int  # 1 province, 2 prefecture, 3 county
    common_word: bool  # also an ordinary word (公安, 和平): counts only in a region-like use
    former: bool = False  # a name no longer in use (襄樊)

    @property
    def label(self) -> str:
        return f"{self.division}, former name" if self.former else self.division


@dataclass(frozen=True)
class Pattern:
    """A region naming pattern: {地}公安局 is prefix "" + region + suffix "公安局"."""

    text: str
    prefix: str
    suffix: str
    province_only: bool
    category: str
    group: str


@dataclass(frozen=True)
class Word:
    """A title, keyword or affix, in variant form."""

    text: str
    category: str
    group: str
    strength: str = ""  # keywords: high | medium | low;  affixes: prefix | suffix | any


class TokenTable(NamedTuple):
    """The registry's tokens as integers: each distinct token (by code, which fixes its keys and readings) is a row
    of ``types``, and ``sequence`` holds every form's tokens as rows, form after form (form k's are
    ``sequence[starts[k]:starts[k] + lengths[k]]``)."""

    types: list[Token]
    sequence: np.ndarray  # int64
    lengths: np.ndarray  # int64, tokens per form
    starts: np.ndarray  # int64

    @classmethod
    def of(cls, forms: list[Form]) -> TokenTable:
        tokens = list(itertools.chain.from_iterable(form.tokens for form in forms))
        codes = list(map(operator.attrgetter("code"), tokens))
        types = dict(zip(codes, tokens))  # code -> a token with that code
        row_of = dict(zip(types, range(len(types))))
        lengths = np.array([len(form.tokens) for form in forms], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if len(forms) else lengths
        return cls(list(types.values()), np.array(list(map(row_of.__getitem__, codes)), dtype=np.int64), lengths,
                   starts)


@dataclass
class Registry:
    forms: list[Form] = field(default_factory=list)
    regions: dict[str, list[RegionName]] = field(default_factory=dict)
    patterns: list[Pattern] = field(default_factory=list)
    titles: dict[str, Word] = field(default_factory=dict)
    keywords: dict[str, Word] = field(default_factory=dict)
    affixes: dict[str, Word] = field(default_factory=dict)
    synonyms: dict[tuple[str, str], float] = field(default_factory=dict)  # same-kind words, both directions
    fillers: dict[str, float] = field(default_factory=dict)  # characters added or dropped at a lower cost
    # Per form, where it came from: 0 the shipped lexicons, k the k-th extra registry file.  Your own names are
    # indexed (CandidateIndex) and weighed apart from the shipped ones: they neither crowd those out of the index
    # nor change how they are scored.
    groups: list[int] = field(default_factory=list)
    weights: list[dict[str, float]] = field(default_factory=list)  # per group: visual key -> distinctiveness
    sources: list[Source] = field(default_factory=list)

    @property
    def bodies(self) -> list[Body]:
        return list({id(f.body): f.body for f in self.forms}.values())

    @cached
    def table(self) -> TokenTable:
        """The forms' tokens as integers (computed when first asked for: the registry is complete by then)."""
        return TokenTable.of(self.forms)

    def token_weights(self) -> np.ndarray:
        """How distinctive each token of ``table.sequence`` is among the names of its form's group."""
        table = self.table
        by_group = np.array([[weights.get(t.visual, 1.0) for t in table.types] for weights in self.weights])
        group_of = np.repeat(np.array(self.groups, dtype=np.int64), table.lengths)
        return by_group[group_of, table.sequence] if len(table.sequence) else np.zeros(0)


def build_registry(manifest: Path, normalizer: Normalizer, extra: list[FileSpec] | None = None) -> Registry:
    """Read every file of the manifest (plus ``extra`` registry files) into one normalized registry."""
    shipped = read_manifest(manifest)
    specs = shipped + list(extra or [])
    registry = Registry()
    variant = lambda text: normalizer.normalize(text).variant  # noqa: E731 - one-line helper

    keyword_texts: set[str] = set()
    entity_rows: list[tuple[FileSpec, Table, list[tuple[int, dict[str, str]]]]] = []  # per table: its names
    for spec in specs:
        table = read_table(spec.path, required=(spec.columns["name"],), provenance=spec.provenance)
        spec.check_columns(table)
        registry.sources.append(table.source())
        col = spec.columns
        names: list[tuple[int, dict[str, str]]] = []
        entity_rows.append((spec, table, names))
        for lineno, row in table.rows:
            name = row[col["name"]]
            if spec.kind == "entity":
                if REGION_SLOT in name:
                    registry.patterns.extend(_patterns(spec, table.path, lineno, name, row, variant))
                else:
                    names.append((lineno, row))
            elif spec.kind == "pattern":
                registry.patterns.extend(_patterns(spec, table.path, lineno, name, row, variant))
            elif spec.kind == "region":
                _add_regions(registry, spec, table, lineno, row, variant)
            elif spec.kind == "title":
                registry.titles.setdefault(_word(table, lineno, variant(name)), Word(name, spec.category_of(row), row.get(col.get("group", ""), "")))
            elif spec.kind == "keyword":
                word = Word(name, spec.category_of(row), row.get(col.get("category_column", ""), ""),
                            row.get(col.get("weight", ""), "medium") or "medium")
                registry.keywords.setdefault(_word(table, lineno, variant(name)), word)
                keyword_texts.add(variant(name))
            elif spec.kind == "synonym":
                other, value = row.get(col.get("other", ""), ""), _cost(table, lineno, row, col)
                if not other:
                    raise LexiconError(table.path, lineno, "a synonym row needs a second word")
                a, b = variant(name), variant(other)
                registry.synonyms[(a, b)] = registry.synonyms[(b, a)] = value
            elif spec.kind == "filler":
                registry.fillers[variant(name)] = _cost(table, lineno, row, col)
            elif spec.kind == "affix":
                position = row.get(col.get("position", ""), "any") or "any"
                if position not in ("prefix", "suffix", "any"):
                    raise LexiconError(table.path, lineno, f"position must be prefix, suffix or any, got {position!r}")
                claim = row.get(col.get("claim", ""), "")  # a role: person, department, channel, account, edition
                if claim and claim not in CLAIMS:
                    raise LexiconError(table.path, lineno, f"claim must be one of {', '.join(CLAIMS)}, got {claim!r}")
                registry.affixes[variant(name)] = Word(name, "affix", claim, position)  # a later file's row wins

    local_words = {p.suffix for p in registry.patterns if p.suffix} | {p.prefix for p in registry.patterns if p.prefix}
    _add_forms(registry, entity_rows, len(shipped), normalizer, keyword_texts | local_words)
    registry.weights = _distinctiveness(registry.table, registry.groups)
    return registry


def check_entity_file(spec: FileSpec, normalizer: Normalizer) -> None:
    """Read one file of protected names by the rules ``build_registry`` applies to it (a list about to be written
    is checked so); raises LexiconError naming the file and line."""
    table = read_table(spec.path, required=(spec.columns["name"],), provenance=spec.provenance)
    spec.check_columns(table)
    _add_forms(Registry(), [(spec, table, list(table.rows))], 1, normalizer, set())


def _cost(table: Table, lineno: int, row: dict[str, str], columns: dict[str, str]) -> float:
    text = row.get(columns.get("cost", ""), "")
    try:
        value = float(text)
    except ValueError:
        raise LexiconError(table.path, lineno, f"cost {text!r} is not a number") from None
    if not 0 < value <= 1:
        raise LexiconError(table.path, lineno, f"cost {value} is not in (0, 1]")
    return value


def _patterns(spec: FileSpec, path: Path, lineno: int, text: str, row: dict[str, str], variant) -> list[Pattern]:
    slot = PROVINCE_SLOT if PROVINCE_SLOT in text else REGION_SLOT
    if text.count(slot) != 1:
        raise LexiconError(path, lineno, f"pattern {text!r} must hold exactly one {REGION_SLOT} or {PROVINCE_SLOT}")
    prefix, _, suffix = text.partition(slot)
    suffixes = [suffix.replace(PARTY_SLOT, c) for c in PARTY_COMMITTEES] if PARTY_SLOT in suffix else [suffix]
    if not (prefix or suffix):
        raise LexiconError(path, lineno, f"pattern {text!r} has no words around the region slot")
    category = spec.category_of(row)
    group = row.get(spec.columns.get("group", ""), "")
    return [Pattern(text, variant(prefix), variant(s), slot == PROVINCE_SLOT, category, group) for s in suffixes]


def _word(table: Table, lineno: int, word: str) -> str:
    """A region name, title or keyword (its variant form), refused when longer than the word lookups take."""
    if len(word) > MAX_WORD:
        raise LexiconError(table.path, lineno, f"{word[:12]!r}... is longer than {MAX_WORD} characters: no word is")
    return word


def _add_regions(registry: Registry, spec: FileSpec, table: Table, lineno: int, row: dict[str, str],
                 variant) -> None:
    col = spec.columns
    full = row[col["name"]]
    level_text = row.get(col.get("level", ""), "") or col.get("level_value", "3")
    level = int(level_text) if level_text.isdigit() else 3
    common = row.get(col.get("common_word", ""), "0") == "1"
    former = col.get("status_value") == "former"
    names = [(full, False)]
    for key in ("short", "short_alt"):
        short = row.get(col.get(key, ""), "")
        if short and short != full:
            names.append((short, common))
    for text, is_common in names:
        v = _word(table, lineno, variant(text))
        if len(v) < 2:
            continue
        bucket = registry.regions.setdefault(v, [])
        if not any(r.division == full for r in bucket):
            bucket.append(RegionName(v, full, level, is_common, former))


def _add_forms(registry: Registry, tables: list[tuple[FileSpec, Table, list[tuple[int, dict[str, str]]]]],
               shipped: int, normalizer: Normalizer, generic_words: set[str]) -> None:
    """The forms of the names in ``tables``, of which the first ``shipped`` are the manifest's."""
    bodies: dict[str, Body] = {}
    # Per variant form: the bodies it names, each with whether it is an alias there, its text and its tokens.
    form_bodies: dict[str, list[tuple[Body, bool, str, tuple[Token, ...]]]] = {}
    group_starts = []  # how many forms there were when each extra file began
    tokens_of = normalizer.tokens
    for number, (spec, table, rows) in enumerate(tables):  # a custom registry brings 100,000 rows: what a row
        if number >= shipped:                               # needs is looked up once per file
            group_starts.append(len(form_bodies))
        col = spec.columns
        name_column, aliases_column = col["name"], col.get("aliases", "")
        group_column, status_column = col.get("group", ""), col.get("status", "")
        category_of, source = spec.category_of, table.path.name
        names = [row[name_column] for _, row in rows]
        name_tokens = list(map(tokens_of, names))  # in bulk: most of the time of 100,000 rows
        for (lineno, row), name, tokens, v in zip(rows, names, name_tokens, map(variant_of, name_tokens)):
            if len(v) < 2:
                raise LexiconError(table.path, lineno, f"name {name!r} is shorter than two characters after normalization")
            body = bodies.get(v)
            if body is None:
                body = bodies[v] = Body(name, category_of(row), row.get(group_column, ""),
                                        row.get(status_column, "") or "current", f"{source}:{lineno}")
            _add_name(form_bodies, v, (body, False, name, tokens))
            aliases = row.get(aliases_column)
            if aliases:  # most custom entries have none
                for alias in aliases.split("|"):
                    alias = alias.strip()
                    alias_tokens = tokens_of(alias)
                    alias_variant = variant_of(alias_tokens)
                    if len(alias_variant) >= 2:
                        _add_name(form_bodies, alias_variant, (body, True, alias, alias_tokens))

    forms = registry.forms
    registry.groups = [0] * len(form_bodies)  # a form is of the file that named it first (the manifest's first)
    for group, start in enumerate(group_starts, 1):
        registry.groups[start:] = [group] * (len(form_bodies) - start)
    for v, entries in form_bodies.items():
        # An official name beats an alias; among equals the first file of the manifest (the most specific) wins.
        body, is_alias, text, tokens = entries[0] if len(entries) == 1 else min(entries, key=_is_alias)  # stable
        weak = v in generic_words or (is_alias and len(v) <= 3 and v.endswith(GENERIC_OFFICE_ENDINGS))
        forms.append(Form(len(forms), text, tokens, body, is_alias, weak, len(tokens)))


def _add_name(form_bodies: dict[str, list[tuple[Body, bool, str, tuple[Token, ...]]]], variant: str,
              entry: tuple[Body, bool, str, tuple[Token, ...]]) -> None:
    """Record that ``variant`` names ``entry``'s body (once per body)."""
    entries = form_bodies.get(variant)
    if entries is None:
        form_bodies[variant] = [entry]
    elif all(known[0] is not entry[0] for known in entries):
        entries.append(entry)


def _is_alias(entry: tuple[Body, bool, str, tuple[Token, ...]]) -> bool:
    return entry[1]


def _distinctiveness(table: TokenTable, groups: list[int]) -> list[dict[str, float]]:
    """Per group of forms: how much a character says about which body is meant: 人, 中, 国, 报 say little; 检, 察,
    瞭 say much.  log(n / df) / log(n), with df the group's forms that have the character (counted with numpy:
    100,000 custom names; the formula in Python, for the same floats on every machine)."""
    ids: dict[str, int] = {}
    visual_of_type = np.array([ids.setdefault(t.visual, len(ids)) for t in table.types], dtype=np.int64)
    visuals, count = list(ids), max(len(ids), 1)
    form_of = np.repeat(np.arange(len(table.lengths), dtype=np.int64), table.lengths)
    # Each (form, character) once: sorted and deduplicated by hand (np.unique takes a hash path here that is a
    # hundred times slower than the sort).
    keys = np.sort(form_of * count + visual_of_type[table.sequence])
    each = keys[run_starts(keys)]
    group_of = np.array(groups, dtype=np.int64)
    ngroups = int(group_of.max(initial=0)) + 1
    df = np.bincount(group_of[each // count] * count + each % count, minlength=ngroups * count).reshape(ngroups, -1)
    weights = []
    for row, forms in zip(df.tolist(), np.bincount(group_of, minlength=ngroups).tolist()):
        n = max(forms, 2)
        weights.append({visuals[v]: min(1.0, max(0.0, math.log(n / c) / math.log(n))) for v, c in enumerate(row) if c})
    return weights
