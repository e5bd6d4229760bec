"""``podium worker [--address A] [--catalog DIR] …``: hand over to ``python -m workers``.

Workers run in their own process (entry points never import each other): this command
only adds the address of this folder's ``podium dev`` when none is given, then replaces
itself with the worker process, which parses the rest of the arguments.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from podium.starters import devstate
from podium.starters.connect import folder_address


def main(argv: list[str]) -> NoReturn:
    """Exec ``python -m workers`` with ``argv`` (plus ``--address`` of this folder's dev)."""
    worker_args = list(argv)
    if not any(a == "--address" or a.startswith("--address=") for a in worker_args):
        address = folder_address()  # the `podium dev` of this folder, and its payload store
        worker_args += ["--address", address] if address else []
        if address:
            os.environ.update({**devstate.folder_payloads(), **os.environ})
    os.execv(sys.executable, [sys.executable, "-m", "podium.workers", *worker_args])
