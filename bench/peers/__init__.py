"""``support_triage`` on other frameworks' Temporal integrations, for ``bench/peak.py``.

One module per framework (``openai_agents_flow``, ``pydantic_ai_flow``): the agents, a
scripted test model answering what ``agents/support.yaml``'s scripts answer after
``--call-ms``, and the workflow. ``worker`` runs one worker process of either;
``support_script`` holds the canned answers every side of the peak shares.
"""
