"""The quality targets hold on the labelled evaluation set (benchmarks/eval, made by benchmarks/make_eval.py).

Shares, not single names: a change that trades a few rows is fine; one that breaks a technique or starts flagging
ordinary names fails here.  The full per-technique report is `python benchmarks/evaluate.py`.
"""

import csv
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1] / "benchmarks" / "eval"


def rows(name: str) -> list[dict[str, str]]:
    with open(EVAL / name, encoding="utf-8") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


@pytest.fixture(scope="module")
def impostor_results(detector):
    data = rows("impostors.tsv")
    return data, detector.check_many(r["name"] for r in data)


def test_caught_and_identified(impostor_results):
    data, verdicts = impostor_results
    caught = sum(v.decision != "pass" for v in verdicts) / len(data)
    targeted = [(r, v) for r, v in zip(data, verdicts) if r["target"] and r["expected"] == "block"]
    identified = sum(v.decision == "block" and v.target == r["target"] for r, v in targeted) / len(targeted)
    assert caught >= 0.98
    assert identified >= 0.95


def test_every_technique_is_mostly_caught(impostor_results):
    data, verdicts = impostor_results
    by_technique: dict[str, list[bool]] = {}
    for r, v in zip(data, verdicts):
        by_technique.setdefault(r["technique"], []).append(v.decision != "pass")
    weak = {t: sum(c) / len(c) for t, c in by_technique.items() if sum(c) / len(c) < 0.85}
    assert weak == {}


def test_ordinary_names_are_rarely_flagged(detector):
    data = rows("benign.tsv")
    verdicts = detector.check_many(r["name"] for r in data)
    assert len(data) >= 2000
    assert sum(v.decision == "block" for v in verdicts) / len(data) <= 0.005
    assert sum(v.decision == "review" for v in verdicts) / len(data) <= 0.05
