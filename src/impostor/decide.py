"""Decisions: from the evidence found in one name to ``block`` / ``review`` / ``pass`` with reasons.

    block   the name imitates one specific protected body: its name or a disguise of it, alone or with affixes
    review  the name carries what the rule sends to a person: an organ, military or institution word or pattern,
            a region name used as a service or news name, a professional title, a news-attribute word
    pass    everything else
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Callable, NamedTuple

from .chars import INVISIBLE, NOISE
from .candidates import Hit, WordHits
from .lexicon import DENYLIST
from .memo import Memo, cached
from .normalize import HAN, Normalized, Token
from .registry import Form, Pattern, RegionName, Registry, Word
from .channels import DELETED, EVASIVE, IDENTICAL, INSERTED, step_reason
from .scoring import NET_MIN_LENGTH, Alignment, Costs
from .segment import Words
from .shapes import Shapes

BLOCK, REVIEW, PASS = "block", "review", "pass"
RANK = {BLOCK: 2, REVIEW: 1, PASS: 0}
PERSON_SLOT = "{名}"
MAX_PERSON_NAME = 3
MAX_AFFIX_TEXTS = 1 << 14  # affix splits (and fold reasons) kept; emptied when full
MIN_DIVISIONS_OF_A_LEVEL = 30  # a character that ends this many division names names a level of them


class Verdict(NamedTuple):
    """What impostor says about one name: plain data (output.py writes it out).  A named tuple, so immutable
    (``_replace`` makes a changed copy), quick to make and small: a scan makes one per distinct name, and keeps
    hundreds of thousands."""

    name: str
    decision: str  # block | review | pass
    score: float  # 0..1: how closely the name reproduces what it is flagged for
    category: str | None = None  # media | government | military | institution | region | profession
    target: str | None = None  # the official name it imitates or the word it carries
    reasons: tuple[str, ...] = ()
    status: str = "ok"  # "ok", or why the row could not be screened as given

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (``output.verdict_dict``)."""
        from .output import verdict_dict

        return verdict_dict(self)


class Signal(NamedTuple):  # a tuple: a name near many registry names makes dozens
    decision: str
    score: float
    category: str | None
    target: str | None
    reasons: tuple[str, ...]  # the first one names what was found; see all_reasons
    specificity: int = 0  # how many characters of the name the signal explains
    more_reasons: Callable[[], tuple[str, ...]] | None = None  # the rest, written only for the signal that wins

    @property
    def key(self) -> tuple[int, int, float]:
        # Among signals of one decision, the one explaining more of the name wins: 中华经济网 is 中国经济网 with
        # 华 for 国, not 经济网 with a prefix; 中国新闻闻网 is 中国新闻网 with a repeat, not 中国新闻 + affix.
        return (RANK[self.decision], self.specificity, self.score)

    def all_reasons(self) -> tuple[str, ...]:
        return self.reasons + self.more_reasons() if self.more_reasons is not None else self.reasons


@dataclass
class Evidence:
    """Everything the search stage found in one name.  The words (regions, titles, keywords and region patterns)
    are looked up when first asked for: a name that imitates a body is blocked without them (Decider.decide)."""

    normalized: Normalized
    alignments: list[tuple[Form, Alignment]] = field(default_factory=list)
    initials: list[tuple[int, int, list[Form]]] = field(default_factory=list)  # (start, end, forms) token spans
    find_words: Callable[[str], WordHits] | None = field(default=None, repr=False, compare=False)  # of a variant

    @cached
    def words(self) -> WordHits:
        return self.find_words(self.normalized.variant) if self.find_words is not None else WordHits()

    @cached
    def word_texts(self) -> tuple[str | None, ...]:
        """Per token, what the word list reads: a Han character, or None (any other token is a word boundary)."""
        return tuple(t.text if t.kind == HAN else None for t in self.normalized.tokens)

    @property
    def patterns(self) -> list[tuple[Hit, Pattern, RegionName]]:
        return self.words.patterns

    @property
    def regions(self) -> list[tuple[Hit, list[RegionName]]]:
        return self.words.regions

    @property
    def titles(self) -> list[tuple[Hit, Word]]:
        return self.words.titles

    @property
    def keywords(self) -> list[tuple[Hit, Word]]:
        return self.words.keywords


class _Masked(dict):
    """Pattern words by (side, the word with one character masked), and the lengths of the words of each side
    (ascending)."""

    def __init__(self) -> None:
        super().__init__()
        self.lengths: dict[str, list[int]] = {"prefix": [], "suffix": []}


class Decider:
    def __init__(self, registry: Registry, costs: Costs, scores: dict[str, float],
                 disabled: frozenset[str] = frozenset(), words: Words | None = None,
                 shapes: Shapes | None = None) -> None:
        self.registry = registry
        self.words = words  # where the words of a name begin and end (None: every stretch stands)
        self.shapes = shapes  # how alike two characters look (None: only the tables say)
        self.disabled = disabled  # categories never reported
        self.costs = costs
        self.scores = scores
        plain = {t: w for t, w in registry.affixes.items() if PERSON_SLOT not in w.text}
        self.prefixes = frozenset(t for t, w in plain.items() if w.strength in ("prefix", "any"))
        self.suffixes = frozenset(t for t, w in plain.items() if w.strength in ("suffix", "any"))
        # How the text before (True) or after (False) a registry name splits into affixes: 官方, tb and 首发 recur.
        self._splits: Memo[tuple[str, bool], tuple[str, ...] | None] = Memo(MAX_AFFIX_TEXTS)
        self._folds: Memo[tuple, tuple[str, ...]] = Memo(MAX_AFFIX_TEXTS)  # fold reasons by steps: see _fold_reasons
        # "记者{名}": a role word followed by a person's name closes the name (人民日报记者张三).
        self.person_suffixes = sorted((w.text.replace(PERSON_SLOT, "") for w in registry.affixes.values()
                                       if w.text.endswith(PERSON_SLOT)), key=len, reverse=True)

    def decide(self, evidence: Evidence, dropped: list | None = None) -> Verdict:
        """The verdict on the evidence; ``dropped`` (a list), when given, receives (form, alignment, why) for each
        registry name placed within budget that decided nothing."""
        signals = list(self._entity_signals(evidence, dropped))
        signals += self._combined_signals(evidence)
        if evidence.initials:
            signals += self._initials_signals(evidence)
        if self.disabled:
            signals = [s for s in signals if s.category not in self.disabled]
        # A block outranks every review signal and lists none of them: the words are looked for only without one.
        if all(s.decision != BLOCK for s in signals):
            review = self._local_account_signals(evidence) + self._review_signals(evidence)
            signals += [s for s in review if s.category not in self.disabled] if self.disabled else review
        name = evidence.normalized.raw
        if not signals:
            return Verdict(name, PASS, 0.0)
        best = max(signals, key=lambda s: s.key)
        best_reasons = best.all_reasons()
        if best.decision == PASS:
            return Verdict(name, PASS, best.score, reasons=best_reasons)
        # A review lists every signal that led to it; a block adds only rival bodies the name could also imitate.
        others = [s.reasons[0] for s in signals
                  if s is not best and s.reasons and s.target != best.target
                  and (s.decision == BLOCK if best.decision == BLOCK else s.decision != PASS)]
        reasons = best_reasons + tuple(dict.fromkeys(r for r in others if r not in best_reasons))
        return Verdict(name, best.decision, best.score, best.category, best.target, reasons)

    # -- imitation of a specific body -------------------------------------------------------------------------------
    def _entity_signals(self, evidence: Evidence, dropped: list | None = None):
        """The block and review signals of the registry names placed in the name; ``dropped`` (a list), when given,
        is told why each placement within budget gives none (for explanations)."""
        tokens = evidence.normalized.tokens
        alignments = evidence.alignments
        # A name that is exactly some registry name is that name, even if it is a near form of another one
        # (市场监管局 is the generic local office, not a clipped 市场监管总局).
        exact = [(f, a) for f, a in alignments if a.cost == 0 and a.start == 0 and a.end == len(tokens)]
        if exact and dropped is not None:
            dropped += [(f, a, f"the name is exactly the registry name {exact[0][0].text}") for f, a in alignments
                        if (f, a) not in exact and a.cost <= self.costs.budget(f.length) + 1e-9]
        nearest: tuple[float, Form] | None = None  # the closest registry name over budget, for a pass's reason
        affixes: dict[tuple[int, int], list[str] | None] = {}  # by span: rival registry names often share one
        costs = self.costs
        for form, alignment in exact or alignments:
            score = costs.score(alignment.cost, form.length)
            if alignment.cost > costs.budget(form.length) + 1e-9:
                # What changed is judged (reads or looks as, the net) only for names longer than any placed within
                # budget (Scorer.align_all keeps no others): 泰州曰報 imitates 泰州日报 and is no look-alike of 兰州日报
                # besides; 中国新闻周刑 carries 中国新闻 and looks like 中国新闻周刊.
                signal = self._changed_signal(evidence, form, alignment, affixes)
                if signal is not None:
                    yield signal
                elif nearest is None or score > nearest[0]:
                    nearest = (score, form)
                continue
            # What the placement means decides first; its reasons are written only for a placement that means
            # something (a name near many registry names has many placements that do not).
            if form.weak:
                if not self._stands(evidence, alignment, form, dropped):
                    continue
                decision, score, first, last = (REVIEW, min(score, self.scores["weak_name"]),
                                                f"carries {form.text}, a name local bodies share "
                                                f"({form.body.name} and others)", [])
            elif (around := self._affixes_at(affixes, tokens, alignment)) is not None:
                decision, first, last = BLOCK, self._imitation_reason(form), around
            elif {op.channel for op in alignment.ops} & EVASIVE:  # no honest writer produces these by accident
                decision, first, last = BLOCK, self._imitation_reason(form), ["disguised name inside a longer name"]
            elif not alignment.disguised:
                # Any protected name carried, short forms (央视, 华为) too: the rule sends it to a person.
                if not self._stands(evidence, alignment, form, dropped):
                    continue
                decision, score, first, last = (REVIEW, min(score, self.scores["carried_name"]),
                                                f"carries the name {form.text} ({form.body.name}, "
                                                f"{form.body.category})", [])
            else:
                # 盲春市广播电视台 places 宜春市广播电视台 after 盲 with 宜 left out: read whole, it looks like it;
                # 国家外汇管理蛆 places 国家外汇管理局 with 局 left out: read whole, it is one character from it.
                signal = self._changed_signal(evidence, form, alignment, affixes)
                if signal is not None:
                    yield signal
                    continue
                if dropped is not None:
                    channels = sorted({op.channel for op in alignment.ops if op.channel != IDENTICAL})
                    dropped.append((form, alignment, f"changed ({', '.join(channels)}) and inside a longer name "
                                                     "that is not affixes: only look-alikes count there"))
                continue
            yield Signal(decision, score, form.body.category, form.body.name, (first,), alignment.end - alignment.start,
                         partial(self._placement_reasons, evidence.normalized, alignment, last))
        if nearest is not None:
            score, form = nearest
            yield Signal(PASS, score, None, None, (f"nearest registry name {form.body.name} ({score:.2f})",))

    def _stands(self, evidence: Evidence, alignment: Alignment, form: Form, dropped: list | None) -> bool:
        """Whether a carried registry name counts (see ``_counts``); ``dropped`` is told when it does not."""
        if form.length > 2:
            return True
        reading = self._reading_against(evidence, alignment.start, alignment.end, alignment.disguised)
        if reading is not None and dropped is not None:
            dropped.append((form, alignment, f"not a word of the name here: it reads {reading}"))
        return reading is None

    def _counts(self, evidence: Evidence, start: int, end: int) -> bool:
        """Whether a carried word of two characters (variant text [start, end)) counts: an organ word, title or
        region as much as a registry name (八大菜系 reads 八大菜系, which does not carry 人大)."""
        if end - start != 2:
            return True
        span = _token_span(evidence.normalized.tokens, start, end)
        return span is None or self._reading_against(evidence, *span, disguised=False) is None

    def _reading_against(self, evidence: Evidence, start: int, end: int, disguised: bool) -> str | None:
        """None when the tokens [start, end) count as carried: they stand as a word of the name, or the word
        holding them is about the body too:

        - an official word in its own right (a registry name, keyword or title, or an organisation's name in the
          word list): 最高法院 reads 最高 / 法院, and 法院 is an official word;
        - the stretch with affixes (中国解放军), after a region or a division's level (市人大, 北京政协), or
          followed by another word (央视春晚, 人大代表).

        Otherwise they share characters with ordinary words, and the name's reading is returned: 山海关胡杨林 reads
        山海关 / 胡杨林, 海军蓝毛衣店 reads 海军蓝 / 毛衣 / 店, 实事求是 is an idiom."""
        words = self.words
        texts = evidence.word_texts
        if words is None or words.stands(texts, start, end):
            return None
        reading = words.segment(texts)
        variant = [t.text for t in evidence.normalized.tokens]
        for a, b in reading:
            if b <= start or a >= end or (a >= start and b <= end):
                continue  # beside the stretch, or inside it
            word = "".join(variant[a:b])
            if word in self.official_words or word in words.organisations:
                return None
            if a <= start and end <= b:
                before, after = "".join(variant[a:start]), "".join(variant[end:b])
                if self._split((before, True)) is not None and self._split((after, False)) is not None:
                    return None
                if not after and (before in self.registry.regions or before in self.division_levels):
                    return None
                if not disguised and not before and len(after) >= 2 and words.is_word(after):
                    return None  # the name qualifies what follows; a word ending in the name is something else
        return " / ".join("".join(t.source for t in evidence.normalized.tokens[a:b]) for a, b in reading)

    def _changed_signal(self, evidence: Evidence, form: Form, alignment: Alignment,
                        affixes: dict[tuple[int, int], list[str] | None]) -> "Signal | None":
        """What the change from a distinctive registry name (NET_MIN_LENGTH characters and up, not a weak one)
        means: a block when the name reads or looks as it (``_looks_as_signal``), else a review when it is one
        character from it (the net under the tables, whatever the character), else nothing."""
        if form.weak or form.length < NET_MIN_LENGTH:
            return None
        signal = self._looks_as_signal(evidence, form, alignment, affixes)
        if signal is not None:
            return signal
        edit = self._one_edit(evidence, form, alignment)
        if edit is None:
            return None
        (start, end), change = edit
        return Signal(REVIEW, self.scores["one_edit"], form.body.category, form.body.name,
                      (f"one character from {form.body.name} ({change})",), end - start)

    def _looks_as_signal(self, evidence: Evidence, form: Form, alignment: Alignment,
                         affixes: dict[tuple[int, int], list[str] | None]) -> "Signal | None":
        """A block when the name reads or looks as the registry name (``_reads_or_looks_as``) with affixes or
        nothing around: read aloud or at a glance it is the body's name, as much an impostor as the name itself."""
        like = self._reads_or_looks_as(evidence, form, alignment)
        if like is None:
            return None
        around = self._affixes_at(affixes, evidence.normalized.tokens, like[0])
        if around is None:
            return None
        return Signal(BLOCK, self.costs.block_score, form.body.category, form.body.name,
                      (self._imitation_reason(form), like[1], *around), form.length)

    def _reads_or_looks_as(self, evidence: Evidence, form: Form, alignment: Alignment
                           ) -> tuple[Alignment, str] | None:
        """When the stretch at the placement (from its start, or to its end: the cheapest placement may have left a
        changed last character out) reproduces a distinctive registry name character for character, each one the
        same, a homophone (任民日豹 for 人民日报) or drawn alike (人民日扱 for 人民日报: ``Shapes.alike``, for
        look-alikes no table lists), with at least half of them the same: that stretch, and the reason naming the
        changes.  Each change alone is cheap to see; several pass the budget, yet the name still reads or looks
        like the body's.  A character changed into part of an ordinary word there is no disguise (光阴 is a word:
        光阴日报 is left to the net)."""
        m = form.length
        if self.costs.homophone > self.costs.budget(m):
            return None  # (a homophone that alone would break the budget blocks no name, however many)
        n = len(evidence.normalized.tokens)
        for start in (alignment.start, alignment.end - m) if alignment.end - alignment.start != m else (alignment.start,):
            if 0 <= start <= n - m:
                reason = self._reads_or_looks(evidence, form, start)
                if reason is not None:
                    return alignment._replace(start=start, end=start + m), reason
        return None

    def _reads_or_looks(self, evidence: Evidence, form: Form, start: int) -> str | None:
        """``_reads_or_looks_as`` for the stretch from ``start`` as long as the registry name."""
        span = evidence.normalized.tokens[start:start + form.length]
        changed = [(at, expected, found) for at, (expected, found) in enumerate(zip(form.tokens, span))
                   if expected.text != found.text]
        if not changed or 2 * len(changed) > form.length:
            return None  # most placements over budget: too few of the characters are the same
        sounds, looks, looked = [], [], []
        for at, expected, found in changed:
            if found.kind != HAN:
                return None
            if expected.readings and not set(expected.readings).isdisjoint(found.readings):
                sounds.append(f"{found.source}≈{expected.text}")
            elif self.shapes is not None and self.shapes.alike(found.text, expected.text):
                looks.append(f"{found.source}~{expected.text}")
                looked.append(at)
            else:
                return None
        if any(self._in_a_word(evidence, start, start + form.length, at) for at in looked):
            return None
        if not looks:
            return f"reads as {form.text}: {', '.join(sounds)}"
        if not sounds:
            return f"looks like {form.text}: {', '.join(looks)} (drawn alike)"
        return f"reads and looks like {form.text}: {', '.join(sounds + looks)}"

    def _one_edit(self, evidence: Evidence, form: Form, alignment: Alignment
                  ) -> tuple[tuple[int, int], str] | None:
        """A stretch of the name, around the placement, that is one substitution, insertion or deletion from the
        registry name with affixes (or nothing) around it, and is no registry name of its own, and whose changed
        character is no part of an ordinary word there: (its span, the change).  中央电视合 (中央 / 电视 / 合) is one
        character from 中央电视台; 中国科学 (中国 / 科学) is not one from 中国科协."""
        # A stretch one edit away costs at most one edit, so the cheapest placement of the name costs no more
        # (most over-budget placements cost several: none of them is near).
        if form.weak or alignment.cost > self.costs.one_edit + 1e-9:
            return None
        tokens = evidence.normalized.tokens
        expected = [t.text for t in form.tokens]
        n, length = len(tokens), len(expected)
        for start in dict.fromkeys((alignment.start, alignment.start - 1, alignment.start + 1)):
            for end in (start + length, start + length - 1, start + length + 1):
                if start < 0 or end > n or end - start < NET_MIN_LENGTH - 1:
                    continue
                found = [t.text for t in tokens[start:end]]
                edit = _single_edit(expected, found, tokens[start:end])
                if edit is None:
                    continue
                at, change = edit
                if "".join(found) in self.official_words or self.affixes_around(tokens, start, end) is None:
                    continue
                if not self._in_a_word(evidence, start, end, at):  # 中国科学 reads 中国 / 科学: ordinary words
                    return (start, end), change
        return None

    def _in_a_word(self, evidence: Evidence, start: int, end: int, at: int | None) -> bool:
        """Whether the stretch [start, end) reads as one ordinary word, or its character ``at`` (from ``start``)
        belongs to an ordinary word of two or more characters in the stretch's best reading."""
        if self.words is None:
            return False
        texts = evidence.word_texts[start:end]
        spans = self.words.segment(texts)
        if spans == [(0, len(texts))] and len(texts) > 1 and None not in texts:
            return True
        return at is not None and any(a <= at < b and b - a >= 2 for a, b in spans)

    @cached
    def official_words(self) -> frozenset[str]:
        """Registry names, keywords and titles, in variant form: a word of the name that is one of them is no
        ordinary word that a carried name merely shares characters with."""
        registry = self.registry
        forms = ("".join([t.text for t in form.tokens]) for form in registry.forms)
        return frozenset(itertools.chain(forms, registry.keywords, registry.titles))

    @cached
    def division_levels(self) -> frozenset[str]:
        """The characters that end the names of many divisions (省, 市, 县, 区 …): 市人大 is a city's 人大."""
        ends = Counter(r.division[-1] for names in self.registry.regions.values() for r in names if r.division)
        return frozenset(ch for ch, n in ends.items() if n >= MIN_DIVISIONS_OF_A_LEVEL)

    def _combined_signals(self, evidence: Evidence) -> list[Signal]:
        """Two names of one body side by side (央视CCTV新闻, CRI国际台) are that body: the stretch they cover, with
        affixes around it, is blocked like one name."""
        alignments = evidence.alignments
        if len(alignments) < 2 or len({id(form.body) for form, _ in alignments}) == len(alignments):
            return []  # most names: no body placed twice
        by_body: dict[str, list[tuple[Form, Alignment]]] = {}
        for form, alignment in evidence.alignments:
            if not form.weak and alignment.cost <= self.costs.budget(form.length) + 1e-9:
                by_body.setdefault(form.body.name, []).append((form, alignment))
        signals = []
        tokens = evidence.normalized.tokens
        for placements in by_body.values():
            if len(placements) < 2:
                continue
            placements.sort(key=lambda fa: (fa[1].start, -fa[1].end))
            run = [placements[0]]
            for form, alignment in placements[1:]:
                if alignment.start == run[-1][1].end:
                    run.append((form, alignment))
            if len(run) < 2:
                continue
            start, end = run[0][1].start, run[-1][1].end
            around = self.affixes_around(tokens, start, end)
            if around is None:
                continue
            body = run[0][0].body
            score = min(self.costs.score(a.cost, f.length) for f, a in run)
            reasons = (self._imitation_reason(run[0][0]), "names it twice: " + " + ".join(f.text for f, _ in run),
                       *around)
            signals.append(Signal(BLOCK, score, body.category, body.name, reasons, end - start))
        return signals

    def _local_account_signals(self, evidence: Evidence) -> list[Signal]:
        """A name a local pattern makes for one specific body (平安北京, 上海发布, 四川省委) is that body: alone or with
        affixes it is blocked; inside other text it is a review signal (_review_signals)."""
        signals = []
        tokens = evidence.normalized.tokens
        for hit, pattern, region in evidence.patterns:
            region_text = hit.text[len(pattern.prefix): len(hit.text) - len(pattern.suffix)]
            if pattern.category == "region" or region.common_word or (self.words is not None
                                                                      and self.words.ordinary(region_text)):
                continue  # {地}本地: a region as a service name, no body; 平安公安: 平安 and 公安 are ordinary words
            span = _token_span(tokens, hit.start, hit.end)
            around = self.affixes_around(tokens, *span) if span is not None else None
            if around is None:
                continue
            reasons = (f"imitates {hit.text}, the official name the pattern {pattern.text} makes for {region_text} "
                       f"({region.label})", *around)
            signals.append(Signal(BLOCK, self.scores["local_account"], pattern.category, hit.text, reasons,
                                  len(hit.text)))
        if self.shapes is not None and evidence.regions:
            signals += self._disguised_local_accounts(evidence)
        return signals

    def _disguised_local_accounts(self, evidence: Evidence) -> list[Signal]:
        """A local official account's name with one character of the pattern's words drawn alike (深圳交瞥 for
        深圳交警, 平安上海 with 平妄): blocked as the account, the region exact."""
        signals = []
        tokens, text = evidence.normalized.tokens, evidence.normalized.variant
        masked = self._masked_pattern_words
        for hit, names in evidence.regions:
            region_text = hit.text
            for side, room in (("suffix", len(text) - hit.end), ("prefix", hit.start)):
                for length in masked.lengths[side]:
                    if length > room:
                        break  # (lengths ascending)
                    seg = text[hit.end:hit.end + length] if side == "suffix" else text[hit.start - length:hit.start]
                    for at in range(length):
                        for pattern in masked.get((side, seg[:at] + "\0" + seg[at + 1:]), ()):
                            expected = getattr(pattern, side)
                            other = pattern.prefix if side == "suffix" else pattern.suffix
                            if seg == expected or not self.shapes.alike(seg[at], expected[at]) or not (
                                    text[:hit.start].endswith(other) if side == "suffix"
                                    else text[hit.end:].startswith(other)):
                                continue
                            region = next((r for r in names if r.level == 1), None) if pattern.province_only \
                                else (names[0] if names else None)
                            if region is None or region.common_word or (
                                    self.words is not None and self.words.ordinary(region_text)):
                                continue
                            start = hit.start - len(pattern.prefix)
                            end = hit.end + len(pattern.suffix)
                            span = _token_span(tokens, start, end)
                            if span is None or (around := self.affixes_around(tokens, *span)) is None:
                                continue
                            changed = (hit.end + at) if side == "suffix" else (hit.start - length + at)
                            changed_token = _token_span(tokens, changed, changed + 1)
                            if changed_token is None or self._in_a_word(evidence, span[0], span[1],
                                                                        changed_token[0] - span[0]):
                                continue  # 深圳交替: 交替 is a word, not a disguised 交警
                            official = pattern.prefix + region_text + pattern.suffix
                            reasons = (f"imitates {official}, the official name the pattern {pattern.text} makes for "
                                       f"{region_text} ({region.label})",
                                       f"looks like {official}: {seg[at]}~{expected[at]} (drawn alike)", *around)
                            signals.append(Signal(BLOCK, self.scores["local_account"], pattern.category, official,
                                                  reasons, end - start))
        return signals

    @cached
    def _masked_pattern_words(self) -> "_Masked":
        """The words of the local patterns that make one body's name, each with one character masked: a stretch of
        a name is looked up with each of its characters masked in turn, to find the words it is one character
        from."""
        table = _Masked()
        for pattern in self.registry.patterns:
            if pattern.category == "region":
                continue
            for side in ("prefix", "suffix"):
                word = getattr(pattern, side)
                if len(word) >= 2:
                    for at in range(len(word)):
                        table.setdefault((side, word[:at] + "\0" + word[at + 1:]), []).append(pattern)
        table.lengths = {side: sorted({len(masked) for kind, masked in table if kind == side}) for side in table.lengths}
        return table

    def _initials_signals(self, evidence: Evidence):
        tokens = evidence.normalized.tokens
        for start, end, forms in evidence.initials:
            bodies = {f.body.name: f for f in forms}
            letters = "".join(t.source for t in tokens[start:end])
            affixes = self.affixes_around(tokens, start, end)
            if len(bodies) == 1 and affixes is not None and not next(iter(bodies.values())).weak:
                form = next(iter(bodies.values()))
                reasons = (f"imitates {form.body.name} ({form.body.category})",
                           f"{letters} = initials of {form.text}") + tuple(affixes)
                yield Signal(BLOCK, self.scores["initials"], form.body.category, form.body.name, reasons, end - start)
            else:
                names = ", ".join(sorted(bodies))
                yield Signal(REVIEW, self.scores["initials"] - 0.2, forms[0].body.category, forms[0].body.name,
                             (f"{letters} = initials of {names}",), end - start)

    def _affixes_at(self, memo: dict, tokens: tuple[Token, ...], alignment: Alignment) -> list[str] | None:
        span = (alignment.start, alignment.end)
        if span not in memo:
            memo[span] = self.affixes_around(tokens, *span)
        return memo[span]

    def affixes_around(self, tokens: tuple[Token, ...], start: int, end: int) -> list[str] | None:
        """The affix words filling the name around [start, end), or None when something else is there.

        Copies of the first or last character of the span (人人民日报, 人民日报报) count as decoration, unless a
        copy belongs to an affix: 中国国家航天局 is 中国 + 国家航天局, not 中 + a repeated 国 + 国家航天局."""
        if start == 0 and end == len(tokens):  # most placements: the whole name
            return []
        first, last = start, end  # the span with every copy around it
        while 0 < first < end and tokens[first - 1].visual == tokens[first].visual:
            first -= 1
        while start < last < len(tokens) and tokens[last].visual == tokens[last - 1].visual:
            last += 1
        # As many copies as decoration as the affixes allow, the most first.
        for head_start in range(first, start + 1):
            for tail_end in range(last, end - 1, -1):
                found = self._affixes_outside(tokens, head_start, tail_end)
                if found is not None:
                    repeats = [f"repeated {t.source}" for t in (*tokens[head_start:start][::-1], *tokens[end:tail_end])]
                    return repeats + found
        return None

    def _affixes_outside(self, tokens: tuple[Token, ...], start: int, end: int) -> list[str] | None:
        head = self._splits.recall(("".join([t.text for t in tokens[:start]]), True), self._split)
        if head is None:
            return None
        after, person = self._person_suffix(tokens[end:])
        tail = self._splits.recall(("".join([t.text for t in after]), False), self._split)
        if tail is None:
            return None
        return [self._affix_reason(a) for a in head + tail] + person

    def _affix_reason(self, text: str) -> str:
        """``affix 首发``, or for a role word what it claims: ``claims to be its person: 发言人``."""
        word = self.registry.affixes.get(text)
        return f"claims to be its {word.group}: {text}" if word is not None and word.group else f"affix {text}"

    def _split(self, key: tuple[str, bool]) -> tuple[str, ...] | None:
        text, before = key
        found = split_words(text, self.prefixes if before else self.suffixes)
        return tuple(found) if found is not None else None

    def _person_suffix(self, after: tuple[Token, ...]) -> tuple[tuple[Token, ...], list[str]]:
        """Split off a closing role word and person's name (记者张三); returns what precedes it and the reason."""
        if len(after) < 2 or after[-1].kind != HAN or not self.person_suffixes:
            return after, []
        text = "".join([t.text for t in after])
        for size in range(1, min(MAX_PERSON_NAME, len(after)) + 1):
            if after[-size].kind != HAN:
                break
            # Han tokens are one character each, and role words are Han: the text ends as the tokens do.
            before = text[: len(text) - size]
            for role in self.person_suffixes:
                if before.endswith(role):
                    name = "".join([t.source for t in after[-size:]])
                    return after[: len(after) - size - len(role)], [f"affix {role} + person's name {name}"]
        return after, []

    def _imitation_reason(self, form: Form) -> str:
        body = form.body
        if body.category == DENYLIST:
            return f"reuses {body.name}, the name of a closed account (denylist)"
        former = " (a former name)" if body.status == "former" else ""
        via = f" via its short form {form.text}" if form.is_alias else ""
        return f"imitates {body.name}{former} ({body.category}){via}"

    def _placement_reasons(self, normalized: Normalized, alignment: Alignment, last: list[str]) -> tuple[str, ...]:
        """What changed from the registry name to the name: the folds, then the steps of the placement."""
        return (*self._fold_reasons(normalized), *(op_reason(op) for op in alignment.ops if op.channel != IDENTICAL),
                *last)

    def _fold_reasons(self, normalized: Normalized) -> tuple[str, ...]:
        """The folds taken on the way to the variant form, as reasons (the same folds recur: Ｔ→T, 報→报)."""
        steps = normalized.steps
        if not steps and not normalized.interleaved:
            return ()
        return self._folds.recall((steps, normalized.interleaved), _folding_reasons)

    # -- what the rule sends to a person -------------------------------------------------------------------------
    def _review_signals(self, evidence: Evidence) -> list[Signal]:
        signals = []
        variant = evidence.normalized.variant
        for hit, pattern, region in evidence.patterns:
            words = []
            if pattern.prefix:
                words.append(pattern.prefix)
            if pattern.suffix:
                words.append(pattern.suffix)
            kind = "filler" if pattern.category == "region" else "organ word"
            region_text = hit.text[len(pattern.prefix): len(hit.text) - len(pattern.suffix)]
            reason = f"region {region_text} ({region.label}) + {kind} {' '.join(words)} (pattern {pattern.text})"
            signals.append(Signal(REVIEW, self.scores["pattern"], pattern.category, hit.text, (reason,), len(hit.text)))
        for hit, names in evidence.regions:
            if hit.start == 0 and hit.end == len(variant) and not all(r.common_word for r in names):
                region = names[0]
                signals.append(Signal(REVIEW, self.scores["region"], "region", region.division,
                                      (f"region name {hit.text} ({region.label}) as the whole name",), len(hit.text)))
        for hit, word in evidence.titles:
            if self._counts(evidence, hit.start, hit.end):
                signals.append(Signal(REVIEW, self.scores["title"], "profession", word.text,
                                      (f"professional title {word.text} ({word.group})",), len(hit.text)))
        for hit, word in evidence.keywords:
            if word.strength in ("high", "medium") and self._counts(evidence, hit.start, hit.end):
                label = {"media": "news-attribute word", "military": "military word"}.get(word.category,
                                                                                          "official word")
                signals.append(Signal(REVIEW, self.scores["keyword"], word.category, word.text,
                                      (f"{label} {word.text}",), len(hit.text)))
        return signals


def allowed(verdict: Verdict, account_id: str | None) -> Verdict:
    """A verified account passes under the name it was verified for, and a name a reviewer cleared passes for
    everyone; the evidence stays visible."""
    why = f"verified account {account_id} (allowlist)" if account_id is not None else "name cleared in review (allowlist)"
    reasons = (why,) + verdict.reasons
    return verdict._replace(decision=PASS, reasons=reasons)


def _folding_reasons(key: tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]) -> tuple[str, ...]:
    """Reasons for folding steps (from, to, channel) and dropped interleaved letters or digits."""
    steps, interleaved = key
    reasons = []
    removed = []
    for src, dst, channel in steps:
        if channel in (INVISIBLE, NOISE):
            removed.append(src)
        else:
            reasons.append(f"{src}→{dst} {channel}")
    if removed:
        shown = " ".join(visible(c) for c in dict.fromkeys(removed))
        reasons.append(f"removed {len(removed)} inserted character{'s' if len(removed) > 1 else ''}: {shown}")
    if interleaved:
        shown = " ".join(dict.fromkeys(interleaved))
        reasons.append(f"removed {len(interleaved)} letters or digits interleaved with the name: {shown}")
    return tuple(dict.fromkeys(reasons))


def _token_span(tokens: tuple[Token, ...], start: int, end: int) -> tuple[int, int] | None:
    """The tokens that hold the variant text's characters [start, end), when its ends fall between tokens."""
    at, first = 0, None
    for i, token in enumerate(tokens):
        if at == start:
            first = i
        at += len(token.text)
        if at == end and first is not None:
            return first, i + 1
        if at > end:
            return None
    return None


def _single_edit(expected: list[str], found: list[str], tokens: tuple[Token, ...]) -> tuple[int | None, str] | None:
    """How ``found`` is ``expected`` with exactly one character substituted, inserted or deleted: (the position in
    ``found`` of the changed character, None for a deletion; the change), or None."""
    if len(found) == len(expected):
        differ = [i for i, (a, b) in enumerate(zip(expected, found)) if a != b]
        return (differ[0], f"{tokens[differ[0]].source}≠{expected[differ[0]]}") if len(differ) == 1 else None
    longer, shorter = (found, expected) if len(found) > len(expected) else (expected, found)
    if len(longer) != len(shorter) + 1:
        return None
    i = next((i for i, (a, b) in enumerate(zip(shorter, longer)) if a != b), len(shorter))
    if longer[i + 1:] != shorter[i:]:
        return None
    return ((i, step_reason(INSERTED, tokens[i].source, "")) if longer is found
            else (None, step_reason(DELETED, "", expected[i])))


def op_reason(op) -> str:
    return step_reason(op.channel, op.found, op.expected)


@lru_cache(maxsize=16)
def _lengths(words: frozenset[str]) -> tuple[int, ...]:
    return tuple(sorted({len(w) for w in words}))


def split_words(text: str, words: frozenset[str]) -> list[str] | None:
    """Split ``text`` into known words and digit runs (shortest split), or None if it cannot be."""
    if not text:
        return []
    n = len(text)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        j = i
        while j < n and text[j].isdigit():
            j += 1
        candidates = [j] if j > i else []
        candidates += [i + k for k in _lengths(words) if i + k <= n and text[i:i + k] in words]
        for k in candidates:
            piece = text[i:k]
            if best[k] is None or len(best[k]) > len(best[i]) + 1:
                best[k] = best[i] + [piece]
    return best[n]


def visible(ch: str) -> str:
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
