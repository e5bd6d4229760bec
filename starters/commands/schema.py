"""``podium schema [--out DIR]``: write the spec and catalog JSON Schemas for editors."""

from __future__ import annotations

import json
from pathlib import Path

from podium.compiler.schema import (
    CATALOG_SCHEMA_FILE,
    SPEC_SCHEMA_FILE,
    catalog_schema,
    spec_schema,
)


def main(out: str = "schema") -> int:
    """Write both schemas into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in (
        (SPEC_SCHEMA_FILE, spec_schema()),
        (CATALOG_SCHEMA_FILE, catalog_schema()),
    ):
        (folder / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        print(f"wrote {folder / name}")
    return 0
