"""The console: web pages for the people who answer runs and watch them — an approver on
a phone, a CFO, a market's compliance officer — who never open a terminal.

Served by the same app as ``podium serve`` (``serve_app.build_app(console=…)``), under
``/console``: ``console.py`` (routes, sessions, CSRF), ``auth.py`` (who is signed in),
``signin.py`` and ``links.py`` (one-time sign-in links by e-mail, signing out),
``settings.py`` (the console's options; the people file is ``activities/people.py``, read
by workers too), ``templating.py`` (Jinja2, escaped, translated, one Content-Security-
Policy), ``run_pages.py`` (the runs list and a run's live page: ``run_search``,
``live_run``, ``run_diagram``), ``glance.py`` (at a glance: ``starters/run_stats.py``'s
figures); ``templates/``, ``static/`` (htmx, vendored) and ``locales/`` ship in the
package.
"""
