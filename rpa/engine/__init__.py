"""The engine: runs one playbook for one client (``Engine.run_job``).

- ``job.py``       Engine, JobResult: context, artifacts, trace, outcome, events
- ``executor.py``  the step loop: when, check mode, guards, retries, re-login, block, use
- ``retry.py``     retry policies as values (tenacity, injectable sleep)
- ``classify.py``  Playwright errors → ours; ``detect:`` probes (session, busy, errors)
- ``tracing.py``   Playwright trace chunks, paused around secrets
"""

from rpa.engine.job import ContextFactory, Engine, JobFailure, JobResult

__all__ = ["ContextFactory", "Engine", "JobFailure", "JobResult"]
