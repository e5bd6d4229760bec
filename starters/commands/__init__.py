"""One module per ``podium`` command; ``starters.cli`` parses the arguments and calls its ``main``.

=========================  ==============================================================
command                    module
=========================  ==============================================================
``podium dev``             ``starters.commands.dev``
``podium worker``          ``starters.commands.worker`` (hands over to ``python -m workers``)
``podium validate``        ``starters.commands.validate``
``podium graph``           ``starters.commands.graph``
``podium schema``          ``starters.commands.schema``
``podium run``             ``starters.commands.run``
``podium status``          ``starters.commands.status``
``podium report``          ``starters.commands.report``
``podium stats``           ``starters.commands.stats``
``podium inbox``           ``starters.commands.inbox``
``podium show``            ``starters.commands.show``
``podium approve``         ``starters.commands.approve``
``podium resolve``         ``starters.commands.resolve``
``podium cancel``          ``starters.commands.cancel``
``podium demo``            ``starters.commands.demo``
``podium memory``          ``starters.commands.memory`` (the store: ``activities.memory``)
``podium eval``            ``starters.commands.eval`` (suites, runs and checks: ``starters.evals``)
=========================  ==============================================================

Commands that talk to Temporal are shaped ``async main(client=None, …)`` so tests and
scripts can pass their own client. Commands never import each other: what two share lives
one level up in ``starters`` — reading runs (``runs``), formatting values and the steps
table (``formatting``), showing a run (``run_view``) or a request (``request_view``), the
run report (``run_report``, ``report_markdown``), sending decisions (``humans``), starting
runs (``launch``).
"""
