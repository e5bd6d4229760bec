"""Contracts of guards: what an agent's or a tool's ``guard:`` asks (``GuardSettings``), as
the plan pins it, and what a tripped guard reports (``GuardTrip``).

Durable like ``activities.contracts``: written into workflow histories, so fields may be
added (optional, with defaults) but never renamed or removed. Only pydantic here: the
workflow sandbox loads this module with the plan.
"""

from __future__ import annotations

from typing import Literal

from podium.activities.contract_base import Contract
from pydantic import Field

PiiAction = Literal["mask", "redact", "block"]
OnTrip = Literal["fail", "escalate"]

PII_KINDS: dict[str, str] = {
    "email": "an e-mail address",
    "phone": "a phone number (SG, MY, ID, TH, VN, PH; any with +country code)",
    "card": "a payment card number (Luhn check digit, a known card prefix)",
    "sg_nric": "a Singapore NRIC or FIN (S/T/F/G/M, check letter)",
    "my_mykad": "a Malaysian MyKad number (YYMMDD-PB-####: date and place of birth)",
    "th_id": "a Thai national ID (13 digits, mod-11 check digit)",
    "id_nik": "an Indonesian NIK (16 digits: region code and date of birth)",
    "ph_philsys": "a Philippine PhilSys number (PSN 12 digits, PCN 16; no check digit)",
    "vn_cccd": "a Vietnamese CCCD / personal ID (12 digits: province, century, year)",
}
"""The personal data a guard can find, by the name the catalog uses (``kinds:``)."""


class PiiCheck(Contract):
    """Personal data in a text that passes a guard: what to look for, what to do."""

    action: PiiAction = "mask"
    """``mask`` keeps a recognisable shape (``S****567D``, ``a***@example.com``);
    ``redact`` puts the kind in its place (``[SG_NRIC]``); ``block`` trips the guard."""
    kinds: list[str] = Field(default_factory=lambda: list(PII_KINDS))
    """Which kinds (default: all)."""
    on_trip: OnTrip | None = None
    """What a block does (None: the guard's ``on_trip``)."""


class InjectionCheck(Contract):
    """Prompt injection in what a tool answers (and, for an agent, in its inputs)."""

    rules: bool = True
    """Podium's rules (``activities/guards/injection.py``)."""
    classifier: str | None = None
    """A catalog agent asked about each tool result (after the rules passed it): it
    answers ``{"injection": true|false, "reason": …}``."""
    on_trip: OnTrip | None = None
    """What a finding does (None: the guard's ``on_trip``)."""


class GuardSettings(Contract):
    """An agent's or a tool's ``guard:``, resolved.

    For an agent, ``input`` screens what its provider is sent (its inputs and the tool
    loop so far) and ``output`` its answer before it is returned and stored;
    ``injection`` screens its inputs, and its tools' results unless a tool has its own.
    For a tool, ``input`` screens the arguments before the tool gets them, ``output`` and
    ``injection`` the result before the model reads it.
    """

    input: PiiCheck | None = None
    output: PiiCheck | None = None
    injection: InjectionCheck | None = None
    on_trip: OnTrip = "fail"
    """A tripped guard fails the step (then the step's ``on_error`` applies) or asks a
    person (retry with edited inputs, supply the output, skip, abort)."""
    escalate_to: list[str] = Field(default_factory=list)
    """Who decides an escalated trip (empty: the step's ``escalate_to``, else anyone)."""

    def escalates(self) -> bool:
        """Whether any of its checks asks a person when it trips."""
        checks = (self.input, self.output, self.injection)
        return any(c is not None and (c.on_trip or self.on_trip) == "escalate" for c in checks)


class GuardTrip(Contract):
    """What tripped a guard, as the failure's details carry it: kinds and places, never
    the values found."""

    owner: str
    """``agent 'x'`` or ``tool 'y'``."""
    check: Literal["input", "output", "injection"]
    found: list[str] = Field(default_factory=list)
    """``sg_nric in input 'customer.id'``, ``injection (ignore_instructions) in the result``."""
    on_trip: OnTrip = "fail"
    escalate_to: list[str] = Field(default_factory=list)
