"""The command line: one output row per input row, in order; exit 0 on success, 2 on usage or input errors."""

import csv
import io
import json
import os
import signal
import subprocess
import sys

import pytest

from impostor.cli import main


def run(args, stdin: bytes = b"", cwd=None):
    """The CLI in its own process (as users run it); the working directory holds no impostor.toml unless a test
    puts one there."""
    proc = subprocess.run([sys.executable, "-c", "from impostor.cli import main; main()", *args],
                          input=stdin, capture_output=True, cwd=cwd or os.path.dirname(__file__))
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def start_long_scan(tmp_path, *options):
    """``impostor scan`` of 800,000 distinct names into an output file that already holds a previous run, in its
    own process (to be interrupted): returns the process and the output path."""
    src = tmp_path / "big.txt"
    src.write_text("".join(f"人民曰报首发{i}\n光明的未来{i}\n" for i in range(400_000)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    # A job started in the background of a non-interactive shell (as CI may run us) inherits SIGINT ignored;
    # Ctrl-C reaches a foreground program with the default action, so give the child that.
    proc = subprocess.Popen([sys.executable, "-c", "from impostor.cli import main; main()", "--no-config", "scan",
                             str(src), "-o", str(out), *options], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return proc, out


def assert_previous_output_kept(tmp_path, out):
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt", "out.jsonl"]  # no partial file left


MESSY = "人民曰报首发\n\n夏爽律师\r\n光明的未来\n".encode() + b"\xff\xfebroken\n" + "入民日报".encode()


def test_scan_jsonl_keeps_every_row_in_order(tmp_path):
    src = tmp_path / "names.txt"
    src.write_bytes(MESSY)
    code, out, err = run(["scan", str(src)])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["decision"] for r in rows] == ["block", "pass", "review", "pass", "pass", "block"]
    assert rows[1]["status"] == "empty"
    assert rows[4]["status"] == "invalid-encoding"
    assert rows[2]["name"] == "夏爽律师"  # CR stripped
    assert set(rows[0]) >= {"line", "name", "decision", "score", "category", "target", "reasons"}


def test_scan_reads_stdin_and_writes_csv():
    code, out, _ = run(["scan", "-", "--format", "csv"], stdin="入民日报\n光明的未来\n".encode())
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["line"], r["decision"], r["target"]) for r in rows] == [("1", "block", "人民日报"), ("2", "pass", "")]


def test_scan_tsv_output_file_is_written(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("ССТV\n", encoding="utf-8")
    dst = tmp_path / "out.tsv"
    code, out, _ = run(["scan", str(src), "--format", "tsv", "--output", str(dst)])
    assert code == 0 and out == ""
    header, row = dst.read_text(encoding="utf-8").splitlines()
    assert header.split("\t")[:3] == ["line", "name", "decision"]
    assert row.split("\t")[2] == "block"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_scan_bom_is_not_part_of_the_first_name(tmp_path):
    src = tmp_path / "bom.txt"
    src.write_bytes(b"\xef\xbb\xbf" + "入民日报\n".encode())
    _, out, _ = run(["scan", str(src)])
    assert json.loads(out)["name"] == "入民日报"


@pytest.mark.parametrize("args", [["scan", "does-not-exist.txt"], ["scan", "--format", "xml"], ["frobnicate"],
                                  ["check"]])
def test_usage_and_input_errors_exit_2_with_one_line(args):
    code, out, err = run(args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("impostor: error:")


def test_bad_lexicon_dir_exits_2(tmp_path):
    code, _, err = run(["check", "--lexicons", str(tmp_path), "入民日报"])
    assert code == 2 and str(tmp_path) in err


def test_check_readable_and_json():
    code, out, _ = run(["check", "入民日报", "光明的未来"])
    assert code == 0
    assert out.splitlines()[0].split() == ["decision", "score", "name", "target"]
    assert out.splitlines()[1].startswith("block")
    assert any("入→人 look-alike" in line for line in out.splitlines())
    code, out, _ = run(["check", "--json", "入民日报"])
    assert json.loads(out)["target"] == "人民日报"


def test_main_is_importable_entry_point():
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0


def test_explain_prints_every_stage():
    code, out, _ = run(["explain", "人民曰報网"])
    assert code == 0
    for heading in ("1. characters", "2. normalized", "3. candidates", "4. words", "5. decision: block"):
        assert heading in out
    assert "報→报 traditional" in out
    assert "skeleton: 人民日报网" in out


def test_scan_with_workers_keeps_every_row_in_order(tmp_path):
    base = ["入民日报", "光明的未来", "夏爽律师", "四川本地", "", "renminribao"]
    names = [f"{base[i % len(base)]}{i if i % 7 else ''}" for i in range(9000)]  # more than two chunks
    src = tmp_path / "many.txt"
    src.write_text("\n".join(names) + "\n", encoding="utf-8")
    code1, one, _ = run(["scan", str(src), "--workers", "1"])
    code2, two, _ = run(["scan", str(src), "--workers", "2"])
    assert code1 == code2 == 0
    assert one == two
    rows = [json.loads(line) for line in two.splitlines()]
    assert [r["line"] for r in rows] == list(range(1, 9001))
    assert [r["name"] for r in rows] == names


def test_registry_option_adds_protected_names(tmp_path):
    brands = tmp_path / "brands.tsv"
    brands.write_text("name\taliases\n华为技术有限公司\t华为\n", encoding="utf-8")
    code, out, _ = run(["check", "--json", "--registry", str(brands), "華為官方"])
    assert code == 0
    row = json.loads(out)
    assert (row["decision"], row["target"], row["category"]) == ("block", "华为技术有限公司", "brand")
    code, _, err = run(["check", "--registry", str(tmp_path / "missing.tsv"), "华为"])
    assert code == 2 and "missing.tsv" in err
