"""The command line: the only place that prints to the terminal or exits.

Each command group lives in its own module and registers itself on ``app``:
``system`` (doctor, config), ``playbooks`` (validate, schema, run), ``clients``,
``jobs`` (jobs list/show, report), ``challenges`` (otp/captcha give).
"""

from __future__ import annotations

from rpa.cli import batch as _batch  # noqa: F401  (registers commands)
from rpa.cli import challenges as _challenges  # noqa: F401
from rpa.cli import clients as _clients  # noqa: F401
from rpa.cli import jobs as _jobs  # noqa: F401
from rpa.cli import playbooks as _playbooks  # noqa: F401
from rpa.cli import renew as _renew  # noqa: F401
from rpa.cli import system as _system  # noqa: F401
from rpa.cli.app import app, main

__all__ = ["app", "main"]
