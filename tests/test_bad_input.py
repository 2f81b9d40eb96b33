"""Messy files from real systems: every input row yields exactly one output row, in order, whatever it holds."""

import csv
import io
import json
import signal
import sys
import time

import pytest

from test_cli import assert_previous_output_kept, run, start_long_scan

MEGABYTE_NAME = "人民日报" + "长" * (1 << 20)
TEXT_LINES = [
    b"\xef\xbb\xbf" + "入民日报".encode(),  # BOM on the first line
    "夏爽律师\r".encode(),  # CRLF
    b"",  # empty line
    b"\xff\xfe\xfd broken utf-8",  # invalid UTF-8
    "人民\x00日报".encode(),  # NUL byte
    "控制\x01\x02\x1b[31m字符".encode(),  # control characters and an ANSI escape
    MEGABYTE_NAME.encode(),  # a line of a megabyte
    "   ".encode(),  # blank
    "人民日報".encode("gb18030"),  # another encoding's bytes
    "光明的未来".encode(),
]


def test_text_file_with_every_kind_of_mess(tmp_path):
    src = tmp_path / "messy.txt"
    src.write_bytes(b"\n".join(TEXT_LINES) + b"\n")
    code, out, err = run(["scan", str(src)])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == list(range(1, len(TEXT_LINES) + 1))
    statuses = [r["status"] for r in rows]
    assert statuses == ["ok", "ok", "empty", "invalid-encoding", "ok", "ok", "truncated", "empty",
                        "invalid-encoding", "ok"]
    assert rows[0]["name"] == "入民日报" and rows[0]["decision"] == "block"
    assert rows[4]["decision"] == "block"  # the NUL is noise inside 人民日报
    assert len(rows[6]["name"]) == len(MEGABYTE_NAME)  # the name is kept whole; screening reads its start
    assert "--encoding gb18030" in err  # the summary suggests the option


def test_csv_file_with_malformed_rows_and_missing_columns(tmp_path):
    src = tmp_path / "messy.csv"
    src.write_bytes(
        "uid,nickname\r\n1,入民日报\r\n2\r\n\r\n3,\"quoted, with comma\"\r\n4,\"unbalanced quote\r\n".encode()
        + b"5,\xff\xfe\n" + "6,人民\x00日报,extra,cells\n".encode() + f"7,{MEGABYTE_NAME}\n".encode())
    code, out, err = run(["scan", str(src), "--column", "nickname", "--id-column", "uid", "--format", "csv"])
    assert code == 0, err
    csv.field_size_limit(sys.maxsize)
    rows = list(csv.DictReader(io.StringIO(out)))
    # The unbalanced quote runs to the end of the file, as CSV defines: it is one record, not lost rows.
    assert [(r["id"], r["status"]) for r in rows] == [
        ("1", "ok"), ("2", "missing-column"), ("", "empty"), ("3", "ok"), ("4", "invalid-encoding")]
    assert [r["line"] for r in rows] == ["2", "3", "4", "5", "6"]


def test_gbk_file_reads_with_encoding_option(tmp_path):
    src = tmp_path / "gbk.csv"
    src.write_bytes("id,name\n1,人民日報\n2,光明的未来\n".encode("gb18030"))
    _, out, err = run(["scan", str(src), "--format", "tsv"])
    assert out.count("invalid-encoding") == 2 and "--encoding gb18030" in err
    _, out, _ = run(["scan", str(src), "--format", "tsv", "--encoding", "gb18030", "-q"])
    assert [line.split("\t")[2] for line in out.splitlines()[1:]] == ["block", "pass"]
    code, _, err = run(["scan", str(src), "--encoding", "klingon"])
    assert code == 2 and "unknown encoding" in err


@pytest.mark.parametrize("sent, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_exit_130_and_143_and_leave_the_old_output(tmp_path, sent, status):
    proc, out = start_long_scan(tmp_path)
    time.sleep(3)
    proc.send_signal(sent)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert_previous_output_kept(tmp_path, out)
