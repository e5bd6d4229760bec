"""``podium eval``: suites of cases run as real Podium runs, their durable records checked.

=================  ===================================================================
module             what it holds
=================  ===================================================================
``suite``          the suite file's models (cases, expectations; its JSON Schema)
``suite_file``     reading and checking a suite before anything runs (``load_suite``)
``runner``         running the cases, several at once; answering people; timeouts
``served``         whether workers serve the runs a suite would start
``record``         a run's durable record: result, state, the calls in its history
``checks``         status, output and trajectory checks of a record
``judge``          judge scorers: a catalog agent scores a run against a rubric
``results``        case and suite results, their JSON, comparing with a baseline
``output``         progress, the results table, JUnit XML
``arguments``      the command line of ``podium eval``
=================  ===================================================================

The command itself is ``starters.commands.eval``; docs/evals.md is the user's guide.
"""
