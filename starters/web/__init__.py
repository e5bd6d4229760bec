"""The console: web pages for the people who answer runs and watch them — an approver on
a phone, a CFO, a market's compliance officer — who never open a terminal.

Served by the same app as ``podium serve`` (``serve_app.build_app(console=…)``), under
``/console``: ``console.py`` (routes, sessions, CSRF), ``auth.py`` (who is signed in),
``signin.py`` (signing in and out), ``settings.py`` (the people file, the console's
options), ``templating.py`` (Jinja2, escaped, translated), ``run_pages.py`` (the runs
list and a run's live page: ``run_search``, ``live_run``, ``run_diagram``); ``templates/``,
``static/`` (htmx, vendored) and ``locales/`` ship in the package.
"""
