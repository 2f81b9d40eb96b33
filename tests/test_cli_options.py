"""Every scan option and format, the config file, review decisions and the lexicon commands, as users run them."""

import csv
import io
import json
import os
import signal
import sys
import time

import pytest

from test_cli import assert_previous_output_kept, run, start_long_scan

ACCOUNTS = "uid,nickname,city\n1,入民日报,北京\n2,光明的未来,上海\n3,夏爽律师,成都\n4,人民日报,北京\n"


@pytest.fixture
def accounts(tmp_path):
    src = tmp_path / "accounts.csv"
    src.write_text(ACCOUNTS, encoding="utf-8")
    return src


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


def test_csv_with_ids_filtered_to_flagged_rows_as_csv(accounts, tmp_path):
    out = tmp_path / "findings.csv"
    code, stdout, err = run(["scan", str(accounts), "--column", "nickname", "--id-column", "uid", "--only", "flagged",
                             "--format", "csv", "-o", str(out)])
    assert code == 0 and stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["line"], r["id"], r["decision"]) for r in rows] == [("2", "1", "block"), ("4", "3", "review"),
                                                                  ("5", "4", "block")]
    # the summary counts every row, filtered or not
    assert "4 rows" in err and "block 2, review 1, pass 1" in err


def test_allowlist_on_scan_lets_the_verified_account_pass(accounts, tmp_path):
    allow = tmp_path / "verified.tsv"
    allow.write_text("account_id\tname\n4\t人民日报\n1\t人民日报\n", encoding="utf-8")
    _, out, _ = run(["scan", str(accounts), "--column", "nickname", "--id-column", "uid", "--allowlist", str(allow)])
    rows = {r["id"]: r for r in jsonl(out)}
    assert rows["4"]["decision"] == "pass" and rows["4"]["reasons"][0] == "verified account 4 (allowlist)"
    assert rows["1"]["decision"] == "block"  # verified for 人民日报, not for the look-alike 入民日报


@pytest.mark.parametrize("fail_on, names, expected", [
    ("block", "光明的未来\n夏爽律师\n", 0), ("block", "入民日报\n", 1),
    ("review", "夏爽律师\n", 1), ("review", "光明的未来\n", 0)])
def test_fail_on_sets_exit_1_only_when_found(fail_on, names, expected):
    code, _, _ = run(["scan", "-", "--fail-on", fail_on, "-q"], stdin=names.encode())
    assert code == expected


def test_several_files_get_a_file_column_and_keep_their_own_line_numbers(tmp_path, accounts):
    text = tmp_path / "more.txt"
    text.write_text("四川本地\n", encoding="utf-8")
    code, out, _ = run(["scan", str(text), str(accounts), "--column", "nickname", "-q"])
    assert code == 2  # --column does not apply to the plain-text file
    code, out, _ = run(["scan", str(text), str(tmp_path / "more.txt"), "-q"])
    rows = jsonl(out)
    assert code == 0 and [(r["file"], r["line"]) for r in rows] == [(str(text), 1), (str(text), 1)]


def test_jsonl_input_field_and_gzip(tmp_path):
    import gzip

    src = tmp_path / "accounts.jsonl.gz"
    src.write_bytes(gzip.compress('{"nick": "入民日报", "id": 9}\n{"nick": "光明的未来"}\n'.encode()))
    code, out, _ = run(["scan", str(src), "--field", "nick", "--id-column", "id", "-q"])
    rows = jsonl(out)
    assert code == 0 and [(r["id"], r["decision"]) for r in rows] == [("9", "block"), (None, "pass")]


def test_parquet_output_and_input(accounts, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "findings.parquet"
    code, _, err = run(["scan", str(accounts), "--column", "nickname", "--id-column", "uid", "--format", "parquet",
                        "-o", str(out), "--with-version"])
    assert code == 0, err
    table = pq.read_table(out)
    assert table.column("decision").to_pylist() == ["block", "pass", "review", "block"]
    assert table.column("reasons").to_pylist()[0][0] == "imitates 人民日报 (media)"
    assert len(set(table.column("lexicon_version").to_pylist())) == 1
    code, out2, _ = run(["scan", str(out), "--id-column", "id", "-q"])
    assert [r["id"] for r in jsonl(out2)] == ["1", "2", "3", "4"]
    code, _, err = run(["scan", str(accounts), "--column", "nickname", "--format", "parquet"])
    assert code == 2 and "--output" in err


def test_with_version_matches_lexicon_stats():
    _, out, _ = run(["scan", "-", "--with-version", "-q"], stdin="入民日报\n".encode())
    _, stats, _ = run(["lexicon", "stats", "--json"])
    assert jsonl(out)[0]["lexicon_version"] == json.loads(stats)["lexicon_version"]


def test_quiet_and_progress_on_stderr():
    names = "入民日报\n".encode() * 10
    _, _, err = run(["scan", "-", "-q"], stdin=names)
    assert err == ""
    _, _, err = run(["scan", "-"], stdin=names)  # stderr is a pipe here: summary, no progress line
    assert err.startswith("impostor: 10 rows") and "\r" not in err


def test_config_file_sets_registries_lists_and_scan_defaults(tmp_path):
    (tmp_path / "brands.tsv").write_text("name\taliases\n华为技术有限公司\t华为\n", encoding="utf-8")
    (tmp_path / "impostor.toml").write_text(
        'registries = ["brands.tsv"]\ndisabled = ["profession"]\n[scan]\nformat = "csv"\nfail-on = "block"\n',
        encoding="utf-8")
    code, out, _ = run(["scan", "-", "-q"], stdin="華為官方\n夏爽律师\n".encode(), cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1  # fail-on block from the config
    assert [(r["decision"], r["target"]) for r in rows] == [("block", "华为技术有限公司"), ("pass", "")]
    # a command-line option beats the config; --no-config ignores it
    code, out, _ = run(["scan", "-", "-q", "--format", "jsonl"], stdin="夏爽律师\n".encode(), cwd=tmp_path)
    assert code == 0 and jsonl(out)[0]["decision"] == "pass"
    code, out, _ = run(["--no-config", "check", "--json", "夏爽律师"], cwd=tmp_path)
    assert json.loads(out)["decision"] == "review"


@pytest.mark.parametrize("config, message", [
    ('unknown = 1\n', "unknown key 'unknown'"), ('[scan]\nformatt = "csv"\n', "no option 'formatt'"),
    ('[costs]\nblock_score = "high"\n', "block_score must be a number"), ('registries = "x.tsv"\n', "list of strings"),
    ('[costs\n', "invalid TOML")])
def test_bad_config_is_one_line_exit_2(tmp_path, config, message):
    (tmp_path / "impostor.toml").write_text(config, encoding="utf-8")
    code, _, err = run(["check", "x"], cwd=tmp_path)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_set_overrides_a_threshold():
    _, out, _ = run(["check", "--json", "央视新文"])
    assert json.loads(out)["decision"] == "block"
    _, out, _ = run(["check", "--json", "--set", "costs.homophone=0.6", "央视新文"])
    assert json.loads(out)["decision"] != "block"


def test_allow_and_deny_feed_review_decisions_back(tmp_path):
    (tmp_path / "impostor.toml").write_text('allowlist = "allow.tsv"\ndenylist = "deny.tsv"\n', encoding="utf-8")
    assert run(["deny", "老王带货铺", "--note", "closed for fraud"], cwd=tmp_path)[0] == 0
    assert run(["allow", "梁老师数理化"], cwd=tmp_path)[0] == 0
    code, out, _ = run(["check", "--json", "老王帶貨铺官方", "梁老师数理化", "夏爽律师"], cwd=tmp_path)
    denied, cleared, other = [json.loads(line) for line in out.splitlines()]
    assert (denied["decision"], denied["category"], denied["target"]) == ("block", "denylist", "老王带货铺")
    assert cleared["decision"] == "pass" and cleared["reasons"][0] == "name cleared in review (allowlist)"
    assert other["decision"] == "review"
    code, _, err = run(["--no-config", "deny", "x"], cwd=tmp_path)
    assert code == 2 and "--file" in err


def test_lexicon_commands(tmp_path):
    code, out, _ = run(["lexicon", "list"])
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and rows[0][:3] == ["file", "kind", "rows"]
    media = next(r for r in rows if r[0] == "registry/media_central.tsv")
    assert media[1] == "entity" and int(media[2]) > 100 and media[5]
    code, out, _ = run(["lexicon", "show", "military"])
    assert code == 0 and any(line.startswith("中国人民解放军") for line in out.splitlines())
    code, _, err = run(["lexicon", "show", "spaceships"])
    assert code == 2 and "categories:" in err
    code, out, _ = run(["lexicon", "validate"])
    assert code == 0 and out.startswith("ok:")
    bad = tmp_path / "bad.tsv"
    bad.write_text("name\ta\tb\nx\ty\tz\tw\n", encoding="utf-8")
    code, _, err = run(["lexicon", "validate", "--registry", str(bad)])
    assert code == 2 and f"{bad}:2" in err


def test_readme_walkthrough(tmp_path):
    """The README's walk-through, step by step: brands, verified accounts, config, validate, filtered CSV."""
    (tmp_path / "accounts.csv").write_text(
        "uid,nickname,created\n1001,华为技术有限公司,2020\n2002,華為官方,2026\n3003,光明的未来,2026\n",
        encoding="utf-8")
    (tmp_path / "brands.tsv").write_text("name\taliases\tcategory\n华为技术有限公司\t华为|Huawei\tbrand\n",
                                         encoding="utf-8")
    (tmp_path / "verified.tsv").write_text("account_id\tname\n1001\t华为技术有限公司\n", encoding="utf-8")
    (tmp_path / "impostor.toml").write_text('registries = ["brands.tsv"]\nallowlist = "verified.tsv"\n',
                                            encoding="utf-8")
    assert run(["lexicon", "validate"], cwd=tmp_path)[0] == 0
    code, _, err = run(["scan", "accounts.csv", "--column", "nickname", "--id-column", "uid", "--only", "flagged",
                        "--format", "csv", "-o", "findings.csv"], cwd=tmp_path)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "findings.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["line", "id", "name", "decision", "score", "category", "target", "reasons", "status"]
    assert [(r["id"], r["decision"], r["target"]) for r in rows] == [("2002", "block", "华为技术有限公司")]
    # step 5: review decisions fed back
    assert run(["allow", "华为", "--account-id", "1002"], cwd=tmp_path)[0] == 0
    assert run(["deny", "老王带货铺", "--file", "closed.tsv"], cwd=tmp_path)[0] == 0
    with open(tmp_path / "impostor.toml", "a", encoding="utf-8") as config:
        config.write('denylist = "closed.tsv"\n')
    code, out, _ = run(["check", "--json", "老王帶貨铺"], cwd=tmp_path)
    assert json.loads(out)["category"] == "denylist"
    code, out, _ = run(["check", "--json", "--account-id", "1002", "华为"], cwd=tmp_path)
    assert json.loads(out)["decision"] == "pass"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_worker_fails_the_scan_without_touching_the_output(tmp_path):
    proc, out = start_long_scan(tmp_path, "-j", "2")
    deadline = time.time() + 60
    while time.time() < deadline and not _children(proc.pid):
        time.sleep(0.2)
    time.sleep(1)  # the workers are screening
    workers = _children(proc.pid)
    if not workers:  # say why: the scan ended (its status and stderr) or never started workers
        proc.kill()
        _, err = proc.communicate(timeout=60)
        pytest.fail(f"no worker processes seen; scan status {proc.returncode}, stderr: {err[-2000:]}")
    os.kill(workers[-1], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "worker process died" in err
    assert_previous_output_kept(tmp_path, out)


def test_input_format_names_the_format_of_standard_input():
    code, out, _ = run(["scan", "-", "--input-format", "tsv", "--column", "nick", "--id-column", "uid", "-q"],
                       stdin="uid\tnick\n5\t入民日报\n".encode())
    assert code == 0 and [(r["line"], r["id"], r["decision"]) for r in jsonl(out)] == [(2, "5", "block")]
    code, _, err = run(["scan", "-", "--column", "nick"], stdin=b"x\n")
    assert code == 2 and "--input-format" in err


@pytest.mark.parametrize("command", [
    ["deny", ""], ["deny", "人"], ["deny", "😀"], ["deny", "  "], ["allow", ""], ["deny", "老王带货铺", "人"],
])
def test_allow_and_deny_refuse_a_row_the_loader_would_refuse_and_write_nothing(tmp_path, command):
    lists = {"allow": tmp_path / "allow.tsv", "deny": tmp_path / "deny.tsv"}
    for path in lists.values():
        path.write_text("name\taccount_id\nx先生的店\t\n", encoding="utf-8")
    before = {kind: path.read_bytes() for kind, path in lists.items()}
    code, _, err = run([*command, "--file", str(lists[command[0]])])
    assert code == 2 and err.count("\n") == 1 and "not recorded" in err, err
    assert {kind: path.read_bytes() for kind, path in lists.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allow.tsv", "deny.tsv"]  # no temporary file left
    code, out, err = run(["check", "--json", "--allowlist", str(lists["allow"]), "--denylist", str(lists["deny"]),
                          "入民日报"])
    assert code == 0 and json.loads(out)["decision"] == "block", err  # every later command still works


def test_allow_and_deny_name_a_list_that_is_already_malformed_and_add_the_missing_columns(tmp_path):
    broken = tmp_path / "deny.tsv"
    broken.write_text("name\n人\n", encoding="utf-8")
    code, _, err = run(["deny", "老王带货铺", "--file", str(broken)])
    assert code == 2 and f"{broken}:2" in err and "malformed already" in err
    old = tmp_path / "allow.tsv"
    old.write_text("account_id\tname\n1001\t人民日报\n", encoding="utf-8")
    code, _, err = run(["allow", "梁老师数理化", "--note", "tutor", "--file", str(old)])
    assert code == 0, err
    lines = old.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["account_id", "name", "note", "added"]
    assert lines[-1].split("\t")[1:3] == ["梁老师数理化", "tutor"]
    code, out, _ = run(["check", "--json", "--allowlist", str(old), "--account-id", "1001", "人民日报", "梁老师数理化"])
    assert [json.loads(line)["decision"] for line in out.splitlines()] == ["pass", "pass"]


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    import socket

    code, _, err = run(["allow", "x先生", "--file", str(tmp_path / "no" / "such" / "dir" / "a.tsv")])
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err and "internal" not in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(["serve", "--port", str(port)])
    assert code == 2 and err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err
    code, _, err = run(["serve", "--host", "999.1.1.1", "--port", "0"])
    assert code == 2 and err.count("\n") == 1 and "cannot listen on 999.1.1.1" in err


@pytest.mark.parametrize("setting, message", [
    ("costs.lookalike=-5", "out of range"), ("costs.budget_min=0", "out of range"), ("costs.insert=nan", "out of range"),
    ("costs.homophone=inf", "out of range"), ("scores.title=1.5", "out of range"),
    ("costs.insert_min_length=2.5", "whole number"), ("costs.lookalke=0.1", "unknown setting costs.lookalke"),
])
def test_settings_out_of_range_or_unknown_are_refused(tmp_path, setting, message):
    code, _, err = run(["check", "--set", setting, "入民日报"])
    assert code == 2 and err.count("\n") == 1 and message in err and "--set" in err
    section, _, rest = setting.partition(".")
    key, _, value = rest.partition("=")
    (tmp_path / "impostor.toml").write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    code, _, err = run(["check", "入民日报"], cwd=tmp_path)
    assert code == 2 and message in err and "impostor.toml" in err


@pytest.mark.parametrize("edit, message", [
    (("lookalike = 0.05", "lookalke = 0.05"), "unknown setting costs.lookalke"),
    (("weak_name = 0.7", ""), "[scores] lacks weak_name"),
    (("block_score = 0.75", "block_score = -1"), "out of range"),
])
def test_a_misspelt_or_incomplete_scoring_toml_is_refused_with_its_path(tmp_path, edit, message):
    import shutil

    from impostor.lexicon import default_lexicon_dir

    lexicons = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lexicons)
    scoring = lexicons / "scoring.toml"
    text = scoring.read_text(encoding="utf-8")
    assert edit[0] in text
    scoring.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    code, _, err = run(["check", "--lexicons", str(lexicons), "统计局"])
    assert code == 2 and str(scoring) in err and message in err, err


@pytest.mark.parametrize("size, given, expected", [
    ("small", None, 1), ("large", None, 0), ("stdin", None, 1), ("large", "1", 1), ("small", "2", 2)])
def test_scan_uses_every_core_by_default_for_large_inputs(tmp_path, monkeypatch, size, given, expected):
    """Like ripgrep: an input of 4 MiB or more is screened by one worker per core unless -j says otherwise; a
    small input, or standard input (its size unknown), by this process alone."""
    from click.testing import CliRunner

    from impostor import cli
    from impostor.scan import PARALLEL_FROM_BYTES

    src = tmp_path / "names.txt"
    line = "光明的未来\n".encode()
    src.write_bytes(line * (PARALLEL_FROM_BYTES // len(line) + 1 if size == "large" else 3))
    asked = []
    real = cli.run_scan
    monkeypatch.setattr(cli, "run_scan", lambda *args, **kw: asked.append(kw["workers"]) or real(*args, **kw))
    args = ["scan", "-q", "-o", str(tmp_path / "out.jsonl")] + (["-j", given] if given else [])
    result = CliRunner().invoke(cli.cli, args + (["-"] if size == "stdin" else [str(src)]),
                                input="光明的未来\n" if size == "stdin" else None)
    assert result.exit_code == 0, result.output
    assert asked == [expected]
