"""Running a suite's cases as real Podium runs, several at once.

Each case starts an ordinary run of the suite's compiled spec (workflow id
``<spec>-eval-<random>``) on whatever workers serve this Temporal namespace, like
``podium run``. While it runs, the requests it puts to people are answered as the
case's ``answers:`` say (a request no answer matches fails the case, and its run is
cancelled); a run past the case's timeout is cancelled too. Then its durable record is
read (``starters.evals.record``), checked (``starters.evals.checks``) and judged
(``starters.evals.judge``). A case's own trouble — a refused answer, an unreadable
record — fails that case, never the suite.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from podium.activities.cassette import Cassette
from podium.activities.errors import PodiumError
from podium.starters.evals.checks import check_run
from podium.starters.evals.judge import JudgeResult, judge_run
from podium.starters.evals.record import RunRecord, read_record
from podium.starters.evals.results import CaseResult, SuiteResult
from podium.starters.evals.suite import Answer, JudgeCheck
from podium.starters.evals.suite_file import LoadedCase, LoadedSuite
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.starters.runs import read_run
from podium.workflows.humans import DecisionInput, HumanRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

POLL_S = 0.5
"""How often a running case's state is read for requests to answer."""
CANCEL_WAIT_S = 60.0
"""How long a cancelled run may take to end (its compensations run first)."""
EVAL_USER = "podium-eval"
"""Who answers a request that names no approvers, unless the answer says ``by``."""

Listener = Callable[[CaseResult], None]


async def run_suite(
    client: Client,
    loaded: LoadedSuite,
    *,
    concurrency: int | None = None,
    on_done: Listener | None = None,
    cassette: Cassette | None = None,
) -> SuiteResult:
    """Run every case of ``loaded``, at most ``concurrency`` at once (default: the
    suite's); ``on_done`` hears of each case as it finishes; the judges answer through
    ``cassette`` when given (``--record``, ``--replay``)."""
    started, clock = datetime.now(UTC), time.monotonic()
    limit = asyncio.Semaphore(concurrency or loaded.suite.defaults.concurrency)

    async def one(case: LoadedCase) -> CaseResult:
        async with limit:
            result = await run_case(client, loaded, case, cassette)
        if on_done is not None:
            on_done(result)
        return result

    cases = await asyncio.gather(*(one(case) for case in loaded.cases))
    result = SuiteResult(
        suite=loaded.name,
        file=str(loaded.path),
        spec=loaded.plan.name,
        offline=bool(loaded.offline),
        started_at=started,
        duration_ms=(time.monotonic() - clock) * 1000,
        cases=list(cases),
    )
    result.total()
    return result


async def run_case(
    client: Client, loaded: LoadedSuite, case: LoadedCase, cassette: Cassette | None = None
) -> CaseResult:
    """Run one case and judge its record (the judges through ``cassette``, if given)."""
    clock = time.monotonic()
    result = CaseResult(name=case.case.name)
    try:
        workflow_id = f"{loaded.plan.name}-eval-{uuid.uuid4().hex[:8]}"
        handle = await start_run(client, loaded.plan, case.input, workflow_id=workflow_id)
        result.run_id = handle.id
        result.error = await _until_ended(handle, case)
        record = await read_record(client, handle.id, case.input)
    except (PodiumError, TemporalError, RPCError) as exc:
        result.error = (f"{result.error}; " if result.error else "") + _message(exc)
        result.duration_ms = (time.monotonic() - clock) * 1000
        return result
    result.status = record.status
    result.agents = list(dict.fromkeys(record.names("agent")))
    result.tokens = record.state.usage.total_tokens if record.state else 0
    result.cost_usd = record.state.cost_usd if record.state else 0.0
    result.checks = check_run(case.case.expect, record)
    for number, check in enumerate(case.case.expect.judge, 1):
        verdict = await _judge(loaded, case, check, record, number, cassette)
        verdict.about = _about(check, record)
        result.judges.append(verdict)
    result.judge_cost_usd = round(sum(j.cost_usd for j in result.judges), 8)
    result.passed = (
        result.error is None
        and all(c.passed for c in result.checks)
        and all(j.passed for j in result.judges)
    )
    result.duration_ms = (time.monotonic() - clock) * 1000
    return result


async def _judge(
    loaded: LoadedSuite,
    case: LoadedCase,
    check: JudgeCheck,
    record: RunRecord,
    number: int,
    cassette: Cassette | None,
) -> JudgeResult:
    if record.status != "completed":
        return JudgeResult(
            agent=check.agent,
            rubric=check.rubric,
            at=check.at,
            min_score=check.min_score,
            error=f"not judged: the run {record.status}",
        )
    key = f"{loaded.name}/{case.case.name}/judge-{number}"
    return await judge_run(check, loaded.judges[check.agent], record, key=key, cassette=cassette)


def _about(check: JudgeCheck, record: RunRecord) -> str:
    """The agent a judge's score is about: ``about``, else the agent of the step ``at``
    reads, else the last agent called, else the judge itself."""
    if check.about:
        return check.about
    parts = check.at.split(".")
    if parts[0] == "steps" and len(parts) > 1 and record.state is not None:
        step = record.state.find(parts[1])
        if step is not None and step.agent:
            return step.agent
    agents = record.names("agent")
    return agents[-1] if agents else check.agent


async def _until_ended(handle: WorkflowHandle[Any, Any], case: LoadedCase) -> str | None:
    """Wait for the run to end, answering its requests; None, or why the case fails
    whatever the run did (a timeout, a request nobody answers)."""
    ended = asyncio.create_task(_ended(handle))
    deadline = time.monotonic() + case.timeout_s
    answers = list(case.case.answers)
    answered: set[str] = set()
    try:
        while True:
            done, _ = await asyncio.wait({ended}, timeout=POLL_S)
            if done:
                return None
            if time.monotonic() > deadline:
                return await _cancel(handle, ended, f"the run took longer than {case.timeout_s:g}s")
            for request in await _open_requests(handle):
                if request.id in answered:
                    continue
                answer = _match(answers, request)
                if answer is None:
                    why = (
                        f"the run asked people at step {request.step!r} ({request.id}: "
                        f"{request.title}) and the case has no answer for it (add one under "
                        f"answers:, e.g. {{step: {request.step}, outcome: approve}})"
                    )
                    return await _cancel(handle, ended, why)
                answers.remove(answer)
                answered.add(request.id)
                try:
                    await send_decision(handle, _decision(answer, request))
                except WorkflowUpdateFailedError as exc:
                    reason = getattr(exc.cause, "message", None) or str(exc.cause or exc)
                    why = f"the case's answer to {request.id} was refused: {reason}"
                    return await _cancel(handle, ended, why)
    finally:
        ended.cancel()


async def _ended(handle: WorkflowHandle[Any, Any]) -> None:
    try:
        await handle.result()
    except (TemporalError, RPCError):  # failed or cancelled: the record says how
        pass


async def _open_requests(handle: WorkflowHandle[Any, Any]) -> list[HumanRequest]:
    try:
        state, _ = await read_run(handle)
    except (PodiumError, TemporalError, RPCError):  # e.g. no worker for a moment
        return []
    return state.open_requests()


def _match(answers: list[Answer], request: HumanRequest) -> Answer | None:
    """The first unused answer naming the request's id, else its step."""
    for answer in answers:
        if answer.step == request.id:
            return answer
    for answer in answers:
        if answer.step == request.step:
            return answer
    return None


def _decision(answer: Answer, request: HumanRequest) -> DecisionInput:
    by = answer.by or (request.approvers[0] if request.approvers else EVAL_USER)
    return DecisionInput(
        request_id=request.id,
        outcome=answer.outcome,
        by=by,
        comment=answer.comment or "answered by podium eval",
        output=answer.output,
    )


async def _cancel(handle: WorkflowHandle[Any, Any], ended: asyncio.Task[None], why: str) -> str:
    """Cancel the run and wait (a while) for it to end; return ``why``."""
    try:
        await handle.cancel()
        await asyncio.wait({ended}, timeout=CANCEL_WAIT_S)
    except (TemporalError, RPCError):
        pass
    return f"{why}; the run was cancelled"


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc) or type(exc).__name__
