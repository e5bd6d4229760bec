"""What the console needs to know: who its people are, how they sign in, where it lives.

    people:
      deal-desk: {email: desk@example.com, language: id}   # an approver named in specs
      cfo:       {email: cfo@example.com}

People are the approvers named in specs and catalogs (``approvers: [deal-desk]``); the
people file (``podium console --people people.yaml``) gives each the e-mail address their
sign-in links and notifications go to, and the language their pages are in (``en``, or
``id`` — Bahasa Indonesia). Behind a company proxy that has signed them in already, the
console can trust a header naming them instead (``--trusted-header X-Forwarded-User``).
Workers read the same file (``activities/people.py``) to e-mail the people a request waits on.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from podium.activities.mail import MailSettings
from podium.activities.people import LANGUAGES as LANGUAGES  # the pages' (templating)
from podium.activities.people import PeopleFile, Person, people_in
from podium.starters.settings_file import read_checked

SECRET_ENV = "PODIUM_CONSOLE_SECRET"
"""The key sessions and sign-in links are signed with (the same on every instance)."""
SESSION_S = 12 * 3600
"""How long a signed-in session lasts without signing in again."""
LINK_S = 15 * 60
"""How long a sign-in link works (once)."""


@dataclass
class ConsoleSettings:
    """How the console runs (``podium console``'s options)."""

    people: dict[str, Person] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: os.environ.get(SECRET_ENV) or secrets.token_hex(32))
    session_s: int = SESSION_S
    trusted_header: str | None = None
    """A header a company proxy sets to the signed-in person's id (None: not trusted)."""
    base_url: str = "http://127.0.0.1:8600"
    """Where people reach the console (the links in e-mails point there)."""
    temporal_ui: str = "http://localhost:8233"
    mail: MailSettings | None = None
    """How sign-in links are sent (``MailSettings.from_environment``; None: they are not)."""
    link_s: int = LINK_S
    used_links: Path = Path(".podium/console-links.db")
    """Where used sign-in links are remembered until they expire (``used_links.py``)."""
    namespace: str = "default"

    @property
    def spec_history(self) -> Path:
        """Where the builder's saves keep each spec's versions: beside the console's other
        state (``--state``; by default the project's ``.podium/spec-history``, as
        ``spec_history``'s own default)."""
        return Path(self.used_links).parent / "spec-history"

    @property
    def drafts(self) -> Path:
        """Where the builder keeps people's unsaved drafts (beside the other state)."""
        return Path(self.used_links).parent / "console-drafts"

    def person(self, person_id: str) -> Person:
        """``person_id`` as the people file knows them (or just their id)."""
        known = self.people.get(person_id.lower())
        return known or Person(id=person_id)


def load_people(path: str | Path) -> dict[str, Person]:
    """Read the people file; ids are matched case-insensitively, as approvals are.

    Raises:
        SetupError: unreadable or wrong (every problem with its line).
    """
    _, parsed, _ = read_checked(Path(path), PeopleFile, "people file")
    return people_in(parsed)
