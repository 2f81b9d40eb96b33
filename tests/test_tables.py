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


def test_readings_agree_with_pypinyin(detector, registry_chars):
    # Ours are pypinyin's readings, most common first, less the classical ones no word uses (台 si, 方 wang).
    for c in registry_chars:
        expected = pinyin(c, style=Style.NORMAL, heteronym=True, v_to_u=False)[0]
        ours = detector.tables.readings(c)
        assert ours and ours[0] == expected[0] and set(ours) <= set(expected), c


@pytest.mark.parametrize("char,reading", [("单", "shan"), ("行", "hang"), ("长", "zhang"), ("重", "chong")])
def test_heteronyms_used_in_words_are_kept(detector, char, reading):
    assert reading in detector.tables.readings(char)


@pytest.mark.parametrize("char,reading", [("台", "si"), ("方", "wang")])
def test_classical_readings_are_dropped(detector, char, reading):
    assert reading not in detector.tables.readings(char)
