"""The loader accepts the shipped lexicons and rejects malformed ones with path and line."""

import shutil
from pathlib import Path

import pytest

from impostor import Detector, LexiconError
from impostor.lexicon import default_lexicon_dir, read_table


@pytest.fixture()
def lexicon_copy(tmp_path) -> Path:
    target = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), target)
    return target


def test_every_shipped_file_names_source_version_and_licence():
    root = default_lexicon_dir()
    files = sorted(root.glob("*/*.tsv"))
    assert len(files) >= 20
    for path in files:
        meta = read_table(path).meta
        assert {"source", "version", "licence"} <= set(meta), path


def test_row_with_too_many_fields_is_rejected_with_path_and_line(lexicon_copy):
    path = lexicon_copy / "registry" / "titles.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("律师X\tjudicial\textra\tfields\there\ttoo\tmany")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        Detector(lexicon_copy)
    assert err.value.path.endswith("titles.tsv")
    assert err.value.line == len(lines)


def test_missing_licence_header_is_rejected(lexicon_copy):
    path = lexicon_copy / "registry" / "affixes.tsv"
    text = "\n".join(l for l in path.read_text(encoding="utf-8").splitlines() if not l.startswith("# licence"))
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="licence"):
        Detector(lexicon_copy)


def test_invalid_utf8_is_rejected_with_line(lexicon_copy):
    path = lexicon_copy / "registry" / "keywords.tsv"
    path.write_bytes(path.read_bytes() + b"\xff\xfe\tnews_attribute\thigh\t\n")
    with pytest.raises(LexiconError, match="UTF-8") as err:
        Detector(lexicon_copy)
    assert err.value.line is not None


def test_unknown_kind_in_manifest_is_rejected(lexicon_copy):
    manifest = lexicon_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('kind = "title"', 'kind = "titel"'),
                        encoding="utf-8")
    with pytest.raises(LexiconError, match="kind"):
        Detector(lexicon_copy)


def test_duplicate_character_mapping_is_rejected(lexicon_copy):
    path = lexicon_copy / "chars" / "t2s.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "報\t报\tdup\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="duplicate"):
        Detector(lexicon_copy)


def test_missing_file_is_reported(lexicon_copy):
    (lexicon_copy / "registry" / "military.tsv").unlink()
    with pytest.raises(LexiconError, match="military.tsv"):
        Detector(lexicon_copy)


# A misspelt or mistyped manifest entry is refused with the manifest's line, never half-loaded: before, a misspelt
# key (aliasse) was dropped and its file read without aliases (最高检察院 went from block to review).
@pytest.mark.parametrize("old, new, message", [
    ('aliases = "aliases"', 'aliasse = "aliases"', "unknown key 'aliasse'"),  # a misspelt key
    ('aliases = "aliases"', 'aliases = "aliasse"', "has no column 'aliasse'"),  # a column the file lacks
    ('category = "media"', 'categroy = "media"', "unknown key 'categroy'"),
    ('kind = "entity"', "kind = 3", "kind must be a non-empty string"),  # a value of the wrong type
    ('kind = "entity"', 'kind = "entty"', "kind must be one of"),
    ('name = "name"', 'name = ""', "name must be a non-empty string"),
    ("[[file]]", "[[files]]", "unknown key 'files'"),  # a misspelt table: its file would be skipped
])
def test_a_misspelt_manifest_entry_is_refused_with_its_line(lexicon_copy, old, new, message):
    manifest = lexicon_copy / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    at = text.index(old)
    manifest.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    line = text[:at].count("\n") + 1
    with pytest.raises(LexiconError, match=message) as err:
        Detector(lexicon_copy)
    assert err.value.path.endswith("manifest.toml") and err.value.line == line


def test_costs_have_one_source_of_values():
    # scoring.toml gives every cost and the checks know every one: no default in the code to drift from it.
    from impostor.scoring import SETTINGS, Costs

    assert set(Costs.__dataclass_fields__) == set(SETTINGS["costs"])
    with pytest.raises(TypeError):
        Costs()  # type: ignore[call-arg]


def test_the_lexicon_version_covers_the_unicode_version(monkeypatch):
    import unicodedata

    first = Detector().lexicon_version
    assert Detector().lexicon_version == first
    monkeypatch.setattr(unicodedata, "unidata_version", "0.0.1")
    assert Detector().lexicon_version != first


def test_every_channel_is_priced_by_a_setting_or_by_its_pairs():
    # One table of channels (channels.py): a cost key it names is a [costs] setting, and its reason wording
    # names what the step did.
    from impostor.channels import TABLE, step_reason
    from impostor.scoring import SETTINGS

    assert {c.cost for c in TABLE if c.cost} <= set(SETTINGS["costs"])
    assert len({c.name for c in TABLE}) == len(TABLE)
    assert step_reason("look-alike", "入", "人") == "入→人 look-alike"
    assert step_reason("deleted", "", "局") == "missing 局" and step_reason("inserted", "研", "") == "inserted 研"


@pytest.mark.parametrize("file, row, message", [
    ("chars/pinyin.tsv", "\U00020000\tren|renminribaoshe", "1 to 12 letters"),  # the screen packs ≤ 12 letters
    ("chars/pinyin.tsv", "\U00020000\tRen", "letters a-z"),
    ("registry/titles.tsv", "律" * 33 + "\tjudicial", "longer than 32"),  # the word lookups take ≤ 32
])
def test_a_reading_or_word_the_kernel_cannot_hold_is_refused_with_its_line(lexicon_copy, file, row, message):
    path = lexicon_copy / file
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + [row]) + "\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as err:
        Detector(lexicon_copy)
    assert err.value.path.endswith(file.split("/")[1]) and err.value.line == len(lines) + 1
