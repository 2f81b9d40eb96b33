"""The scan pipeline's counts, progress line and summary."""

import io

from impostor.scan import Progress, Summary, human


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
