"""The command line: the only place that prints to the terminal or exits.

Each command group lives in its own module and registers itself on ``app`` when imported;
``app`` imports a module only when one of its commands is used (``rpa.cli.app.COMMANDS``):
``system`` (doctor, config), ``playbooks`` (validate, schema, run), ``clients``, ``batch``
(batch, replay), ``jobs`` (jobs list/show), ``report``, ``renew``, ``challenges`` (challenges,
otp/captcha give).
"""

from __future__ import annotations

from rpa.cli.app import app, main

__all__ = ["app", "main"]
