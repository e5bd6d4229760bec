"""Bad files are refused with file, line and a fix, never a traceback or a silent guess:
repeated keys, encodings, directories, empty files, aliases that loop, bad templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

CATALOG = "agents:\n  writer: {model: scripted}\n"
STEPS = "steps:\n  - {id: a, agent: writer}\n"


def write(tmp_path: Path, text: str | bytes, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if not (tmp_path / "agents.yaml").exists():
        (tmp_path / "agents.yaml").write_text(CATALOG)
    return path


def problems(path: Path) -> list:
    with pytest.raises(CompileError) as info:
        compile_spec(path, offline=True)
    return info.value.problems


# -- repeated keys ---------------------------------------------------------------------
def test_a_key_written_twice_in_a_spec_is_refused_with_both_lines(tmp_path):
    path = write(tmp_path, "name: t\nagents: agents.yaml\n" + STEPS + "name: other\n")
    [p] = problems(path)
    assert p.file == path and p.line == 5 and p.where == "name"
    assert "duplicate key 'name' (first on line 1, again on line 5)" in p.message
    assert "remove or rename" in p.hint


def test_a_key_written_twice_inside_a_step_names_its_place(tmp_path):
    path = write(
        tmp_path,
        "name: t\nagents: agents.yaml\nsteps:\n  - id: a\n    agent: writer\n    agent: nobody\n",
    )
    [p] = problems(path)
    assert p.line == 6 and p.where == "steps[0].agent (step 'a')"
    assert "duplicate key 'agent' (first on line 5, again on line 6)" in p.message


def test_a_key_written_twice_in_a_catalog_points_into_the_catalog(tmp_path):
    (tmp_path / "agents.yaml").write_text(
        "agents:\n  writer: {model: scripted}\n  writer: {model: scripted, timeout: 5s}\n"
    )
    path = write(tmp_path, "name: t\nagents: agents.yaml\n" + STEPS)
    [p] = problems(path)
    assert p.file == (tmp_path / "agents.yaml").resolve() and p.line == 3
    assert "duplicate key 'writer' (first on line 2, again on line 3)" in p.message


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    path = write(tmp_path, "name: t\nagents: agents.yaml\nsteps: &s [*s]\n")
    [p] = problems(path)
    assert p.line == 3 and "alias (*name) is used inside the anchor" in p.message


# -- encodings, directories, empty files ---------------------------------------------------
SPEC = "name: café\ndescription: Thai market ไทย\nagents: agents.yaml\n" + STEPS


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_utf8_with_or_without_bom_and_utf16_with_bom_are_read(tmp_path, encoding):
    path = write(tmp_path, SPEC.encode(encoding))
    plan = compile_spec(path, offline=True)
    assert plan.name == "café" and plan.description == "Thai market ไทย"


def test_a_latin1_spec_is_refused_with_offset_line_and_iconv(tmp_path):
    path = write(tmp_path, "name: t\ndescription: café crème\n".encode("cp1252"))
    [p] = problems(path)
    assert p.file == path and p.line == 2
    assert "not UTF-8: byte 0xE9 at byte offset 24 (line 2, column 17)" in p.message
    assert "Windows-1252" in p.message
    assert f"iconv -f CP1252 -t UTF-8 {path}" in p.hint and "save it as UTF-8" in p.hint


def test_a_thai_tis620_spec_is_refused_suggesting_tis620(tmp_path):
    path = write(tmp_path, "name: t\ndescription: ตลาดประเทศไทย\n".encode("tis-620"))
    [p] = problems(path)
    assert p.line == 2 and "byte offset 21" in p.message and "TIS-620 (Thai)" in p.message
    assert f"iconv -f TIS-620 -t UTF-8 {path}" in p.hint


def test_utf16_without_a_bom_is_named_as_such(tmp_path):
    path = write(tmp_path, "name: t\n".encode("utf-16-le"))
    [p] = problems(path)
    assert "NUL bytes" in p.message and "UTF-16 saved without a byte-order mark" in p.message


def test_a_directory_given_as_the_spec_is_refused(tmp_path):
    write(tmp_path, SPEC)
    [p] = problems(tmp_path)
    assert p.file == tmp_path and "spec is a directory, not a file" in p.message
    assert str(tmp_path / "spec.yaml") in p.hint


def test_empty_spec_and_empty_catalog(tmp_path):
    [p] = problems(write(tmp_path, "# nothing yet\n"))
    assert p.message == "the spec is empty" and "name:" in p.hint
    (tmp_path / "agents.yaml").write_text("")
    [p] = problems(write(tmp_path, "name: t\nagents: agents.yaml\n" + STEPS))
    assert p.file == (tmp_path / "agents.yaml").resolve()
    assert p.message == "the agent catalog is empty"


def test_missing_spec_and_directory_as_catalog_or_sub_workflow(tmp_path):
    [p] = problems(tmp_path / "nope.yaml")
    assert "spec was not found" in p.message and "nope.yaml" in p.hint
    (tmp_path / "sub").mkdir()
    path = write(tmp_path, "name: t\nagents: sub\nsteps:\n  - {id: a, workflow: sub}\n")
    found = {p.where: p.message for p in problems(path)}
    assert found["agents"] == "agent catalog 'sub': it is a directory, not a file"
    assert "sub-workflow spec 'sub' is a directory" in found["steps[0].workflow (step 'a')"]


# -- templates ------------------------------------------------------------------------
def test_a_broken_summary_template_is_refused(tmp_path):
    path = write(
        tmp_path, "name: t\nsummary: 'Deal {{ input.company '\nagents: agents.yaml\n" + STEPS
    )
    [p] = problems(path)
    assert p.line == 2 and p.where == "summary"
    assert "template '{{ input.company ' does not work" in p.message or "does not work" in p.message


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("'{{ input.items | joinn(\", \") }}'", "No filter named 'joinn'"),
        ("'{{ steps.a.output }}'", "reads 'steps', which is not available here: the summary"),
    ],
)
def test_summary_filters_and_names_are_checked(tmp_path, summary, expected):
    path = write(tmp_path, f"name: t\nsummary: {summary}\nagents: agents.yaml\n" + STEPS)
    [p] = problems(path)
    assert expected in p.message and p.where == "summary"


def test_an_approval_title_may_not_read_a_later_step(tmp_path):
    path = write(
        tmp_path,
        "name: t\nagents: agents.yaml\nsteps:\n"
        "  - {id: ask, approval: {title: 'Risk {{ steps.a.output.level }}'}}\n"
        "  - {id: a, agent: writer}\n",
    )
    [p] = problems(path)
    assert "step 'a', which may not have run yet" in p.message
    assert p.where == "steps[0].approval.title (step 'ask')"


def test_scripted_output_and_fail_templates_are_checked_in_the_catalog(tmp_path):
    (tmp_path / "agents.yaml").write_text(
        "agents:\n  writer:\n    script:\n"
        "      - {when: 'x', fail: 'no {{ x '}\n"
        "      - output: {notes: ['ok', '{{ y | nosuch }}']}\n"
    )
    path = write(tmp_path, "name: t\nagents: agents.yaml\n" + STEPS)
    found = {p.where: p for p in problems(path)}
    assert found["agents.writer.script[0].fail"].line == 4
    assert "No filter named 'nosuch'" in found["agents.writer.script[1].output.notes[1]"].message


def test_an_unreadable_spec_says_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, SPEC)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)  # tests run as root: chmod is no use
    [p] = problems(path)
    assert p.file == path and p.message == "spec cannot be read: permission denied"
    assert f"chmod u+r {path}" in p.hint
