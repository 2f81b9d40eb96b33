"""impostor on Spark (``pip install 'impostor[spark]'``): screen a DataFrame column, or run the nightly batch.

    from impostor.spark import screen
    flagged = screen(accounts_df, column="nickname").where("decision != 'pass'")

Each Python worker of each executor loads one Detector from the options broadcast to it (the lexicons ship inside
the installed package, so no pickled detector crosses the network) and screens whole Arrow record batches with
``check_many``: the same batch core as the local engine, so the same verdicts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Callable, Iterator

from .atomic import write_atomically
from .batch import (FLAGGED, BatchOptions, RunReport, check_unique_ids, duplicate_id, flagged_since, plan_run,
                    require_columns, snapshot_columns, snapshot_format, verdict_schema, write_outputs)
from .config import Settings
from .output import verdict_arrow_fields, verdict_columns
from .records import InputError

BUCKETS = 16  # units of resumption: each bucket's verdicts are saved as it finishes
_detectors: dict[str, Any] = {}  # per Python worker: options (as JSON) -> loaded Detector


def _spark():
    try:
        import pyspark.sql.functions as F
        from pyspark.sql import DataFrame, SparkSession
    except ImportError:
        raise InputError("the Spark engine needs pyspark: pip install 'impostor[spark]'") from None
    return SparkSession, DataFrame, F


def detector_options(settings: Settings) -> dict[str, Any]:
    """What an executor needs to build the same Detector as the driver (paths must be readable there)."""
    return {"lexicons": str(settings.lexicons) if settings.lexicons else None,
            "registries": [str(p) for p in settings.registries],
            "allowlist": str(settings.allowlist) if settings.allowlist else None,
            "denylist": str(settings.denylist) if settings.denylist else None,
            "overrides": settings.overrides, "disabled": list(settings.disabled)}


def _detector(options_json: str):
    detector = _detectors.get(options_json)
    if detector is None:
        from .detector import Detector

        detector = _detectors[options_json] = Detector(**json.loads(options_json))
    return detector


def screen(df, column: str = "name", id_column: str | None = None, settings: Settings | None = None,
           reasons_as_json: bool = False):
    """``df`` with the verdict columns added: decision, score, category, target, reasons (array of strings, or a
    JSON string with ``reasons_as_json``), status and lexicon_version."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructType

    options_json = df.sparkSession.sparkContext.broadcast(
        json.dumps(detector_options(settings or Settings()), sort_keys=True))
    arrow_types = dict(verdict_arrow_fields(pa, reasons_as_json)) | {"lexicon_version": pa.string()}
    added = from_arrow_schema(pa.schema(list(arrow_types.items()))).fields  # the Spark types of the same columns
    clashing = [f.name for f in added if f.name in df.columns]
    if clashing:
        raise InputError(f"the DataFrame already has column(s) {', '.join(clashing)}")
    schema = StructType(df.schema.fields + added)

    def screen_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        detector = _detector(options_json.value)
        for batch in batches:
            names = ["" if n is None else n for n in batch.column(column).to_pylist()]
            ids = batch.column(id_column).to_pylist() if id_column and detector.allowlist_path else None
            verdicts = detector.check_many(names, ids)
            columns = dict(zip(batch.schema.names, batch.columns))
            columns.update({name: pa.array(values, arrow_types[name])
                            for name, values in verdict_columns(verdicts, reasons_as_json).items()})
            columns["lexicon_version"] = pa.array([detector.lexicon_version] * len(verdicts), pa.string())
            yield pa.RecordBatch.from_pydict(columns)

    return df.mapInArrow(screen_batches, schema)


def session():
    SparkSession, _, _ = _spark()
    # Local workers run this interpreter (with impostor and pyarrow installed), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if SparkSession.getActiveSession():
        return SparkSession.getActiveSession()  # a session the caller configured (a cluster, a notebook)
    master = os.environ.get("IMPOSTOR_SPARK_MASTER", "local[*]")
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the JVM's own address, before it starts
    builder = SparkSession.builder.appName("impostor").master(master).config("spark.ui.showConsoleProgress", "false")
    if master.startswith("local"):
        # 200 shuffle partitions suit a cluster; on one machine they are 200 tiny tasks per join.
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 1)))
        # Local mode talks to itself only: its driver listens on loopback, not on every interface of the machine,
        # and the web UI (another open port, showing the names being screened) is off unless asked for.
        builder = (builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.ui.enabled", "true" if os.environ.get("IMPOSTOR_SPARK_UI") == "1" else "false"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_spark(settings: Settings, lexicon_version: str, options: BatchOptions,
              on_chunk: Callable[[int, int], None] | None = None) -> RunReport:
    """The nightly batch on Spark: the same steps and state as the local engine (see batch.py), as DataFrames.

    The accounts to screen are cut into BUCKETS by a hash of their id, and each bucket's verdicts are saved as it
    finishes: a killed run, run again, screens only the buckets it had not finished (Spark itself retries failed
    tasks within a bucket).  ``on_chunk(buckets done, BUCKETS)`` is called after each saved bucket."""
    _, _, F = _spark()
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    state_arrow_schema = verdict_schema(pa)
    state_schema = from_arrow_schema(state_arrow_schema)  # the state's columns as Spark reads and makes them
    started = time.monotonic()
    spark = session()

    # The snapshot, checked before the run starts (as the local engine's read_snapshot does).
    path = str(options.snapshot)
    parquet, delimiter = snapshot_format(options.snapshot)
    raw = spark.read.parquet(path) if parquet else spark.read.csv(path, header=True, sep=delimiter)
    wanted = snapshot_columns(options)
    require_columns(options.snapshot, wanted, raw.columns)
    snapshot = raw.select(*[F.col(f"`{old}`").cast("string").alias(new) for old, new in wanted.items()])
    snapshot = snapshot.withColumn("name", F.coalesce(F.col("name"), F.lit("")))
    rows = snapshot.count()
    if snapshot.select("id").distinct().count() != rows:
        raise duplicate_id(options.snapshot, snapshot.groupBy("id").count().where("count > 1").first()["id"])
    plan = plan_run(options, lexicon_version, "spark", BUCKETS)
    state, run_id, full = plan.state, plan.run_id, plan.full

    # 1. Join with the state (the local engine's steps, as DataFrames).
    names = state_arrow_schema.names
    if full:
        previous = spark.createDataFrame([], state_schema)
    else:
        previous = spark.read.parquet(str(state.accounts))
    previous = previous.select(*[F.col(c).alias(c if c == "id" else f"prev_{c}") for c in names])
    joined = snapshot.join(previous, on="id", how="left")
    changed = F.col("prev_name").isNull() | (F.col("name") != F.col("prev_name"))
    if plan.watermark is not None:
        changed = changed | (F.col("updated_at") > F.lit(plan.watermark))
    joined = joined.withColumn("_changed", F.coalesce(changed, F.lit(True))).cache()

    # 2. Screen what changed, bucket by bucket; each finished bucket is saved, so a killed run resumes after it.
    to_screen = (joined.where("_changed")
                 .select("id", "name", "prev_decision", "prev_target", "prev_flagged_since")
                 .withColumn("_bucket", F.pmod(F.xxhash64("id"), F.lit(BUCKETS))))
    pending = state.pending_dir(run_id)
    pending.mkdir(parents=True, exist_ok=True)
    resumed = 0
    for bucket in range(BUCKETS):
        saved = pending / f"bucket-{bucket:03d}.parquet"
        if saved.exists():
            resumed += spark.read.schema(state_schema).parquet(str(saved)).count()
            continue
        part = screen(to_screen.where(F.col("_bucket") == bucket).drop("_bucket"), "name", "id", settings,
                      reasons_as_json=True)
        part = _with_flagged_since(part, run_id).select(*names)
        write_atomically(saved, part.write.parquet)
        if on_chunk is not None:
            on_chunk(bucket + 1, BUCKETS)
    screened = spark.read.schema(state_schema).parquet(
        *[str(pending / f"bucket-{b:03d}.parquet") for b in range(BUCKETS)])
    kept = joined.where(~F.col("_changed")).select("id", "name", *[F.col(f"prev_{c}").alias(c) for c in names[2:]])
    accounts = kept.unionByName(screened)

    # 3. The new state, written by Spark beside the old one, checked and put in its place; then the shared outputs.
    report = RunReport(run_id, lexicon_version, str(options.snapshot), "spark", rows=rows, full=full,
                       discarded=state.discarded)
    report.resumed = resumed
    report.screened = joined.where("_changed").count() - resumed

    def check(tmp: str) -> None:
        written = spark.read.parquet(tmp)
        check_unique_ids(written.count(), written.select("id").distinct().count(), state.accounts)

    write_atomically(state.accounts, accounts.write.parquet, check)
    joined.unpersist()
    new_state = spark.read.parquet(str(state.accounts))
    decisions = {r["decision"]: r["count"] for r in new_state.groupBy("decision").count().collect()}
    flagged_rows = new_state.where(F.col("decision").isin(*FLAGGED)).toArrow()
    write_outputs(options.out, flagged_rows.cast(state_arrow_schema), decisions, report, started)
    state.finish(report, _max_updated(snapshot, F) if options.updated_column else None)
    return report


def _with_flagged_since(part, run_id: str):
    """``part`` (screened, with the prev_ columns) with run_id and flagged_since, by batch.flagged_since: the
    rule the local engine applies."""
    import pyarrow as pa
    from pyspark.sql.types import StringType, StructField, StructType

    def add(batches):
        for batch in batches:
            since = flagged_since(*(batch.column(c).to_pylist() for c in ("decision", "target", "prev_decision",
                                                                          "prev_target", "prev_flagged_since")),
                                  run_id)
            yield batch.append_column("run_id", pa.array([run_id] * batch.num_rows, pa.string())) \
                       .append_column("flagged_since", pa.array(since, pa.string()))

    schema = StructType(part.schema.fields + [StructField("run_id", StringType()),
                                              StructField("flagged_since", StringType())])
    return part.mapInArrow(add, schema)


def _max_updated(snapshot, F) -> str | None:
    return snapshot.agg(F.max("updated_at")).first()[0]


def stop() -> None:
    """Stop the Spark session this module started (tests and one-off runs)."""
    SparkSession, _, _ = _spark()
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


