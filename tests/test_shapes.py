"""Shape similarity (shapes.py): how alike any two characters look, for look-alikes no table lists (issue 17)."""

import random
import shutil

import pytest

from impostor import Detector
from impostor.lexicon import LexiconError
from impostor.normalize import HAN
from impostor.shapes import Shapes


@pytest.fixture(scope="module")
def shapes(detector):
    return detector.shapes.load()


def common_chars(detector) -> list[str]:
    path = detector.lexicon_dir / "chars" / "common_chars.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("a, b", [
    ("日", "目"), ("日", "旦"), ("今", "令"), ("天", "大"),  # a stroke added, removed or changed
    ("院", "阮"), ("部", "郡"), ("报", "扱"), ("阳", "阴"), ("环", "坏"), ("铜", "胴"),  # a component swapped
])
def test_characters_a_stroke_or_a_component_apart_look_alike(shapes, a, b):
    assert shapes.alike(a, b) and shapes.alike(b, a)
    assert shapes.similarity(a, b) == shapes.similarity(b, a)


@pytest.mark.parametrize("a, b", [("人", "鹰"), ("一", "龍"), ("国", "民"), ("中", "鑫"), ("日", "水")])
def test_characters_drawn_differently_do_not(shapes, a, b):
    assert not shapes.alike(a, b)
    assert shapes.similarity(a, b) < shapes.threshold


def test_a_character_is_drawn_like_itself_and_unknown_ones_like_nothing(shapes):
    assert shapes.similarity("国", "国") == 1.0
    assert shapes.similarity("a", "国") == 0.0 and not shapes.alike("a", "国") and shapes.alike("a", "a")


def test_the_threshold_is_where_random_pairs_stop_looking_alike(detector, shapes):
    # Calibrated by the build script on its own random pairs; a fresh sample must agree.
    chars = [c for c in common_chars(detector) if c in shapes]
    rng = random.Random(17)
    pairs = [rng.sample(chars, 2) for _ in range(20000)]
    rate = sum(shapes.alike(a, b) for a, b in pairs) / len(pairs)
    assert 0.0 < rate <= 0.025, rate
    # ... and most of the project's own look-alike pairs reach it.
    kept = (detector.lexicon_dir / "chars" / "visual_near_kept.tsv").read_text(encoding="utf-8").splitlines()
    own = [line.split("\t")[:2] for line in kept if line and not line.startswith("#") and not line.startswith("a\t")]
    own = [(a, b) for a, b in own if a in shapes and b in shapes]
    assert sum(shapes.alike(a, b) for a, b in own) / len(own) >= 0.7


def test_every_registry_character_and_nearly_every_common_one_is_described(detector, shapes):
    assert all(t.text in shapes for form in detector.registry.forms for t in form.tokens if t.kind == HAN)
    common = common_chars(detector)
    assert sum(c in shapes for c in common) >= 0.98 * len(common)  # (no source draws the newest 108)


@pytest.mark.parametrize("edit, where", [
    (lambda text: text.replace("# threshold: ", "# thresh: "), "threshold"),
    (lambda text: text.replace("\n阳\t522511\t", "\n阳\t52x511\t"), "line"),
    (lambda text: text.replace("\n阴\t523511\ta 阝:52 月:3511\n", "\n阴\t523511\ta 阝:52 月:3511\n阴\t523511\t\n"), "line"),
    (lambda text: text.replace("\n阳\t522511\ta 阝:52 日:2511", "\n阳\t522511\ta 阝:52"), "line"),
])
def test_a_malformed_shape_table_is_refused_whole_with_its_path(detector, tmp_path, edit, where):
    path = tmp_path / "shapes.tsv"
    path.write_text(edit(detector.shapes.path.read_text(encoding="utf-8")), encoding="utf-8")
    table = Shapes(path)
    with pytest.raises(LexiconError) as error:
        table.load()
    assert str(path) in str(error.value)
    if where == "line":
        assert error.value.line is not None
    assert table.rows is None  # nothing half-loaded


def test_a_broken_shape_table_stops_the_detector_before_it_screens(detector, tmp_path):
    lexicons = tmp_path / "lexicons"
    shutil.copytree(detector.lexicon_dir, lexicons)
    (lexicons / "chars" / "shapes.tsv").write_text("char\tstrokes\tparts\n", encoding="utf-8")
    with pytest.raises(LexiconError):
        Detector(lexicons=lexicons).preload()


def test_the_quick_answer_agrees_with_the_definition(shapes):
    # alike() rules most pairs out by a bound before any edit distance; it must never disagree with similarity().
    chars = sorted(shapes.rows)
    rng = random.Random(23)
    pairs = [rng.sample(chars, 2) for _ in range(30000)] + [("闷", "闻"), ("国", "固"), ("日", "旦"), ("阳", "阴")]
    assert all(shapes.alike(a, b) == (shapes.similarity(a, b) >= shapes.threshold) for a, b in pairs)


def test_the_stroke_edit_distance_is_levenshtein():
    # The bit-parallel distance against rapidfuzz's, on stroke strings as long as the longest characters' and on
    # the empty string.
    from rapidfuzz.distance import Levenshtein

    from impostor.shapes import _edits

    rng = random.Random(5)
    strings = ["", "1", "12345"] + ["".join(rng.choice("12345") for _ in range(rng.randint(0, 36))) for _ in range(400)]
    pairs = [(a, b) for a in strings[:60] for b in strings] + [(rng.choice(strings), rng.choice(strings))
                                                               for _ in range(5000)]
    assert all(_edits(a, b) == Levenshtein.distance(a, b) for a, b in pairs)
