"""``podium plan "DESCRIPTION" --catalog agents/``: draft a spec with the catalog's planner
agent, check it with the compiler (repairing it with the planner, a few rounds), and
show it for review: the spec, its diagram, the estimated cost, every step that asks
people or changes the world. Nothing runs until a person approves:

- ``--run``: asks on this terminal, then starts the run;
- ``--review``: starts a review run whose approval step (``podium inbox`` / ``podium
  approve`` / the Web UI's Signal) gates the drafted plan, run as its child.

``--from SPEC`` reviews a spec file instead of drafting one (e.g. a draft you edited).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import yaml
from podium.activities.errors import SetupError
from podium.compiler.graph import plan_graph, to_mermaid
from podium.compiler.inputs import check_input
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.textfile import FileReadError, read_text
from podium.compiler.validation_errors import describe
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.inputs import InputError, read_input
from podium.starters.launch import start_run, ui_link
from podium.starters.plan_review import review, review_text
from podium.starters.planning import (
    PlanningError,
    catalog_files,
    draft,
    find_planner,
    spec_yaml,
)
from podium.workflows.expressions import literal
from podium.workflows.plan import Plan
from temporalio.client import Client


async def main(
    description: str | None,
    *,
    catalog: str,
    planner: str | None = None,
    output: str | None = None,
    max_rounds: int = 3,
    offline: bool | None = None,
    run: bool = False,
    review_run: bool = False,
    approvers: list[str] | None = None,
    from_spec: str | None = None,
    input_text: str | None = None,
    input_file: str | None = None,
    address: str | None = None,
    client: Client | None = None,
    out: TextIO | None = None,
    ask: Callable[[str], str] | None = None,
) -> int:
    """Draft (or read), check and show a plan; start it only once a person approves
    (``ask``: the question on the terminal, by default ``input``)."""
    out = out or sys.stdout
    try:
        if max_rounds < 1:
            raise PlanningError("--max-rounds must be at least 1")
        if approvers and not review_run:
            raise PlanningError("--approvers goes with --review (who may approve the plan)")
        if run and ask is None and not sys.stdin.isatty():
            raise PlanningError(NO_TERMINAL)
        files = catalog_files(Path(catalog))
        if from_spec is not None:
            target = Path(from_spec)
            text = _spec_text(target)
            _same_catalog(target, text, files)
            plan = compile_spec(target, offline=offline)
        else:
            if not description or not description.strip():
                raise PlanningError(
                    "the description is empty: describe the process in words, e.g. podium plan "
                    '"Research a market, then write a brief" --catalog PATH (or review a spec '
                    "with --from SPEC)"
                )
            agent = find_planner(files, planner, offline)
            out.write(f"drafting with planner {agent.name} ({agent.model})…\n")
            drafted = await draft(
                description, files, agent, max_rounds=max_rounds, offline=offline, out=out
            )
            if drafted.spec is None:
                print(
                    f"podium plan: no valid plan after {len(drafted.rounds)} round(s); the "
                    "last draft's problems are above. Describe the process differently, add "
                    "agents to the catalog, or raise --max-rounds.",
                    file=sys.stderr,
                )
                return exit_codes.FAILED
            target = Path(output) if output else _free(_file_name(drafted.spec.get("name")))
            where = target.resolve().parent
            text = spec_yaml(drafted.spec, [os.path.relpath(f.resolve(), where) for f in files])
            target.write_text(text)
            plan = compile_spec(target, offline=offline)  # as the reader will run it
            notes = [r.notes.strip() for r in drafted.rounds if r.notes.strip()]
            spent = f"${drafted.cost_usd:.4f}, {drafted.spent.total_tokens} tokens"
            if drafted.offline:
                spent += ", offline scripted planner"
            out.write(f"planning took {len(drafted.rounds)} round(s), {spent}\n")
            if notes:
                out.write(f"planner's notes: {notes[-1]}\n")
    except (PlanningError, CompileError, SetupError, OSError) as exc:
        print(f"podium plan: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    _show(plan, text, out)
    if from_spec is None:
        out.write(f"spec written to {target}\n")
    if not (run or review_run):
        out.write(
            f"nothing runs until a person approves it: podium plan --from {target} "
            f"--catalog {catalog} --run | --review\n"
        )
        return exit_codes.OK
    try:
        run_input: dict[str, Any] = read_input(input_text, input_file)
        check_input(plan, run_input, input_file or "--input")
    except (InputError, CompileError) as exc:
        print(f"podium plan: not started.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    if run:
        try:
            answer = (ask or input)("Start this run? [y/N] ")
        except EOFError:  # Ctrl-D: no answer is no
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            out.write("not started\n")
            return exit_codes.OK
        client = client or await connect(address)
        handle = await start_run(client, plan, run_input)
        out.write(
            f"started {plan.name} run {handle.id}\nweb UI: {ui_link(handle.id, client.namespace)}\n"
        )
        return exit_codes.OK
    try:
        gate = _review_plan(plan, target, text, run_input, approvers or [], offline)
    except CompileError as exc:
        print(f"podium plan: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    client = client or await connect(address)
    handle = await start_run(client, gate, run_input)
    out.write(
        f"started review run {handle.id}: the plan runs once approved\n"
        f"web UI: {ui_link(handle.id, client.namespace)}\n"
        f"approve: podium approve {handle.id} review-1 --approve|--reject"
        + (f" --as {approvers[0]}" if approvers else "")
        + "\n"
    )
    return exit_codes.OK


def _file_name(name: Any) -> str:
    """A file name from the draft's spec name (the model's text: nothing but a name)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", str(name or "plan"))[:64].strip("_")
    return cleaned or "plan"


NO_TERMINAL = (
    "--run asks for a yes on this terminal, and stdin is not one (nothing was drafted or "
    "started): without a terminal, use --review (a person approves with `podium approve RUN "
    "review-1 --approve`), or leave out --run and start the written spec with `podium run SPEC`"
)


def _spec_text(spec: Path) -> str:
    """``--from``'s file as text (a binary or unreadable file said in one line)."""
    try:
        return read_text(spec, "spec")
    except FileReadError as exc:
        raise PlanningError(f"--from {spec}: {exc}") from None


def _same_catalog(spec: Path, text: str, files: list[Path]) -> None:
    """``--from``: the spec must use exactly the ``--catalog`` files (the policy and the
    review are the catalog's)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # the compiler says what is wrong with the file
    if not isinstance(data, dict):
        raise PlanningError(
            f"--from {spec}: not a spec (a YAML mapping with name:, agents: and steps:), "
            f"but {describe(data)}"
        )
    named = data.get("agents")
    paths = [named] if isinstance(named, str) else named
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise PlanningError(
            f"{spec}: agents: must name the catalog file(s) of --catalog, not define agents "
            "of its own"
        )
    used = {(spec.parent / p).resolve() for p in paths}
    if used != {f.resolve() for f in files}:
        raise PlanningError(
            f"{spec} uses the catalog(s) {', '.join(sorted(map(str, paths)))}, not "
            f"--catalog {', '.join(str(f) for f in files)}: review it against the catalog "
            "it runs with"
        )


def _free(name: str) -> Path:
    """``<name>.yaml`` in this folder, or ``<name>-2.yaml``… if that exists (never
    overwrite a file nobody named)."""
    path, n = Path(f"{name}.yaml"), 1
    while path.exists():
        n += 1
        path = Path(f"{name}-{n}.yaml")
    return path


def _show(plan: Plan, text: str, out: TextIO) -> None:
    out.write("\n--- spec ---\n" + text.rstrip() + "\n")
    out.write("\n--- diagram (Mermaid) ---\n" + to_mermaid(plan_graph(plan)))
    out.write("\n--- review ---\n")
    for line in review_text(plan, review(plan)):
        out.write(line + "\n")
    for warning in plan.warnings:
        out.write(f"warning: {warning}\n")


def _review_plan(
    plan: Plan,
    target: Path,
    text: str,
    run_input: dict[str, Any],
    approvers: list[str],
    offline: bool | None,
) -> Plan:
    """A run that asks a person to approve the plan, then runs it as its child."""
    shown = review(plan)
    details = {
        "spec": text,
        "estimated_usd": [shown.low_usd, shown.high_usd],
        "people": shown.people,
        "side_effects": shown.side_effects,
    }
    approval: dict[str, Any] = {
        "title": f"Run the drafted plan {plan.name}?",
        "details": literal(details),
    }
    if approvers:
        approval["approvers"] = approvers
    wrapper = {
        "name": f"review_{plan.name}",
        "summary": f"Review of the drafted plan {plan.name}",
        "description": f"A person approves {target.name} before it runs.",
        "steps": [
            {"id": "review", "approval": approval},
            {
                "id": "plan",
                "when": "steps.review.output.approved",
                "workflow": str(target.resolve()),
                "with": {key: f'input."{key}"' for key in run_input},
            },
        ],
        "output": "steps.plan.output",
    }
    # The review run's definition travels in its history (the plan is the workflow's
    # input, the drafted plan inside it), so its spec file is only a step of compiling:
    # written out of the way, not left beside the user's spec.
    with tempfile.TemporaryDirectory(prefix="podium-review-") as scratch:
        path = Path(scratch) / f"review_{target.stem}.yaml"
        path.write_text(yaml.safe_dump(wrapper, sort_keys=False, allow_unicode=True))
        gate = compile_spec(path, offline=offline)
    return gate.model_copy(update={"source": f"{target} (review by podium plan)"})
