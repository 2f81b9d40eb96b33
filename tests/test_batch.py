"""The nightly batch: incremental runs, full runs when the lexicons change, resume after a kill, outputs."""

import csv
import json

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from impostor import Detector  # noqa: E402
from impostor import batch as batch_module  # noqa: E402
from impostor.batch import BatchOptions, run_local  # noqa: E402
from impostor.records import InputError  # noqa: E402

NAMES = ["入民日报", "光明的未来", "夏爽律师", "人民曰報网", "央视新文", "四川本地", "人民公园遛弯", "新华字典爱好者",
         "最高检察院", "中国科学研究院", "故事大王", "ССТV", "海军蓝毛衣店", "renminribao", "张伟", "小红书美妆"]


@pytest.fixture(scope="module")
def detector():
    return Detector()


def write_snapshot(path, rows, updated=None):
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["uid", "nickname"] + (["updated"] if updated else []))
        for i, (uid, name) in enumerate(rows):
            writer.writerow([uid, name] + ([updated[i]] if updated else []))


def options(tmp_path, **extra):
    return BatchOptions(tmp_path / "snap.csv", tmp_path / "out", id_column="uid", name_column="nickname", **extra)


def findings(tmp_path):
    return {r["id"]: r for r in pq.read_table(tmp_path / "out" / "findings.parquet").to_pylist()}


def test_first_run_screens_everything_and_findings_match_check(detector, tmp_path):
    rows = [(f"a{i}", name) for i, name in enumerate(NAMES)]
    write_snapshot(tmp_path / "snap.csv", rows)
    report = run_local(detector, options(tmp_path))
    assert (report.rows, report.screened, report.full) == (len(NAMES), len(NAMES), True)
    expected = {uid: v for (uid, _), v in zip(rows, detector.check_many([n for _, n in rows]))
                if v.decision != "pass"}
    got = findings(tmp_path)
    assert set(got) == set(expected)
    for uid, verdict in expected.items():
        row = got[uid]
        assert (row["decision"], row["target"], row["category"]) == (verdict.decision, verdict.target,
                                                                     verdict.category)
        assert row["reasons"] == list(verdict.reasons) and row["new"] is True
        assert row["run_id"] == report.run_id and row["lexicon_version"] == detector.lexicon_version
    with open(tmp_path / "out" / "findings.csv", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(expected)
    saved = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert saved["decisions"]["block"] == sum(v.decision == "block" for v in expected.values())
    assert saved["top_targets"][0]["target"] == "人民日报"  # 入民日报, 人民曰報网, renminribao
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "人民日报" in html and "<script" not in html


def test_second_run_screens_only_new_and_changed_accounts(detector, tmp_path):
    rows = [(f"a{i}", name) for i, name in enumerate(NAMES)]
    write_snapshot(tmp_path / "snap.csv", rows)
    first = run_local(detector, options(tmp_path))
    again = run_local(detector, options(tmp_path))
    assert (again.screened, again.full, again.new_findings) == (0, False, 0)
    assert set(findings(tmp_path)) == {uid for uid, name in rows if detector.check(name).decision != "pass"}
    rows[1] = ("a1", "人民日報官方")  # was 光明的未来: now a finding
    rows.append(("new", "張偉"))  # a new account that passes
    del rows[0]  # 入民日报's account was closed: no longer in the snapshot, no longer a finding
    write_snapshot(tmp_path / "snap.csv", rows)
    third = run_local(detector, options(tmp_path))
    assert third.screened == 2 and third.run_id != first.run_id
    got = findings(tmp_path)
    assert "a0" not in got and got["a1"]["target"] == "人民日报" and got["a1"]["new"] is True
    assert third.new_findings == 1 and not got["a3"]["new"]  # 人民曰報网 was already found by the first run


def test_changed_lexicons_mean_a_full_run(detector, tmp_path):
    write_snapshot(tmp_path / "snap.csv", [("b1", "華為官方"), ("b2", "光明的未来")])
    run_local(detector, options(tmp_path))
    assert findings(tmp_path)["b1"]["decision"] == "review"  # 官方 alone: no protected name yet
    brands = tmp_path / "brands.tsv"
    brands.write_text("name\taliases\n华为技术有限公司\t华为\n", encoding="utf-8")
    with_brands = Detector(registries=[brands])
    report = run_local(with_brands, options(tmp_path))
    assert report.full and report.screened == 2
    assert (findings(tmp_path)["b1"]["decision"], findings(tmp_path)["b1"]["target"]) == ("block", "华为技术有限公司")


def test_updated_after_the_last_run_is_screened_again(detector, tmp_path):
    rows = [("c1", "入民日报"), ("c2", "光明的未来")]
    write_snapshot(tmp_path / "snap.csv", rows, updated=["2026-11-01", "2026-11-01"])
    run_local(detector, options(tmp_path, updated_column="updated"))
    write_snapshot(tmp_path / "snap.csv", rows, updated=["2026-11-01", "2026-11-22"])
    report = run_local(detector, options(tmp_path, updated_column="updated"))
    assert report.screened == 1


def test_a_killed_run_resumes_without_redoing_chunks_or_duplicating_rows(detector, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "SCREEN_CHUNK", 5)
    rows = [(f"k{i:02d}", NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i))) for i in range(23)]
    write_snapshot(tmp_path / "snap.csv", rows)

    class Killed(Exception):
        pass

    def kill_after_two_chunks(done, total):
        if done >= 10:
            raise Killed()

    with pytest.raises(Killed):
        run_local(detector, options(tmp_path), on_chunk=kill_after_two_chunks)
    assert not (tmp_path / "out" / "findings.parquet").exists()
    resumed = run_local(detector, options(tmp_path))
    assert (resumed.resumed, resumed.screened) == (10, 13)
    state = pq.read_table(tmp_path / "out" / "state" / "accounts.parquet").to_pylist()
    assert sorted(r["id"] for r in state) == sorted(uid for uid, _ in rows)  # each account once
    assert {r["run_id"] for r in state} == {resumed.run_id}  # the killed attempt and its resumption: one run
    expected = {uid for uid, name in rows if detector.check(name).decision != "pass"}
    assert set(findings(tmp_path)) == expected
    assert not (tmp_path / "out" / "state" / "pending").exists()


def test_duplicate_ids_and_missing_columns_are_input_errors(detector, tmp_path):
    write_snapshot(tmp_path / "snap.csv", [("d1", "x"), ("d1", "y")])
    with pytest.raises(InputError, match="'d1' occurs more than once"):
        run_local(detector, options(tmp_path))
    with pytest.raises(InputError, match="no column 'nick_name'"):
        run_local(detector, BatchOptions(tmp_path / "snap.csv", tmp_path / "out", id_column="uid",
                                         name_column="nick_name"))


def test_batch_command_summary_and_exit_codes(tmp_path):
    from test_cli import run

    write_snapshot(tmp_path / "snap.csv", [("e1", "入民日报"), ("e2", "光明的未来")])
    args = ["batch", str(tmp_path / "snap.csv"), "--out", str(tmp_path / "out"), "--id-column", "uid",
            "--column", "nickname"]
    code, out, err = run(args)
    assert code == 0 and out == ""
    assert "2 accounts, 2 screened (full run)" in err and "1 new findings" in err
    code, _, err = run(args)
    assert code == 0 and "0 screened" in err and "2 unchanged" in err
    write_snapshot(tmp_path / "snap.csv", [("e1", "入民日报"), ("e1", "光明的未来")])
    code, _, err = run(args)
    assert code == 2 and err.count("\n") == 1 and "occurs more than once" in err


def test_a_killed_run_is_not_resumed_over_another_snapshot(detector, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "SCREEN_CHUNK", 2)
    write_snapshot(tmp_path / "snap.csv", [(f"f{i}", NAMES[i]) for i in range(6)])

    def kill(done, total):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_local(detector, options(tmp_path), on_chunk=kill)
    write_snapshot(tmp_path / "snap.csv", [(f"f{i}", NAMES[i + 6]) for i in range(6)])  # tonight's export
    report = run_local(detector, options(tmp_path))
    assert (report.resumed, report.screened) == (0, 6)
    assert set(findings(tmp_path)) == {f"f{i}" for i in range(6) if detector.check(NAMES[i + 6]).decision != "pass"}


def _killed_after_one_chunk(detector, tmp_path, **extra):
    def kill(done, total):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_local(detector, options(tmp_path, **extra), on_chunk=kill)


def _state(tmp_path):
    return pq.read_table(tmp_path / "out" / "state" / "accounts.parquet")


def test_a_resume_under_other_options_is_refused_and_restart_discards_the_killed_run(detector, tmp_path,
                                                                                      monkeypatch):
    """The state of an earlier run; names changed; a --full run killed after its first chunk; a rerun without
    --full would cut other chunks and mix them with the saved one (accounts twice, renamed ones missing)."""
    monkeypatch.setattr(batch_module, "SCREEN_CHUNK", 4)
    rows = [(f"g{i:02d}", f"{NAMES[i % len(NAMES)]}{i}") for i in range(30)]
    updated = ["2026-11-01"] * len(rows)
    write_snapshot(tmp_path / "snap.csv", rows, updated)
    run_local(detector, options(tmp_path, updated_column="updated"))
    before = (tmp_path / "out" / "state" / "accounts.parquet").read_bytes()
    rows[3], rows[17] = ("g03", "人民日報官方"), ("g17", "張偉")
    write_snapshot(tmp_path / "snap.csv", rows, updated)
    _killed_after_one_chunk(detector, tmp_path, updated_column="updated", full=True)
    for other in ({"updated_column": "updated"}, {"full": True}, {"updated_column": "updated", "full": True,
                                                                  "id_column": "nickname", "name_column": "uid"}):
        with pytest.raises(InputError, match="did not finish.*--restart"):
            run_local(detector, BatchOptions(tmp_path / "snap.csv", tmp_path / "out",
                                             **{"id_column": "uid", "name_column": "nickname", **other}))
    assert (tmp_path / "out" / "state" / "accounts.parquet").read_bytes() == before  # nothing was written
    with pytest.raises(InputError, match="lexicon version"):
        run_local(Detector(overrides={"scores": {"title": 0.4}}),
                  options(tmp_path, updated_column="updated", full=True))
    report = run_local(detector, options(tmp_path, updated_column="updated", restart=True))
    assert (report.resumed, report.screened, report.full) == (0, 2, False)
    state = _state(tmp_path).to_pylist()
    assert sorted(r["id"] for r in state) == sorted(uid for uid, _ in rows)  # each account once, none missing
    assert {r["id"]: r["name"] for r in state} == dict(rows)
    assert not (tmp_path / "out" / "state" / "pending").exists()
    ids = pq.read_table(tmp_path / "out" / "findings.parquet").column("id").to_pylist()
    assert len(ids) == len(set(ids))


def test_the_same_options_resume_and_the_batch_command_says_how_to_go_on(tmp_path, monkeypatch):
    from test_cli import run

    rows = [(f"h{i:03d}", f"{NAMES[i % len(NAMES)]}{i}") for i in range(120)]
    write_snapshot(tmp_path / "snap.csv", rows)
    args = ["batch", str(tmp_path / "snap.csv"), "--out", str(tmp_path / "out"), "--id-column", "uid",
            "--column", "nickname"]
    assert run(args)[0] == 0
    detector = Detector()
    monkeypatch.setattr(batch_module, "SCREEN_CHUNK", 50)
    write_snapshot(tmp_path / "snap.csv", [(uid, name + "x") for uid, name in rows])
    _killed_after_one_chunk(detector, tmp_path, full=True)
    code, _, err = run(args)  # without --full, and another chunk size: refused, one line
    assert code == 2 and err.count("\n") == 1 and "--restart" in err
    report = run_local(detector, options(tmp_path, full=True))  # the same options: resumed
    assert (report.resumed, report.screened) == (50, 70)
    assert _state(tmp_path).num_rows == 120


def test_a_saved_chunk_that_does_not_match_its_slice_is_refused_before_the_state_is_written(detector, tmp_path,
                                                                                          monkeypatch):
    monkeypatch.setattr(batch_module, "SCREEN_CHUNK", 3)
    write_snapshot(tmp_path / "snap.csv", [(f"k{i}", NAMES[i]) for i in range(9)])
    _killed_after_one_chunk(detector, tmp_path)
    pending = next((tmp_path / "out" / "state" / "pending").iterdir())
    saved = next(pending.glob("*.parquet"))
    table = pq.read_table(saved)
    ids = table.column("id").to_pylist()
    pq.write_table(table.set_column(0, "id", pa.array([ids[0]] * len(ids))), saved)  # one account three times
    with pytest.raises(InputError, match="does not hold the accounts"):
        run_local(detector, options(tmp_path))
    assert not (tmp_path / "out" / "state" / "accounts.parquet").exists()
    assert not (tmp_path / "out" / "findings.parquet").exists()


def test_a_state_with_an_account_twice_is_never_written(detector, tmp_path, monkeypatch):
    """The last check before the state is replaced, whatever produced the rows."""
    write_snapshot(tmp_path / "snap.csv", [(f"m{i}", NAMES[i]) for i in range(4)])
    run_local(detector, options(tmp_path))
    before = (tmp_path / "out" / "state" / "accounts.parquet").read_bytes()
    twice = lambda path, part, schema: pa.concat_tables([pq.read_table(path, schema=schema)] * 2)  # noqa: E731
    monkeypatch.setattr(batch_module, "_saved_chunk", twice)
    with pytest.raises(InputError, match="more than once; nothing was written"):
        run_local(detector, options(tmp_path, full=True))
    assert (tmp_path / "out" / "state" / "accounts.parquet").read_bytes() == before
