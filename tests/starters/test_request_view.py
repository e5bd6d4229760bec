"""What `podium inbox` and `podium show` print about one request (no server needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from podium.starters.request_view import INBOX_LINES, call_lines, show_lines
from podium.workflows.humans import AskedToolCall, ChainLevel, HumanRequest
from podium.workflows.state import BudgetState, RunState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def tool_request(arguments: dict, reason: str | None = None) -> HumanRequest:
    return HumanRequest(
        id="quote-1",
        kind="approval",
        step="quote",
        title="quoter wants to call send_quote",
        details=arguments,
        opened_at=NOW - timedelta(minutes=5),
        deadline=NOW + timedelta(hours=1),
        approvers=["deal-desk"],
        tool_call=AskedToolCall(
            agent="quoter", tool="send_quote", arguments=arguments, reason=reason, turn=2
        ),
        chain=[ChainLevel(approvers=["deal-desk"], wait_s=3900)],
        on_timeout="reject",
    )


def test_inbox_cuts_long_arguments_with_a_note_and_show_prints_them_whole():
    arguments = {f"line_{i:02d}": f"item {i}" for i in range(30)}
    request = tool_request(arguments)
    cut = call_lines("run-1", request, whole=False)
    assert len(cut) == 1 + INBOX_LINES + 1
    assert cut[-1] == "  … cut after 12 of 32 lines; the whole call: podium show run-1 quote-1"
    whole = "\n".join(show_lines("run-1", request, RunState(spec="q"), NOW))
    assert "\n".join("  " + line for line in json.dumps(arguments, indent=2).splitlines()) in whole

    one_long = tool_request({"note": "x" * 5000})
    [_, opening, value, note] = call_lines("run-1", one_long, whole=False)
    assert value.endswith("…") and len(opening + value) <= 1000 + 1
    assert note.endswith("podium show run-1 quote-1")


def test_secrets_are_scrubbed_text_kept_and_control_characters_escaped(monkeypatch):
    monkeypatch.setenv("CRM_API_KEY", "crm-secret-7f3a9c")
    request = tool_request(
        {"customer": "บริษัท กาแฟ จำกัด", "auth": "crm-secret-7f3a9c", "note": "a\x9bb"},
        reason="Sending it now.\x1b[2J Done",
    )
    for text in (
        "\n".join(call_lines("r", request, whole=False)),
        "\n".join(show_lines("r", request, RunState(spec="q"), NOW)),
    ):
        assert "crm-secret-7f3a9c" not in text and '"auth": "***"' in text
        assert '"customer": "บริษัท กาแฟ จำกัด"' in text and '"note": "a\\x9bb"' in text
        assert "reason: Sending it now.\\x1b[2J Done" in text and "\x1b" not in text


def test_show_walks_the_escalation_chain_ahead():
    request = HumanRequest(
        id="signoff-1",
        kind="approval",
        step="signoff",
        title="High-risk deal: Acme",
        details={"level": "high"},
        opened_at=NOW - timedelta(hours=1),
        deadline=NOW + timedelta(hours=3),
        approvers=["deal-desk"],
        chain=[
            ChainLevel(approvers=["deal-desk"], wait_s=4 * 3600),
            ChainLevel(approvers=["cfo"], wait_s=86400),
        ],
        on_timeout="reject",
    )
    text = "\n".join(show_lines("deal-9", request, RunState(spec="deal_review"), NOW))
    assert 'details:\n  {\n    "level": "high"\n  }' in text
    assert "waiting on:  deal-desk (level 1 of 2) until 2026-12-01 12:00:00 UTC (in 3h 00m)" in text
    assert "then:        level 2: cfo from 2026-12-01 12:00:00 UTC for 24h 00m" in text
    assert "if nobody decides by 2026-12-02 12:00:00 UTC: rejected by default" in text
    assert "podium approve deal-9 signoff-1 --approve --as deal-desk" in text


def test_a_budget_request_shows_the_spend_so_far_and_a_failure_its_error():
    budget = HumanRequest(
        id="work-1",
        kind="budget",
        step="work",
        title="Run budget exceeded at step 'work'",
        details={"why": "$0.01 spent > budget", "needed_usd": 0.02, "needed_tokens": 900},
        opened_at=NOW,
        approvers=["cfo"],
    )
    state = RunState(
        spec="b", budget=BudgetState(usd=0.01, on_exceed="escalate", spent_usd=0.0099, calls=3)
    )
    text = "\n".join(show_lines("b-1", budget, state, NOW))
    assert "spend so far (now):\n  budget $0.01 (escalate on exceed): spent $0.009900" in text
    assert "needs a limit of at least $0.02 / 900 tokens" in text
    assert "waiting on:  cfo, no time limit" in text
    assert "podium resolve b-1 work-1 --raise-usd N --as cfo" in text

    failed = HumanRequest(
        id="calc-1",
        kind="failure",
        step="calc",
        title="Step 'calc' failed: StepFailed",
        failure="ProviderServerError: provider down",
        opened_at=NOW,
    )
    text = "\n".join(show_lines("f-1", failed, RunState(spec="f"), NOW))
    assert "error: ProviderServerError: provider down" in text
    assert "waiting on:  anyone, no time limit" in text
    assert "podium resolve f-1 calc-1 --supply FILE" in text and "--as" not in text
