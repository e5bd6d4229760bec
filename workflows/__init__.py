"""Podium's deterministic layer: what runs inside workflows — the plan and its step kinds,
the interpreter workflow, the pattern helpers, run state, expressions. No I/O, no clock,
no randomness but Temporal's (``tests/workflows/test_determinism.py``). The compiler that
turns specs into plans is client-side code in ``podium.compiler``.
"""
