"""Checking ``{{ … }}`` text templates at compile time (they are rendered much later).

Templated fields: the spec's ``summary`` (rendered from the run input when the run
starts), an approval's ``title`` (from input, steps and vars when the request opens),
and a scripted agent's rule ``output`` strings and ``fail`` message (from the step's
inputs). A template that does not parse, uses an unknown filter or test, or reads
something that will not be there is refused here, not discovered in production.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from podium.compiler.problems import Reporter
from podium.compiler.step_graph import Scope, StepGraph
from podium.compiler.yamlfile import Loc, YamlDocument

# The same kind of environment as activities.templates (the renderer).
_env = SandboxedEnvironment(autoescape=False)
HINT = "write e.g. {{ input.company }}, {{ steps.risk.output.level }} or {{ items | join(', ') }}"


def check_template(
    report: Reporter,
    doc: YamlDocument,
    loc: Loc,
    text: Any,
    *,
    roots: tuple[str, ...] | None = None,
    why: str = "",
    graph: StepGraph | None = None,
    scope: Scope | None = None,
    current: str | None = None,
) -> bool:
    """Record a problem if ``text`` is not a usable template; True if it is.

    ``roots``: the only names it may read (``None``: any); ``why`` says where they come
    from. With ``graph`` and ``scope``, ``steps.<id>`` / ``vars.<name>`` it reads are
    checked like an expression's (the step must have finished, the variable exist).
    """
    if not isinstance(text, str) or ("{{" not in text and "{%" not in text and "{#" not in text):
        return True
    try:
        _env.from_string(text)  # parses and compiles: unknown filters and tests too
        tree = _env.parse(text)
    except TemplateSyntaxError as exc:
        line = f" (line {exc.lineno} of the template)" if "\n" in text.strip() else ""
        report.problem(
            doc, loc, f"template {_short(text)} does not work: {exc.message}{line}", HINT
        )
        return False
    except Exception as exc:  # noqa: BLE001 - jinja2 may raise others on odd input
        report.problem(doc, loc, f"template {_short(text)} does not work: {exc}", HINT)
        return False
    ok = True
    if roots is not None:
        for name in sorted(meta.find_undeclared_variables(tree) - set(roots)):
            allowed = ", ".join(roots)
            report.problem(
                doc,
                loc,
                f"template {_short(text)} reads {name!r}, which is not available here{why}",
                f"start from {allowed} (e.g. {{{{ {roots[0]}.{name} }}}})",
            )
            ok = False
    if graph is not None and scope is not None:
        for ref in sorted(_references(tree)):
            ok &= graph.expression(loc, ref, scope, current)
    return ok


def check_templates_in(report: Reporter, doc: YamlDocument, loc: Loc, value: Any) -> bool:
    """``check_template`` on every string inside ``value`` (mappings and lists too)."""
    if isinstance(value, dict):
        results = [check_templates_in(report, doc, loc + (k,), v) for k, v in value.items()]
        return all(results)
    if isinstance(value, list):
        return all([check_templates_in(report, doc, loc + (i,), v) for i, v in enumerate(value)])
    return check_template(report, doc, loc, value)


def _references(tree: nodes.Template) -> set[str]:
    """``steps.<id>`` and ``vars.<name>`` read by the template, as expressions."""
    found = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base = getattr(node, "node", None)
        if not isinstance(base, nodes.Name) or base.name not in ("steps", "vars"):
            continue
        arg = getattr(node, "arg", None)
        if isinstance(node, nodes.Getattr):
            key: Any = node.attr
        elif isinstance(arg, nodes.Const):
            key = arg.value
        else:
            continue
        if isinstance(key, str) and key.isidentifier():
            found.add(f"{base.name}.{key}")
    return found


def _short(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "…")
