"""Every example name of the source documents gets the decision the rule implies (shared/MISSION.md)."""

import pytest

# Imitations of one specific protected body: block, naming the body.
BLOCK = {
    "人民曰报首发": "人民日报",  # look-alike 曰 + affix 首发
    "入民日报": "人民日报",  # look-alike 入
    "人民曰報网": "人民日报",  # look-alike + traditional 報 + affix 网
    "央广新闻TB": "中央人民广播电台",  # short form 央广 + affixes 新闻, TB
    "最高检察院": "最高人民检察院",  # shortened organ name
    "中国科学研究院": "中国科学院",  # near name (inserted 研究)
    "朝闻天下": "朝闻天下",  # programme name
    # The name a local pattern makes for one specific body is that body (issue 17): region + organ word.
    "河南卫健": "河南卫健",  # {地}卫健: the province's health commission
    "武侯区档案馆": "武侯区档案馆",  # {地}档案馆
    "南阳市疾控中心": "南阳市疾控中心",  # {地}疾控中心
}

# What the rule sends to a person without one specific body being imitated.
REVIEW = {
    "平安公安": "government",  # 平安{地}, but 公安 (公安县) is also an ordinary word: no one body
    "中国红军指挥部": "military",
    "中国反恐部队": "military",
    "战略导弹部队": "military",
    "中南都市报": "media",
    "四川本地": "region",
    "包头办事宝": "government",
    "怀集生活号": "region",
    "梁老师数理化": "profession",
    "夏爽律师": "profession",
    "龙驰医生": "profession",
    "张三说资讯": "media",  # 某某说资讯
    "李四时报": "media",  # 某某时报
    "王五说天下": "media",  # 某某说天下
    "主持人赵六": "profession",  # 主持人某某
}


@pytest.mark.parametrize("name,target", sorted(BLOCK.items()))
def test_impostors_of_a_specific_body_are_blocked(detector, name, target):
    verdict = detector.check(name)
    assert verdict.decision == "block", verdict
    assert verdict.target == target
    assert verdict.reasons and verdict.reasons[0].startswith("imitates ")


@pytest.mark.parametrize("name,category", sorted(REVIEW.items()))
def test_names_the_rule_sends_to_a_person_are_reviewed(detector, name, category):
    verdict = detector.check(name)
    assert verdict.decision == "review", verdict
    assert verdict.category == category
    assert verdict.reasons


def test_block_reasons_name_the_transformations(detector):
    reasons = detector.check("人民曰報网").reasons
    assert "曰→日 look-alike" in reasons
    assert "報→报 traditional" in reasons
    assert "affix 网" in reasons


def test_region_pattern_reason_names_region_and_filler(detector):
    verdict = detector.check("四川本地")
    assert any("region 四川" in r and "本地" in r for r in verdict.reasons)
