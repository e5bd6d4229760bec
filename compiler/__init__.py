"""Podium's compiler: spec files and agent catalogs in, a validated ``Plan`` out.

Client-side code (it reads files and asks MCP servers for their tools): the CLI, the
starters and the workers' catalog checks use it; nothing that runs inside a workflow
imports it. Each step kind's compilation is in ``compiler.kinds``; the kinds themselves
(plan nodes, how they run) are in ``workflows.kinds``.
"""
