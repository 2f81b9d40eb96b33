"""Normalization: one skeleton, one phonetic key, Latin brought into pinyin space."""

import pytest


@pytest.mark.parametrize("raw,skeleton", [
    ("入民曰報", "人民日报"),
    ("人 民.日_报", "人民日报"),
    ("人\u200b民\u2060日\ufeff报", "人民日报"),
    ("⼈⺠⽇报", "人民日报"),
    ("ＣＣＴＶ", "cctv"),
    ("ССТV", "cctv"),
    ("人民ㄖ报", "人民日报"),
    ("㊥国", "中国"),
    ("人民日报🎉✨", "人民日报"),
])
def test_visual_skeleton(detector, raw, skeleton):
    assert detector.normalize(raw).skeleton == skeleton


def test_variant_form_keeps_look_alikes_apart(detector):
    # The variant form folds encodings (報→报) but not look-alikes (曰 stays): scoring needs to tell them apart.
    assert detector.normalize("人民曰報").variant == "人民曰报"


def test_phonetic_key(detector):
    assert detector.normalize("人民日报").phonetic == "ren min ri bao"
    assert detector.normalize("仁民日报").phonetic == "ren min ri bao"


def test_pinyin_segmentation(detector):
    tokens = detector.normalize("renminribao").tokens
    assert [t.text for t in tokens] == ["ren", "min", "ri", "bao"]
    assert all(t.kind == "syllable" for t in tokens)


def test_non_pinyin_latin_stays_letters(detector):
    assert [t.text for t in detector.normalize("CCTV").tokens] == ["c", "c", "t", "v"]
    assert [t.kind for t in detector.normalize("tb").tokens] == ["latin", "latin"]


def test_fuzzy_keys_join_near_homophones(detector):
    ming = detector.normalize("明").tokens[0]
    min_ = detector.normalize("民").tokens[0]
    assert set(ming.fuzzy) & set(min_.fuzzy)
    assert not set(ming.readings) & set(min_.readings)


def test_heteronyms_keep_every_reading(detector):
    assert {"dan", "shan"} <= set(detector.normalize("单").tokens[0].readings)


def test_normalization_records_each_step(detector):
    steps = detector.normalize("人民日報\u200b").steps
    channels = {(src, channel) for src, _, channel in steps}
    assert ("報", "traditional") in channels
    assert ("\u200b", "invisible") in channels


def test_remembered_latin_tokens_keep_their_own_sources(detector):
    # Letter and syllable tokens are remembered by (text, source): the same letters typed otherwise are other tokens.
    for raw in ("ＣＣＴＶ", "CCTV", "ＣＣＴＶ", "ＲｅｎＭｉｎ", "renmin", "ＲｅｎＭｉｎ"):
        tokens = detector.normalize(raw).tokens
        assert "".join(t.source for t in tokens) == raw
    assert [t.text for t in detector.normalize("ＲｅｎＭｉｎ").tokens] == ["ren", "min"]


def test_memo_keeps_none_as_a_value():
    from impostor.memo import Memo

    calls = []
    memo: Memo[str, None] = Memo(4)
    for _ in range(3):
        assert memo.recall("tb", lambda key: calls.append(key)) is None
    assert calls == ["tb"]  # "not pinyin" is remembered like any answer
