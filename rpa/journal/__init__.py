"""The journal: what ran, how it ended, and what was submitted, in SQLite.

``schema`` holds the versioned migrations, ``store`` the ``Journal`` API (batches, jobs,
the step timeline, submissions, artifacts, challenges, leases), ``listener`` the event
listener that writes what the engine emits (imported from ``rpa.journal.listener``, so that
reading the journal loads none of the events' classes). No secret is ever written: results are
records the loader keeps secrets out of (written as they are), and free text (errors,
prompts) is scrubbed of the owning job's secrets (``rpa.masking``) on its way in.
"""

from rpa.journal.store import BatchRow, JobRow, JobStatus, Journal, TimelineRow

__all__ = ["BatchRow", "JobRow", "JobStatus", "Journal", "TimelineRow"]
