"""``podium schema [--out DIR] [--kinds-table FILE]``: write the spec, catalog and eval
suite JSON Schemas for editors; with ``--kinds-table``, also the table of step kinds in a
Markdown file (between its ``<!-- kinds table`` and ``<!-- end of kinds table -->`` lines)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import podium.workflows.plan  # noqa: F401 - registers the built-in kinds
from podium.compiler.schema import (
    CATALOG_SCHEMA_FILE,
    SPEC_SCHEMA_FILE,
    catalog_schema,
    spec_schema,
)
from podium.starters import exit_codes
from podium.starters.evals.suite import EVAL_SCHEMA_FILE, suite_schema
from podium.workflows.kinds.base import kinds_table

KINDS_START = "<!-- kinds table:"
KINDS_END = "<!-- end of kinds table -->"


def write_kinds_table(path: Path) -> bool:
    """Rewrite the kinds table in ``path`` from the registry; False if it has no markers."""
    text = path.read_text()
    if KINDS_START not in text or KINDS_END not in text:
        return False
    start = text.index("\n", text.index(KINDS_START)) + 1
    end = text.index(KINDS_END)
    path.write_text(text[:start] + kinds_table() + text[end:])
    return True


def main(out: str = "schema", kinds_table_file: str | None = None) -> int:
    """Write the schemas into ``out`` (and the kinds table into ``kinds_table_file``)."""
    if kinds_table_file is not None:
        target = Path(kinds_table_file)
        if not target.is_file() or not write_kinds_table(target):
            print(
                f"podium schema: {target} has no kinds table to rewrite (it needs a line "
                f"starting {KINDS_START!r} and one {KINDS_END!r})",
                file=sys.stderr,
            )
            return exit_codes.USAGE
        print(f"wrote the kinds table in {target}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in (
        (SPEC_SCHEMA_FILE, spec_schema()),
        (CATALOG_SCHEMA_FILE, catalog_schema()),
        (EVAL_SCHEMA_FILE, suite_schema()),
    ):
        (folder / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        print(f"wrote {folder / name}")
    return 0
