"""The scan pipeline's counts, progress line and summary."""

import io
import pickle

from impostor.records import OK, Record
from impostor.scan import Progress, Rows, Summary, VerdictMemo, human


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


def test_a_chunk_travels_to_a_worker_as_columns_and_comes_back_as_the_same_records():
    records = [Record("in.csv", i + 1, f"id{i}" if i % 2 else None, name, OK if name else "empty")
               for i, name in enumerate(["人民曰报", "", "张三", "人民曰报"] * 50)]
    pickled = pickle.dumps(Rows(records))
    assert pickle.loads(pickled) == records
    assert b"Record" not in pickled  # columns of plain values: no record objects to rebuild one by one


def test_a_full_memo_empties_itself_without_changing_a_row(detector, monkeypatch):
    names = ["人民曰报", "张三", "夏爽律师", "入民日报", "张三", "光明的未来", "人民曰报"] * 3
    records = [Record("-", i + 1, None, name, OK) for i, name in enumerate(names)]
    expected = [detector.check(name) for name in names]
    monkeypatch.setattr("impostor.scan.RECENT_NAMES", 2)
    memo = VerdictMemo("jsonl")
    for start in range(0, len(records), 4):  # chunks of four: the memo fills up and empties again and again
        verdicts, members = memo.verdicts(detector, records[start:start + 4], with_ids=False)
        assert verdicts == expected[start:start + 4]
        assert members == [v.json_members for v in expected[start:start + 4]]
        assert len(memo.entries) <= 4
