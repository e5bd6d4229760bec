"""Podium's built-in step kinds: importing this registers every one of them.

Each module registers its kind when it is imported (``register(...)`` at its end); the
plan imports this module once, so any plan can hold any built-in kind.
"""

import podium.workflows.kinds.agent  # noqa: F401
import podium.workflows.kinds.approval  # noqa: F401
import podium.workflows.kinds.map  # noqa: F401
import podium.workflows.kinds.parallel  # noqa: F401
import podium.workflows.kinds.refine  # noqa: F401
import podium.workflows.kinds.route  # noqa: F401
import podium.workflows.kinds.supervise  # noqa: F401
import podium.workflows.kinds.workflow  # noqa: F401
from podium.workflows.kinds.base import KINDS

__all__ = ["KINDS"]
