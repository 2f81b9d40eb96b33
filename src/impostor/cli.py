"""The command line: ``check`` and ``explain`` for people, ``scan`` for files and pipes, ``lexicon`` for what is
loaded, ``allow``/``deny`` for review decisions, ``serve`` for other languages.  CLI.md documents all of it.

Exit status: 0 when the command ran; 1 when ``scan --fail-on`` found something; 2 on a usage or input error (one
line on stderr); 130 on Ctrl-C; 143 on SIGTERM.
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__, kernel
from .config import Settings, find_config, load_settings
from .decide import BLOCK, PASS, REVIEW
from .detector import Detector
from .lexicon import LexiconError, read_manifest
from .lists import ListError
from .parallel import WorkerDied
from .serve import ListenError
from .output import OUTPUT_FORMATS, Sink
from .records import INPUT_FORMATS, InputError, InputOptions
from .scan import FAIL_ON, ONLY, Progress, default_workers, input_size, output_fields, run_scan

EXIT_FOUND, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143
DECISION_COLOURS = {BLOCK: "red", REVIEW: "yellow", PASS: "green"}
BULK_GC_THRESHOLD = 100_000  # allocations between young-generation collections in bulk commands (default 700)


class UsageProblem(click.ClickException):
    exit_code = EXIT_ERROR


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so that partial output is removed and workers are stopped."""


class PipeClosed(BaseException):
    """The reader of standard output went away (``| head``).  A BaseException, so that click's own handling of a
    broken pipe (which exits 1, the status that means "found something") never sees it."""


class Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise PipeClosed() from None


def detector_options(command: Callable) -> Callable:
    """The options that say what to screen against, shared by every command that screens."""
    options = [
        click.option("--lexicons", type=click.Path(file_okay=False), default=None,
                     help="Lexicon directory to load instead of the shipped one."),
        click.option("--registry", "registries", multiple=True, type=click.Path(dir_okay=False),
                     help="Your own protected names (TSV: name[, aliases, category]); repeatable."),
        click.option("--allowlist", type=click.Path(dir_okay=False), default=None,
                     help="Verified accounts and cleared names (TSV: account_id and/or name)."),
        click.option("--denylist", type=click.Path(dir_okay=False), default=None,
                     help="Names of closed accounts, blocked under any variant (TSV: name)."),
        click.option("--disable", "disabled", multiple=True, metavar="CATEGORY",
                     help="Never report this category (profession, region, media, ...); repeatable."),
        click.option("--set", "settings", multiple=True, metavar="SECTION.KEY=N",
                     help="Override a value of scoring.toml, e.g. costs.block_score=0.8; repeatable."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(**options: Any) -> Settings:
    """The config file's settings (loaded by the group), with this command's detector options over them."""
    settings: Settings = click.get_current_context().find_root().obj or Settings()
    return settings.overridden(**options)


def _detector(**options: Any) -> Detector:
    return _settings(**options).detector()


def _bulk_gc() -> None:
    """For the bulk commands (scan, batch): the loaded lexicons join the permanent generation, and collections
    run a hundred times less often.  A scan allocates millions of short-lived rows and hardly any cycles, and a
    full collection would walk every registry object again each time (measured: a fifth of a scan's time)."""
    gc.freeze()
    gc.set_threshold(BULK_GC_THRESHOLD, 50, 100)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="impostor", message=f"%(prog)s %(version)s ({kernel.NAME} kernel)")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Settings file (default: ./impostor.toml when present).")
@click.option("--no-config", is_flag=True, help="Ignore ./impostor.toml.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, no_config: bool) -> None:
    """Find account names that impersonate official bodies."""
    settings = load_settings(find_config(config_path, use_default=not no_config))
    ctx.obj = settings
    # [scan], [check] ... sections of the config file become those commands' option defaults.
    ctx.default_map = {command: _option_defaults(command, values, settings)
                       for command, values in settings.commands.items()}


def _option_defaults(command: str, values: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Config keys are option names as typed (``format``, ``fail-on``); click wants parameter names."""
    by_option = {}
    for param in cli.commands[command].params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                by_option[opt.lstrip("-").replace("-", "_")] = param.name
    defaults = {}
    for key, value in values.items():
        if key not in by_option:
            raise LexiconError(settings.source or "config", None, f"[{command}] has no option {key!r}")
        defaults[by_option[key]] = value
    return defaults


# -- check, explain ---------------------------------------------------------------------------------------------------
@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per name instead of the readable table.")
@click.option("--account-id", default=None, help="The account the names belong to, looked up in the allowlist.")
@detector_options
def check(names: tuple[str, ...], as_json: bool, account_id: str | None, **options: Any) -> None:
    """Screen the NAMES given on the command line."""
    detector = _detector(**options)
    verdicts = detector.check_many(names, [account_id] * len(names) if account_id else None)
    if as_json:
        for verdict in verdicts:
            click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return
    width = max(_width(v.name) for v in verdicts)
    click.echo(f"{'decision':<8}  {'score':>5}  {_pad('name', width)}  target")
    for verdict in verdicts:
        decision = click.style(f"{verdict.decision:<8}", fg=DECISION_COLOURS[verdict.decision], bold=True)
        target = f"{verdict.target} ({verdict.category})" if verdict.target else ""
        click.echo(f"{decision}  {verdict.score:5.2f}  {_pad(verdict.name, width)}  {target}".rstrip())
        for reason in verdict.reasons:
            click.echo(f"{'':8}  {'':5}  - {reason}")


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@cli.command()
@click.argument("name")
@click.option("--account-id", default=None, help="Account id to look up in the allowlist.")
@detector_options
def explain(name: str, account_id: str | None, **options: Any) -> None:
    """Print every step from the raw NAME to the decision: folding, tokens, candidates, words, reasons."""
    from .explain import explain as trace

    for line in trace(_detector(**options), name, account_id):
        click.echo(line)


# -- scan -------------------------------------------------------------------------------------------------------------
@cli.command()
@click.argument("files", nargs=-1, type=str)
@click.option("--input-format", type=click.Choice(INPUT_FORMATS), default=None,
              help="Input format  [default: from the file name; text for standard input]")
@click.option("--column", "--field", "column", default=None, metavar="NAME|N",
              help="Column (CSV, TSV, Parquet) or field (JSONL) holding the name  [default: name, or column 1]")
@click.option("--id-column", default=None, metavar="NAME|N", help="Column or field holding the account id.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input (e.g. gb18030).")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="jsonl", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write here (atomically) instead of standard output.")
@click.option("--only", type=click.Choice(sorted(ONLY)), default=None,
              help="Write only these rows (flagged = block and review).")
@click.option("--fail-on", type=click.Choice(sorted(FAIL_ON)), default=None,
              help="Exit 1 if any row is block (or block or review).")
@click.option("--workers", "-j", type=click.IntRange(min=0), default=None,
              help="Processes to screen with; 0 = one per core. Output order is kept.  [default: one per core for "
                   "inputs of 4 MiB or more, else 1]")
@click.option("--with-version", is_flag=True, help="Add a lexicon_version column to every row.")
@click.option("--progress/--no-progress", default=None,
              help="Progress line on stderr  [default: when stderr is a terminal]")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@detector_options
def scan(files: tuple[str, ...], input_format: str | None, column: str | None, id_column: str | None,
         encoding: str, fmt: str, output: str | None, only: str | None, fail_on: str | None, workers: int | None,
         with_version: bool, progress: bool | None, quiet: bool, **options: Any) -> None:
    """Screen FILES (or standard input: '-' or nothing): one output row per input record, in order.

    Plain text (one name per line), CSV, TSV, JSONL or Parquet; gzip-compressed input is read as is."""
    inputs = list(files) or ["-"]
    if inputs.count("-") > 1:
        raise UsageProblem("standard input ('-') can be read only once")
    input_options = InputOptions(input_format, column, id_column, encoding)
    detector = _detector(**options)
    _bulk_gc()
    fields = output_fields(len(inputs) > 1, id_column is not None, with_version)
    show_progress = sys.stderr.isatty() if progress is None else progress
    size = input_size(inputs)
    meter = Progress(sys.stderr, size) if show_progress else None
    if workers is None:
        workers = default_workers(size)
    _terminate_on_sigterm()
    with Sink(output, fmt, fields) as sink:
        for notice in sink.notices:
            click.echo(f"impostor: {notice}", err=True)
        summary = run_scan(detector, inputs, input_options, sink, workers=workers, only=only, progress=meter)
    if not quiet:
        for line in summary.lines():
            click.echo(line, err=True)
    if fail_on and summary.found(FAIL_ON[fail_on]):
        click.get_current_context().exit(EXIT_FOUND)


def _terminate_on_sigterm() -> None:
    def handler(signum, frame):
        raise Terminated()

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)


# -- batch ------------------------------------------------------------------------------------------------------------
@cli.command()
@click.argument("snapshot", type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Directory for findings, report and the state kept between runs.")
@click.option("--id-column", default="id", show_default=True, help="Column holding the account id (unique).")
@click.option("--column", "name_column", default="name", show_default=True, help="Column holding the name.")
@click.option("--updated-column", default=None, help="Column holding when the account last changed (ISO text); "
              "rows updated after the last run are screened again.")
@click.option("--full", is_flag=True, help="Screen every account, whatever the state says.")
@click.option("--restart", is_flag=True, help="Discard what an unfinished (killed) run screened instead of resuming "
              "it; needed when that run was started with other options.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where to screen: this machine, or Spark (pip install 'impostor[spark]').")
@click.option("--workers", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Local engine: processes to screen with; 0 = one per core.")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@detector_options
def batch(snapshot: str, out: str, id_column: str, name_column: str, updated_column: str | None, full: bool,
          restart: bool, engine: str, workers: int, quiet: bool, **options: Any) -> None:
    """Screen an account SNAPSHOT (Parquet or CSV/TSV with id and name columns), re-screening only accounts that
    are new or changed since the last run into --out (everything when the lexicons or settings changed)."""
    from .batch import BatchOptions, run_local

    settings = _settings(**options)
    detector = settings.detector()
    _bulk_gc()
    batch_options = BatchOptions(Path(snapshot), Path(out), id_column, name_column, updated_column, full, workers,
                                 restart)
    _terminate_on_sigterm()
    if engine == "spark":
        from .spark import run_spark

        report = run_spark(settings, detector.lexicon_version, batch_options)
    else:
        report = run_local(detector, batch_options)
    if not quiet:
        summary = report.to_dict()
        click.echo(f"impostor: run {report.run_id} ({engine}): {report.rows:,} accounts, {report.screened:,} screened"
                   f"{' (full run)' if report.full else ''}, {report.resumed:,} resumed, {summary['unchanged']:,} "
                   f"unchanged in {report.seconds:.1f} s; block {summary['decisions']['block']:,}, review "
                   f"{summary['decisions']['review']:,}, {report.new_findings:,} new findings", err=True)
        click.echo(f"  {Path(out) / 'findings.parquet'}, findings.csv, report.json, report.html", err=True)
        if report.discarded:
            click.echo(f"  run {report.discarded} had not finished and was over another snapshot: it was discarded",
                       err=True)


# -- lexicon ----------------------------------------------------------------------------------------------------------
@cli.group()
def lexicon() -> None:
    """What is loaded: files, counts, sources and the lexicon version."""


@lexicon.command("list")
@detector_options
def lexicon_list(**options: Any) -> None:
    """Every file loaded, with its kind, rows, source, version and licence."""
    detector = _detector(**options)
    kinds = {spec.path.resolve(): spec.kind for spec in read_manifest(detector.lexicon_dir / "manifest.toml")}
    click.echo("\t".join(("file", "kind", "rows", "source", "version", "licence")))
    for table in detector.registry.sources:
        kind = kinds.get(table.path.resolve(), "custom")
        if detector.denylist_path is not None and table.path == detector.denylist_path:
            kind = "denylist"
        click.echo("\t".join((_shown_path(table.path, detector), kind, str(table.rows),
                              table.meta.get("source", ""), table.meta.get("version", ""),
                              table.meta.get("licence", ""))))
    for table, kind in [*((t, "characters") for t in detector.tables.sources), (detector.shapes.source, "characters"),
                        (detector.words.source, "words")]:
        click.echo("\t".join((_shown_path(table.path, detector), kind, str(table.rows),
                              table.meta.get("source", ""), table.meta.get("version", ""),
                              table.meta.get("licence", ""))))


def _shown_path(path: Path, detector: Detector) -> str:
    try:
        return path.resolve().relative_to(detector.lexicon_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


@lexicon.command("stats")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
@detector_options
def lexicon_stats(as_json: bool, **options: Any) -> None:
    """Counts of protected bodies per category, names, patterns, words, and the lexicon version hash."""
    detector = _detector(**options)
    registry = detector.registry
    stats = {
        "impostor": __version__,
        "lexicon_version": detector.lexicon_version,
        "lexicon_dir": str(detector.lexicon_dir),
        "bodies": dict(Counter(b.category for b in registry.bodies).most_common()),
        "names": len(registry.forms),
        "shared_short_names": sum(f.weak for f in registry.forms),
        "region_names": len(registry.regions),
        "region_patterns": len(registry.patterns),
        "titles": len(registry.titles),
        "keywords": len(registry.keywords),
        "affixes": len(registry.affixes),
        "allowlist": str(detector.allowlist_path) if detector.allowlist_path else None,
        "denylist": str(detector.denylist_path) if detector.denylist_path else None,
        "disabled": sorted(detector.disabled),
    }
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key:<20} {value if value is not None else '-'}")


@lexicon.command("validate")
@detector_options
def lexicon_validate(**options: Any) -> None:
    """Load everything (lexicons, your registries, allow- and denylist, config); exit 2 naming the first problem."""
    detector = _detector(**options)
    detector.preload()  # tables read when first needed elsewhere: validated here now
    files = len(detector.registry.sources)
    click.echo(f"ok: {files} registry files, {len(detector.registry.forms):,} protected names, "
               f"lexicon version {detector.lexicon_version}")


@lexicon.command("show")
@click.argument("category")
@detector_options
def lexicon_show(category: str, **options: Any) -> None:
    """The entries of one CATEGORY (media, government, military, institution, brand, denylist, region,
    profession, keyword, affix, pattern) as TSV."""
    registry = _detector(**options).registry
    if category == "region":
        rows = [(v, r.division, str(r.level)) for v, names in registry.regions.items() for r in names]
        header = ("name", "division", "level")
    elif category == "profession":
        rows, header = [(w.text, w.group) for w in registry.titles.values()], ("title", "domain")
    elif category == "keyword":
        rows = [(w.text, w.category, w.strength) for w in registry.keywords.values()]
        header = ("keyword", "category", "strength")
    elif category == "affix":
        rows, header = [(w.text, w.strength) for w in registry.affixes.values()], ("affix", "position")
    elif category == "pattern":
        rows = list(dict.fromkeys((p.text, p.category, p.group) for p in registry.patterns))
        header = ("pattern", "category", "group")
    else:
        names: dict[str, list[str]] = {}
        bodies = {}
        for form in registry.forms:
            if form.body.category == category:
                bodies[form.body.name] = form.body
                if form.is_alias:
                    names.setdefault(form.body.name, []).append(form.text)
        known = sorted({b.category for b in registry.bodies})
        if not bodies:
            raise UsageProblem(f"no entries in category {category!r}; categories: "
                               f"{', '.join(known + ['region', 'profession', 'keyword', 'affix', 'pattern'])}")
        rows = [(b.name, "|".join(names.get(b.name, [])), b.group, b.status, b.source) for b in bodies.values()]
        header = ("name", "aliases", "group", "status", "source")
    click.echo("\t".join(header))
    for row in rows:
        click.echo("\t".join(row))


# -- review decisions -------------------------------------------------------------------------------------------------
def _decision_file(kind: str, file: str | None) -> Path:
    settings = _settings()
    configured = settings.allowlist if kind == "allowlist" else settings.denylist
    if file:
        return Path(file)
    if configured is None:
        raise UsageProblem(f"say where: --file FILE, or '{kind} = \"FILE\"' in impostor.toml")
    return configured


def _list_normalizer():
    """The normalizer a list's names are read with (the configured lexicons' character tables)."""
    from .chars import CharTables
    from .lexicon import default_lexicon_dir
    from .normalize import Normalizer

    lexicons = _settings().lexicons or default_lexicon_dir()
    return Normalizer(CharTables(Path(lexicons) / "chars"))


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--account-id", default=None, help="Allow this account (under NAMES only, or under any name if none).")
@click.option("--note", default="", help="Why, for the next reviewer.")
@click.option("--file", default=None, type=click.Path(dir_okay=False), help="Allowlist to append to "
              "[default: the config's allowlist]")
def allow(names: tuple[str, ...], account_id: str | None, note: str, file: str | None) -> None:
    """Record a review decision: NAMES pass (for ACCOUNT-ID only, or for everyone without it)."""
    from .lists import append_allowed

    if not names and not account_id:
        raise UsageProblem("give NAMES, --account-id, or both")
    path = _decision_file("allowlist", file)
    today = datetime.date.today().isoformat()
    rows = [{"account_id": account_id or "", "name": name, "note": note, "added": today} for name in names or [""]]
    append_allowed(path, rows, _list_normalizer())
    click.echo(f"{path}: {len(rows)} row(s) added", err=True)


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--account-id", default=None, help="The closed account, kept for the record.")
@click.option("--note", default="", help="Why, for the next reviewer.")
@click.option("--file", default=None, type=click.Path(dir_okay=False), help="Denylist to append to "
              "[default: the config's denylist]")
def deny(names: tuple[str, ...], account_id: str | None, note: str, file: str | None) -> None:
    """Record a review decision: NAMES (of closed accounts) are blocked from now on, under any variant."""
    from .lists import append_denied

    path = _decision_file("denylist", file)
    today = datetime.date.today().isoformat()
    append_denied(path, [{"name": n, "account_id": account_id or "", "note": note, "added": today} for n in names],
                  _list_normalizer())
    click.echo(f"{path}: {len(names)} row(s) added", err=True)


# -- serve ------------------------------------------------------------------------------------------------------------
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--max-body-bytes", default=1_048_576, show_default=True, type=click.IntRange(min=1),
              help="Largest request body accepted (413 above).")
@click.option("--max-names", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Most names in one request (413 above).")
@detector_options
def serve(host: str, port: int, max_body_bytes: int, max_names: int, **options: Any) -> None:
    """An HTTP JSON service: POST /check, GET /health, GET /version.  Stops cleanly (exit 0) on Ctrl-C or SIGTERM."""
    from .serve import serve as run_server

    detector = _detector(**options)

    def stop(signum, frame):
        raise KeyboardInterrupt  # serve() closes the socket and returns

    signal.signal(signal.SIGTERM, stop)
    run_server(detector, host, port, max_body_bytes, max_names)


# -- entry point ------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Console-script entry: errors become one line on stderr and exit status 2, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="impostor", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        click.echo(f"impostor: error: {exc.format_message()}", err=True)
        code = EXIT_ERROR
    except click.ClickException as exc:
        click.echo(f"impostor: error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except (LexiconError, InputError, WorkerDied, ListError, ListenError) as exc:
        click.echo(f"impostor: error: {exc}", err=True)
        code = EXIT_ERROR
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("impostor: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except Terminated:
        click.echo("impostor: terminated", err=True)
        code = EXIT_TERMINATED
    except (PipeClosed, BrokenPipeError):
        # The reader went away (| head): not an error of ours.  Standard output goes to /dev/null from here, so
        # that the interpreter's last flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:  # a bug of ours: one line, not a traceback, unless asked for
        if os.environ.get("IMPOSTOR_DEBUG"):
            raise
        click.echo(f"impostor: internal error: {type(exc).__name__}: {exc} (IMPOSTOR_DEBUG=1 shows where)", err=True)
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
