"""The base of every pydantic model that crosses a Temporal boundary.

Alone in its module so each contracts module (``contracts``, ``tool_contracts``,
``limiter_contracts``, the workflows' models) builds on it without importing another.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Base of every model that crosses a Temporal boundary."""

    model_config = ConfigDict(extra="forbid", frozen=False)
