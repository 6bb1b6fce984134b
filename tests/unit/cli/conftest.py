"""Fixtures of the CLI's tests: ``jobs`` (a renew batch's journal) and ``cli`` (80 columns)."""

from __future__ import annotations

from jobsjournal import cli, jobs

__all__ = ["cli", "jobs"]
