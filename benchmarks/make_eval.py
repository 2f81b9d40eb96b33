#!/usr/bin/env python3
"""Build the labelled evaluation set for impostor: benchmarks/eval/impostors.tsv and benchmarks/eval/benign.tsv.

    python benchmarks/make_eval.py [--seed 20240705] [--per-technique 150] [--out benchmarks/eval]

Deterministic for a given seed, registry (lexicons/registry via Detector().registry) and word-list versions.

Impostor rows come from two places:

* the examples quoted in the source documents (shared/MISSION.md), technique ``source-document``;
* variants of registry names (``Detector().registry.forms``: non-weak forms, >= 3 characters, spread over
  categories), one disguise technique per row, expected ``block`` with the imitated body as target.

The variant-GENERATING tables are deliberately independent of impostor's own character tables
(``lexicons/chars/*.tsv`` is never read):

* look-alikes: a hand-written list (below) plus pairs hand-picked from
  shared/registry-sources/confusables_fourcorner.tsv (char-similar 0.0.2, MIT/Apache-2.0) that I judged
  visually close; the file is read only to check that each claimed pair is in it;
* homophones / near-homophones / pinyin: pypinyin (MIT) readings over a frequency-ordered common-character list
  computed from the jieba 0.42.1 dictionary (MIT);
* traditional: OpenCC (Apache-2.0) ``s2t``;
* Cyrillic / Greek letters: a small hand-written map;
* Kangxi radicals: Unicode code points U+2F00..U+2FD5 with their unified-ideograph equivalents (NFKC).

Benign rows are account-name shapes built from real word lists (jieba 0.42.1 dict.txt, MIT), a hand-written
surname list and small hand-written lists of goods words, hobby suffixes and English nicknames, with the
names that the rule legitimately sends to review (region names, professional titles, news/official keywords,
registry names) filtered out using the registry itself.
"""
from __future__ import annotations

import argparse
import collections
import functools
import os
import random
import re
import subprocess
import sys
import tarfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("IMPOSTOR_SHARED", ROOT.parent / "shared"))
FOURCORNER = SHARED / "registry-sources" / "confusables_fourcorner.tsv"
JIEBA_VERSION = "0.42.1"
CACHE = Path(os.environ.get("IMPOSTOR_BENCH_CACHE", "/tmp/impostor-bench-cache"))
DEFAULT_SEED = 20240705

# --------------------------------------------------------------------------------------------------------------
# Generating tables (independent of lexicons/chars)
# --------------------------------------------------------------------------------------------------------------

# Hand-written look-alike pairs (well-known confusions; the first ten come from the brief).
LOOKALIKE_MANUAL = "人入 日曰 己已 未末 土士 天夭 王玉 大太 鸟乌 社杜 戊戌 拔拨 壁璧 析折 贝见 兔免 于干 候侯"
# Pairs hand-picked from confusables_fourcorner.tsv (same four-corner code) that also look alike to me.
# The rest of that file (方/高, 网/月, 报/投 ...) shares a four-corner code but does not look alike.
LOOKALIKE_FOURCORNER = (
    "人八 入八 中申 史吏 委妥 城域 刊刑 治冶 自白 重垂 梁粱 铜钢 计讨 元兀 延廷 甸旬 沧沦 威咸 住往 恩思 "
    "署暑 徽微 要耍 陇胧 间问 仓仑 颍颖 出岀 险脸 风凤 茌茬 侯候 浙渐 浙淅 栗粟 历厉 汨泪 鸣呜 酉西 若苦 "
    "酒洒 贫贪 亳毫 撒撤 町盯 晴睛 瓜爪 束柬 戒戎 线绒 准淮 末未 士土 于干 日曰 人入"
)

# Latin letters -> Cyrillic / Greek look-alikes (hand-written).
CYRILLIC = {
    "A": "АΑ", "B": "ВΒ", "C": "СϹ", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "K": "КΚ", "M": "МΜ", "N": "Ν",
    "O": "ОΟ", "P": "РΡ", "T": "ТΤ", "X": "ХΧ", "Y": "ҮΥ", "S": "Ѕ", "J": "Ј", "V": "Ѵ",
    "a": "а", "c": "сϲ", "e": "е", "o": "оο", "p": "р", "x": "х", "y": "у", "i": "іι", "j": "ј", "s": "ѕ",
    "h": "һ", "d": "ԁ", "q": "ԛ", "n": "п",
}

AFFIXES_ANY = ["首发", "官方"]          # may go before or after
AFFIXES_SUFFIX = ["TB", "网", "客户端", "快讯", "官微", "频道"]
FULLWIDTH_AFFIXES = ["ＴＢ", "ＡＰＰ", "ＴＶ", "ｔｂ"]
NOISE_SEPS = [" ", " ", "·", ".", "_", "-", "|", "\u200b", "\u200b", "\u200d", "\ufe0f", "\u3000", "～", "*"]
EMOJI = ["🔥", "✨", "⭐", "❤️", "👍", "📢", "🌟", "💯", "🎉", "☀️", "🍀"]

# Near-homophone swaps (IME 模糊音 classics): initials z/zh c/ch s/sh, finals in/ing en/eng.
INITIAL_SWAPS = [("zh", "z"), ("ch", "c"), ("sh", "s")]
FINAL_SWAPS = [("ing", "in"), ("eng", "en")]

# Hand-written list of the 100 most common Chinese surnames (public census knowledge).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GOODS = (
    "花 鲜花 蛋糕 衣服 女装 童装 茶叶 手作 饰品 零食 水果 咖啡 烘焙 鞋子 包包 玩具 文具 绘本 红酒 家具 香水 "
    "宠物用品 多肉 绿植 面包 甜品 奶茶 卤味 烧烤 火锅底料 手机壳 眼镜 帽子 围巾 袜子 毛线 布艺 陶瓷 木雕 蜂蜜 "
    "大米 土特产 干货 海鲜 牛肉干 辣酱 月饼 饺子 汉服 旗袍 首饰 手表 相框 灯具 窗帘 床品 拖鞋"
).split()
SHOP_SUFFIX = ["店", "小店", "小铺", "工作室", "杂货铺", "铺子", "的店"]
HOBBY_SUFFIX = ["爱好者", "日记", "控", "君", "迷", "小站", "的日常", "同好", "手记", "笔记", "星人"]
TRAP_SUFFIX = ["爱好者", "日记", "小站", "的日常", "收藏", "控", "君", "笔记", "加油", "迷", "手记", "星人", ""]
ENGLISH_NICKS = (
    "sunny lucky momo coco lily tiger kitty candy angel happy cherry lemon panda bunny mango peach sugar "
    "jason kevin tony jack leo max amy emma lucy nana ben sam alex mia ivy eric david sophia grace "
    "moon star cloud rain snow wind ocean river forest dream smile sweet cool blue green pink "
    "little_bear lazycat nightowl bluesky sunflower bigfish babyface milktea coffee_lover happyday"
).split()

# Hand-written traps: ordinary names sharing characters with official names (first eight from the brief).
TRAPS_MANUAL = [
    "人民公园遛弯", "人民币收藏", "新华字典爱好者", "光明的未来", "环球旅行家", "参考答案君", "海军蓝毛衣店", "故事大王",
    "人民币汇率观察", "为人民服务小卖部", "人民广场吃炸鸡", "中国结手工坊", "中国风插画", "中国胃吃货", "中华小当家",
    "中华田园犬阿黄", "光明牛奶爱好者", "光明正大的小猫", "新华书店常客", "环球影城打卡", "参考书搬运工", "青年旅舍老板娘",
    "文艺青年小张", "经济舱常客", "经济学自学笔记", "法学小白的日常", "科技宅男", "科学小实验",
    "健康生活每一天", "南方姑娘", "南方的雪", "北方的狼", "东方明珠夜景", "人民群众爱看", "时代少年", "新时代好青年",
    "观察者小刘", "读者文摘摘抄", "半月谈心", "工人新村", "农民伯伯的菜园", "解放双手懒人",
    "解放鞋收藏", "国家地理迷", "国际象棋少年", "国宝熊猫粉", "央求妈妈", 
    "晨跑打卡", "中国好声音粉", "中华料理", "中央空调维修小哥", "全国各地美食",
    "人民路小吃", "光明路早餐店", "新华路理发店", "中华路花店", "平安喜乐", "平安夜的礼物",
    "军绿色大衣", "战狼粉丝", "兵哥哥的女友", "警犬训导迷",
    "侦探小说迷", "法语学习者", "正负能量", "科学馆一日游",
    "博物馆奇妙夜", "升旗仪式摄影", "天安门看升旗", "长城徒步", "纪念馆志愿者", "档案袋收纳", "疾风少年", "卫生间小助手",
]


# --------------------------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------------------------

def _jieba_archive() -> Path:
    """Path to the pinned jieba sdist, downloaded with pip into the cache when missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"jieba-{JIEBA_VERSION}.tar.gz"
    if path.exists():
        return path
    for alt in (Path("/tmp/jieba_dl") / path.name,):
        if alt.exists():
            return alt
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"jieba=={JIEBA_VERSION}", "-d", str(CACHE)], check=True)
    return path


@functools.lru_cache(maxsize=1)
def jieba_dict() -> list[tuple[str, int, str]]:
    """(word, frequency, POS tag) rows of jieba 0.42.1 dict.txt (MIT)."""
    env = os.environ.get("JIEBA_DICT")
    if env:
        text = Path(env).read_text(encoding="utf-8")
    else:
        with tarfile.open(_jieba_archive()) as tar:
            member = tar.getmember(f"jieba-{JIEBA_VERSION}/jieba/dict.txt")
            text = tar.extractfile(member).read().decode("utf-8")
    rows = []
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            rows.append((parts[0], int(parts[1]), parts[2]))
    return rows


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@functools.lru_cache(maxsize=1)
def opencc_pair():
    import opencc
    return opencc.OpenCC("s2t"), opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def common_chars() -> list[str]:
    """Simplified Han characters ordered by frequency in jieba's dictionary (sum of word frequencies), top 4000."""
    s2t, t2s = opencc_pair()
    freq: collections.Counter = collections.Counter()
    for w, f, _ in jieba_dict():
        for ch in w:
            if is_han(ch):
                freq[ch] += f
    out = [c for c, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0])) if t2s.convert(c) == c and _gb2312(c)]
    return out[:4000]


def _gb2312(ch: str) -> bool:
    """In GB 2312 (the 6,763 everyday simplified characters): keeps rare and traditional-only characters out."""
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


@functools.lru_cache(maxsize=1)
def homophone_groups() -> dict[str, list[str]]:
    """toneless syllable -> common characters reading it (primary reading), most frequent first."""
    from pypinyin import Style, pinyin
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for ch in common_chars()[:3500]:
        syl = pinyin(ch, style=Style.NORMAL, heteronym=False)[0][0]
        if syl.isascii() and syl.isalpha():
            groups[syl].append(ch)
    return dict(groups)


@functools.lru_cache(maxsize=1)
def lookalike_map() -> dict[str, list[str]]:
    pairs = LOOKALIKE_MANUAL.split() + LOOKALIKE_FOURCORNER.split()
    fc_partners: dict[str, set] = collections.defaultdict(set)
    if FOURCORNER.exists():
        for line in FOURCORNER.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or line.startswith("char\t"):
                continue
            a, _, cs = line.split("\t")
            for b in cs:
                fc_partners[a].add(b)
                fc_partners[b].add(a)
        for p in LOOKALIKE_FOURCORNER.split():
            if p[1] not in fc_partners[p[0]] and p not in LOOKALIKE_MANUAL:
                print(f"note: four-corner pair {p} not found in {FOURCORNER.name}", file=sys.stderr)
    m: dict[str, list[str]] = collections.defaultdict(list)
    for a, b in pairs:
        if b not in m[a]:
            m[a].append(b)
        if a not in m[b]:
            m[b].append(a)
    return dict(m)


@functools.lru_cache(maxsize=1)
def radical_map() -> dict[str, str]:
    """unified ideograph -> Kangxi radical code point (U+2F00..U+2FD5)."""
    m = {}
    for cp in range(0x2F00, 0x2FD6):
        r = chr(cp)
        u = unicodedata.normalize("NFKC", r)
        if len(u) == 1 and is_han(u):
            m.setdefault(u, r)
    return m


def to_fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def toneless(text: str) -> list[str]:
    from pypinyin import lazy_pinyin
    return lazy_pinyin(text)


# --------------------------------------------------------------------------------------------------------------
# Registry access
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Reg:
    forms: list            # impostor Form objects
    by_text: dict          # form text -> set of body names
    titles: set
    keywords_all: set
    keywords_strong: set   # medium/high strength (news, military, strong government words)
    regions: set           # region names (>= 2 chars, not flagged common_word)
    region_pinyin: set     # pinyin of province/prefecture names (latin handles)
    form_pinyin: set       # joined pinyin of registry names (latin handles)
    latin_forms: set       # lower-case Latin registry names (cctv, cgtn ...)
    max_len: int


@functools.lru_cache(maxsize=1)
def detector():
    sys.path.insert(0, str(ROOT / "src"))
    from impostor import Detector
    return Detector()


@functools.lru_cache(maxsize=1)
def registry() -> Reg:
    reg = detector().registry
    forms = list(reg.forms)
    by_text: dict[str, set] = collections.defaultdict(set)
    for f in forms:
        by_text[f.text].add(f.body.name)
    titles = set(reg.titles)
    kw_all = set(reg.keywords)
    kw_strong = {k for k, w in reg.keywords.items() if w.strength in ("medium", "high") or w.category != "government"}
    regions = {k for k, v in reg.regions.items() if len(k) >= 2 and not all(r.common_word for r in v)}
    region_py = set()
    for k, v in reg.regions.items():
        if len(k) >= 2 and any(r.level <= 2 for r in v) and all(is_han(c) for c in k):
            region_py.add("".join(toneless(k)))
    form_py, latin = set(), set()
    for f in forms:
        if re.search(r"[A-Za-z]", f.text):
            latin.add(re.sub(r"[^a-z]", "", f.text.lower()))
        elif len(f.text) >= 3:
            form_py.add("".join(toneless(f.text)))
    for w in list(titles) + list(kw_all):
        if len(w) >= 2 and all(is_han(c) for c in w):
            form_py.add("".join(toneless(w)))
    max_len = max(len(x) for x in list(by_text) + list(regions) + list(titles) + list(kw_all))
    return Reg(forms, dict(by_text), titles, kw_all, kw_strong, regions, region_py, form_py, latin, max_len)


def substrings(s: str, lo: int, hi: int):
    n = len(s)
    for i in range(n):
        for j in range(i + lo, min(n, i + hi) + 1):
            yield s[i:j]


def review_words(name: str, *, allow_weak_keywords: bool) -> list[str]:
    """Registry words that make `name` legitimately reviewable (region, title, keyword, registry name)."""
    R = registry()
    _, t2s = opencc_pair()
    s = t2s.convert(unicodedata.normalize("NFKC", name)).lower()
    kws = R.keywords_strong if allow_weak_keywords else R.keywords_all
    hits = []
    for sub in substrings(s, 2, R.max_len):
        if sub in R.titles or sub in kws or sub in R.regions or sub in R.by_text:
            hits.append(sub)
    for d in ("110", "119", "120", "12345", "12315"):
        if d in s and not allow_weak_keywords:
            hits.append(d)
    return hits


def latin_flagged(handle: str) -> bool:
    R = registry()
    s = re.sub(r"[^a-z]", "", handle.lower())
    if any(x in s for x in R.latin_forms if x):
        return True
    for sub in substrings(s, 4, 40):
        if sub in R.form_pinyin or sub in R.region_pinyin:
            return True
    return any(d in handle for d in ("110", "119", "120", "12345", "12315"))


# --------------------------------------------------------------------------------------------------------------
# Impostor variants
# --------------------------------------------------------------------------------------------------------------

TECHNIQUES = [
    "lookalike", "traditional", "mixed", "homophone", "near-homophone", "pinyin", "pinyin-mixed", "fullwidth",
    "cyrillic", "noise", "radical", "affix", "near-name", "repeat",
]


def _rand_case_join(sylls: list[str], rng: random.Random) -> str:
    style = rng.choice(["lower", "lower", "title", "upper", "first"])
    if style == "title":
        sylls = [s.capitalize() for s in sylls]
    elif style == "upper":
        sylls = [s.upper() for s in sylls]
    elif style == "first":
        sylls = [sylls[0].capitalize()] + sylls[1:]
    sep = rng.choice(["", "", " ", "mixed"])
    if sep == "mixed":
        out = sylls[0]
        for s in sylls[1:]:
            out += (" " if rng.random() < 0.4 else "") + s
        return out
    return sep.join(sylls)


def _han_positions(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if is_han(c)]


_LK_USED: collections.Counter = collections.Counter()


def _pick_lookalike(text: str, pos: list[int], rng) -> tuple[int, str]:
    """Position and replacement, preferring the pairs used least so far (so 中→申 does not dominate)."""
    lk = lookalike_map()
    cands = [(i, b) for i in pos for b in lk[text[i]]]
    least = min(_LK_USED[(text[i], b)] for i, b in cands)
    i, b = rng.choice([(i, b) for i, b in cands if _LK_USED[(text[i], b)] == least])
    _LK_USED[(text[i], b)] += 1
    return i, b


def v_lookalike(text, rng):
    lk = lookalike_map()
    pos = [i for i in _han_positions(text) if text[i] in lk]
    if not pos:
        return None
    i, b = _pick_lookalike(text, pos, rng)
    return text[:i] + b + text[i + 1:]


def v_traditional(text, rng):
    s2t, _ = opencc_pair()
    t = s2t.convert(text)
    return t if t != text else None


def v_mixed(text, rng):
    s2t, _ = opencc_pair()
    t = s2t.convert(text)
    if t == text or len(t) != len(text):
        return None
    lk = lookalike_map()
    pos = [i for i in _han_positions(text) if t[i] == text[i] and text[i] in lk]
    if not pos:
        return None
    i, b = _pick_lookalike(text, pos, rng)
    return t[:i] + b + t[i + 1:]


def _homophone_for(ch: str, syl: str, rng, avoid=()) -> str | None:
    cands = [c for c in homophone_groups().get(syl, []) if c != ch and c not in avoid][:8]
    if not cands:
        return None
    return rng.choice(cands)


def v_homophone(text, rng):
    py = toneless(text)
    if len(py) != len(text):
        return None
    lk = lookalike_map()
    pos = _han_positions(text)
    rng.shuffle(pos)
    for i in pos:
        c = _homophone_for(text[i], py[i], rng, avoid=lk.get(text[i], ()))
        if c:
            return text[:i] + c + text[i + 1:]
    return None


def _near_syllables(syl: str) -> list[str]:
    out = []
    for a, b in INITIAL_SWAPS:
        if syl.startswith(a):
            out.append(b + syl[len(a):])
        elif syl.startswith(b) and not syl.startswith(a):
            out.append(a + syl[len(b):])
    for a, b in FINAL_SWAPS:
        if syl.endswith(a):
            out.append(syl[: -len(a)] + b)
        elif syl.endswith(b):
            out.append(syl[: -len(b)] + a)
    return [s for s in out if s in homophone_groups()]


def v_near_homophone(text, rng):
    py = toneless(text)
    if len(py) != len(text):
        return None
    pos = _han_positions(text)
    rng.shuffle(pos)
    for i in pos:
        near = _near_syllables(py[i])
        if near:
            c = _homophone_for(text[i], rng.choice(near), rng)
            if c:
                return text[:i] + c + text[i + 1:]
    return None


def v_pinyin(text, rng):
    if not all(is_han(c) for c in text) or len(text) > 6:  # account names are short
        return None
    return _rand_case_join(toneless(text), rng)


def v_pinyin_mixed(text, rng):
    if len(text) < 4 or not all(is_han(c) for c in text[-2:]):
        return None
    return text[:-2] + _rand_case_join(toneless(text[-2:]), rng)


def v_fullwidth(text, rng, latin: bool):
    if latin:
        t = text if rng.random() < 0.6 else text + rng.choice(AFFIXES_ANY + ["直播", "频道", "客户端"])
        return to_fullwidth(t) if rng.random() < 0.7 else "".join(
            to_fullwidth(c) if c.isascii() and rng.random() < 0.6 else c for c in t)
    return text + rng.choice(FULLWIDTH_AFFIXES)  # TB/APP/TV are suffixes


def v_cyrillic(text, rng, latin: bool):
    if latin:
        pos = [i for i, c in enumerate(text) if c in CYRILLIC]
        if not pos:
            return None
        k = rng.randint(1, len(pos))
        chosen = set(rng.sample(pos, k))
        t = "".join(rng.choice(CYRILLIC[c]) if i in chosen else c for i, c in enumerate(text))
        if rng.random() < 0.4:
            t = t + rng.choice(AFFIXES_ANY + ["直播", "频道", "新闻"]) if rng.random() < 0.7 else rng.choice(AFFIXES_ANY) + t
        return t
    aff = rng.choice(["TB", "TV", "APP"])
    return text + "".join(rng.choice(CYRILLIC[c]) if c in CYRILLIC else c for c in aff)


def v_noise(text, rng):
    if len(text) < 2:
        return None
    chars = list(text)
    gaps = list(range(1, len(chars)))
    k = min(len(gaps), rng.choice([1, 1, 2, 3, len(gaps)]))
    chosen = sorted(rng.sample(gaps, k), reverse=True)
    for g in chosen:
        sep = rng.choice(NOISE_SEPS + EMOJI[:3])
        chars.insert(g, sep)
    t = "".join(chars)
    r = rng.random()
    if r < 0.2:
        t = rng.choice(EMOJI) + t
    elif r < 0.4:
        t = t + rng.choice(EMOJI)
    return t


def v_radical(text, rng):
    rm = radical_map()
    pos = [i for i, c in enumerate(text) if c in rm]
    if not pos:
        return None
    chosen = pos if rng.random() < 0.3 else [rng.choice(pos)]
    return "".join(rm[c] if i in chosen else c for i, c in enumerate(text))


def v_affix(text, rng):
    aff = rng.choice(AFFIXES_ANY + AFFIXES_SUFFIX)
    if aff == "网" and text.endswith("网"):
        return None
    if aff in AFFIXES_ANY and rng.random() < 0.5:
        return aff + text
    return text + aff


LOW_INFO = set("省市之的总")


def v_near_name(text, rng):
    if not all(is_han(c) for c in text):
        return None
    ops = []
    if text.endswith("院") and not text.endswith("研究院"):
        ops.append(text[:-1] + "研究院")
    if text.endswith("所") and not text.endswith("研究所"):
        ops.append(text[:-1] + "研究所")
    if text[-1] in "局署部社台队会" and text[-2] != "总":
        ops.append(text[:-1] + "总" + text[-1])
    if text.find("人民") > 0 and len(text) >= 6:
        ops.append(text.replace("人民", "", 1))
    if text.startswith("国家"):
        ops.append("中国" + text)
    if text.startswith("全国") and not text.startswith("全国新闻"):
        ops.append("中华" + text)
    if text.startswith("中国") and len(text) >= 5:
        ops.append("中华" + text[2:])
    if text.startswith("中华") and len(text) >= 5:
        ops.append("中国" + text[2:])
    if text.startswith("中华人民共和国") and len(text) >= 9:
        ops.append("中国" + text[7:])
    if text.endswith("委员会") and len(text) >= 6:
        ops.append(text[:-3] + "委")
    dels = [i for i, c in enumerate(text) if c in LOW_INFO and 1 < i]
    if len(text) >= 5:
        for i in dels:
            ops.append(text[:i] + text[i + 1:])
    if not ops:
        return None
    return rng.choice(ops)


def v_repeat(text, rng):
    pos = _han_positions(text)
    if not pos:
        return None
    i = rng.choice(pos)
    return text[: i + 1] + text[i] + text[i + 1:]


SIMPLE = {
    "lookalike": v_lookalike, "traditional": v_traditional, "mixed": v_mixed, "homophone": v_homophone,
    "near-homophone": v_near_homophone, "pinyin": v_pinyin, "pinyin-mixed": v_pinyin_mixed, "noise": v_noise,
    "radical": v_radical, "affix": v_affix, "near-name": v_near_name, "repeat": v_repeat,
}

_STRIP = re.compile(r"[\s\u200b\u200d\ufe0f·._\-|～*]+")


def _canon(s: str) -> str:
    _, t2s = opencc_pair()
    return _STRIP.sub("", t2s.convert(unicodedata.normalize("NFKC", s)))


def eligible_forms(latin: bool = False) -> dict[str, list]:
    """Non-weak registry forms usable as generation seeds, grouped into sampling strata."""
    R = registry()
    strata: dict[str, list] = collections.defaultdict(list)
    for f in R.forms:
        if f.weak or len(R.by_text[f.text]) != 1:
            continue
        has_latin = bool(re.search(r"[A-Za-z]", f.text))
        if latin:
            if has_latin and re.fullmatch(r"[A-Za-z0-9.\u4e00-\u9fff ]+", f.text):
                strata["latin"].append(f)
            continue
        if not 3 <= len(f.text) <= 16 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", f.text) or len(_han_positions(f.text)) < 3:
            continue
        cat = f.body.category
        if cat == "media":
            cat = "media-central" if f.body.source.startswith("media_central") else "media-cac"
        strata[cat].append(f)
    return strata


QUOTA = {"media-central": 0.22, "media-cac": 0.22, "government": 0.26, "military": 0.15, "institution": 0.15}


def _accept(variant: str | None, form, technique: str, seen: set) -> bool:
    if not variant or variant == form.text or variant in seen:
        return False
    R = registry()
    c = _canon(variant)
    if c != form.text and c in R.by_text:
        return False  # the variant is (normalizes to) another real registry name, not a disguise
    return True


def generate_variants(technique: str, n: int, rng: random.Random, seen: set | None = None) -> list[tuple]:
    """n rows (name, technique, target, expected) for one technique."""
    seen = set() if seen is None else seen
    rows: list[tuple] = []
    _LK_USED.clear()  # deterministic per call, whatever ran before in this process
    if technique in ("fullwidth", "cyrillic"):
        fn = v_fullwidth if technique == "fullwidth" else v_cyrillic
        han = [f for fs in eligible_forms().values() for f in fs]
        lat = eligible_forms(latin=True)["latin"]
        tries = 0
        while len(rows) < n and tries < n * 50:
            tries += 1
            use_latin = len(rows) < n * 0.6
            f = rng.choice(lat if use_latin else han)
            v = fn(f.text, rng, use_latin)
            if _accept(v, f, technique, seen):
                seen.add(v)
                rows.append((v, technique, f.body.name, "block"))
        return rows
    fn = SIMPLE[technique]
    strata = eligible_forms()
    for cat, share in QUOTA.items():
        pool = list(strata.get(cat, []))
        rng.shuffle(pool)
        want = round(n * share)
        got = 0
        for f in pool:
            if got >= want:
                break
            v = fn(f.text, rng)
            if _accept(v, f, technique, seen):
                seen.add(v)
                rows.append((v, technique, f.body.name, "block"))
                got += 1
    return rows


def source_document_rows() -> list[tuple]:
    """The examples quoted in shared/MISSION.md (2023 campaign reports)."""
    R = registry()
    block = [("人民曰报首发", "人民日报"), ("入民日报", "人民日报"), ("人民曰報网", "人民日报"),
             ("央广新闻TB", "央广"), ("最高检察院", "最高检察院"), ("中国科学研究院", "中国科学院"), ("朝闻天下", "朝闻天下")]
    rows = []
    for name, form in block:
        bodies = R.by_text.get(form)
        if not bodies or len(bodies) != 1:
            raise SystemExit(f"registry lacks {form!r} for source example {name!r}")
        rows.append((name, "source-document", next(iter(bodies)), "block"))
    # The name a local pattern makes for one specific body is that body (region + organ word): block, with the name
    # itself as the target (平安公安 is not one: 公安 is an ordinary word as well as 公安县).
    rows += [(n, "source-document", n, "block") for n in ("河南卫健", "武侯区档案馆", "南阳市疾控中心")]
    review = ["平安公安", "中国红军指挥部", "中国反恐部队", "战略导弹部队",
              "中南都市报", "四川本地", "包头办事宝", "怀集生活号", "梁老师数理化", "夏爽律师", "龙驰医生",
              # presenter patterns 某某说资讯 / 某某时报 / 某某说天下 / 主持人某某 with ordinary person names
              "张伟说资讯", "李娜说资讯", "王芳时报", "刘洋时报", "陈静说天下", "杨帆说天下", "主持人赵磊", "主持人周婷"]
    rows += [(n, "source-document", "", "review") for n in review]
    return rows


def build_impostors(rng: random.Random, per_technique: int) -> list[tuple]:
    rows = source_document_rows()
    seen = {r[0] for r in rows}
    for t in TECHNIQUES:
        rows += generate_variants(t, per_technique, random.Random(rng.random()), seen)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Benign names
# --------------------------------------------------------------------------------------------------------------

# Political/organ words kept out of benign rows: names built on them are arguably reviewable, not ordinary.
POLITICAL = ("党", "政", "军", "委", "国务", "自治", "共产", "监督", "人大", "政协", "法院", "检察", "公安", "武装",
             "革命", "主义", "干部", "书记", "省", "市", "县", "兵", "警", "官", "纪", "司令", "部长", "主席", "总理")
# Last characters that make a word an organ / institution / publication name (…院 …局 …报 …社 …台).
ORGAN_END = set("院局部会委署办厅处所站台报社刊军队党团校馆司科署厂")
# Pieces of registry names that ordinary words also contain (the brief's list plus frequent registry bigrams).
TRAP_STEMS = ["人民", "中国", "光明", "新华", "环球", "参考", "青年", "法治", "经济", "中华", "科技", "文化", "时代",
              "电视", "广播", "网络", "金融", "国际", "教育", "旅游", "环境", "今日", "都市", "海峡", "文明", "健康",
              "科学", "发展", "国家", "全国", "中央", "信息", "财经", "社会", "安全", "工人", "农民", "解放", "体育",
              "生活", "观察", "周末", "天下", "焦点", "故事", "东方", "南方", "北方", "民生", "和平", "统一", "先锋"]


# Words kept out of benign rows for taste (sexual and morbid words are in the dictionary too).
UNSAVOURY = ("阴茎", "阴道", "阴部", "阴囊", "性交", "性生活", "安全套", "避孕", "梅毒", "淫", "屁", "尸", "粪", "尿", "妓")


def _political(w: str) -> bool:
    return any(p in w for p in POLITICAL) or any(p in w for p in UNSAVOURY)


@functools.lru_cache(maxsize=1)
def word_pools() -> dict[str, list[str]]:
    """Ordinary words and person names from jieba's dictionary, by shape."""
    nouns, others, idioms, given2, persons = [], [], [], [], []
    surname_set = set(SURNAMES)
    _, t2s = opencc_pair()
    for w, f, pos in jieba_dict():
        if not all(is_han(c) for c in w) or t2s.convert(w) != w:
            continue
        if pos == "nr" and len(w) == 3 and w[0] in surname_set and f >= 3 and not _political(w):
            persons.append(w)
            given2.append(w[1:])
            continue
        if f < 100 or _political(w):
            continue
        if pos in ("n", "nz", "vn") and 2 <= len(w) <= 4:
            nouns.append(w)
        elif pos in ("a", "v", "z", "ad", "an") and 2 <= len(w) <= 3:
            others.append(w)
        elif pos in ("i", "l") and 4 <= len(w) <= 5:
            idioms.append(w)
    cc = collections.Counter(ch for g in given2 for ch in g)
    given1 = sorted(ch for ch, n in cc.items() if n >= 5)
    return {"nouns": nouns, "others": others, "idioms": idioms, "given1": given1, "given2": sorted(set(given2)),
            "persons": persons}


class BenignGen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        p = word_pools()
        self.nouns, self.others, self.idioms = p["nouns"], p["others"], p["idioms"]
        self.given1, self.given2, self.persons = p["given1"], p["given2"], p["persons"]
        self.trap_words = [w for w in self.nouns + self.others + self.idioms
                           if any(s in w for s in TRAP_STEMS) and w[-1] not in ORGAN_END]

    def person(self) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.25:
            return rng.choice(self.persons)
        s = rng.choice(SURNAMES)
        if r < 0.75:
            return s + rng.choice(self.given2)
        if r < 0.9:
            return s + rng.choice(self.given1)
        g = rng.choice(self.given1)
        return rng.choice(["小", "阿", "老"]) + g if rng.random() < 0.6 else g + g

    def word(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice(self.nouns)
        if r < 0.45:
            return rng.choice(self.idioms)
        if r < 0.7:
            return rng.choice(self.others) + rng.choice(["的", ""]) + rng.choice(self.nouns)
        if r < 0.85:
            return rng.choice(["小", "大", "老", "胖", "懒", "萌"]) + rng.choice(self.nouns)
        return rng.choice(self.nouns) + rng.choice(self.nouns)

    def shop(self) -> str:
        rng = self.rng
        owner = self.person() if rng.random() < 0.5 else rng.choice(self.nouns + self.others)
        return owner + rng.choice(["的", "的", "家", ""]) + rng.choice(GOODS) + rng.choice(SHOP_SUFFIX)

    def hobby(self) -> str:
        rng = self.rng
        base = rng.choice(self.nouns) if rng.random() < 0.8 else self.person()
        return base + rng.choice(HOBBY_SUFFIX)

    def latin(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            base = "".join(toneless(self.person() if rng.random() < 0.7 else rng.choice(self.nouns)))
            if rng.random() < 0.3:
                base = base.capitalize()
        else:
            base = rng.choice(ENGLISH_NICKS)
            if rng.random() < 0.3:
                base = base.capitalize()
        tail = rng.choice([str(rng.randint(1975, 2008)), str(rng.randint(1, 99)), str(rng.randint(100, 9999)),
                           rng.choice(["520", "666", "888", "2333", "007"]), "", ""])
        sep = rng.choice(["", "", "_", "."]) if tail else ""
        return base + sep + tail

    def trap(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return rng.choice(TRAPS_MANUAL)
        w = rng.choice(self.trap_words)
        if r < 0.45:
            return w
        if r < 0.6:
            return self.person()[:rng.choice([1, 3])] + rng.choice(["的", "爱"]) + w
        return w + rng.choice(TRAP_SUFFIX)

    def region_use(self) -> str:
        """A region name in an ordinary use (北京烤鸭店, 四川火锅): the rule's region-like use is absent."""
        rng = self.rng
        if not hasattr(self, "_regions"):
            reg = detector().registry.regions
            self._regions = sorted(k for k, v in reg.items()
                                   if 2 <= len(k) <= 3 and all(is_han(c) for c in k)
                                   and not any(r.common_word or r.former for r in v) and any(r.level <= 2 for r in v))
        owner = rng.choice(self._regions)
        return owner + rng.choice(GOODS) + rng.choice(SHOP_SUFFIX + ["", ""])

    def make(self, kind: str) -> str:
        return getattr(self, kind)()


KINDS = ["word", "person", "shop", "hobby", "latin", "trap", "region_use"]


def benign_ok(name: str, kind: str, extra_skip: set | frozenset = frozenset()) -> bool:
    if name in extra_skip or len(name) < 2:
        return False
    if kind == "latin":
        return not latin_flagged(name)
    if kind == "trap" and name in TRAPS_MANUAL:
        return True
    if kind == "region_use":  # the region name is the point; nothing else reviewable may be in it
        region = next(r for r in sorted(registry().regions, key=len, reverse=True) if name.startswith(r))
        return not review_words(name[len(region):], allow_weak_keywords=False)
    return not review_words(name, allow_weak_keywords=(kind == "trap"))


def build_benign(rng: random.Random, counts: dict[str, int], skip: set) -> list[tuple]:
    gen = BenignGen(rng)
    rows, seen = [], set(skip)
    for kind in KINDS:
        want, got, tries = counts[kind], 0, 0
        if kind == "trap":
            for t in TRAPS_MANUAL:  # all hand-written traps, once
                if t not in seen:
                    rows.append((t, kind))
                    seen.add(t)
                    got += 1
        while got < want and tries < want * 200:
            tries += 1
            n = gen.make(kind)
            if n in seen or not benign_ok(n, kind):
                continue
            seen.add(n)
            rows.append((n, kind))
            got += 1
    return rows


BENIGN_COUNTS = {"word": 700, "person": 600, "shop": 350, "hobby": 350, "latin": 450, "trap": 450, "region_use": 300}


# --------------------------------------------------------------------------------------------------------------

HEADER_IMP = """# impostors.tsv: impersonating account names for benchmarking impostor (benchmarks/evaluate.py)
# generated by: {cmd}
# seed: {seed}; rows: {n}; expected: block = imitates one specific body (target = its official name), review = the rule sends it to a person
# sources: source-document rows = examples quoted in shared/MISSION.md (CAC 2023 campaign reports; facts)
#   variants = names from impostor's registry (lexicons/registry, see its headers) disguised with generating tables
#   independent of lexicons/chars: hand-written look-alike list + hand-picked pairs from
#   shared/registry-sources/confusables_fourcorner.tsv (char-similar 0.0.2, MIT/Apache-2.0); pypinyin {pypinyin} (MIT);
#   OpenCC {opencc} s2t (Apache-2.0); common characters by frequency from jieba {jieba} dict.txt (MIT);
#   Kangxi radicals U+2F00..U+2FD5 (Unicode data, Unicode License v3); hand-written Cyrillic/Greek map
# licence: generated data, same licence as impostor (Apache-2.0)
"""
HEADER_BEN = """# benign.tsv: ordinary account names for benchmarking impostor's false positives (benchmarks/evaluate.py)
# generated by: {cmd}
# seed: {seed}; rows: {n}
# sources: words and person names from jieba {jieba} dict.txt (MIT; tags n/nz/vn/a/v/i/l, person names tagged nr),
#   pinyin from pypinyin {pypinyin} (MIT), hand-written surname, goods, suffix, nickname and trap lists (benchmarks/make_eval.py)
# filtered: names carrying a region name, professional title, official/news keyword or registry name (from
#   impostor's registry) are left out, because the rule legitimately sends those to review; traps may carry the weak
#   government words (人民 中国 国家 ...) and the hand-written traps are kept as written
# licence: generated data, same licence as impostor (Apache-2.0)
"""


def versions() -> dict:
    import importlib.metadata as md
    return {"pypinyin": md.version("pypinyin"), "opencc": md.version("opencc"), "jieba": JIEBA_VERSION}


def clean_field(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--per-technique", type=int, default=150)
    ap.add_argument("--out", type=Path, default=HERE / "eval")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    imp = build_impostors(random.Random(rng.random()), a.per_technique)
    ben = build_benign(random.Random(rng.random()), BENIGN_COUNTS, {r[0] for r in imp})
    a.out.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/make_eval.py" + (f" --seed {a.seed}" if a.seed != DEFAULT_SEED else "") + (
        f" --per-technique {a.per_technique}" if a.per_technique != 150 else "")
    v = versions()
    with open(a.out / "impostors.tsv", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(HEADER_IMP.format(cmd=cmd, seed=a.seed, n=len(imp), **v))
        fh.write("name\ttechnique\ttarget\texpected\n")
        for r in imp:
            fh.write("\t".join(clean_field(x) for x in r) + "\n")
    with open(a.out / "benign.tsv", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(HEADER_BEN.format(cmd=cmd, seed=a.seed, n=len(ben), **v))
        fh.write("name\tkind\n")
        for r in ben:
            fh.write("\t".join(clean_field(x) for x in r) + "\n")
    tc = collections.Counter(r[1] for r in imp)
    kc = collections.Counter(r[1] for r in ben)
    print(f"wrote {a.out / 'impostors.tsv'}: {len(imp)} rows " + ", ".join(f"{k} {v}" for k, v in tc.items()))
    print(f"wrote {a.out / 'benign.tsv'}: {len(ben)} rows " + ", ".join(f"{k} {v}" for k, v in kc.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
