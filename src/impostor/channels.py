"""The channels: how one character of a registry name can come to be written otherwise, in one table.

Each channel has a name (what reasons and explanations say, and what the compiled kernel's channel codes index:
``CHANNELS``), the ``[costs]`` key of ``scoring.toml`` that prices it, how a reason writes a step through it, whether
it is evasive (no honest writer produces it by accident: a name disguised through it is blocked even inside a
longer name) and the kind of search key a character is found under through it (``v`` its look-alike key, ``s`` a
pinyin syllable, ``p`` a fuzzy reading; normalize.py makes the keys).  Normalization, the candidate search,
scoring, the decisions and the kernel (through ``kernel.require``) all read this table.
"""

from __future__ import annotations

from typing import NamedTuple

from . import kernel


class Channel(NamedTuple):
    name: str
    cost: str | None  # the [costs] key pricing it; None: free (identical), or priced per pair or by the table below
    reason: str  # a step as a reason: {found} and {expected} are the name's and the registry's characters
    evasive: bool = False
    key: str | None = None  # the search-key kind through which a character is found ("v", "s", "p")


TABLE: tuple[Channel, ...] = (
    Channel("identical", None, "{found}", key="v"),
    Channel("look-alike", "lookalike", "{found}→{expected} look-alike", evasive=True, key="v"),
    Channel("pinyin", "pinyin", "{found}={expected} pinyin", key="s"),
    Channel("homophone", "homophone", "{found}≈{expected} homophone", key="p"),
    Channel("near-homophone", "near_homophone", "{found}≈{expected} near-homophone", key="p"),
    Channel("near look-alike", None, "{found}≈{expected} near look-alike"),  # each pair's cost: visual_near.tsv
    Channel("same-kind word", None, "{found}≈{expected} same-kind word"),  # each pair's cost: the synonyms
    Channel("different", None, "{found}≈{expected} different"),  # scoring.UNEXPLAINED
    Channel("inserted", "insert", "inserted {found}"),  # (or a filler's own cost)
    Channel("repeated", "repeat", "repeated {found}"),
    Channel("deleted", None, "missing {expected}"),  # delete_base + delete_weight × distinctiveness
)
BY_NAME = {channel.name: channel for channel in TABLE}
CHANNELS = tuple(channel.name for channel in TABLE)  # in the order of the kernel's channel codes
kernel.require(CHANNELS=CHANNELS)
(IDENTICAL, LOOKALIKE, PINYIN, HOMOPHONE, NEAR_HOMOPHONE, NEAR_LOOKALIKE, SYNONYM, OTHER, INSERTED, REPEATED,
 DELETED) = CHANNELS
EVASIVE = frozenset(channel.name for channel in TABLE if channel.evasive)


def step_reason(channel: str, found: str, expected: str) -> str:
    """One step of a placement as a reason: 入→人 look-alike, missing 局, inserted 研究."""
    return BY_NAME[channel].reason.format(found=found, expected=expected)


def key_floors(costs: object) -> dict[str, float]:
    """Per search-key kind, the least a character found under such a key costs (the index leaves out key pairs a
    name could only reach over budget)."""
    floors: dict[str, float] = {}
    for channel in TABLE:
        if channel.key is not None:
            cost = getattr(costs, channel.cost) if channel.cost else 0.0
            floors[channel.key] = min(floors.get(channel.key, cost), cost)
    return floors
