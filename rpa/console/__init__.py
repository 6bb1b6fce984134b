"""The office console (issue 18): ``rpa serve``, a web app over the journal.

Map (each page module exports ``routes: list[BaseRoute]``; ``app.py`` gathers them):

- ``app.py``      ``create_app(settings, *, relay_only=False)``: the routes, the journal
                  opened once, security headers (CSP without inline script, no framing),
                  error pages; ``app.state.closing`` ends live streams when it stops.
- ``serving.py``  how ``rpa serve`` runs: the console's listener, the relay's, the heartbeat.
- ``auth.py``     roles (viewer < operator < admin), scrypt passwords, sessions (cookie
                  HttpOnly, SameSite=Lax), CSRF on every POST, sign-in throttling;
                  ``require``, ``checked_form``, ``csrf_token``; /login, /logout.
- ``audit.py``    ``audit(journal, who, action, target, detail)``: every action, in the
                  journal (``rpa.journal.people``).
- ``render.py``   ``render(request, template, context)``: Jinja2 (autoescape) in
                  ``templates/base.html`` with the nav.
- ``deps.py``     ``journal(request)``, ``people(request)``, ``settings(request)``.
- ``words.py``    outcomes in plain words, times in IST.
- ``runs.py``, ``catalog.py``  runs the console starts (as the CLI does), what it offers.
- ``pages/``      ``batches.py`` (the batch list, a batch's page live by server-sent
                  events; its queries in ``rpa.journal.overview``), ``jobs.py`` (a job:
                  timeline tree, files, result, certificate, notes), ``audit_trail.py``
                  (admins), ``challenges.py``, ``relay.py``, ``api.py``, ``start.py``,
                  ``replay.py``, ``clients.py``, ``reports.py``.
- ``templates/``, ``static/`` (one CSS file; ``live.js``, ``challenges.js``: small
                  scripts, no build).

The console reads the journal and writes only people, audit rows and answers; it starts
runs through the same agent path as the CLI and never reaches into the engine.
"""
