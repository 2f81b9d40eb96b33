"""The scan pipeline's counts, progress line and summary."""

import io

import pytest

from impostor.output import Sink
from impostor.records import InputOptions
from impostor.scan import Progress, Summary, human, output_fields, run_scan, takes_line_path


def test_progress_line_shows_rate_share_and_eta_then_clears(monkeypatch):
    clock = iter([0.0, 10.0, 10.1, 20.0])
    monkeypatch.setattr("impostor.scan.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(stream, total_bytes=1000)
    progress.update(rows=50_000, bytes_read=250)  # 10 s in, a quarter read
    assert "50,000 rows" in stream.getvalue() and "300.00k names/min" in stream.getvalue()
    assert "25%" in stream.getvalue() and "ETA 0:30" in stream.getvalue()
    progress.update(rows=50_001, bytes_read=251)  # within the refresh interval: nothing new
    assert stream.getvalue().count("\r") == 1
    progress.close()
    assert stream.getvalue().endswith("\r")


def test_summary_counts_and_encoding_hint():
    summary = Summary(rows=4, seconds=2.0)
    summary.counts.update({("decision", "block"): 1, ("decision", "pass"): 3, ("category", "media"): 1,
                           ("status", "invalid-encoding"): 2})
    lines = summary.lines()
    assert lines[0] == "impostor: 4 rows in 2.0 s (120 names/min): block 1, review 0, pass 3"
    assert "media 1" in lines[1] and "invalid-encoding 2" in lines[2] and "--encoding gb18030" in lines[3]
    assert summary.found({"block"}) and not summary.found({"review"})
    assert human(2_500_000) == "2.50M"


# Text inputs that stress the line path: a byte order mark, CRLF, empty and blank lines, bytes that are not UTF-8,
# repeated names (screened once), impostors, and no line break after the last line.
TRICKY_INPUTS = [
    "\ufeff人民曰报\r\n张三\r\n\r\n   \r\n夏爽律师\r\n".encode() + b"\xff\xfe\xa0bad\r\n" + "入民日报\n人民曰报".encode(),
    "光明的未来\n人民曰报\n\n人民日报社\nＣＣＴＶ\n张三\n四川本地\n".encode(),
]


def scan_bytes(detector, tmp_path, monkeypatch, fmt, only=None, workers=1, record_path=False):
    paths = []
    for i, data in enumerate(TRICKY_INPUTS):
        paths.append(tmp_path / f"in{i}.txt")
        paths[-1].write_bytes(data)
    out = tmp_path / f"out.{fmt}"
    monkeypatch.setattr("impostor.scan.takes_line_path", lambda *args: not record_path)
    with Sink(str(out), fmt, output_fields(True, False, True)) as sink:
        summary = run_scan(detector, [str(p) for p in paths], InputOptions(), sink, workers=workers, only=only)
    return out.read_bytes(), summary


@pytest.mark.parametrize("fmt,only,workers", [("jsonl", None, 1), ("csv", None, 2), ("tsv", "flagged", 1),
                                              ("jsonl", "block", 2)])
def test_the_line_path_writes_the_rows_and_counts_of_the_record_path(detector, tmp_path, monkeypatch, fmt, only,
                                                                      workers):
    fast, fast_summary = scan_bytes(detector, tmp_path, monkeypatch, fmt, only, workers)
    slow, slow_summary = scan_bytes(detector, tmp_path, monkeypatch, fmt, only, workers, record_path=True)
    assert fast == slow
    assert fast_summary.rows == slow_summary.rows == 15
    assert fast_summary.counts == slow_summary.counts
    assert fast_summary.counts["status", "invalid-encoding"] == 1 and fast_summary.counts["status", "empty"] == 3


def test_text_inputs_written_as_text_take_the_line_path():
    assert takes_line_path(["a.txt", "b.txt.gz", "-"], InputOptions(), "csv")
    assert not takes_line_path(["a.txt"], InputOptions(), "parquet")
    assert not takes_line_path(["a.txt", "b.csv"], InputOptions(), "jsonl")
    assert not takes_line_path(["a.txt"], InputOptions(format="jsonl"), "jsonl")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("record_path", [False, True])
def test_a_full_memo_starts_afresh_without_changing_a_row(detector, tmp_path, monkeypatch, workers, record_path):
    expected, _ = scan_bytes(detector, tmp_path, monkeypatch, "jsonl", record_path=record_path)
    # Units of a few names, and a memo of two: it starts afresh again and again, with units still in flight.
    monkeypatch.setattr("impostor.scan.CHUNK", 3)
    monkeypatch.setattr("impostor.scan.LINE_BLOCK", 12)
    monkeypatch.setattr("impostor.scan.RECENT_NAMES", 2)
    monkeypatch.setattr("impostor.lines.RECENT_NAMES", 2)
    again, summary = scan_bytes(detector, tmp_path, monkeypatch, "jsonl", workers=workers, record_path=record_path)
    assert again == expected
    assert summary.rows == 15


@pytest.mark.parametrize("label", ["names.txt", "a,b.txt", 'q"uote.txt', "tab\there.txt", "back\\slash", "名字.txt",
                                   "line\u2028sep.txt"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv"])
def test_the_line_paths_row_pieces_are_the_rows_the_formatter_writes(label, fmt):
    # The line path writes a row as head + line number + tail, and a JSONL tail as frame + members + frame; each
    # row the general formatter writes for the same record must read so.
    from impostor.decide import PASS, Verdict
    from impostor.output import format_chunk, jsonl_frame, row_head, verdict_json_members
    from impostor.records import new_record

    verdicts = [Verdict("人民日报", PASS, 0.0), Verdict("入民日报", "block", 0.93, "media", "人民日报", ("入→人",))]
    for multiple in (True, False):
        for with_version in (True, False):
            fields = output_fields(multiple, False, with_version)
            for status in ("ok", "truncated"):
                records = [new_record((label, 7, None, v.name, status)) for v in verdicts]
                text = format_chunk(records, verdicts, fmt, fields, None, "v1")[0]
                rows = (text if isinstance(text, bytes) else text.encode()).split(b"\n")[:-1]
                head = row_head(label, fmt, fields) + b"7"
                assert all(row.startswith(head) for row in rows)
                if fmt == "jsonl":
                    before, after = jsonl_frame(fields, "v1", status)
                    assert [head + before + verdict_json_members(v) + after for v in verdicts] == \
                        [row + b"\n" for row in rows]
