"""Podium's I/O layer: agent calls (providers), their contracts and error taxonomy.

Everything that touches the network, the clock or the environment lives here and runs
as a Temporal activity. Workflows import only the contracts (pydantic models, activity
functions) from this package.
"""
