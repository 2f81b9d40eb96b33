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
    # The unbalanced quote takes only its own line: the records after it are read as records, none is lost.
    assert [(r["id"], r["status"]) for r in rows] == [
        ("1", "ok"), ("2", "missing-column"), ("", "empty"), ("3", "ok"), ("4", "bad-quote"), ("5", "invalid-encoding"),
        ("6", "ok"), ("7", "truncated")]
    assert [r["line"] for r in rows] == [str(n) for n in range(2, 10)]
    assert rows[4]["name"] == "unbalanced quote" and rows[6]["decision"] == "block"
    assert "quotes that do not pair up" in err


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_quote_that_is_never_closed_swallows_no_record(tmp_path, fmt):
    sep = "," if fmt == "csv" else "\t"
    lines = ["id", "15" + sep + '"入民日报', "16" + sep + "故事大王", "17" + sep + "夏爽律师",
             "18" + sep + '"中国"科学院',  # text after a closing quote
             "19" + sep + '"新华社', "20" + sep + '记者"',  # a quote closed on the next line: one record of two lines
             "21" + sep + '"a ""quoted"" word"']
    lines[0] += sep + "name"
    src = tmp_path / f"names.{fmt}"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(["scan", str(src), "--id-column", "id"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["line"], r["status"]) for r in rows] == [
        ("15", 2, "bad-quote"), ("16", 3, "ok"), ("17", 4, "ok"), ("18", 5, "bad-quote"), ("19", 6, "ok"),
        ("21", 8, "ok")]
    assert [r["name"] for r in rows] == ["入民日报", "故事大王", "夏爽律师", "中国科学院", f"新华社\n20{sep}记者",
                                         'a "quoted" word']
    assert [r["decision"] for r in rows[:3]] == ["block", "pass", "review"]
    assert "2 CSV/TSV records have quotes that do not pair up" in err


@pytest.mark.parametrize("line, status", [
    (b'{"name": "\\ud800"}', "invalid-encoding"),  # a JSON escape of half a UTF-16 pair: no character at all
    (b'{"name": "\\udc00\xe4\xba\xba\xe6\xb0\x91\xe6\x97\xa5\xe6\x8a\xa5", "id": "\\ud83d"}', "invalid-encoding"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid-json"),  # deeper than the JSON parser recurses
    (b'{"name": ' + b"1" * 5000 + b"}", "invalid-json"),  # more digits than Python converts
    (b'{"name": {"a": ' * 50_000 + b"1" + b"}" * 50_001, "invalid-json"),
])
def test_one_bad_jsonl_line_is_one_row_with_a_status(tmp_path, line, status):
    src = tmp_path / "names.jsonl"
    src.write_bytes(b'{"name": "\xe5\x85\xa5\xe6\xb0\x91\xe6\x97\xa5\xe6\x8a\xa5"}\n' + line + b'\n{"name": "\xe5\xa4\x8f\xe7\x88\xbd\xe5\xbe\x8b\xe5\xb8\x88"}\n')
    for fmt in ("jsonl", "csv", "tsv"):
        code, out, err = run(["scan", str(src), "--id-column", "id", "--format", fmt])
        assert code == 0, err
        rows = ([json.loads(row) for row in out.splitlines()] if fmt == "jsonl"
                else list(csv.DictReader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t")))
        assert [str(r["line"]) for r in rows] == ["1", "2", "3"]
        assert [r["status"] for r in rows] == ["ok", status, "ok"]
        assert [r["decision"] for r in rows[::2]] == ["block", "review"]
        assert "\ufffd" in rows[1]["name"] or status != "invalid-encoding"


def test_a_bare_cr_and_tabs_never_split_a_csv_or_tsv_row():
    names = "人民\r日报\n故事大王\n".encode() + "a\tb\\c\n".encode()
    code, out, _ = run(["scan", "--format", "csv", "-q"], stdin=names)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert [r[1] for r in rows[1:]] == ["人民\r日报", "故事大王", "a\tb\\c"] and rows[1][2] == "block"
    code, out, _ = run(["scan", "--format", "tsv", "-q"], stdin=names)
    lines = out.split("\n")[:-1]  # as cut and awk read it: a row per line feed, a cell per tab
    assert len(lines) == 4 and {len(line.split("\t")) for line in lines} == {8}
    assert [line.split("\t")[1] for line in lines[1:]] == ["人民\\r日报", "故事大王", "a\\tb\\\\c"]


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


def test_a_closed_pipe_is_exit_0_not_the_found_status(tmp_path):
    """``impostor scan big.txt | head``: the reader goes away; that is not "found something" (exit 1)."""
    import subprocess

    src = tmp_path / "big.txt"
    src.write_text("".join(f"入民日报{i}\n光明的未来{i}\n" for i in range(100_000)), encoding="utf-8")
    for options in ([], ["-j", "2"], ["--format", "csv"], ["--fail-on", "review"]):
        proc = subprocess.Popen([sys.executable, "-c", "from impostor.cli import main; main()", "--no-config", "scan",
                                 str(src), *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()  # what head does after its first line
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, (options, err)
        assert "Traceback" not in err and "error" not in err, err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_their_killed_scan_and_the_next_scan_removes_its_partial_file(tmp_path):
    import os

    from test_cli_options import _children

    proc, out = start_long_scan(tmp_path, "-j", "2")
    deadline = time.time() + 60
    while time.time() < deadline and len(_children(proc.pid)) < 2:
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert workers, "no worker processes seen"
    partial = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert len(partial) == 1 and partial[0].name.startswith(f".out.jsonl.{proc.pid}.")
    proc.kill()  # SIGKILL: the scan cannot stop anyone
    proc.communicate(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{w}") and _state(w) != "Z" for w in workers):
        time.sleep(0.1)
    assert all(not os.path.exists(f"/proc/{w}") or _state(w) == "Z" for w in workers), "workers outlived the scan"
    assert partial[0].exists()  # what the killed scan had written so far
    src = tmp_path / "small.txt"
    src.write_text("入民日报\n", encoding="utf-8")
    code, _, err = run(["scan", str(src), "-o", str(out)])
    assert code == 0 and f"removed {partial[0]}" in err
    assert not partial[0].exists() and json.loads(out.read_text(encoding="utf-8"))["decision"] == "block"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
