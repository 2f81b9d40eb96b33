"""The shipped character tables agree with the libraries they were generated from (used here as oracles)."""

import opencc
import pytest
from pypinyin import Style, pinyin


@pytest.fixture(scope="module")
def registry_chars(detector):
    return sorted({t.text for f in detector.registry.forms for t in f.tokens if t.kind == "han"})


def test_traditional_forms_of_registry_characters_fold_back(detector, registry_chars):
    s2t = opencc.OpenCC("s2t")
    misses = [c for c in registry_chars
              if (t := s2t.convert(c)) != c and detector.normalize(t).variant != c]
    assert misses == []


def test_common_simplified_characters_are_never_folded_away(detector, registry_chars):
    changed = [c for c in registry_chars if detector.normalize(c).variant != c]
    assert changed == []


def test_readings_cover_pypinyin_heteronyms(detector, registry_chars):
    for c in registry_chars:
        expected = {r for r in pinyin(c, style=Style.NORMAL, heteronym=True, v_to_u=False)[0]}
        assert expected <= set(detector.tables.readings(c)), c
