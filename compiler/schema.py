"""JSON Schemas of the spec and catalog languages, generated from their pydantic models.

Editors use them to autocomplete and check YAML (e.g. a ``# yaml-language-server:
$schema=…`` comment, or the YAML extension's ``yaml.schemas`` setting).
"""

from __future__ import annotations

from typing import Any

from podium.compiler.catalog import CatalogFile
from podium.compiler.spec import SpecFile, registered_entries

SPEC_SCHEMA_FILE = "podium-spec.schema.json"
CATALOG_SCHEMA_FILE = "podium-catalog.schema.json"


def spec_schema() -> dict[str, Any]:
    """JSON Schema of a spec file."""
    schema = SpecFile.model_json_schema(by_alias=True)
    step = schema["$defs"]["StepEntry"]
    for key, entry in registered_entries().items():  # kinds registered besides the built-ins
        schema["$defs"].update(entry.pop("$defs", {}))
        step["properties"][key] = entry
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Podium workflow spec"
    return schema


def catalog_schema() -> dict[str, Any]:
    """JSON Schema of an agent catalog file."""
    schema = CatalogFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Podium agent catalog"
    return schema
