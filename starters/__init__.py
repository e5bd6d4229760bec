"""Entry points: the ``podium`` CLI and plain starter scripts shaped ``main(client=None)``.

``starters.cli`` parses the command line (what it accepts: ``starters.arguments``); each
command is one module in ``starters.commands``. What the commands share lives here:
``runs`` (reading a run), ``formatting`` (durations, money, budget lines, the steps
table), ``run_view`` (showing a run once or live), ``run_report`` and ``report_markdown``
(the final report), ``humans`` (sending decisions), ``launch`` (starting runs),
``connect`` and the local dev stack (``devstack``, ``devserver``, ``devstate``).
"""
