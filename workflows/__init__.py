"""Podium's deterministic layer: spec language, plan compiler, interpreter workflow.

Modules that run inside workflows (``plan``, ``state``, ``expressions``,
``interpreter``, ``steps``) do no I/O. The compiler (``compiler``, ``catalog``,
``spec``, ``loader``) runs on the client side and reads files.
"""
