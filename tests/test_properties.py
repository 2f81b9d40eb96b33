"""Properties that hold for every input: normalization never raises and is idempotent, every string gets a key
and a verdict, and a scan gives one output row per input line for arbitrary bytes."""

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from impostor import Detector
from impostor.normalize import MAX_NAME_CHARS
from impostor.output import Sink
from impostor.records import GZIP_MAGIC, InputOptions
from impostor.scan import output_fields, run_scan

# Text that looks like account names and their disguises, mixed with anything Unicode has.
PIECES = ["人民日报", "入民曰報", "央视", "CCTV", "ССТV", "ｃｃｔｖ", "renminribao", "四川", "律师", "首发", "★", "\u200b",
          "\u202e", "\ufe0f", "\U000e0041", "⿰", "㊥", " ", "·", "1", "a", "\ud7ff", "\x00", "\n"]
NAMES = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def detector():
    return Detector()


@SETTINGS
@given(name=NAMES)
def test_normalization_never_raises_and_is_idempotent(detector, name):
    normalized = detector.normalize(name)
    again = detector.normalize(normalized.variant)
    if len(normalized.variant) <= MAX_NAME_CHARS:
        assert again.variant == normalized.variant
        assert again.skeleton == normalized.skeleton


@SETTINGS
@given(name=NAMES)
def test_every_string_gets_a_key_and_a_verdict(detector, name):
    normalized = detector.normalize(name)
    assert all(t.keys for t in normalized.tokens)  # every token can be searched
    verdict = detector.check(name)
    assert verdict.decision in ("block", "review", "pass")
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.name == name
    json.dumps(verdict.to_dict(), ensure_ascii=False)  # always serializable
    if verdict.decision == "block":
        assert verdict.target and verdict.reasons


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30))
def test_scan_gives_one_row_per_input_line_for_any_bytes(detector, tmp_path, lines):
    data = b"\n".join(lines) + (b"\n" if lines else b"")
    # A file that starts with the gzip magic number is read as gzip (CLI.md), and a broken stream is an error
    # naming the file: that is tested in test_records.py, not a text file's rows.
    assume(not data.startswith(GZIP_MAGIC))
    src = tmp_path / "input.txt"
    src.write_bytes(data)
    out = tmp_path / "out.jsonl"
    fields = output_fields(False, False, False)
    with Sink(str(out), "jsonl", fields) as sink:
        summary = run_scan(detector, [str(src)], InputOptions(), sink)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary.rows == len(rows) == len(lines)
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))


# Names that break rows: line breaks and separators of every kind, quotes, delimiters, backslashes, NUL.
BREAKERS = ["\r", "\n", "\r\n", "\t", '"', ",", "\\", "\\t", "\\n", "\x00", "\u0085", "\u2028", "\u2029", "\x0b",
            "\x0c", "\x1c", " ", "入民日报", "人民\r日报"]
ROW_NAMES = st.lists(st.lists(st.one_of(st.sampled_from(BREAKERS), st.text(st.characters(codec="utf-8"), max_size=3)),
                              max_size=8).map("".join), min_size=1, max_size=12)
TSV_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def _tsv_cell(text):
    """A TSV cell as CLI.md documents it: backslash escapes for backslash, tab, line feed and carriage return."""
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in TSV_UNESCAPES:
            out.append(TSV_UNESCAPES[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _read_back(fmt, path):
    """The names of a scan's output, read as a reader of that format reads it."""
    if fmt == "jsonl":
        return [json.loads(row)["name"] for row in path.read_bytes().split(b"\n")[:-1]]
    if fmt == "csv":
        import csv
        import io

        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        names = [row[1] for row in rows[1:]]
        pa_csv = pytest.importorskip("pyarrow.csv")
        pa = pytest.importorskip("pyarrow")
        table = pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                                convert_options=pa_csv.ConvertOptions(column_types={"name": pa.string()}))
        assert table.column("name").to_pylist() == names  # pyarrow reads the same rows
        return names
    if fmt == "tsv":
        lines = path.read_bytes().decode("utf-8").split("\n")[:-1]
        assert {len(line.split("\t")) for line in lines} == {len(lines[0].split("\t"))}  # cut and awk see columns
        return [_tsv_cell(line.split("\t")[1]) for line in lines[1:]]
    pq = pytest.importorskip("pyarrow.parquet")
    return pq.read_table(path).column("name").to_pylist()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=ROW_NAMES)
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet"])
def test_every_output_format_gives_back_every_name_as_one_row(detector, tmp_path, fmt, names):
    src = tmp_path / "names.jsonl"
    src.write_text("".join(json.dumps({"name": n}) + "\n" for n in names), encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    with Sink(str(out), fmt, output_fields(False, False, False)) as sink:
        summary = run_scan(detector, [str(src)], InputOptions(), sink)
    assert summary.rows == len(names)
    assert _read_back(fmt, out) == names


QUOTED_LINES = st.lists(st.lists(st.sampled_from(['"', '""', ",", "\t", "入民日报", "a", " ", "\r"]), max_size=6)
                        .map("".join), min_size=1, max_size=15)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=QUOTED_LINES)
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_no_quote_swallows_the_lines_after_it(detector, tmp_path, fmt, lines):
    """Every line of a CSV/TSV file belongs to one record, and a record spans several lines only where a quote
    opened on its first line is closed on its last: a quote never closed takes only its own line."""
    lines = [line.replace("\r", "") for line in lines]  # a bare CR is a line break in CSV: lines are by LF here
    src = tmp_path / f"names.{fmt}"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with Sink(str(out), "jsonl", output_fields(False, False, False)) as sink:
        summary = run_scan(detector, [str(src)], InputOptions(), sink)
    rows = [json.loads(row) for row in out.read_text(encoding="utf-8").splitlines()]
    assert summary.rows == len(rows)
    starts = [r["line"] for r in rows]
    assert starts == sorted(set(starts)) and starts[0] in (1, 2)
    for start, end in zip(starts, starts[1:] + [len(lines) + 1]):
        if end - start > 1:
            assert '"' in lines[start - 1] and '"' in lines[end - 2], (start, end)
