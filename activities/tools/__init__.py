"""Tools agents call: running one call (``run.py``: function, HTTP, MCP) and describing a
Python function as a tool (``signature.py``)."""
