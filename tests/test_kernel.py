"""The kernel's twins (``_kernel`` in C, ``_kernel_py`` in Python) do exactly the same: the same candidates in the
same order, the same alignments, the same screen, line table and rows; the screen passes a name only when the full
path would find nothing at all.  The JSONL, CSV and TSV fast paths write what the general formatter writes.  Tests
that compare the two skip where the kernel is not built (and on the suite's IMPOSTOR_KERNEL=python pass); the
others run on every backend there is."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impostor import Detector, kernel
from impostor.candidates import CandidateIndex
from impostor.decide import PASS, Verdict
from impostor.records import OK, Record
from impostor.output import delimited_rows, format_rows, jsonl_rows, output_fields
from impostor.scoring import Scorer

needs_compiled = pytest.mark.skipif(kernel.compiled is None, reason="built without the compiled kernel, or "
                                    "IMPOSTOR_KERNEL=python: nothing to compare the twin with")
backends = pytest.mark.parametrize("backend", kernel.BACKENDS, ids=lambda module: module.__name__)

ROOT = Path(__file__).resolve().parents[1]
PIECES = ["人民日报", "入民曰報", "央视", "新华社", "CCTV", "ССТV", "ｃｃｔｖ", "renminribao", "rmrb", "xinhua", "四川",
          "成都市", "律师", "首发", "官方", "★", "\u200b", " ", "·", "1", "2", "a", "b", "中国", "科学院", "_", "ren",
          "min", "人", "民", "日", "报", "㊥", "亻", "⺠"]
NAMES = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=10).map("".join)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def eval_rows(file: str) -> list[dict[str, str]]:
    with open(ROOT / "benchmarks" / "eval" / file, encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def eval_names() -> list[str]:
    return [row["name"] for file in ("impostors.tsv", "benign.tsv") for row in eval_rows(file)]


@pytest.fixture(scope="module")
def reference(detector):
    """The detector's own registry, searched, screened and scored by the Python twin."""
    index = CandidateIndex(detector.registry, detector.normalizer, detector.costs, detector.substitutes,
                           backend=kernel.python)
    scorer = Scorer(detector.costs, detector.substitutes, detector.registry, detector.normalizer.intern,
                    backend=kernel.python)
    assert isinstance(index.searcher, kernel.python.Searcher) and isinstance(scorer.aligner, kernel.python.Aligner)
    return index, scorer


def pairs_of(postings) -> dict[int, dict[int, list[tuple[int, int]]]]:
    """Postings as pairs[first key][second key] = [(form id, position of the pair)]."""
    pairs: dict = {}
    forms, positions, offsets = postings.forms.tolist(), postings.positions.tolist(), postings.offsets.tolist()
    for k, key in enumerate(postings.keys.tolist()):
        pairs.setdefault(key >> 32, {})[key & 0xFFFFFFFF] = list(zip(forms[offsets[k]:offsets[k + 1]],
                                                                     positions[offsets[k]:offsets[k + 1]]))
    return pairs


def postings_of(index: CandidateIndex, detector):
    return index.build_postings(detector.registry, detector.registry.table, detector.normalizer, detector.costs)


def same_search_and_alignments(detector, reference, name):
    index, scorer = reference
    tokens = detector.normalize(name).tokens
    found = detector.index.search(tokens)
    assert [f.id for f in found] == [f.id for f in index.search(tokens)]
    assert detector.scorer.align_all(found, tokens, detail=True) == scorer.align_all(found, tokens, detail=True)
    assert detector.scorer.align_all(found, tokens) == scorer.align_all(found, tokens)


def nothing_found(detector, name) -> bool:
    evidence = detector.evidence(detector.normalize(name))
    empty = not (evidence.alignments or evidence.initials or evidence.patterns or evidence.regions
                 or evidence.titles or evidence.keywords)
    return empty and detector.decider.decide(evidence) == Verdict(name, PASS, 0.0)


@needs_compiled
def test_kernel_and_reference_agree_on_the_evaluation_set(detector, reference):
    for name in eval_names():
        same_search_and_alignments(detector, reference, name)


@needs_compiled
@pytest.mark.parametrize("name", ["梧州日报ＴＢ", "温州市广播电视台ＴＶ", "德州广播电视台", "中国人民解放军军海军"])
def test_kernel_and_reference_agree_on_names_near_many_registry_names(detector, reference, name):
    # Dozens of registry names share their pairs: the search keeps only the best max_candidates, and the aligner
    # leaves off those whose first rows show they can neither fit nor come nearest.
    assert len(detector.index.search(detector.normalize(name).tokens)) >= 12
    same_search_and_alignments(detector, reference, name)


@needs_compiled
@SETTINGS
@given(name=NAMES)
def test_kernel_and_reference_agree_on_any_text(detector, reference, name):
    same_search_and_alignments(detector, reference, name)


def test_screen_passes_only_names_with_nothing_in_them(detector):
    names = eval_names()
    for name in names:  # teach the screen their characters
        detector.check(name)
    screened = [name for name in names if detector.index.plain(name)]
    assert len(screened) > len(names) // 3  # most benign names are screened: the point of the screen
    assert all(nothing_found(detector, name) for name in screened)


@SETTINGS
@given(name=NAMES)
def test_screen_never_passes_a_name_the_full_path_flags(detector, name):
    detector.check(name)  # the full path teaches the screen the name's characters
    if detector.index.plain(name):
        assert nothing_found(detector, name)
        assert detector.check(name) == Verdict(name, PASS, 0.0)


def same_screen(detector, reference, name):
    """Both twins' screens, taught the same characters, pass the same names and find the same word spans."""
    index, _ = reference
    detector.check(name)  # teaches the detector's screen the name's characters
    index.learn(name)  # and the twin's (the two share the normalizer)
    assert index.plain(name) == detector.index.plain(name)
    variant = detector.normalize(name).variant
    spans = index.screen.word_spans(variant)
    assert spans == detector.index.screen.word_spans(variant)
    naive = [(i, j) for i in range(len(variant)) for j in range(len(variant), i + 1, -1)
             if variant[i:j] in index.vocabulary]
    assert spans == naive


@needs_compiled
def test_both_screens_agree_on_the_evaluation_set(detector, reference):
    names = eval_names()
    for name in names:
        same_screen(detector, reference, name)
    assert sum(map(reference[0].plain, names)) > len(names) // 3  # the twin screens most benign names too


@needs_compiled
@SETTINGS
@given(name=NAMES)
def test_both_screens_agree_on_any_text(detector, reference, name):
    same_screen(detector, reference, name)


@pytest.mark.parametrize("name", ["人民日报", "renminribao", "RMRB", "四川", "夏爽律师", "人1民2日3报", "ren min ri bao",
                                  "人民曰報网", "央视xinwen", "中国科学研究院"])
def test_screen_sends_known_impostors_on(detector, name):
    detector.check(name)
    assert not detector.index.plain(name)
    assert detector.check(name).decision != PASS


@needs_compiled
def test_pure_python_fallback_gives_the_same_verdicts(tmp_path):
    names = eval_names()[::7]
    src = tmp_path / "names.txt"
    src.write_text("\n".join(names) + "\n", encoding="utf-8")
    outputs = {}
    for name in ("compiled", "python"):
        env = dict(os.environ, IMPOSTOR_KERNEL=name)
        out = tmp_path / f"{name}.jsonl"
        subprocess.run([sys.executable, "-c", "from impostor.cli import main; main()", "scan", str(src), "-o",
                        str(out), "-q"], env=env, check=True)
        outputs[name] = out.read_text(encoding="utf-8")
        version = subprocess.run([sys.executable, "-c", "from impostor.cli import main; main()", "--version"],
                                 env=env, check=True, capture_output=True, text=True).stdout
        assert f"{name} kernel" in version
    assert outputs["compiled"] == outputs["python"]
    assert len(outputs["python"].splitlines()) == len(names)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv"])
@pytest.mark.parametrize("fields", [output_fields(False, False, False), output_fields(True, True, True),
                                    output_fields(False, True, False), output_fields(True, False, True)])
def test_fast_paths_write_what_the_general_formatter_writes(detector, fields, fmt):
    names = ["人民曰报首发", "张三", "", "夏爽律师", "a\u2028b", "人民曰报首发", "\"quoted\"\\", "x" * 300]
    statuses = [OK, OK, "empty", OK, OK, "invalid-encoding", OK, OK]
    records = [Record("in.csv", i + 1, f"id{i}" if i % 2 else None, n, s)
               for i, (n, s) in enumerate(zip(names, statuses))]
    verdicts = detector.check_many(names)
    statuses = [r.status if r.status != OK else v.status for r, v in zip(records, verdicts)]
    for kept in (range(len(records)), [0, 3, 5]):
        rows = []
        for i in kept:
            row = verdicts[i].to_dict()
            row.update(file=records[i].file, line=records[i].line, id=records[i].id, status=statuses[i],
                       lexicon_version=detector.lexicon_version)
            rows.append(row)
        if fmt == "jsonl":
            fast = jsonl_rows(records, verdicts, statuses, kept, fields, detector.lexicon_version).decode()
            assert [json.loads(line)["line"] for line in fast.splitlines()] == [records[i].line for i in kept]
        else:
            fast = delimited_rows(records, verdicts, statuses, kept, fields, detector.lexicon_version, fmt)
        assert fast == format_rows(rows, fields, fmt)


@needs_compiled
@given(st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), st.text()), max_size=30), st.text(max_size=5),
       st.text(max_size=5), st.text(max_size=5))
def test_compiled_row_join_equals_the_python_one(rows, head, sep, tail):
    numbers, texts = [n for n, _ in rows], [t.encode("utf-8", "surrogatepass") for _, t in rows]
    args = (head.encode("utf-8", "surrogatepass"), numbers, sep.encode("utf-8", "surrogatepass"), texts,
            tail.encode("utf-8", "surrogatepass"))
    assert kernel.compiled.join_rows(*args) == kernel.python.join_rows(*args)


def naive_postings(index: CandidateIndex, detector) -> tuple[dict, list[int]]:
    """The key-pair index built the obvious way, one posting at a time (what the numpy build must equal)."""
    costs, normalizer, groups = detector.costs, detector.normalizer, detector.registry.groups
    floor = {"v": 0.0, "s": costs.pinyin, "p": min(costs.homophone, costs.near_homophone)}
    pairs: dict = {}  # first key -> second key -> group -> [(form id, position)]
    places: dict = {}  # (form id, position) -> the (first key, second key) it is indexed under
    for form in detector.registry.forms:
        keys = [t.keys + tuple(normalizer.key_id("s", r) for r in t.readings) for t in form.tokens]
        for i in range(form.length - 1):
            for a in keys[i]:
                for b in keys[i + 1]:
                    if floor[normalizer.key_kinds[a]] + floor[normalizer.key_kinds[b]] <= costs.budget(form.length):
                        by_group = pairs.setdefault(a, {}).setdefault(b, {})
                        by_group.setdefault(groups[form.id], []).append((form.id, min(i, 63)))
                        places.setdefault((form.id, i), []).append((a, b))
    # A key pair is left out for a group whose names it has too many of.
    kept = {a: {b: sorted(p for postings in by_group.values() if len(postings) <= index.max_postings for p in postings)
                for b, by_group in following.items()} for a, following in pairs.items()}
    kept = {a: {b: postings for b, postings in following.items() if postings} for a, following in kept.items()}
    kept = {a: following for a, following in kept.items() if following}
    covered = [0] * len(detector.registry.forms)
    for (form_id, i), keys in places.items():  # covered: the look-alike key pair (the first) kept for its group
        a, b = keys[0]
        if len(pairs[a][b][groups[form_id]]) <= index.max_postings:
            covered[form_id] |= 1 << min(i, 63)
    required = [min(index.required_pairs(f.length), covered[f.id].bit_count()) for f in detector.registry.forms]
    return kept, required


def in_registry_order(pairs: dict) -> dict:
    """The postings with each key pair's in registry order (the build leaves the order within a key pair open)."""
    return {a: {b: sorted(postings) for b, postings in following.items()} for a, following in pairs.items()}


def naive_initials(detector) -> dict[str, list[int]]:
    initials: dict[str, list[int]] = {}
    for form in detector.registry.forms:
        if form.length >= 3 and all(t.readings for t in form.tokens):
            initials.setdefault("".join(t.readings[0][0] for t in form.tokens), []).append(form.id)
    return initials


def test_index_build_equals_the_naive_construction(detector, reference, tmp_path):
    index, _ = reference
    postings = postings_of(index, detector)
    assert naive_postings(index, detector) == (in_registry_order(pairs_of(postings)), index.required.tolist())
    # Within a key pair, the forms a short name can hold come first: the kernel stops at the first it cannot.
    fits = postings.fits_from.astype(np.int64)
    assert fits.tolist() == np.minimum(index.shortest[postings.forms], 255).tolist()
    assert set((np.flatnonzero(np.diff(fits) < 0) + 1).tolist()) <= set(postings.offsets.tolist())
    assert dict(index.initials) == naive_initials(detector) and "rmrb" in index.initials
    # A registry where one pair (科技) is shared by more names than max_postings: left out, and required shrinks.
    brands = tmp_path / "brands.tsv"
    brands.write_text("name\n" + "".join(f"{a}{b}科技\n" for a in "东南西北中" for b in "甲乙丙丁戊己庚辛壬癸"),
                      encoding="utf-8")
    small = Detector(registries=[brands])
    small_index = CandidateIndex(small.registry, small.normalizer, small.costs, small.substitutes, max_postings=20)
    pairs, required = naive_postings(small_index, small)
    small_pairs = pairs_of(postings_of(small_index, small))
    assert (pairs, required) == (in_registry_order(small_pairs), small_index.required.tolist())
    ke = small.normalizer.key_id("v", small.tables.visual_of("科"))
    ji = small.normalizer.key_id("v", small.tables.visual_of("技"))
    custom = {f.id for f in small.registry.forms if small.registry.groups[f.id] == 1}
    assert len(custom) == 50
    kept = {form_id for form_id, _ in small_pairs[ke][ji]}
    assert kept and not kept & custom  # the custom names are left out of 科技; the shipped 科技日报 stays


def test_custom_names_do_not_crowd_the_shipped_ones_out(tmp_path):
    """400 custom three-character names ending in 日报 fill the 日报 look-alike key pair past max_postings: the
    shipped names are indexed and weighed exactly as without them (same postings, same required pairs, same
    distinctiveness), so adding names of your own never weakens how the shipped ones are found (科技曰报 still
    imitates 科技日报)."""
    crowd = tmp_path / "crowd.tsv"
    crowd.write_text("name\n" + "".join(f"{chr(0x4E00 + k)}日报\n" for k in range(400)), encoding="utf-8")
    indexes = []
    for registries in ([], [crowd]):
        detector = Detector(registries=registries)
        index = detector.index
        shipped = detector.registry.groups.count(0)
        key_text = {k: text for text, k in detector.normalizer._key_ids.items()}  # ids depend on what was read
        pairs = {(key_text[a], key_text[b]): sorted(p for p in postings if p[0] < shipped)
                 for a, following in pairs_of(postings_of(index, detector)).items()
                 for b, postings in following.items()}
        indexes.append(({k: v for k, v in pairs.items() if v}, index.required[:shipped].tolist(),
                        detector.registry.weights[0]))  # and weighed as without them
        verdict = detector.check("科技曰报")
        assert (verdict.decision, verdict.target) == ("block", "科技日报")
    assert len(indexes[1][0]) > 1000 and indexes[0] == indexes[1]


LINE_PIECES = st.lists(st.sampled_from([b"a", b"\xe4\xba\xba", b"\r", b" ", b"\xff", b"\x00"]), max_size=4).map(b"".join)


@needs_compiled
@given(st.lists(st.lists(LINE_PIECES, min_size=1, max_size=12), min_size=1, max_size=6), st.sets(st.integers(0, 40)))
def test_compiled_line_table_equals_the_python_one(blocks, dropped):
    from array import array

    tables = kernel.compiled.LineTable(), kernel.python.LineTable()
    seen: list[bytes] = []
    for number, block_lines in enumerate(blocks):
        block = b"\n".join(block_lines)
        (ids, first, new), (py_ids, py_first, py_new) = (table.claim(block) for table in tables)
        assert ids == py_ids and first == py_first and new == py_new
        keys = [line.rstrip(b"\r") for line in block_lines]  # a line's key: its bytes less any \r at its end
        assert new == [key for key in dict.fromkeys(keys) if key not in seen]
        seen += new
        assert [seen[i] for i in array("I", py_ids)] == keys
        if new:  # a line not filled yet has no row
            for table, line_ids in zip(tables, (ids, py_ids)):
                with pytest.raises(KeyError):
                    table.rows(line_ids, 1, b"{", array("q", [0, 0]))
        tails = [None if first + i in dropped else key[::-1] + b"\n" for i, key in enumerate(new)]
        kinds = [(first + i) % 2 for i in range(len(new))]
        for table in tables:
            table.fill(first, tails, kinds)
        outputs = []
        for table, line_ids in zip(tables, (ids, py_ids)):
            counts = array("q", [0, 0])
            outputs.append((table.rows(line_ids, 10 * number, b'{"line": ', counts), list(counts)))
        assert outputs[0] == outputs[1]
        assert sum(outputs[0][1]) == len(block_lines)
    assert len(tables[0]) == len(tables[1])


@given(st.lists(st.integers(0, 40 * 41 + 40), max_size=200))
def test_packed_order_is_the_stable_argsort(values):
    from impostor.arrays import stable_order

    values = np.array(values, dtype=np.int64)
    assert stable_order(values, 41 * 41).tolist() == np.argsort(values, kind="stable").tolist()
    assert stable_order(values, 1 << 60).tolist() == np.argsort(values, kind="stable").tolist()  # too wide to pack


def test_a_name_too_short_for_a_registry_name_is_no_candidate_of_it(detector, reference):
    """``shortest``: a name of fewer tokens leaves characters of the registry name out, and even the cheapest of
    them break the budget; one more token and the cheapest deletions fit (the bound is exact, not just safe)."""
    index, scorer = reference
    costs, checked = detector.costs, 0
    for form in detector.registry.forms[::7]:
        deletes = scorer.deletes_of(form).tolist()
        cheapest = sorted(range(len(deletes)), key=deletes.__getitem__)
        affordable = len(form.tokens) - int(index.shortest[form.id])
        for dropped, fits in ((affordable, True), (affordable + 1, False)):
            if dropped >= len(form.tokens):
                continue
            gone = set(cheapest[:dropped])
            name = tuple(t for k, t in enumerate(form.tokens) if k not in gone)
            best = min(a.cost for _, a in scorer.align_all([form], name, detail=True))
            assert (best <= costs.budget(len(form.tokens)) + 1e-9) == fits, (form.text, dropped)
            checked += 1
    assert checked > 500


def test_custom_names_longer_than_a_name_can_hold_are_not_searched(tmp_path):
    """A long custom name shares pairs with many shorter ordinary names; none of them can fit it within budget, so
    the screen passes them and the search does not offer it (both as the pure-Python reference does)."""
    brands = tmp_path / "brands.tsv"
    brands.write_text("name\n青松翠柏电子商务\n", encoding="utf-8")
    detector = Detector(registries=[brands])
    python = CandidateIndex(detector.registry, detector.normalizer, detector.costs, detector.substitutes,
                            backend=kernel.python)
    for name, candidate in (("青松翠柏电子", False), ("青松翠柏电子商", True), ("青松翠伯电子商务", True)):
        tokens = detector.normalizer.normalize(name).tokens
        found = ["青松翠柏电子商务" in [f.text for f in index.search(tokens)] for index in (detector.index, python)]
        assert found == [candidate, candidate], name
        detector.check(name)  # teaches the screen the characters
        assert detector.index.plain(name) == (not candidate)
    assert detector.check("青松翠柏电子").decision == PASS and detector.check("青松翠伯电子商务").decision == "block"


@backends
def test_searcher_refuses_posting_fits_its_walk_could_not_trust(reference, detector, backend):
    """The walk stops at the first posting a name is too short for: fits that descend within a key pair, or differ
    from the form's shortest, would lose candidates, so the kernel refuses them."""
    index, _ = reference
    postings = postings_of(index, detector)

    def searcher(fits):
        return backend.Searcher(postings.keys, postings.offsets, postings.forms, postings.positions, fits,
                                        index.required, index.lengths, index.shortest, 24,
                                        tuple(detector.registry.forms))

    assert searcher(postings.fits_from).search([(1,), (2,)]) == []
    pair = int(np.flatnonzero(np.diff(postings.offsets) >= 2)[0])  # a key pair with two postings or more
    start = int(postings.offsets[pair])
    for change in ({start: postings.fits_from[start] + 1}, {start + 1: 0}):
        fits = postings.fits_from.copy()
        for at, value in change.items():
            fits[at] = value
        with pytest.raises(ValueError, match="fits"):
            searcher(fits)


@backends
def test_every_constant_the_kernel_exports_is_checked_against_the_python_side(backend):
    # Token layout, channel codes and length caps live in both twins and in the modules that use them; the import
    # states each one and refuses a kernel built with another value (a stale build after a change on one side).
    exported = {name for name in getattr(backend, "__all__", dir(backend)) if name.isupper()}
    assert exported >= {"TOKEN_FIELDS", "READINGS", "CHANNELS", "MAX_SCREENED", "MAX_WORD", "MAX_PINYIN_RUN"}
    assert exported <= kernel.checked
    with pytest.raises(kernel.KernelMismatch, match="TOKEN_FIELDS"):
        kernel.require(TOKEN_FIELDS=backend.TOKEN_FIELDS + 1)
    with pytest.raises(ImportError, match="CHANNELS"):
        kernel.require(CHANNELS=backend.CHANNELS[::-1])


def test_both_twins_have_one_api():
    """The Python twin holds every type and function the compiled kernel has, with the same methods."""
    if kernel.compiled is None:
        pytest.skip("built without the compiled kernel")
    public = {name for name in dir(kernel.compiled) if not name.startswith("_")}
    assert public == set(kernel.python.__all__)
    for name in public:
        built, twin = getattr(kernel.compiled, name), getattr(kernel.python, name)
        if isinstance(built, type):
            methods = {m for m in dir(built) if not m.startswith("_")}
            assert methods <= set(dir(twin)), (name, methods - set(dir(twin)))
        elif not callable(built):
            assert built == twin, name
