"""``podium memory show SUBJECT`` and ``podium memory forget SUBJECT``: a person's facts,
shown or erased (the access and erasure rights of the PDPA laws of Singapore, Thailand and
Malaysia), each with an audit line saying who, when and how many facts — never the facts.

The store is the workers' (``PODIUM_MEMORY_URL``; unset: ``.podium/memory.db`` here, as
``podium dev``'s worker uses). Values are decoded with this process's encryption keys
(``PODIUM_ENCRYPTION_KEYS``, or those of this folder's ``podium dev --encrypt``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from podium.activities.memory.settings import open_store
from podium.activities.memory.store import AuditLine, StoredFact
from podium.activities.memory.values import decode
from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.activities.payloads.converter import data_converter
from podium.starters import exit_codes
from podium.starters.connect import payload_settings
from podium.starters.humans import default_user

HISTORIES = (
    "runs that read these facts before keep what they read in their histories until "
    "Temporal's retention removes them (the namespace's retention period); no later run "
    "reads them, and a run that started before now keeps nothing it writes about this "
    "subject"
)


def show(
    subject: str, *, by: str | None = None, as_json: bool = False, out: TextIO | None = None
) -> int:
    """Print the subject's facts (newest first, with provenance) and record an audit line."""
    out = out or sys.stdout
    store = open_store()
    now = datetime.now(UTC)
    store.purge_expired(now)
    facts = store.recent(subject, 0, now)
    values, missing = asyncio.run(_decoded(facts))
    line = AuditLine("show", by or default_user(), now, len(facts))
    store.record(subject, line)
    if as_json:
        rows = [_row(fact, value) for fact, value in zip(facts, values, strict=True)]
        audit = [_audit_row(a) for a in store.audit(subject)]
        out.write(
            json.dumps(
                {"subject": subject, "facts": rows, "audit": audit}, ensure_ascii=False, indent=1
            )
            + "\n"
        )
    else:
        out.write(_listing(subject, store.url, facts, values, store.audit(subject)))
    if missing is not None:
        print(
            f"podium: {missing.reading('some facts', 'this client', 'their value')}",
            file=sys.stderr,
        )
        return exit_codes.USAGE
    return exit_codes.OK


def forget(
    subject: str,
    *,
    yes: bool = False,
    by: str | None = None,
    reason: str = "",
    out: TextIO | None = None,
    ask: TextIO | None = None,
) -> int:
    """Delete every fact of the subject (after asking, unless ``yes``) and record it."""
    out = out or sys.stdout
    store = open_store()
    count = len(store.recent(subject, 0, datetime.now(UTC)))
    if not yes:
        answer = ask or sys.stdin
        if not answer.isatty():
            print(
                "podium: memory forget: add --yes to confirm (there is no terminal to ask)",
                file=sys.stderr,
            )
            return exit_codes.USAGE
        out.write(f"forget every fact about {subject!r} in {store.url} ({_facts(count)})? [y/N] ")
        out.flush()
        if answer.readline().strip().lower() not in ("y", "yes"):
            out.write("nothing forgotten\n")
            return exit_codes.OK
    now = datetime.now(UTC)
    gone = store.forget(subject, by or default_user(), now, reason)
    out.write(f"forgot {_facts(gone)} about {subject!r} ({store.url})\n")
    out.write(f"audit: {AuditLine('forget', by or default_user(), now, gone, reason).text()}\n")
    out.write(f"note: {HISTORIES}\n")
    return exit_codes.OK


async def _decoded(facts: list[StoredFact]) -> tuple[list[Any], UnknownEncryptionKey | None]:
    """The facts' values (None where this process lacks the key) and the first missing key."""
    converter = data_converter(payload_settings())
    values: list[Any] = []
    missing: UnknownEncryptionKey | None = None
    for fact in facts:
        try:
            values.append(await decode(converter, fact.value))
        except UnknownEncryptionKey as exc:
            values.append(None)
            missing = missing or exc
    return values, missing


def _listing(
    subject: str, url: str, facts: list[StoredFact], values: list[Any], audit: list[AuditLine]
) -> str:
    lines = [f"memory of {subject!r} ({url}): {_facts(len(facts))}, newest first"]
    for fact, value in zip(facts, values, strict=True):
        expires = f", expires {_time(fact.expires_at)}" if fact.expires_at else ""
        lines.append(f"{_time(fact.written_at)}  run {fact.run_id}  step {fact.step}{expires}")
        shown = "(encrypted with a key this client does not have)" if value is None else value
        text = (
            shown
            if isinstance(shown, str)
            else json.dumps(shown, ensure_ascii=False, sort_keys=True)
        )
        lines.append(f"  {text}")
    lines.append("audit:")
    lines += [f"  {line.text()}" for line in audit]
    return "\n".join(lines) + "\n"


def _row(fact: StoredFact, value: Any) -> dict[str, Any]:
    return {
        "fact": value,
        "run": fact.run_id,
        "step": fact.step,
        "at": fact.written_at.isoformat(),
        "expires": fact.expires_at.isoformat() if fact.expires_at else None,
    }


def _audit_row(line: AuditLine) -> dict[str, Any]:
    return {
        "action": line.action,
        "by": line.by,
        "at": line.at.isoformat(),
        "facts": line.facts,
        "reason": line.reason,
    }


def _facts(count: int) -> str:
    return f"{count} fact" + ("" if count == 1 else "s")


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
