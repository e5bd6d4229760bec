"""Guards: personal data and prompt injection screened where text enters or leaves a model
or a tool (``guard:`` on a catalog's agents and tools; docs/guards.md).

The modules, each one concept: ``settings`` (the plan's contracts), ``recognizers``
(personal data: ``context``, ``digit_runs``, ``national_ids``), ``masking``, ``injection``
(rules), ``screening`` (a guard applied to a value) and ``hooks`` (where the activities
call them). Importing this package loads only the contracts: the workflow sandbox reads
them with the plan.
"""

from podium.activities.guards.settings import (
    PII_KINDS,
    GuardSettings,
    GuardTrip,
    InjectionCheck,
    PiiCheck,
)

__all__ = ["PII_KINDS", "GuardSettings", "GuardTrip", "InjectionCheck", "PiiCheck"]
