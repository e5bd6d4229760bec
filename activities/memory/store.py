"""What every memory store does (the ``MemoryStore`` protocol), and what they share.

A store keeps *facts* about *subjects* (a customer, a vendor, a market) across runs:

    memory_facts    subject_key, write_key (unique), value (a Temporal payload: the
                    codec's ciphertext when encryption is on), search_text (casefolded,
                    NULL when encrypted), run_id, step, written_at, expires_at
    memory_audit    subject_key, action (show / forget), actor, at, facts (a count), reason

Subjects are kept only as ``subject_key`` (a SHA-256 digest): the database holds no
customer id or e-mail in clear, and a person's facts are still found from their id.
Stores are synchronous (SQLite and psycopg's blocking API); the activities call them on
a thread. ``sqlite_store`` and ``postgres_store`` implement the protocol; ``settings``
opens the one ``PODIUM_MEMORY_URL`` names.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

WriteOutcome = Literal["written", "already written", "forgotten"]
"""``already written``: a retry or replay of a write that happened (same key);
``forgotten``: the subject was forgotten after the writing run started, so nothing it
carries about the subject is kept."""


@dataclass(frozen=True)
class NewFact:
    """A fact to keep."""

    subject: str
    write_key: str
    """Once per step execution, the same for every retry of its write."""
    value: bytes
    """The fact as a serialized Temporal payload (after the codec)."""
    search_text: str | None
    """The fact's text, casefolded, for search; None when the value is encrypted."""
    run_id: str
    step: str
    written_at: datetime
    expires_at: datetime | None
    run_started: datetime
    """When the writing run (its first execution) started: a subject forgotten since
    gets nothing from it."""


@dataclass(frozen=True)
class StoredFact:
    """A fact as read back."""

    value: bytes
    run_id: str
    step: str
    written_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class AuditLine:
    """Who showed or forgot a subject's facts, when, and how many (never the facts)."""

    action: str
    by: str
    at: datetime
    facts: int
    reason: str = ""

    def text(self) -> str:
        """``2026-12-06 10:00 UTC forget by ann: 3 facts (ticket #88)``."""
        why = f" ({self.reason})" if self.reason else ""
        plural = "" if self.facts == 1 else "s"
        when = self.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{when} {self.action} by {self.by}: {self.facts} fact{plural}{why}"


class MemoryStore(Protocol):
    """A database of facts (SQLite, PostgreSQL). Every method is one transaction."""

    url: str
    """Where it is, without a password (for messages)."""

    def write(self, fact: NewFact) -> WriteOutcome:
        """Keep ``fact`` unless its ``write_key`` was written already or its subject was
        forgotten after ``fact.run_started``."""

    def recent(self, subject: str, limit: int, now: datetime) -> list[StoredFact]:
        """The subject's unexpired facts, newest first, at most ``limit`` (0: all)."""

    def search(self, subject: str, words: list[str], limit: int, now: datetime) -> list[StoredFact]:
        """The subject's unexpired facts whose ``search_text`` holds any of ``words``:
        those holding most of them first, then newest first; at most ``limit``."""

    def forget(self, subject: str, by: str, at: datetime, reason: str = "") -> int:
        """Delete every fact of ``subject`` and record it in the audit; the count."""

    def record(self, subject: str, line: AuditLine) -> None:
        """Add an audit line (``show``)."""

    def audit(self, subject: str) -> list[AuditLine]:
        """The subject's audit lines, oldest first."""

    def purge_expired(self, now: datetime) -> int:
        """Delete facts past their ``expires_at``; how many."""

    def schema_version(self) -> int:
        """The newest migration applied."""

    def close(self) -> None:
        """Release the connection."""


def subject_key(subject: str) -> str:
    """The digest a subject is stored under."""
    return hashlib.sha256(f"podium-memory:{subject}".encode()).hexdigest()


MAX_WORDS = 16
"""Words of a search text used (the rest are ignored)."""


def search_words(text: str) -> list[str]:
    """The distinct casefolded words of a search text, in order (at most ``MAX_WORDS``).

    A fact matches a word when the word occurs anywhere in its text, so scripts written
    without spaces between words (Thai) still match a phrase, and ``order`` finds
    ``orders``; one-letter words are left out (they match nearly everything)."""
    found: list[str] = []
    for word in re.findall(r"\w+", text.casefold()):
        if len(word) > 1 and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def matched(text: str, words: list[str]) -> int:
    """How many of ``words`` occur in ``text`` (already casefolded)."""
    return sum(1 for word in words if word in text)


def shown_url(url: str) -> str:
    """A store's URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not sep or not at:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}@{place}"
