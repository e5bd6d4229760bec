"""Showing an eval's results: progress while cases run, the results table, the
comparison with a baseline, and JUnit XML for CI (JSON: ``results.to_json``).

On a terminal the progress is a bar redrawn in place and the table has colours; written
to a pipe or a file, each case is one plain line as it finishes and the table is plain
text (``run_view.console_for``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from podium.starters.evals.results import CaseResult, Comparison, SuiteResult
from podium.starters.formatting import ms_text, short, usd, usd_or_dash
from podium.starters.run_view import console_for
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (a model's answer may contain them)."""


class CaseProgress:
    """How far the suite got: a bar on a terminal, a line per finished case elsewhere."""

    def __init__(self, out: TextIO, suite: str, total: int):
        self.out, self.total, self.done = out, total, 0
        self.bar: Progress | None = None
        if out.isatty():
            self.bar = Progress(
                TextColumn(f"eval {suite}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("cases · {task.fields[failed]} failed"),
                TimeElapsedColumn(),
                console=console_for(out),
                transient=True,
            )
            self.task = self.bar.add_task(suite, total=total, failed=0)
        self.failed = 0

    def __enter__(self) -> CaseProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def finished(self, case: CaseResult) -> None:
        """One more case is done."""
        self.done += 1
        self.failed += 0 if case.passed else 1
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, failed=self.failed)
            return
        verdict = "passed" if case.passed else "FAILED"
        first = case.failures()[:1]
        why = f": {short(first[0], 160)}" if first else ""
        self.out.write(f"[{self.done}/{self.total}] {verdict} {case.name}{why}\n")
        self.out.flush()


def print_results(
    result: SuiteResult,
    out: TextIO,
    comparison: Comparison | None = None,
    earlier: str = "in the baseline",
) -> None:
    """The table of cases, each failed case's failures, the totals, and how it compares
    with an earlier result (``earlier``: where that was — ``at main``)."""
    console = console_for(out)
    tty = out.isatty()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for name in ("CASE", "RESULT", "CHECKS", "JUDGES", "TIME", "COST", "RUN"):
        right = name in ("TIME", "COST", "CHECKS")
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for case in result.cases:
        verdict = "passed" if case.passed else ("error" if case.error else "failed")
        style = ("green" if case.passed else "red") if tty else ""
        held = sum(1 for c in case.checks if c.passed)
        scores = ", ".join(f"{j.score:.2f}" if j.score is not None else "-" for j in case.judges)
        table.add_row(
            Text(case.name),
            Text(verdict, style=style),
            Text(f"{held}/{len(case.checks)}" if case.checks else "-"),
            Text(scores or "-"),
            Text(ms_text(case.duration_ms)),
            Text(usd_or_dash(case.cost_usd)),
            Text(case.run_id or "-"),
        )
    console.print(table)
    for case in result.cases:
        if case.passed:
            continue
        console.print(Text(f"✗ {case.name}" + (f" (run {case.run_id})" if case.run_id else "")))
        for line in case.failures():
            console.print(Text("    " + short(line, 400)))
    totals = (
        f"{result.passed} passed, {result.failed} failed in {ms_text(result.duration_ms)}; "
        f"runs cost {usd(result.cost_usd)}"
        + (f", judges {usd(result.judge_cost_usd)}" if result.judge_cost_usd else "")
    )
    console.print(Text(totals))
    if comparison is not None:
        since = earlier.removeprefix("in ").removeprefix("at ")
        for label, names in (
            (f"regressions (passed {earlier}, fail now)", comparison.regressions),
            (f"improvements (failed {earlier}, pass now)", comparison.improvements),
            ("still failing", comparison.still_failing),
            (f"new since {since}", comparison.new),
            (f"{earlier} only", comparison.gone),
            (f"judge scores moved since {since}", comparison.scores),
        ):
            if names:
                console.print(Text(f"{label}: {'; '.join(names)}"))
        if comparison.cost:
            console.print(Text(f"runs cost {comparison.cost} since {since}"))


def junit_xml(result: SuiteResult) -> str:
    """The result as JUnit XML (``testsuites`` › ``testsuite`` › ``testcase``, a
    ``failure`` per failed case, an ``error`` when it could not run), as CI servers read it."""
    errors = sum(1 for c in result.cases if c.error and not c.passed)
    seconds = f"{result.duration_ms / 1000:.3f}"
    root = ET.Element(
        "testsuites",
        name="podium eval",
        tests=str(len(result.cases)),
        failures=str(result.failed - errors),
        errors=str(errors),
        time=seconds,
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=result.suite,
        tests=str(len(result.cases)),
        failures=str(result.failed - errors),
        errors=str(errors),
        time=seconds,
        timestamp=result.started_at.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("spec", result.spec), ("file", result.file)):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    for case in result.cases:
        element = ET.SubElement(
            suite,
            "testcase",
            classname=result.suite,
            name=_xml_text(case.name),
            time=f"{(case.duration_ms or 0) / 1000:.3f}",
        )
        if not case.passed:
            lines = case.failures()
            tag = "error" if case.error else "failure"
            failure = ET.SubElement(
                element, tag, message=_xml_text(short(lines[0] if lines else "failed", 300))
            )
            failure.set("type", "EvalError" if case.error else "EvalFailure")
            failure.text = _xml_text("\n".join(lines))
        out = [f"run: {case.run_id or '-'} ({case.status})", f"cost: {usd(case.cost_usd)}"]
        out += [
            f"judge {j.agent}: {j.score if j.score is not None else '-'} — {j.reason or j.error}"
            for j in case.judges
        ]
        ET.SubElement(element, "system-out").text = _xml_text("\n".join(out))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _xml_text(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)
