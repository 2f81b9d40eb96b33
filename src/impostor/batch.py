"""The nightly batch: screen an account snapshot, re-screening only what changed since the last run.

    snapshot (id, name[, updated_at]) ──left join── state (id, name, verdict, flagged_since)
        ├─ unchanged: same name, same lexicon version  → verdict kept
        └─ new or changed                              → screened, in chunks saved as they finish
    → new state, findings (block and review), run report

Everything lives in the output directory:

    OUT/state/accounts.parquet   one row per account: its name and verdict as last screened (the state)
    OUT/state/meta.json          the lexicon version and watermark the state was made with, and past runs
    OUT/state/pending/RUN/       chunks screened by a run that has not finished (a killed run resumes from them)
    OUT/findings.parquet, .csv   flagged accounts of this snapshot, with lexicon version and run id
    OUT/report.json, .html       counts, most imitated targets, new findings, time and names/min

Deleting ``OUT/state`` makes the next run a full one.  When the lexicons or settings change (another
``lexicon_version``), every account is screened again.  What a run does is decided once, here, for both engines
(local and Spark, see ``spark.py``): the snapshot's columns and format (``snapshot_columns``, ``snapshot_format``),
the run and whether it is a full one (``plan_run``), which accounts changed, and when each finding was first
flagged (``flagged_since``); the engines only execute it, and write through ``atomic.write_atomically``.
"""

from __future__ import annotations

import datetime
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .atomic import write_atomically
from .detector import Detector
from .output import verdict_arrow_fields, verdict_columns
from .parallel import screen_chunks
from .records import InputError

SCREEN_CHUNK = 50_000
FLAGGED = ("block", "review")
VERDICT_COLUMNS = ("decision", "score", "category", "target", "reasons", "lexicon_version", "run_id",
                   "flagged_since")
FINDING_COLUMNS = ("id", "name", "decision", "score", "category", "target", "reasons", "lexicon_version", "run_id",
                   "new")
TOP_TARGETS = 20


class StateError(InputError):
    """A run that would leave the state inconsistent; it is stopped before anything is written."""


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("impostor batch needs pyarrow: pip install 'impostor[parquet]'") from None
    return pa, pc, pcsv, pq


@dataclass(frozen=True)
class BatchOptions:
    snapshot: Path
    out: Path
    id_column: str = "id"
    name_column: str = "name"
    updated_column: str | None = None
    full: bool = False  # screen everything, whatever the state says
    workers: int = 1
    restart: bool = False  # discard an unfinished run instead of resuming it


@dataclass
class RunReport:
    run_id: str
    lexicon_version: str
    snapshot: str
    engine: str
    rows: int = 0
    screened: int = 0
    resumed: int = 0  # screened by an earlier, killed attempt of this run
    discarded: str | None = None  # an unfinished run over another snapshot, given up
    full: bool = False
    decisions: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    targets: Counter = field(default_factory=Counter)
    new_findings: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "engine": self.engine, "snapshot": self.snapshot,
            "lexicon_version": self.lexicon_version, "full_run": self.full, "rows": self.rows,
            "screened": self.screened, "resumed": self.resumed, "unchanged": self.rows - self.screened - self.resumed,
            "decisions": {d: self.decisions.get(d, 0) for d in ("block", "review", "pass")},
            "categories": dict(self.categories.most_common()),
            "top_targets": [{"target": t, "accounts": n} for t, n in self.targets.most_common(TOP_TARGETS)],
            "new_findings": self.new_findings, "discarded_run": self.discarded, "seconds": round(self.seconds, 2),
            "names_per_min": round(self.rows / self.seconds * 60) if self.seconds else None,
            "screened_per_min": round((self.screened) / self.seconds * 60) if self.seconds else None,
        }


# -- state --------------------------------------------------------------------------------------------------------
class State:
    """The state directory: accounts.parquet, meta.json and pending chunks of an unfinished run."""

    def __init__(self, out: Path) -> None:
        self.dir = out / "state"
        self.accounts = self.dir / "accounts.parquet"
        self.meta_path = self.dir / "meta.json"
        self.meta: dict[str, Any] = json.loads(self.meta_path.read_text()) if self.meta_path.exists() else {}

    def pending_dir(self, run_id: str) -> Path:
        return self.dir / "pending" / run_id

    def start(self, plan: dict[str, Any], restart: bool = False) -> str:
        """The id of this run.  An unfinished run over the same snapshot is resumed from its pending chunks when its
        plan is this one, and refused otherwise (unless ``restart`` discards it): chunks cut and screened under other
        options would leave accounts twice or missing in the state.  An unfinished run over another snapshot (last
        night's, killed; tonight's export is here) can never be resumed: it is discarded, and ``discarded`` names
        it."""
        running = self.meta.get("running")
        self.discarded: str | None = None
        if running:
            then = running.get("plan")
            if then == plan:
                return running["run_id"]
            same_snapshot = isinstance(then, dict) and then.get("snapshot") == plan["snapshot"]
            if same_snapshot and not restart:
                raise InputError(f"{self.dir.parent}: run {running.get('run_id')} did not finish, and was started "
                                 f"{plan_difference(then, plan)}; run the same command again to resume it, or add "
                                 "--restart to discard what it screened")
            self.discarded = str(running.get("run_id"))
            shutil.rmtree(self.pending_dir(self.discarded), ignore_errors=True)
        run_id = new_run_id()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.meta["running"] = {"run_id": run_id, "plan": plan}
        self._write_meta()
        return run_id

    def finish(self, report: RunReport, watermark: str | None) -> None:
        self.meta.pop("running", None)
        self.meta["lexicon_version"] = report.lexicon_version
        self.meta["watermark"] = watermark
        self.meta.setdefault("runs", []).append({k: v for k, v in report.to_dict().items() if k != "top_targets"})
        self._write_meta()
        shutil.rmtree(self.dir / "pending", ignore_errors=True)

    def _write_meta(self) -> None:
        text = json.dumps(self.meta, indent=2, ensure_ascii=False)
        write_atomically(self.meta_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def run_plan(options: BatchOptions, lexicon_version: str, engine: str, state: State, chunking: int
             ) -> dict[str, Any]:
    """Everything that decides which accounts a run screens and how it cuts them into saved chunks: a killed run
    is resumed only under the very same plan.  The lexicon version stands for every setting that decides a
    verdict (lexicons, registries, allow- and denylist, overrides, disabled categories)."""
    runs = state.meta.get("runs") or [{}]
    return {"snapshot": snapshot_identity(options.snapshot), "lexicon_version": lexicon_version, "engine": engine,
            "full": options.full, "id_column": options.id_column, "name_column": options.name_column,
            "updated_column": options.updated_column, "chunking": chunking,
            "state": [runs[-1].get("run_id"), state.meta.get("watermark"), state.accounts.exists()]}


_PLAN_WORDS = {"lexicon_version": "with other lexicons or settings (lexicon version {then}, now {now})",
               "engine": "with --engine {then}", "full": "{then_full}", "id_column": "with --id-column {then}",
               "name_column": "with --column {then}", "updated_column": "with --updated-column {then}",
               "chunking": "by another version of impostor", "state": "against another state"}


def plan_difference(then: dict[str, Any] | None, now: dict[str, Any]) -> str:
    """How an unfinished run's plan differs from this one's, in the words of the command line."""
    if not isinstance(then, dict):
        return "by another version of impostor"
    for key, words in _PLAN_WORDS.items():
        if then.get(key) != now.get(key):
            return words.format(then=then.get(key), now=now.get(key),
                                then_full="with --full (this run: without)" if then.get(key) else
                                "without --full (this run: with)")
    return "with other options"


def snapshot_identity(path: Path) -> str:
    """Path, size and modification time: a killed run resumes only over the very snapshot it started on (tonight's
    export under yesterday's file name is another snapshot)."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def new_run_id() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class RunPlan:
    """What a run does, decided once for both engines: they only execute it.  An account is screened when it is
    new, its name changed, or (``watermark``) it was updated after the last run; on a ``full`` run, every one."""

    state: State
    run_id: str
    full: bool  # --full, other lexicons or settings than the state's, or no state yet
    watermark: str | None  # the last run's newest updated_at, when the snapshot has the column


def plan_run(options: BatchOptions, lexicon_version: str, engine: str, chunking: int) -> RunPlan:
    """Start a run (``State.start``: resuming an unfinished one under the same plan) and decide what it screens."""
    state = State(options.out)
    run_id = state.start(run_plan(options, lexicon_version, engine, state, chunking), options.restart)
    full = options.full or state.meta.get("lexicon_version") != lexicon_version or not state.accounts.exists()
    watermark = state.meta.get("watermark") if options.updated_column else None
    return RunPlan(state, run_id, full, watermark)


def flagged_since(decisions: list[str], targets: list[str | None], prev_decisions: list[str | None],
                  prev_targets: list[str | None], prev_since: list[str | None], run_id: str) -> list[str | None]:
    """When each screened account was first flagged for its target: a finding is new (this run) unless the
    account was flagged for the same target before; an account not flagged has none."""
    return [(since if prev in FLAGGED and prev_target == target else run_id) if decision in FLAGGED else None
            for decision, target, prev, prev_target, since in zip(decisions, targets, prev_decisions, prev_targets,
                                                                  prev_since)]


# -- the snapshot ---------------------------------------------------------------------------------------------------
def snapshot_columns(options: BatchOptions) -> dict[str, str]:
    """The snapshot's columns a run reads, and what it calls them."""
    wanted = {options.id_column: "id", options.name_column: "name"}
    if options.updated_column:
        wanted[options.updated_column] = "updated_at"
    return wanted


def snapshot_format(path: Path) -> tuple[bool, str]:
    """(whether the snapshot is Parquet, a file or a directory of parts; else the CSV delimiter), by its name."""
    base = str(path)[:-3] if str(path).endswith(".gz") else str(path)
    return base.endswith((".parquet", ".pq")) or path.is_dir(), "\t" if base.endswith((".tsv", ".tab")) else ","


def require_columns(path: Path, wanted: dict[str, str], columns: list[str]) -> None:
    """Refuse a snapshot that lacks a column the run reads."""
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(columns[:20])})")


def duplicate_id(path: Path, account: str) -> InputError:
    return InputError(f"{path}: account ids must be unique; {account!r} occurs more than once")


# -- the local engine -----------------------------------------------------------------------------------------------
def read_snapshot(options: BatchOptions):
    """The snapshot as an Arrow table with string columns id, name (and updated_at)."""
    pa, pc, pcsv, pq = _pyarrow()
    wanted = snapshot_columns(options)
    path = str(options.snapshot)
    parquet, delimiter = snapshot_format(options.snapshot)
    try:
        if parquet:
            names = pq.read_schema(path).names if not options.snapshot.is_dir() else None
            table = pq.read_table(path, columns=list(wanted) if names is None or set(wanted) <= set(names) else None)
        else:
            table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter),
                                  convert_options=pcsv.ConvertOptions(
                                      column_types={c: pa.string() for c in wanted}))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot read snapshot {path}: {exc}") from None
    require_columns(options.snapshot, wanted, table.column_names)
    table = pa.table({new: pc.cast(table.column(old), pa.string()) for old, new in wanted.items()})
    if pc.count_distinct(table.column("id")).as_py() != table.num_rows:
        counts = pc.value_counts(table.column("id"))
        raise duplicate_id(options.snapshot, next(item["values"] for item in counts.to_pylist() if item["counts"] > 1))
    return table.set_column(1, "name", pc.fill_null(table.column("name"), ""))


def _screen(detector: Detector, chunk: tuple[list[str], list[str]]) -> list[dict[str, Any]]:
    """Verdict columns for one chunk of (ids, names); a module-level function, so workers can run it."""
    ids, names = chunk
    verdicts = detector.check_many(names, ids if detector.allowlist_path is not None else None)
    columns = verdict_columns(verdicts, reasons_as_json=True)
    del columns["status"]  # (the state keeps none: a snapshot's names are screened whole)
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def verdict_schema(pa):
    """The state's columns.  ``reasons`` is a JSON array in a string: Arrow joins carry no list columns."""
    verdict = [(name, kind) for name, kind in verdict_arrow_fields(pa, reasons_as_json=True) if name != "status"]
    return pa.schema([("id", pa.string()), ("name", pa.string()), *verdict, ("lexicon_version", pa.string()),
                      ("run_id", pa.string()), ("flagged_since", pa.string())])


def run_local(detector: Detector, options: BatchOptions,
              on_chunk: Callable[[int, int], None] | None = None) -> RunReport:
    """One batch run on this machine.  ``on_chunk(screened so far, to screen)`` is called after each saved chunk."""
    pa, pc, _, pq = _pyarrow()
    started = time.monotonic()
    snapshot = read_snapshot(options)
    version = detector.lexicon_version
    plan = plan_run(options, version, "local", SCREEN_CHUNK)
    state, run_id, full = plan.state, plan.run_id, plan.full
    report = RunReport(run_id, version, str(options.snapshot), "local", rows=snapshot.num_rows, full=full,
                       discarded=state.discarded)
    schema = verdict_schema(pa)

    # 1. Join with the state: what is unchanged keeps its verdict.
    previous = pq.read_table(state.accounts) if not full else schema.empty_table()
    previous = previous.rename_columns([c if c == "id" else f"prev_{c}" for c in previous.column_names])
    joined = snapshot.join(previous, keys="id", join_type="left outer")
    changed = pc.or_kleene(pc.is_null(joined.column("prev_name")),
                           pc.not_equal(joined.column("name"), joined.column("prev_name")))
    if plan.watermark is not None:
        changed = pc.or_kleene(changed, pc.greater(joined.column("updated_at"), pa.scalar(plan.watermark)))
    changed = pc.fill_null(changed, True)
    unchanged = joined.filter(pc.invert(changed))
    to_screen = joined.filter(changed).sort_by("id")  # a fixed order: a resumed run cuts the same chunks

    # 2. Screen what changed, chunk by chunk; each finished chunk is saved, so a killed run resumes after it.
    pending = state.pending_dir(run_id)
    pending.mkdir(parents=True, exist_ok=True)
    chunks = [(i, min(i + SCREEN_CHUNK, to_screen.num_rows)) for i in range(0, to_screen.num_rows, SCREEN_CHUNK)]
    todo = [(start, end) for start, end in chunks if not (pending / f"{start:012d}.parquet").exists()]
    report.resumed = sum(end - start for start, end in chunks) - sum(end - start for start, end in todo)

    def work():
        for start, end in todo:
            part = to_screen.slice(start, end - start)
            yield part.column("id").to_pylist(), part.column("name").to_pylist()

    # The screening generator goes first in zip, so that it runs to its end (and closes its workers) normally.
    for verdicts, (start, end) in zip(screen_chunks(detector, work(), options.workers, _screen), todo):
        part = to_screen.slice(start, end - start)
        chunk = pa.Table.from_pylist(_screened_rows(part, verdicts, version, run_id), schema=schema)
        write_atomically(pending / f"{start:012d}.parquet", lambda tmp: pq.write_table(chunk, tmp))
        report.screened += end - start
        if on_chunk is not None:
            on_chunk(report.screened, to_screen.num_rows)

    # 3. The new state: unchanged rows as they were, plus every screened chunk of this run.
    kept = pa.table({"id": unchanged.column("id"), "name": unchanged.column("name"),
                     **{c: unchanged.column(f"prev_{c}") for c in VERDICT_COLUMNS}}).cast(schema)
    screened = [_saved_chunk(pending / f"{start:012d}.parquet", to_screen.slice(start, end - start), schema)
                for start, end in chunks]
    accounts = pa.concat_tables([kept, *screened]).sort_by("id")
    _finish(options.out, state, accounts, report, started, _max_updated(snapshot, pc))
    return report


def _saved_chunk(path: Path, part, schema):
    """A chunk of this run read back, checked to hold exactly the accounts of ``part``, the slice it was cut as."""
    _, _, _, pq = _pyarrow()
    saved = pq.read_table(path, schema=schema)
    if not saved.column("id").equals(part.column("id")):
        raise StateError(f"{path} does not hold the accounts this run screens there; nothing was written (run "
                         "again with --restart)")
    return saved


def _screened_rows(part, verdicts: list[dict[str, Any]], version: str, run_id: str) -> list[dict[str, Any]]:
    since = flagged_since([v["decision"] for v in verdicts], [v["target"] for v in verdicts],
                          part.column("prev_decision").to_pylist(), part.column("prev_target").to_pylist(),
                          part.column("prev_flagged_since").to_pylist(), run_id)
    return [{"id": account, "name": name, **verdict, "lexicon_version": version, "run_id": run_id,
             "flagged_since": first}
            for account, name, verdict, first in zip(part.column("id").to_pylist(), part.column("name").to_pylist(),
                                                     verdicts, since)]


def _max_updated(snapshot, pc) -> str | None:
    if "updated_at" not in snapshot.column_names or snapshot.num_rows == 0:
        return None
    return pc.max(snapshot.column("updated_at")).as_py()


def _finish(out: Path, state: State, accounts, report: RunReport, started: float, watermark: str | None) -> None:
    """Findings, report and the new state from the accounts table of a local run."""
    pa, pc, _, pq = _pyarrow()
    flagged = accounts.filter(pc.is_in(accounts.column("decision"), pa.array(list(FLAGGED))))
    check_unique_ids(accounts.num_rows, pc.count_distinct(accounts.column("id")).as_py(), state.accounts)
    write_outputs(out, flagged, dict(zip(*_value_counts(accounts.column("decision")))), report, started)
    write_atomically(state.accounts, lambda tmp: pq.write_table(accounts, tmp))
    state.finish(report, watermark)


def check_unique_ids(rows: int, distinct: int, path: Path) -> None:
    """The state holds each account once: a new state that would not is refused before anything is written."""
    if rows != distinct:
        raise StateError(f"{path}: the new state would hold {rows - distinct:,} account id(s) more than once; "
                         "nothing was written (a bug: please report it)")


def write_outputs(out: Path, flagged, decisions: dict[str, int], report: RunReport, started: float) -> None:
    """Findings (Parquet, CSV) and the run report (JSON, HTML) from the flagged rows of the new state (an Arrow
    table in the state's schema) and the decision counts over all accounts; both engines end here."""
    pa, pc, _, pq = _pyarrow()
    new = pc.fill_null(pc.equal(flagged.column("flagged_since"), pa.scalar(report.run_id)), False)
    reasons = pa.array([json.loads(r) for r in flagged.column("reasons").to_pylist()], pa.list_(pa.string()))
    findings = pa.table({**{c: flagged.column(c) for c in FINDING_COLUMNS if c not in ("reasons", "run_id", "new")},
                         "reasons": reasons, "run_id": pa.array([report.run_id] * flagged.num_rows, pa.string()),
                         "new": new}).select(list(FINDING_COLUMNS)).sort_by("id")
    report.decisions.update(decisions)
    report.categories.update(dict(zip(*_value_counts(findings.column("category")))))
    report.targets.update(dict(zip(*_value_counts(findings.column("target")))))
    report.new_findings = pc.sum(new).as_py() or 0
    report.seconds = time.monotonic() - started
    write_atomically(out / "findings.parquet", lambda tmp: pq.write_table(findings, tmp))
    write_atomically(out / "findings.csv", lambda tmp: _write_csv(findings, tmp))
    write_atomically(out / "report.json", lambda tmp: Path(tmp).write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"))
    from .report import html_report

    write_atomically(out / "report.html", lambda tmp: Path(tmp).write_text(html_report(report.to_dict()),
                                                                           encoding="utf-8"))


def _value_counts(column) -> tuple[list, list]:
    import pyarrow.compute as pc

    counts = pc.value_counts(pc.drop_null(column)).to_pylist()
    return [c["values"] for c in counts], [c["counts"] for c in counts]


def _write_csv(table, path: str) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow(["; ".join(v) if isinstance(v, list) else "" if v is None else v for v in row.values()])
