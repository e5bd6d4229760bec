"""Streaming an agent's text to its run while the model writes it.

``run_agent`` opens a ``TextSink`` around the provider's call when the workflow asked for
text (``AgentCall.stream``: someone watches the run, or it was started to be followed);
providers hand it what they receive (``write``) and learn whether anyone listens from
``text_sink()``. The sink publishes to the run's stream (``run_events``) on Temporal's
Workflow Streams: a ``text.start`` opening a new take (in the same signal as its first
text; at once for a retry, so readers drop the failed take's text as it begins), then one
``text.delta`` per batch — the first at once, then every ``every_s`` seconds or
``every_tokens`` pieces, whichever comes first — each batch a signal, deduplicated by the
stream if it is sent twice. When the call ends the last batch is sent and awaited, never
cut off mid-signal.

Streaming never fails a call: a stream that cannot be reached is logged once and the
answer still returns. What a reader assembles always ends as the final answer: a take
that fails is retracted, and one whose text differs from the validated answer (a
provider that streams differently from what it bills) is retracted and replaced by the
answer in one piece (``settle``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from podium.activities.contracts import AgentCall, AgentResult, StreamTarget
from podium.activities.run_events import TOPIC, EventKind, RunEvent
from temporalio import activity
from temporalio.contrib.workflow_streams import WorkflowStreamClient
from temporalio.service import RPCError, RPCStatusCode

logger = logging.getLogger("podium.stream")

EVERY_S = 0.05
"""A batch of text goes out at least this often while text comes in."""
EVERY_TOKENS = 20
"""… or as soon as this many pieces (tokens, chunks) are waiting."""
FLUSH_S = 10.0
"""How long the end of a call waits for its last text to reach the run."""

_sink: contextvars.ContextVar[TextSink | None] = contextvars.ContextVar("podium_sink", default=None)


def text_sink() -> TextSink | None:
    """The sink of the call running in this task (None: nobody asked for its text)."""
    return _sink.get()


class TextSink:
    """One take of a call's text, published to the run's stream in batches."""

    def __init__(
        self,
        target: StreamTarget | None,
        step: str,
        attempt: int,
        *,
        every_s: float = EVERY_S,
        every_tokens: int = EVERY_TOKENS,
    ) -> None:
        self.target, self.step, self.attempt = target, step, attempt
        self.every_s, self.every_tokens = every_s, every_tokens
        self.take = uuid.uuid4().hex[:12]
        self.written: list[str] = []
        """Everything written in this take (what a reader has assembled, once sent)."""
        self._waiting: list[str] = []
        self._client: WorkflowStreamClient | None = None
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._token: contextvars.Token[TextSink | None] | None = None
        self._gave_up = False
        self._opening: dict[str, Any] | None = None
        """The take's ``text.start``, sent with its first text (one signal, not two)."""
        self._closing = False

    @classmethod
    def of(cls, call: AgentCall) -> TextSink:
        """The sink of ``call``: one that streams nothing unless the run asked for text."""
        return cls(call.stream, call.step_id, call.attempt)

    async def __aenter__(self) -> TextSink:
        if self.target is None:
            return self
        try:
            self._client = WorkflowStreamClient.create(activity.client(), self.target.workflow_id)
        except RuntimeError as exc:  # no client here (a bare test environment)
            self._give_up(exc)
        worker_attempt = activity.info().attempt
        self._opening = {"worker_attempt": worker_attempt}
        if worker_attempt > 1 or self.attempt > 1:  # a retry: readers drop the failed
            self._open()  # take's text now, not only once this one writes
        self._sender = asyncio.create_task(self._send_loop())
        self._token = _sink.set(self)
        return self

    def write(self, text: str) -> None:
        """Take in a piece of the answer (sent at once if it is the take's first)."""
        if not text:
            return
        first = not self.written
        self.written.append(text)
        self._waiting.append(text)
        if first or len(self._waiting) >= self.every_tokens:
            self._emit()

    def settle(self, answer: AgentResult) -> None:
        """The answer is final: make what readers assemble the answer — the text as the
        model wrote it when that is the answer (a structured one: JSON that reads as the
        output, however it is spaced), else the answer in one piece."""
        self._emit()
        written = "".join(self.written)
        if written and said(written, answer):
            return
        final = answer_text(answer)
        if self.written:  # it streamed something else: readers drop it for the answer
            self.retract()
            self.take = uuid.uuid4().hex[:12]
            self.written = []
            self._opening = {"replaces_take": True}
        self.write(final)  # (nothing streamed, e.g. a server that does not: in one piece)

    def retract(self) -> None:
        """This take failed: readers drop its text (a take that sent none has none)."""
        self._waiting.clear()
        if self._opening is None:
            self._publish("text.retract")

    async def __aexit__(self, *exc: object) -> None:
        if self._token is None:
            return
        _sink.reset(self._token)
        self._emit()
        self._closing = True  # the sender ends after what it is sending (never cut mid-signal)
        self._wake.set()
        try:  # the text reaches the run before the call's answer does
            await asyncio.wait_for(self._finish(), FLUSH_S)
        except TimeoutError as exc:
            self._give_up(exc)
        finally:
            if self._sender is not None:
                self._sender.cancel()

    async def _finish(self) -> None:
        if self._sender is not None:
            await self._sender
        await self._drain()

    async def _send_loop(self) -> None:
        """Send what waits every ``every_s`` (or at once when a batch is full), until the
        call ends."""
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.every_s)
            except TimeoutError:
                pass
            self._wake.clear()
            self._emit(wake=False)
            await self._send()
            if self._closing:
                return

    async def _drain(self) -> None:
        while self._client is not None and not await self._send():
            await asyncio.sleep(0.2)

    async def _send(self) -> bool:
        """Send the batches waiting; False if it must be tried again."""
        if self._client is None:
            return True
        try:
            await self._client.flush()  # (a batch sent twice is dropped by the stream)
            return True
        except RPCError as exc:
            if exc.status not in RETRYABLE:
                self._give_up(exc)
                return True
            return False

    def _emit(self, wake: bool = True) -> None:
        if self._waiting:
            text, self._waiting = "".join(self._waiting), []
            self._open()
            self._publish("text.delta", text=text, wake=wake)

    def _open(self) -> None:
        """Put the take's ``text.start`` in the next batch (once)."""
        if self._opening is not None:
            opening, self._opening = self._opening, None
            self._publish("text.start", wake=False, data=opening)

    def _publish(
        self, kind: EventKind, text: str | None = None, wake: bool = True, **fields: Any
    ) -> None:
        if self._client is None or self.target is None:
            return
        event = RunEvent(
            kind=kind,
            at=datetime.now(UTC),
            step=self.step,
            attempt=self.attempt,
            call=self.target.call,
            take=self.take,
            text=text,
            **fields,
        )
        self._client.topic(TOPIC).publish(event.model_dump(mode="json", exclude_defaults=True))
        if wake:
            self._wake.set()

    def _give_up(self, exc: BaseException) -> None:
        if not self._gave_up:  # once per call
            self._gave_up = True
            logger.warning(
                "the text of step %s could not be streamed to run %s: %s: %s",
                self.step,
                self.target and self.target.workflow_id,
                type(exc).__name__,
                exc,
            )
        self._client = None


def said(text: str, answer: AgentResult) -> bool:
    """Whether ``text`` is what the model answered: the text itself, the JSON of a
    structured output, or what it said beside its tool calls (before stripping)."""
    if answer.tool_calls:
        return text.strip() == (answer.text or "")
    if isinstance(answer.output, str):
        return text == answer.output
    try:
        return bool(json.loads(text) == answer.output)
    except ValueError:
        return False


def answer_text(answer: AgentResult) -> str:
    """The text a reader should end with for ``answer``: the output as written (JSON for
    a structured one), or what the model said beside its tool calls."""
    if answer.tool_calls:
        return answer.text or ""
    if isinstance(answer.output, str):
        return answer.output
    return json.dumps(answer.output, ensure_ascii=False)


RETRYABLE = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)
"""Errors of a signal that a moment later may succeed (the server restarting, busy)."""
