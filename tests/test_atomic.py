"""Outputs are replaced whole or not at all: the one helper every writer uses (batch outputs and state, Spark's
directories, allow- and denylists, and the scan's Sink at its end)."""

import os
import stat

import pytest

from impostor.atomic import write_atomically
from impostor.batch import flagged_since


def _leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.endswith(".partial")]


def test_a_failed_write_or_check_leaves_the_old_output_and_no_temporary(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old", encoding="utf-8")

    def half_written(tmp):
        open(tmp, "w").write("ne")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(out, half_written)

    def refuse(tmp):
        raise ValueError("the new state holds an account twice")

    with pytest.raises(ValueError):
        write_atomically(out, lambda tmp: open(tmp, "w").write("new"), refuse)
    assert out.read_text(encoding="utf-8") == "old" and _leftovers(tmp_path) == []
    write_atomically(out, lambda tmp: open(tmp, "w").write("new"))
    assert out.read_text(encoding="utf-8") == "new" and _leftovers(tmp_path) == []


def test_a_directory_of_parts_and_a_file_replace_each_other(tmp_path):
    # The local engine writes the state as one file, Spark as a directory of parts; either reads both.
    state = tmp_path / "state" / "accounts.parquet"

    def parts(tmp):
        os.mkdir(tmp)
        for k in range(3):
            open(os.path.join(tmp, f"part-{k}"), "w").write(str(k))

    write_atomically(state, lambda tmp: open(tmp, "w").write("file"))
    write_atomically(state, parts)
    assert sorted(p.name for p in state.iterdir()) == ["part-0", "part-1", "part-2"]
    write_atomically(state, lambda tmp: open(tmp, "w").write("file again"))
    assert state.read_text() == "file again" and _leftovers(state.parent) == []


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    listed = tmp_path / "allow.tsv"
    listed.write_text("name\n", encoding="utf-8")
    os.chmod(listed, 0o640)
    write_atomically(listed, lambda tmp: open(tmp, "w").write("name\n人民日报\n"))
    assert stat.S_IMODE(listed.stat().st_mode) == 0o640


def test_a_finding_is_new_unless_flagged_for_the_same_target_before():
    since = flagged_since(["block", "block", "review", "pass", "block"],
                          ["人民日报", "新华社", "律师", None, "人民日报"],
                          ["block", "block", "review", "block", None],
                          ["人民日报", "人民日报", "律师", "人民日报", None],
                          ["r1", "r1", "r0", "r1", None], "r2")
    assert since == ["r1", "r2", "r0", None, "r2"]
