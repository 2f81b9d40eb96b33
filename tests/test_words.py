"""Word boundaries (segment.py): a carried name counts where it stands as a word of the name.

A protected name inside a longer name is sent to review, short forms (央视, 华为) included, unless the name reads
otherwise: 山海关胡杨林 is 山海关 / 胡杨林 (a place), not 海关; 行政协同软件 is 行政 / 协同 / 软件."""

import random
import shutil
from pathlib import Path

import pytest

from impostor import Detector, LexiconError
from impostor.detector import WORDS_FILE
from impostor.explain import explain
from impostor.lexicon import default_lexicon_dir
from impostor.segment import Words


@pytest.fixture(scope="module")
def brands(tmp_path_factory):
    path = tmp_path_factory.mktemp("brands") / "brands.tsv"
    path.write_text("name\taliases\n华为技术有限公司\t华为|Huawei\n", encoding="utf-8")
    return Detector(registries=[path])


@pytest.mark.parametrize("name, target", [
    ("华为客服", "华为技术有限公司"), ("华为旗舰店", "华为技术有限公司"), ("央视客服", "中央电视台"),
    ("央视美食推荐", "中央电视台"), ("央广客服", "中央人民广播电台"),
    # beyond the names the issue lists: other short forms, before and after other words
    ("华为手机维修中心", "华为技术有限公司"), ("我爱央视春晚", "中央电视台"), ("故宫文创小店", "故宫博物院"),
    ("军报读者之家", "解放军报"), ("环时评论精选站", "环球时报"),
])
def test_a_carried_short_form_is_sent_to_review_with_its_body(brands, name, target):
    verdict = brands.check(name)
    assert (verdict.decision, verdict.target) == ("review", target), verdict
    assert verdict.reasons[0].startswith("carries ")


@pytest.mark.parametrize("name", [
    "山海关胡杨林", "行政协同软件", "八大菜系", "八大山人画廊", "海军蓝毛衣店",  # the traps, and the class:
    "上山海关口看日出", "执行政协议书", "上海关税研究", "上海关帝庙香火", "实事求是的人",
])
def test_a_name_that_only_shares_characters_across_words_passes(detector, name):
    verdict = detector.check(name)
    assert verdict.decision == "pass", verdict


@pytest.mark.parametrize("name, target", [
    ("最高法院", "最高人民法院"),  # reads 最高 / 法院, but 法院 is an official word
    ("中国解放军", "中国人民解放军"),  # one dictionary word: the name with the affix 中国
    ("中国共产党中央委", "中国共产党中央委员会"),  # 中国共产党 is an organisation's name
    ("市政协", "中国人民政治协商会议全国委员会"), ("省人大", "全国人民代表大会"),  # a division's level, then the body
    ("北京故宫博物院", "故宫博物院"), ("第九届全国人大", "全国人民代表大会"),  # three characters or more: always
    ("央视春晚", "中央电视台"), ("人大代表", "全国人民代表大会"),  # the short form, then another word
])
def test_a_carried_name_inside_an_official_word_still_counts(detector, name, target):
    verdict = detector.check(name)
    assert verdict.decision != "pass" and verdict.target == target, verdict


def test_explain_says_why_a_candidate_within_budget_decides_nothing(detector, brands):
    trace = "\n".join(explain(detector, "山海关胡杨林"))
    assert "dropped: not a word of the name here: it reads 山海关 / 胡杨林" in trace
    trace = "\n".join(explain(detector, "仁民日报交流群"))
    assert "dropped: changed (homophone) and inside a longer name" in trace
    trace = "\n".join(explain(brands, "华为客服"))
    assert "dropped" not in trace and "5. decision: review" in trace


@pytest.fixture(scope="module")
def words():
    return Words(default_lexicon_dir() / WORDS_FILE)


def test_the_reading_is_jiebas_precise_mode(words):
    """The same best segmentation as jieba (HMM off) on random strings of its own words."""
    jieba = pytest.importorskip("jieba")
    import logging

    jieba.setLogLevel(logging.ERROR)
    vocabulary = [line.split("\t")[0] for line in (default_lexicon_dir() / WORDS_FILE).read_text(
        encoding="utf-8").splitlines()[5:]]
    rng = random.Random(7)
    texts = ["".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 4))) for _ in range(1000)]
    agree = sum([text[a:b] for a, b in words.segment(list(text))] == list(jieba.cut(text, HMM=False))
                for text in texts)
    assert agree >= 990  # ties between readings of equal probability may go either way


def test_non_han_tokens_are_boundaries_and_a_whole_name_stands(words):
    assert words.stands(["海", "军", None, "蓝"], 0, 2)  # 海军-蓝: the hyphen separates
    assert not words.stands(list("海军蓝"), 0, 2)
    assert words.stands(list("海军"), 0, 2)
    assert words.segment([None, "人", "民", None]) == [(0, 1), (1, 3), (3, 4)]


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:5] + ["海关\t813"] + lines[6:], ":6: a row must be"),
    (lambda lines: lines[:5] + ["海关\tmany\tns"] + lines[6:], ":6: the frequency must be a whole number"),
    (lambda lines: lines[:5] + ["海关\t0\tns"] + lines[6:], ":6: the frequency must be at least 1"),
    (lambda lines: [line for line in lines if not line.startswith("# licence")], "licence"),
    (lambda lines: lines[:4] + ["word\tfrequency\ttag"] + lines[5:], "column header"),
])
def test_a_malformed_word_list_is_refused_with_path_and_line(tmp_path, edit, message):
    lexicons = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lexicons)
    path = lexicons / WORDS_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[4] == "word\tfreq\ttag"
    path.write_text("\n".join(edit(lines)), encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as raised:
        Detector(lexicons).words.load()
    assert str(path) in str(raised.value)


def test_the_word_list_is_loaded_and_listed(detector):
    assert detector.words.source.rows > 300_000
    assert detector.words.source.meta["licence"].startswith("MIT")
    assert Path(detector.words.path).name == "jieba.tsv"
