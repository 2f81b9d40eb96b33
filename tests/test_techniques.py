"""Each evasion technique of the brief, on the name it disguises."""

import pytest

from impostor import Detector

TECHNIQUES = {
    "look-alike": "入民日报",
    "look-alike 曰": "人民曰报",
    "traditional": "人民日報",
    "homophone": "仁民日报",
    "near-homophone": "人明日报",
    "full-width": "ＣＣＴＶ",
    "cyrillic": "ССТV",
    "pinyin": "renminribao",
    "pinyin with space and case": "Renmin Ribao",
    "mixed han and pinyin": "人民ribao",
    "initials": "RMRB",
    "spaces": "人 民 日 报",
    "dots": "人·民·日·报",
    "emoji": "人民🔥日报",
    "zero-width": "人\u200b民\u200d日报",
    "variation selector": "人\ufe0f民日报",
    "kangxi radicals": "⼈民⽇报",
    "supplement radical": "人⺠日报",
    "split character": "亻民日报",
    "bopomofo": "人民ㄖ报",
    "affix 官方": "人民日报官方",
    "affix prefix and suffix": "官方人民日报快讯",
}


@pytest.mark.parametrize("technique,name", sorted(TECHNIQUES.items()))
def test_each_technique_is_blocked_with_the_right_target(detector, technique, name):
    verdict = detector.check(name)
    assert verdict.decision == "block", (technique, verdict)
    expected = "中央电视台" if "cctv" in detector.normalize(name).skeleton else "人民日报"
    assert verdict.target == expected


def test_enclosed_ideograph(detector):
    assert detector.check("㊥国日报").target == "中国日报"


def test_other_bodies_by_technique(detector):
    assert detector.check("新化社").target == "新华社"  # homophone 化/华
    assert detector.check("央视xinwen").target == "央视新闻"  # pinyin inside Han
    assert detector.check("最高人民検察院").target == "最高人民检察院"  # Japanese shinjitai 検


BENIGN = ["人民公园遛弯", "人民币收藏", "新华字典爱好者", "光明的未来", "环球旅行家", "参考答案君",
          "海军蓝毛衣店", "故事大王", "小王的烘焙日记", "zhangsan1990", "快乐每一天", "Lucy的小店"]


@pytest.mark.parametrize("name", BENIGN)
def test_ordinary_names_sharing_characters_pass(detector, name):
    assert detector.check(name).decision == "pass", detector.check(name)


def test_exact_name_inside_a_longer_name_is_reviewed_not_blocked(detector):
    verdict = detector.check("人民日报读者俱乐部")
    assert verdict.decision == "review"
    assert verdict.target == "人民日报"


def test_disguised_name_inside_a_longer_name_is_blocked(detector):
    assert detector.check("人民曰报读者俱乐部").decision == "block"


def test_registry_names_are_not_confused_with_each_other(detector):
    assert detector.check("最高人民检察院").target == "最高人民检察院"
    assert detector.check("最高人民法院").target == "最高人民法院"
    assert detector.check("人民日报海外版").target == "人民日报海外版"


def test_batch_matches_single_calls_in_order(detector):
    names = ["入民日报", "光明的未来", "夏爽律师", "入民日报", ""]
    batch = detector.check_many(names)
    assert [v.name for v in batch] == names
    assert [v.decision for v in batch] == [detector.check(n).decision for n in names]


def test_former_region_names_count_in_region_patterns(detector):
    verdict = detector.check("襄樊公安局")  # 襄樊 is Xiangyang's former name: its police under the old name
    assert (verdict.decision, verdict.target) == ("block", "襄樊公安局")
    assert "former name" in verdict.reasons[0]
    assert detector.check("襄樊公安局的老同事").decision == "review"  # inside other text: the pattern, carried


def test_common_word_region_alone_is_not_flagged(detector):
    # 公安县 shortens to 公安, 和平区 to 和平: ordinary words that count only in a region-like use.
    assert detector.check("和平").decision == "pass"
    assert detector.check("四川").decision == "review"


@pytest.mark.parametrize("name,target,reason", [
    ("故宫博物馆", "故宫博物院", "馆≈院 same-kind word"),
    ("东部站区", "东部战区", "站≈战 homophone"),
    ("国家统计居", "国家统计局", "居≈局 homophone"),
    ("央视新文", "央视新闻", "文≈闻 homophone"),
    ("国家税务局总局", "国家税务总局", "inserted 局"),
    ("中国青年日报", "中国青年报", "inserted 日"),
    ("人人民民日日报报", "人民日报", "repeated 民"),
    ("人民日报记者张三", "人民日报", "affix 记者 + person's name 张三"),
    # Near look-alikes that only one source of visual_near.tsv knows; with the table before it, these names passed
    # or were only reviewed.  Glyph shapes (the four-corner rule missed them), and component decomposition (same
    # configuration, one component swapped for a look-alike: 艮/良, 呆/果, 日/旦).
    ("住房和域乡建设部", "住房和城乡建设部", "域≈城 near look-alike"),
    ("新闻和报纸摘耍", "新闻和报纸摘要", "耍≈要 near look-alike"),
    ("钢陵日报", "铜陵日报", "钢≈铜 near look-alike"),
    ("县城经济网", "县域经济网", "城≈域 near look-alike"),
    ("中国人民锒行", "中国人民银行", "锒≈银 near look-alike"),
    ("国家医疗倮障局", "国家医疗保障局", "倮≈保 near look-alike"),
    ("中国地质调杳局", "中国地质调查局", "杳≈查 near look-alike"),
])
def test_near_names_and_decorations(detector, name, target, reason):
    verdict = detector.check(name)
    assert (verdict.decision, verdict.target) == ("block", target), verdict
    assert reason in verdict.reasons


def test_allowlist_lets_the_verified_owner_pass(tmp_path):
    from impostor import Detector

    allow = tmp_path / "allow.tsv"
    allow.write_text("account_id\tname\n1001\t人民日报\n2002\t\n", encoding="utf-8")
    detector = Detector(allowlist=allow)
    assert detector.check("人民日报", account_id="1001").decision == "pass"
    assert detector.check("人民日報", account_id="1001").decision == "pass"  # same name, other encoding
    assert detector.check("人民日报", account_id="9999").decision == "block"
    assert detector.check("人民日报").decision == "block"
    assert detector.check("新华社", account_id="1001").decision == "block"  # verified for another name
    assert detector.check("新华社", account_id="2002").decision == "pass"  # verified under any name
    verdict = detector.check("人民日报", account_id="1001")
    assert verdict.reasons[0] == "verified account 1001 (allowlist)" and verdict.target == "人民日报"
    batch = detector.check_many(["人民日报", "人民日报"], account_ids=["1001", None])
    assert [v.decision for v in batch] == ["pass", "block"]


def test_every_registry_name_identifies_itself(detector):
    # The registry run against itself: no protected name is taken for another body.
    for form in detector.registry.forms:
        verdict = detector.check(form.text)
        assert verdict.target == form.body.name, (form.text, verdict)
        assert verdict.decision == ("review" if form.weak else "block"), (form.text, verdict)


def test_custom_registry_gets_every_technique(tmp_path):
    from impostor import Detector

    brands = tmp_path / "brands.tsv"
    brands.write_text("name\taliases\tcategory\n华为技术有限公司\t华为|HUAWEI\t\n", encoding="utf-8")
    detector = Detector(registries=[brands])
    for name in ("华为官方", "華為", "ＨＵＡＷＥＩ", "huawei"):
        verdict = detector.check(name)
        assert (verdict.decision, verdict.target, verdict.category) == ("block", "华为技术有限公司", "brand"), name
    assert detector.check("入民日报").target == "人民日报"  # the shipped registries still apply


@pytest.mark.parametrize("name,target", [
    ("r\u0435\u043fmi\u043f rib\u0430\u043e", "人民日报"),  # Cyrillic е, п, а, о in renmin ribao
    ("\u043fanfang zhoumo", "南方周末"),
])
def test_cyrillic_pe_stands_for_latin_n(detector, name, target):
    # UTS #39 takes п to Greek π; uts39.tsv overrides it to n, the letter it looks like in a Latin-script name.
    verdict = detector.check(name)
    assert (verdict.decision, verdict.target) == ("block", target), verdict


# A copy of a registry name's first character is decoration (人人民日报), unless it belongs to an affix before it:
# 中国国家航天局 is the prefix 中国 and 国家航天局, not 中 and a repeated 国.
@pytest.mark.parametrize("name,target,reasons", [
    ("中国国家航天局网站", "国家航天局网站", ["affix 中国"]),
    ("中国国国家统计局", "国家统计局", ["repeated 国", "affix 中国"]),
    ("人人民日报", "人民日报", ["repeated 人"]),
])
def test_a_repeated_first_character_may_belong_to_the_prefix(detector, name, target, reasons):
    verdict = detector.check(name)
    assert (verdict.decision, verdict.target) == ("block", target), verdict
    assert verdict.reasons[1:1 + len(reasons)] == tuple(reasons)


def test_words_are_looked_for_only_where_a_block_leaves_room(detector):
    # 成都日报 imitates a newspaper (block) and also has the shape of a region pattern ({地}日报, review): the block
    # wins and lists no review reason.  With media disabled the block is gone, and the pattern is what remains.
    blocked = detector.check("成都日报")
    assert blocked.decision == "block" and blocked.category == "media"
    assert not any(r.startswith("region ") for r in blocked.reasons)
    reviewed = Detector(disabled=["media"]).check("成都日报")
    assert (reviewed.decision, reviewed.category) == ("review", "region")
    assert reviewed.reasons[0].startswith("region 成都")
    # explain still sees every word: the evidence looks them up when asked.
    evidence = detector.evidence(detector.normalize("成都日报"))
    assert [hit.text for hit, _, _ in evidence.patterns] == ["成都日报"]
