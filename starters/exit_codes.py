"""Exit codes of the ``podium`` command (documented in docs/running.md)."""

OK = 0
"""Done: the run completed (or started, or is still going when not waited for)."""
FAILED = 1
"""The run failed (or Temporal terminated it or timed it out); a decision was refused;
an unknown run; a run the workers cannot run (``podium status`` of a stuck run); any other
error Temporal reported."""
USAGE = 2
"""Bad command line, spec or input: nothing was sent; or this client lacks the encryption
key a run's data needs."""
CANCELLED = 3
"""The run was cancelled (``podium cancel``, the Web UI, ``temporal workflow cancel``)."""
UNREACHABLE = 4
"""Temporal could not be reached at the address."""
INTERRUPTED = 130
"""Ctrl-C (a run being waited for goes on)."""
