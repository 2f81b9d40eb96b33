"""Names crafted to slip past the screener: each is caught, or is a documented limit (see README, Hardening)."""

import pytest

from impostor import Detector


@pytest.fixture(scope="module")
def detector():
    return Detector()


CAUGHT = [
    ("combining marks on protected characters", "人\u0301民\u0308日\u0323报", "人民日报"),
    ("variation selectors", "人\ufe0f民\U000e0100日报", "人民日报"),
    ("Unicode tag characters", "人民\U000e0041\U000e0042日报", "人民日报"),
    ("bidi override", "\u202e人民日报\u202c", "人民日报"),
    ("bidi isolates", "\u2066人民\u2069日报", "人民日报"),
    ("ideographic description character", "人民⿰日报", "人民日报"),
    ("zero-width joiner, space and BOM", "人\u200d民\u200b日\ufeff报", "人民日报"),
    ("Hangul filler", "人民\u3164日报", "人民日报"),
    ("Braille blank", "人民\u2800日报", "人民日报"),
    ("Mongolian vowel separator", "人民\u180e日报", "人民日报"),
    ("halfwidth and fullwidth forms", "ｃｃｔｖ", "中央电视台"),
    ("mathematical bold", "𝐂𝐂𝐓𝐕", "中央电视台"),
    ("mathematical bold italic", "𝑪𝑮𝑻𝑵", "CGTN"),
    ("Greek letter inside a Latin brand", "CGΤN", "CGTN"),
    ("fullwidth and Cyrillic mixed", "ＣСТＶ", "中央电视台"),
    ("modifier letters", "ᶜᶜᵀⱽ", "中央电视台"),
    ("split by a newline", "人民\n日报", "人民日报"),
    ("split by a tab", "人民\t日报", "人民日报"),
    ("interleaved symbols", "人★民★日★报", "人民日报"),
    ("interleaved letters", "人a民a日a报", "人民日报"),
    ("interleaved digits", "人1民2日3报", "人民日报"),
    ("enclosed ideograph", "㊥国日报", "中国日报"),
    ("spaced-out pinyin", "r e n m i n r i b a o", "人民日报"),
    ("emoji keycap after the name", "人民日报1️⃣", "人民日报"),
    ("repeated and interleaved noise", "人人★民民★日★报报", "人民日报"),
]


@pytest.mark.parametrize("technique, name, target", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_evasion_is_caught(detector, technique, name, target):
    verdict = detector.check(name)
    assert (verdict.decision, verdict.target) == ("block", target), verdict.reasons


def test_removed_characters_are_named_in_the_reasons(detector):
    reasons = detector.check("\u202e人民日报\u202c").reasons
    assert "removed 2 inserted characters: U+202E U+202C" in reasons
    reasons = detector.check("人1民2日3报").reasons
    assert "removed 3 letters or digits interleaved with the name: 1 2 3" in reasons


@pytest.mark.parametrize("name", ["A股行情", "王1号", "3D打印小王", "人民1号店铺"])
def test_a_single_letter_or_digit_among_han_is_not_dropped(detector, name):
    assert detector.normalize(name).interleaved == ()
