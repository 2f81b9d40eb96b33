"""Scoring: how closely a stretch of a name reproduces a registry name.

A weighted edit distance whose substitution cost is chosen per character as the cheapest channel that explains
the change (identical after folding, look-alike, pinyin spelled in Latin, homophone, near-homophone, near
look-alike), so 人民曰報 costs one look-alike (報→报 is already folded).  The registry name must be matched whole;
the name may carry anything before and after it (the affixes are judged later).  Deleting a character of the
registry name costs more the more distinctive it is (dropping 人民 from 最高人民检察院 is cheap, dropping 检 is not).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

import numpy as np

from . import kernel
# The channels (names, costs, reasons, kernel codes) are one table, in channels.py.
from .channels import CHANNELS, IDENTICAL
from .normalize import Token

if TYPE_CHECKING:
    from .registry import Form, Registry

# Scored substitutions beyond the per-token keys: (expected, found) -> (cost, channel).
Substitutes = dict[tuple[str, str], tuple[float, str]]


BUDGETS_KEPT = 128
NET_MIN_LENGTH = 4  # registry names this long or longer are distinctive enough to be judged by what changed
UNEXPLAINED = 1.0  # a substitution no channel explains (the kernel's too)

# Every value of scoring.toml, with the range it must lie in (bounds included) and whether it is a whole number: the
# file, the config file's [costs] and [scores] and --set are all checked against this one table.  A budget of 0
# would divide by zero, a negative cost makes a worse match look better (入民日报 "imitates 人民网").
SETTINGS: dict[str, dict[str, tuple[float, float, bool]]] = {
    "costs": {
        "lookalike": (0.0, 1.0, False), "pinyin": (0.0, 1.0, False), "homophone": (0.0, 1.0, False),
        "near_homophone": (0.0, 1.0, False), "insert": (0.0, 1.0, False), "repeat": (0.0, 1.0, False),
        "insert_min_length": (0, 64, True), "delete_base": (0.0, 2.0, False), "delete_weight": (0.0, 2.0, False),
        "budget_per_char": (0.0, 1.0, False), "budget_offset": (-1.0, 1.0, False), "budget_min": (0.001, 1.0, False),
        "block_score": (0.001, 1.0, False),
    },
    "scores": {
        "weak_name": (0.0, 1.0, False), "carried_name": (0.0, 1.0, False), "initials": (0.0, 1.0, False),
        "pattern": (0.0, 1.0, False), "region": (0.0, 1.0, False), "title": (0.0, 1.0, False),
        "keyword": (0.0, 1.0, False), "one_edit": (0.0, 1.0, False),
        "local_account": (0.0, 1.0, False),
    },
}


def check_settings(values: Any, where: str, complete: bool = False) -> dict[str, dict[str, float]]:
    """``values`` ({section: {key: number}}) checked against SETTINGS: every section and key known, every value a
    number in its range (``complete``: every key present, as scoring.toml must be).  Returns them as numbers;
    raises LexiconError naming ``where`` and the key."""
    from .lexicon import LexiconError

    if not isinstance(values, dict):
        raise LexiconError(where, None, "settings must be a table of [costs] and [scores]")
    checked: dict[str, dict[str, float]] = {}
    for section, entries in values.items():
        known = SETTINGS.get(section)
        if known is None:
            raise LexiconError(where, None, f"unknown section [{section}]; known: {', '.join(SETTINGS)}")
        if not isinstance(entries, dict):
            raise LexiconError(where, None, f"[{section}] must be a table of numbers")
        for key, value in entries.items():
            if key not in known:
                raise LexiconError(where, None, f"unknown setting {section}.{key}; known: {', '.join(known)}")
            low, high, whole = known[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise LexiconError(where, None, f"{section}.{key} must be a number, not {value!r}")
            if whole and value != int(value):
                raise LexiconError(where, None, f"{section}.{key} must be a whole number, not {value!r}")
            if not low <= value <= high:  # NaN fails too
                raise LexiconError(where, None, f"{section}.{key} = {value!r} is out of range: it must lie in "
                                                f"[{low:g}, {high:g}]")
            checked.setdefault(section, {})[key] = int(value) if whole else float(value)
    if complete:
        for section, known in SETTINGS.items():
            missing = [key for key in known if key not in checked.get(section, {})]
            if missing:
                raise LexiconError(where, None, f"[{section}] lacks {', '.join(missing)}")
    return checked


@dataclass(frozen=True)
class Costs:
    """Channel costs and the per-length budget, as ``scoring.toml`` beside the lexicons gives them (the one place
    their values are written: there are no defaults here)."""

    lookalike: float
    pinyin: float
    homophone: float
    near_homophone: float
    insert: float
    insert_min_length: int  # shorter registry names take no insertions (工程学院 is not 工程院)
    repeat: float
    delete_base: float
    delete_weight: float
    budget_per_char: float
    budget_offset: float
    budget_min: float
    block_score: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Costs":
        """From a checked, complete ``[costs]`` table (``check_settings``)."""
        return cls(**{k: int(v) if SETTINGS["costs"][k][2] else float(v) for k, v in config.items()})

    def __post_init__(self) -> None:
        # Budgets by length, computed once: the scorer and the decider ask for them per candidate.
        object.__setattr__(self, "_budgets", [self._budget(n) for n in range(BUDGETS_KEPT)])

    def budget(self, length: int) -> float:
        """Total cost a registry name of ``length`` tokens may take and still be imitated (block)."""
        return self._budgets[length] if length < BUDGETS_KEPT else self._budget(length)

    def _budget(self, length: int) -> float:
        return max(self.budget_min, self.budget_per_char * length + self.budget_offset)

    @property
    def one_edit(self) -> float:
        """The most one edit costs: a substitution no channel explains, an insertion, or a deletion."""
        return max(UNEXPLAINED, self.insert, self.delete_base + self.delete_weight)

    def near(self, length: int) -> float:
        """The most a placement of a registry name of ``length`` tokens may cost and still decide something: its
        budget; for a distinctive name (NET_MIN_LENGTH tokens and up) also one edit, or changes to up to half its
        characters, which decide.py judges by what changed (the net, and names that read or look as the body's)."""
        budget = self.budget(length)
        if length < NET_MIN_LENGTH:
            return budget
        return max(budget, self.one_edit, length // 2 * UNEXPLAINED)

    def score(self, cost: float, length: int) -> float:
        """0..1, 1 = exact; ``block_score`` exactly at the budget."""
        return max(0.0, min(1.0, 1.0 - (1.0 - self.block_score) * cost / self.budget(length)))


def deletion_costs(registry: Registry, costs: Costs) -> np.ndarray:
    """The cost of leaving each registry character out (``registry.table.sequence``: every form's tokens, form after
    form): a filler's own cost, otherwise more the more distinctive the character is among its group's names."""
    table = registry.table
    fillers = np.array([registry.fillers.get(t.text, np.nan) for t in table.types])[table.sequence]
    return np.where(np.isnan(fillers), costs.delete_base + costs.delete_weight * registry.token_weights(), fillers)


class Op(NamedTuple):  # a tuple: a scored name makes dozens of them
    """One step of an alignment: what became of one registry-name character (or an inserted name character)."""

    channel: str  # identical | look-alike | pinyin | homophone | ... | inserted | deleted
    expected: str  # the registry name's character ("" for an insertion)
    found: str  # the name's raw characters ("" for a deletion)
    cost: float


class Alignment(NamedTuple):
    """A placement of a registry name inside a name, and its steps."""

    cost: float
    start: int  # token span of the name that reproduces the registry name
    end: int
    ops: tuple[Op, ...]

    @property
    def disguised(self) -> bool:
        return any(op.channel != IDENTICAL for op in self.ops)


class Scorer:
    """Places registry names in names through the kernel's Aligner (kernel.py: the compiled one or its twin)."""

    def __init__(self, costs: Costs, substitutes: Substitutes, registry: Registry, intern: Callable[[str], int],
                 backend: ModuleType | None = None) -> None:
        backend = backend or kernel.backend  # the twin of kernel.py's choice, for tests that compare the two
        self.costs = costs
        self.deletes = deletion_costs(registry, costs)
        self.starts = registry.table.starts
        self._patterns: dict[int, tuple[bytes, bytes, float, tuple[str, ...], float]] = {}  # by form id: _pattern
        listed = list(substitutes.items())
        fillers = registry.fillers
        self.aligner = backend.Aligner(
            array("Q", [intern(a) << 32 | intern(b) for (a, b), _ in listed]),
            array("d", [cost for _, (cost, _) in listed]),
            array("i", [CHANNELS.index(channel) for _, (_, channel) in listed]),
            costs.lookalike, costs.pinyin, costs.homophone, costs.near_homophone, costs.insert, costs.repeat,
            costs.insert_min_length, costs.block_score, Op, Alignment, CHANNELS,
            array("Q", [intern(text) for text in fillers]), array("d", list(fillers.values())))

    def align_all(self, forms: list[Form], name: tuple[Token, ...], detail: bool = False) -> list[tuple[Form, Alignment]]:
        """The placements of ``forms`` inside ``name`` (free prefix and suffix; for each form the cheapest, and the
        cheapest reaching the end of the name when that is another one within budget) that can decide something:
        those within budget; then those over budget but near (``Costs.near``, with at least half the registry
        name's characters in place) of registry names longer than any placed within budget, without their steps;
        then the nearest other one over budget (its score is a pass's reason), without its steps.  With ``detail``
        (explanations) every placement, with its steps."""
        if not forms:
            return []
        known = self._patterns.get
        placed = self.aligner.align_many([known(form.id) or self._pattern(form) for form in forms],
                                         b"".join([t.code for t in name]), tuple([t.source for t in name]), detail)
        return [(forms[k], alignment) for k, alignment in placed]

    def deletes_of(self, form: Form) -> np.ndarray:
        """The cost of deleting each character of a registry form (``deletion_costs``)."""
        start = self.starts[form.id]
        return self.deletes[start:start + len(form.tokens)]

    def _pattern(self, form: Form) -> tuple[bytes, bytes, float, tuple[str, ...], float]:
        """What the kernel takes of a registry form: token codes, delete costs, budget, token texts, and the most
        a placement may cost and be kept (``Costs.near``)."""
        pattern = self._patterns[form.id] = (b"".join(t.code for t in form.tokens),
                                             self.deletes_of(form).tobytes(),
                                             self.costs.budget(form.length), tuple(t.text for t in form.tokens),
                                             self.costs.near(form.length))
        return pattern
