"""Readers: every input record becomes one Record, in order, with a status when it cannot be read as asked."""

import gzip
import json

import pytest

from impostor.output import Sink, format_rows
from impostor.records import InputError, InputOptions, read_records


def records(path, **options):
    return list(read_records(str(path), InputOptions(**options)))


def test_text_lines_keep_numbers_and_statuses(tmp_path):
    src = tmp_path / "names.txt"
    src.write_bytes(b"\xef\xbb\xbf" + "入民日报\r\n\n".encode() + b"\xff\xfe\n" + "夏爽律师".encode())
    got = records(src)
    assert [(r.line, r.name, r.status) for r in got] == [
        (1, "入民日报", "ok"), (2, "", "empty"), (3, "\ufffd\ufffd", "invalid-encoding"), (4, "夏爽律师", "ok")]


def test_gb18030_text_with_encoding_option(tmp_path):
    src = tmp_path / "gbk.txt"
    src.write_bytes("入民日报\n光明的未来\n".encode("gb18030"))
    assert [r.status for r in records(src)] == ["invalid-encoding", "invalid-encoding"]
    assert [r.name for r in records(src, encoding="gb18030")] == ["入民日报", "光明的未来"]


def test_csv_header_named_columns_and_missing_cells(tmp_path):
    src = tmp_path / "accounts.csv"
    src.write_text('uid,nickname\n7,"人民,日报"\n8\n9,"two\nlines"\n10,光明\n', encoding="utf-8")
    got = records(src, column="nickname", id_column="uid")
    assert [(r.line, r.id, r.name, r.status) for r in got] == [
        (2, "7", "人民,日报", "ok"), (3, "8", "", "missing-column"), (4, "9", "two\nlines", "ok"),
        (6, "10", "光明", "ok")]


def test_csv_without_header_uses_column_numbers(tmp_path):
    src = tmp_path / "plain.csv"
    src.write_text("1,入民日报\n2,光明\n", encoding="utf-8")
    got = records(src, column="2", id_column="1")
    assert [(r.line, r.id, r.name) for r in got] == [(1, "1", "入民日报"), (2, "2", "光明")]


def test_csv_default_column_is_name_when_the_header_has_it(tmp_path):
    src = tmp_path / "a.tsv"
    src.write_text("id\tname\n1\t入民日报\n", encoding="utf-8")
    assert [(r.line, r.name) for r in records(src)] == [(2, "入民日报")]


def test_missing_named_column_is_an_error_naming_the_columns(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("id,nick\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no column 'nickname'.*columns: id, nick"):
        records(src, column="nickname")


def test_jsonl_statuses(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text('{"nick": "入民日报", "uid": 5}\nnot json\n{"uid": 6}\n\n[1]\n{"nick": 42}\n', encoding="utf-8")
    got = records(src, column="nick", id_column="uid")
    assert [(r.id, r.name, r.status) for r in got] == [
        ("5", "入民日报", "ok"), (None, "", "invalid-json"), ("6", "", "missing-column"), (None, "", "empty"),
        (None, "", "invalid-json"), (None, "42", "ok")]


def test_gzip_is_read_by_content_and_truncation_is_an_error(tmp_path):
    src = tmp_path / "names.csv.gz"
    src.write_bytes(gzip.compress("name\n入民日报\n光明\n".encode() * 2000))
    assert len(records(src)) == 5999  # one header row
    cut = tmp_path / "cut.txt"
    cut.write_bytes(src.read_bytes()[: len(src.read_bytes()) // 2])
    with pytest.raises(InputError, match="truncated or corrupt after line"):
        records(cut)


def test_text_input_refuses_column_options(tmp_path):
    src = tmp_path / "names.txt"
    src.write_text("x\n", encoding="utf-8")
    with pytest.raises(InputError, match="--column"):
        records(src, column="name")


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    rows = [{"line": 1, "id": "a", "name": "入民日报", "decision": "block", "score": 0.97, "category": "media",
             "target": "人民日报", "reasons": ["imitates 人民日报 (media)"], "status": "ok"}]
    fields = tuple(rows[0])
    out = tmp_path / "out.parquet"
    with Sink(str(out), "parquet", fields) as sink:
        sink.write(format_rows(rows, fields, "parquet"))
    got = records(out, id_column="id")
    assert [(r.line, r.id, r.name) for r in got] == [(1, "a", "入民日报")]
    import pyarrow.parquet as pq

    assert pq.read_table(out).to_pylist() == rows


def test_sink_leaves_the_old_file_when_writing_fails(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with Sink(str(out), "jsonl", ("name",)) as sink:
            sink.write(json.dumps({"name": "new"}) + "\n")
            raise RuntimeError("killed halfway")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
