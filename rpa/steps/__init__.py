"""Step handlers, one module per family. Where each kind lives:

======================  =====================================================
kind                    module
======================  =====================================================
goto                    rpa/steps/navigation.py
click, fill, select,    rpa/steps/interaction.py
check, upload, press
wait_for, assert        rpa/steps/waiting.py
extract, read, set,     rpa/steps/data.py
log, fail
screenshot, download    rpa/steps/capture.py
otp, captcha, sign      rpa/steps/challenges.py (providers: rpa/challenges/base.py)
block, use              the engine itself: rpa/engine/executor.py
======================  =====================================================

Arguments of every kind: rpa/playbook/args.py; the kind table and shorthands:
rpa/playbook/kinds.py. Shared helpers: locate.py (locators), conditions.py (when, guard,
until, wait_for), base.py (StepContext, JobState, Scope), registry.py (``@handler``).

A handler is ``async def kind(ctx: StepContext, args: KindArgs) -> result``: it does ONE
attempt with its arguments already rendered, raises ``StepError`` subclasses, and never
retries, sleeps or loops; the engine owns retries, timeouts, guards and events.
"""

from __future__ import annotations

from rpa.steps import (  # noqa: F401  (each module registers its handlers)
    capture,
    challenges,
    data,
    interaction,
    navigation,
    waiting,
)
from rpa.steps.registry import HANDLERS, get_handler

__all__ = ["HANDLERS", "get_handler"]
