"""``podium plan`` given what it cannot work with — a blank description, a file that is no
spec, ``--run`` with nobody at a terminal — says so in one line and exits 2 before
drafting or starting anything; ``--review`` leaves only the spec the user asked for."""

from __future__ import annotations

import io

from podium.starters import exit_codes
from podium.starters.commands import plan as plan_command

from tests.starters.test_cli import podium
from tests.starters.test_plan import catalog, good_spec


async def test_a_blank_description_is_refused_before_drafting(tmp_path, capsys):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec()}}])
    out = io.StringIO()
    code = await plan_command.main("  \n\t ", catalog=str(cat), out=out)
    assert code == exit_codes.USAGE and "drafting" not in out.getvalue()
    err = capsys.readouterr().err
    assert err.startswith("podium plan: the description is empty: describe the process in words")
    assert err.count("\n") == 1


def test_from_a_binary_file_says_it_is_not_text(tmp_path):
    image = tmp_path / "plan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    proc = podium("plan", "--from", str(image), "--catalog", "agents")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == f"podium plan: --from {image}: the file is a PNG image, not text\n"


async def test_from_a_text_file_that_is_no_spec_says_so(tmp_path, capsys):
    cat = catalog(tmp_path, [])
    notes = tmp_path / "notes.txt"
    notes.write_text("research the market first\n")
    code = await plan_command.main(None, catalog=str(cat), from_spec=str(notes), out=io.StringIO())
    assert code == exit_codes.USAGE
    assert capsys.readouterr().err == (
        f"podium plan: --from {notes}: not a spec (a YAML mapping with name:, agents: and "
        "steps:), but text ('research the market first')\n"
    )


def test_run_without_a_terminal_says_how_to_approve_instead():
    proc = podium(
        "plan", "Research a market", "--catalog", "agents/market.yaml", "--offline", "--run"
    )  # stdin is /dev/null: input() would raise EOFError
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "drafting" not in proc.stdout
    assert proc.stderr == (
        "podium plan: --run asks for a yes on this terminal, and stdin is not one (nothing "
        "was drafted or started): without a terminal, use --review (a person approves with "
        "`podium approve RUN review-1 --approve`), or leave out --run and start the written "
        "spec with `podium run SPEC`\n"
    )


async def test_no_answer_on_the_terminal_is_no(tmp_path):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec()}}])
    out = io.StringIO()

    def ctrl_d(_: str) -> str:
        raise EOFError

    code = await plan_command.main(
        "brief",
        catalog=str(cat),
        output=str(tmp_path / "p.yaml"),
        run=True,
        input_text='{"topic": "tea"}',
        out=out,
        ask=ctrl_d,
    )
    assert code == exit_codes.OK and out.getvalue().endswith("not started\n")


async def test_a_review_run_leaves_only_the_spec_the_user_asked_for(tmp_path, client):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec()}}])
    before = {p.name for p in tmp_path.iterdir()}
    out = io.StringIO()
    code = await plan_command.main(
        "brief",
        catalog=str(cat),
        output=str(tmp_path / "p.yaml"),
        review_run=True,
        input_text='{"topic": "tea"}',
        client=client,
        out=out,
    )
    assert code == exit_codes.OK, out.getvalue()
    assert {p.name for p in tmp_path.iterdir()} - before == {"p.yaml"}
    run_id = out.getvalue().split("started review run ")[1].split(":")[0]
    description = await client.get_workflow_handle(run_id).describe()
    details = await description.static_details()
    assert f"({tmp_path / 'p.yaml'} (review by podium plan))" in (details or "")
