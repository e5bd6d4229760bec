"""`podium validate` / `podium run` on bad files: a clear message and exit code, never a
Python traceback, and nothing started. Input files are read like specs."""

from __future__ import annotations

import pytest
from podium.starters.cli import dispatch
from podium.starters.inputs import InputError, read_input

from tests.starters.test_cli import SPEC, podium

LATIN1 = "name: t\ndescription: café\nsteps: [{id: a, agent: w}]\n".encode("cp1252")


def test_validate_a_directory_says_so_without_a_traceback(tmp_path):
    (tmp_path / "deal.yaml").write_text("name: t\n")
    proc = podium("validate", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{tmp_path}: spec is a directory, not a file" in proc.stderr
    assert str(tmp_path / "deal.yaml") in proc.stderr


def test_validate_a_non_utf8_spec_names_the_byte_and_the_fix(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(LATIN1)
    proc = podium("validate", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:2: the file is not UTF-8: byte 0xE9 at byte offset 24" in proc.stderr
    assert "iconv -f CP1252 -t UTF-8" in proc.stderr


def test_run_with_a_non_utf8_input_file_is_not_started(tmp_path):
    path = tmp_path / "input.json"
    path.write_bytes('{"company": "บริษัท"}'.encode("tis-620"))
    proc = podium("run", SPEC, "--input-file", str(path), "--address", "127.0.0.1:1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not started" in proc.stderr
    assert f"{path}:1: the file is not UTF-8: byte 0xBA at byte offset 13" in proc.stderr
    assert "TIS-620 (Thai)" in proc.stderr and "iconv -f TIS-620 -t UTF-8" in proc.stderr


def test_validate_prints_warnings_and_still_says_ok(tmp_path, capsys):
    (tmp_path / "spec.yaml").write_text(
        "name: t\nagents: {agents: {w: {fallback: [w]}}}\n"
        "steps:\n  - {id: ask, approval: {title: 'ok?', approvers: []}}\n  - {id: a, agent: w}\n"
    )
    assert dispatch(["validate", str(tmp_path / "spec.yaml")]) == 0
    out = capsys.readouterr().out
    assert "OK — spec 't'" in out
    assert "warning: " in out and "agent 'w' lists itself as its own fallback" in out
    assert "approvers: [] is empty" in out


def test_run_prints_warnings_before_it_starts(tmp_path):
    (tmp_path / "spec.yaml").write_text(
        "name: t\nagents: {agents: {w: {fallback: [w]}}}\nsteps: [{id: a, agent: w}]\n"
    )
    proc = podium("run", str(tmp_path / "spec.yaml"), "--address", "127.0.0.1:1", timeout=60)
    assert "Traceback" not in proc.stderr
    assert "warning: " in proc.stdout and "lists itself as its own fallback" in proc.stdout


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("in.json", b'{"company": "a",\n "company": "b"}', "in.json:2: company: duplicate key"),
        ("in.yaml", b"company: a\nmarket: SG\ncompany: b\n", "(first on line 1, again on line 3)"),
        ("in.json", b"", "the input file is empty"),
        ("in.json", b"[1, 2]", "must be a JSON object (a mapping of names to values), got a list"),
        ("in.json", b'{"amount": NaN}', "NaN is not a JSON value"),
        ("in.yaml", "company: Café\n".encode("latin-1"), "byte 0xE9 at byte offset 12"),
    ],
)
def test_bad_input_files_are_refused_with_file_and_line(tmp_path, capsys, name, content, expected):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as info:
        read_input(None, str(tmp_path / name))
    assert expected in str(info.value) and str(tmp_path / name) in str(info.value)
    code = dispatch(["run", SPEC, "--input-file", str(tmp_path / name), "--address", "x:1"])
    assert code == 2 and expected in capsys.readouterr().err


def test_input_files_in_utf16_or_with_a_bom_are_read_and_yaml_keeps_no_as_text(tmp_path):
    (tmp_path / "a.json").write_bytes('{"company": "ไทย"}'.encode("utf-16"))
    (tmp_path / "b.json").write_bytes('{"company": "Café"}'.encode("utf-8-sig"))
    (tmp_path / "c.yaml").write_text("market: NO\nlive: true\n")
    assert read_input(None, str(tmp_path / "a.json")) == {"company": "ไทย"}
    assert read_input(None, str(tmp_path / "b.json")) == {"company": "Café"}
    assert read_input(None, str(tmp_path / "c.yaml")) == {"market": "NO", "live": True}


def test_input_given_as_a_directory_or_with_a_repeated_key_inline(tmp_path):
    with pytest.raises(InputError) as info:
        read_input(None, str(tmp_path))
    assert f"cannot read input file {tmp_path}: it is a directory, not a file" in str(info.value)
    with pytest.raises(InputError) as info:
        read_input('{"a": 1, "a": 2}', None)
    assert "duplicate key 'a'" in str(info.value)
