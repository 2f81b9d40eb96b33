"""The Spark engine gives what the local engine gives: the same verdicts, findings and state.

Needs pyspark (the test extra installs it) and Java 17+ (`.ci/run` installs it where missing)."""

import shutil

import pytest

pytest.importorskip("pyspark")
pq = pytest.importorskip("pyarrow.parquet")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java", allow_module_level=True)

from impostor import Detector  # noqa: E402
from impostor import spark as impostor_spark  # noqa: E402
from impostor.batch import BatchOptions, run_local  # noqa: E402
from impostor.config import Settings  # noqa: E402
from test_batch import write_snapshot  # noqa: E402  (the batch tests' uid,nickname CSV writer)

NAMES = ["入民日报", "光明的未来", "夏爽律师", "人民曰報网", "央视新文", "四川本地", "人民公园遛弯", "最高检察院",
         "中国科学研究院", "ССТV", "renminribao", "张伟", None, ""]


@pytest.fixture(scope="module")
def spark():
    session = impostor_spark.session()
    yield session
    impostor_spark.stop()


@pytest.fixture(scope="module")
def detector():
    return Detector()


def test_screen_adds_the_verdict_columns_of_check_many(spark, detector):
    df = spark.createDataFrame([(f"u{i}", n) for i, n in enumerate(NAMES)], "uid string, nickname string")
    rows = {r["uid"]: r for r in impostor_spark.screen(df, "nickname").collect()}
    verdicts = detector.check_many(["" if n is None else n for n in NAMES])
    for i, verdict in enumerate(verdicts):
        row = rows[f"u{i}"]
        assert (row["decision"], row["target"], row["category"], list(row["reasons"])) == (
            verdict.decision, verdict.target, verdict.category, list(verdict.reasons))
        assert row["lexicon_version"] == detector.lexicon_version
    assert list(impostor_spark.screen(df, "nickname").columns[:2]) == ["uid", "nickname"]


def test_batch_on_spark_equals_the_local_run(spark, detector, tmp_path):
    snapshot = tmp_path / "snap.csv"
    write_snapshot(snapshot, [(f"s{i:03d}", f"{NAMES[i % 12]}{i // 12 or ''}") for i in range(60)])
    local = run_local(detector, BatchOptions(snapshot, tmp_path / "local", "uid", "nickname"))
    on_spark = impostor_spark.run_spark(Settings(), detector.lexicon_version,
                                        BatchOptions(snapshot, tmp_path / "spark", "uid", "nickname"))
    assert (on_spark.rows, on_spark.screened, on_spark.full) == (local.rows, local.screened, True)
    assert on_spark.decisions == local.decisions and on_spark.targets == local.targets

    def table(engine, name, drop):
        return pq.read_table(tmp_path / engine / name).drop(drop).sort_by("id").to_pylist()

    assert table("spark", "findings.parquet", ["run_id"]) == table("local", "findings.parquet", ["run_id"])
    state_columns = ["run_id", "flagged_since"]
    assert table("spark", "state/accounts.parquet", state_columns) == table("local", "state/accounts.parquet",
                                                                            state_columns)
    # the next Spark run is incremental, and reads the state it wrote
    again = impostor_spark.run_spark(Settings(), detector.lexicon_version,
                                     BatchOptions(snapshot, tmp_path / "spark", "uid", "nickname"))
    assert (again.screened, again.new_findings) == (0, 0)


def test_a_killed_spark_run_resumes_from_its_saved_buckets(spark, detector, tmp_path):
    snapshot = tmp_path / "snap.csv"
    write_snapshot(snapshot, [(f"r{i:03d}", f"{NAMES[i % 12]}{i // 12 or ''}") for i in range(80)])
    options = BatchOptions(snapshot, tmp_path / "spark", "uid", "nickname")

    class Killed(Exception):
        pass

    def kill_after_five_buckets(done, total):
        if done == 5:
            raise Killed()

    with pytest.raises(Killed):
        impostor_spark.run_spark(Settings(), detector.lexicon_version, options, on_chunk=kill_after_five_buckets)
    resumed = impostor_spark.run_spark(Settings(), detector.lexicon_version, options)
    assert resumed.resumed > 0 and resumed.resumed + resumed.screened == 80
    run_local(detector, BatchOptions(snapshot, tmp_path / "local", "uid", "nickname"))  # the reference
    state = pq.read_table(tmp_path / "spark" / "state" / "accounts.parquet").to_pylist()
    assert sorted(r["id"] for r in state) == sorted(f"r{i:03d}" for i in range(80))  # each account once
    spark_findings = pq.read_table(tmp_path / "spark" / "findings.parquet").drop(["run_id"]).to_pylist()
    local_findings = pq.read_table(tmp_path / "local" / "findings.parquet").drop(["run_id"]).to_pylist()
    assert spark_findings == local_findings


def _listening(pid: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp writes them) of the TCP sockets process ``pid`` listens on."""
    import os
    import re

    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if found:
            inodes.add(found.group(1))
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cells = line.split()
                if cells[3] == "0A" and cells[9] in inodes:  # 0A: LISTEN
                    addresses.append(cells[1].split(":")[0])
    return addresses


def test_local_mode_listens_on_loopback_only_and_has_no_web_ui(spark):
    assert spark.sparkContext.uiWebUrl is None
    assert spark.conf.get("spark.driver.bindAddress") == "127.0.0.1"
    proc = getattr(spark.sparkContext._gateway, "proc", None)
    import sys

    if proc is None or not sys.platform.startswith("linux"):
        pytest.skip("the JVM's sockets are read from /proc")
    addresses = _listening(proc.pid)
    loopback = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
    assert addresses and set(addresses) <= loopback, addresses
