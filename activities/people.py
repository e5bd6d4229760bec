"""Who is who: the people file, read by the console (who may sign in, in which language)
and by the worker (whom to e-mail when a request waits on them).

    people:
      deal-desk: {email: desk@example.com, language: id}   # an approver named in specs
      cfo:       {email: cfo@example.com, name: Dewi (CFO)}

People are the approvers named in specs and catalogs (``approvers: [deal-desk]``), matched
case-insensitively as approvals are. Each may have the e-mail address their sign-in links
and notifications go to, the language their pages are in (``en``, or ``id`` — Bahasa
Indonesia) and a name to be greeted by. The console reads the file given with ``podium
console --people`` (``starters/web/settings.py``, which reports problems with their lines);
a worker reads the one ``PODIUM_PEOPLE`` names (``read_people``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from podium.activities.errors import SetupError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PEOPLE_ENV = "PODIUM_PEOPLE"
"""On a worker: the people file (who gets an e-mail when a request waits on them)."""
LANGUAGES = ("en", "id")
"""The languages the console's pages are written in (English, Bahasa Indonesia)."""


class PersonEntry(BaseModel):
    """One person of the people file."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    language: str = Field(default="en", pattern="^(" + "|".join(LANGUAGES) + ")$")
    name: str | None = None
    """How the pages greet them (default: their id)."""
    can: list[Literal["edit-specs", "start-runs"]] = Field(default_factory=list)
    """What they may do in the console beyond answering what waits on them: change specs
    in the builder, start runs from it (nobody may unless the people file says so)."""


class PeopleFile(BaseModel):
    """The people file."""

    model_config = ConfigDict(extra="forbid")

    people: dict[str, PersonEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    """Someone the people file names: the id approvals name them by, and how to reach them."""

    id: str
    language: str = "en"
    email: str | None = None
    display: str = ""
    can: frozenset[str] = frozenset()
    """What the people file lets them do in the console (``PersonEntry.can``)."""

    @property
    def shown(self) -> str:
        """How pages name them."""
        return self.display or self.id


def people_in(parsed: PeopleFile) -> dict[str, Person]:
    """Everyone in ``parsed``, by lower-cased id (approvals match ids case-insensitively)."""
    return {
        key.lower(): Person(
            id=key, language=e.language, email=e.email, display=e.name or "", can=frozenset(e.can)
        )
        for key, e in parsed.people.items()
    }


def read_people(path: str | Path) -> dict[str, Person]:
    """Read the people file at ``path`` (a worker's ``PODIUM_PEOPLE``).

    Raises:
        SetupError: unreadable or wrong (every problem, by where it is in the file).
    """
    try:
        parsed = PeopleFile.model_validate(yaml.safe_load(Path(path).read_text("utf-8")) or {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SetupError(f"the people file {path} cannot be read: {exc}") from None
    except ValidationError as exc:
        problems = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        ]
        raise SetupError("\n".join([f"the people file {path} is wrong:", *problems])) from None
    return people_in(parsed)
