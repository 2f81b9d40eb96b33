"""The command line: ``impostor check`` for people, ``impostor scan`` for files and pipes.

Exit status: 0 when the command ran (whatever it found), 2 on a usage or input error (one line on stderr).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
import tempfile
from typing import IO, Iterator

import click

from . import __version__
from .decide import Verdict
from .detector import Detector
from .lexicon import LexiconError
from .parallel import screen_chunks

FIELDS = ("line", "name", "decision", "score", "category", "target", "reasons", "status")
CHUNK = 4096


class InputError(click.ClickException):
    exit_code = 2


def _detector(lexicons: str | None, registries: tuple[str, ...], allowlist: str | None = None) -> Detector:
    return Detector(lexicons, allowlist=allowlist, registries=registries)


def lexicons_option(command):
    """--lexicons and --registry, shared by every command that screens."""
    command = click.option("--registry", "registries", multiple=True, type=click.Path(dir_okay=False),
                           help="Your own protected names (TSV: name[, aliases, category]); repeatable.")(command)
    return click.option("--lexicons", type=click.Path(file_okay=False), default=None,
                        help="Lexicon directory to load instead of the shipped one.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="impostor")
def cli() -> None:
    """Find account names that impersonate official bodies."""


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per name instead of the readable form.")
@lexicons_option
def check(names: tuple[str, ...], as_json: bool, lexicons: str | None, registries: tuple[str, ...]) -> None:
    """Screen the NAMES given on the command line."""
    detector = _detector(lexicons, registries)
    for verdict in detector.check_many(names):
        if as_json:
            click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
            continue
        target = f"  {verdict.category or ''} {verdict.target or ''}".rstrip()
        click.echo(f"{verdict.decision:<6}  {verdict.score:.2f}  {verdict.name}{target}")
        for reason in verdict.reasons:
            click.echo(f"        - {reason}")


@cli.command()
@click.argument("name")
@click.option("--account-id", default=None, help="Account id to look up in the allowlist.")
@click.option("--allowlist", type=click.Path(dir_okay=False), default=None,
              help="TSV of verified accounts (account_id[, name]) that pass under their names.")
@lexicons_option
def explain(name: str, account_id: str | None, allowlist: str | None, lexicons: str | None,
            registries: tuple[str, ...]) -> None:
    """Print every step from the raw NAME to the decision: folding, tokens, candidates, words, reasons."""
    from .explain import explain as trace

    for line in trace(_detector(lexicons, registries, allowlist), name, account_id):
        click.echo(line)


@cli.command()
@click.argument("file", default="-", type=str)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "tsv"]), default="jsonl", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write here (atomically) instead of standard output.")
@click.option("--workers", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Processes to screen with; 0 = one per core. Output order is kept.")
@lexicons_option
def scan(file: str, fmt: str, output: str | None, workers: int, lexicons: str | None,
         registries: tuple[str, ...]) -> None:
    """Screen FILE (one name per line; '-' or nothing for standard input): one output row per input row."""
    source = _open_input(file)
    detector = _detector(lexicons, registries)
    with _AtomicOutput(output) as sink:
        if fmt != "jsonl":
            sink.write(_delimited([FIELDS], fmt))
        # Each chunk of rows is screened and formatted where it is screened (in the workers with --workers), so
        # this process only reads and writes.
        format_chunk = functools.partial(_screen_and_format, fmt=fmt)
        for text in screen_chunks(detector, _chunks(_read_lines(source)), workers, format_chunk):
            sink.write(text)


def _screen_and_format(detector: Detector, rows: list[tuple[int, str, str]], fmt: str) -> str:
    """Output text for one chunk of (line, name, status) rows, in order."""
    verdicts = detector.check_many(name for _, name, _ in rows)
    records = [_row(line, verdict, status) for (line, _, status), verdict in zip(rows, verdicts)]
    if fmt == "jsonl":
        return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    for record in records:
        record["reasons"] = "; ".join(record["reasons"])
    return _delimited([["" if record[f] is None else record[f] for f in FIELDS] for record in records], fmt)


def _delimited(rows, fmt: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# -- input ----------------------------------------------------------------------------------------------------------
def _open_input(file: str) -> IO[bytes]:
    if file == "-":
        return sys.stdin.buffer
    try:
        return open(file, "rb")
    except OSError as exc:
        raise InputError(f"cannot open {file!r}: {exc.strerror or exc}") from None


def _read_lines(stream: IO[bytes]) -> Iterator[tuple[int, str, str]]:
    """(line number, name, status) for every line; a line that is not UTF-8 is kept, decoded with replacements."""
    for number, raw in enumerate(stream, start=1):
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            name, status = raw.decode("utf-8"), "ok"
        except UnicodeDecodeError:
            name, status = raw.decode("utf-8", errors="replace"), "invalid-utf8"
        if status == "ok" and not name.strip():
            status = "empty"
        yield number, name, status


def _chunks(rows: Iterator[tuple[int, str, str]]) -> Iterator[list[tuple[int, str, str]]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- output ---------------------------------------------------------------------------------------------------------
class _AtomicOutput:
    """Writes to a temporary file beside the target and renames it into place only when everything was written."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.tmp: str | None = None
        self.stream: IO[str]

    def __enter__(self) -> IO[str]:
        if self.path is None:
            self.stream = sys.stdout
            return self.stream
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=".impostor-", suffix=".partial", dir=directory)
        except OSError as exc:
            raise InputError(f"cannot write {self.path!r}: {exc.strerror or exc}") from None
        self.stream = io.open(fd, "w", encoding="utf-8", newline="")
        return self.stream

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path is None:
            self.stream.flush()
            return
        self.stream.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)


def _row(line: int, verdict: Verdict, status: str) -> dict:
    row = verdict.to_dict()
    row["line"] = line
    if status != "ok":
        row["status"] = status
    return {f: row[f] for f in FIELDS}


# -- entry point ----------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Console-script entry: errors become one line on stderr and exit status 2, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="impostor", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        click.echo(f"impostor: error: {exc.format_message()}", err=True)
        code = 2
    except click.ClickException as exc:
        click.echo(f"impostor: error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except LexiconError as exc:
        click.echo(f"impostor: error: {exc}", err=True)
        code = 2
    except click.exceptions.Abort:
        click.echo("impostor: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        # The reader went away (| head): not an error of ours; silence the interpreter's own complaint too.
        sys.stderr = open(os.devnull, "w")
        code = 0
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
