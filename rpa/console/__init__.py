"""The office console (issue 18): ``rpa serve``, a web app over the journal.

Map (who owns what is in the issue's split; each page module exports ``routes``):

- ``app.py``      ``create_app(settings, *, relay_only=False)``: gathers the routes, opens
                  the journal, security headers, error pages.
- ``auth.py``     roles (viewer < operator < admin), scrypt passwords, sessions (cookie
                  HttpOnly, SameSite=Lax), CSRF on every POST, sign-in throttling;
                  ``require``, ``checked_form``, ``csrf_token``; /login, /logout.
- ``audit.py``    ``audit(journal, who, action, target, detail)``: every action, in the
                  journal.
- ``render.py``   ``render(request, template, context)``: Jinja2 (autoescape) in
                  ``templates/base.html`` with the nav.
- ``deps.py``     ``journal(request)``, ``people(request)``, ``settings(request)``.
- ``words.py``    outcomes in plain words, times in IST.
- ``live.py``     the change feed the live pages poll (``PRAGMA data_version``).
- ``pages/``      one module per area: ``batches.py`` (the batch list and a batch, live),
                  ``jobs.py`` (a job: timeline tree, artifacts, result, certificate);
                  the challenges inbox, relay, clients, reports, replay and start pages.
- ``templates/``, ``static/`` (one CSS file, one small script for server-sent events).

The console reads the journal and writes only people, audit rows and answers; it starts
runs through the same agent path as the CLI and never reaches into the engine.
"""
