"""Plain words for the console and the managers' reports: every code has words, IST times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from rpa.console.words import (
    CODE_WORDS,
    duration,
    error_words,
    ist,
    ist_date,
    outcome_words,
    tone,
)
from rpa.playbook.builtin import builtin_playbooks_dir

ROOT = Path(__file__).resolve().parents[3]


def _codes(node: Any) -> set[str]:
    """Every ``code:`` value in a playbook's YAML (detectors, fail, assert, when...)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "code" and isinstance(value, str):
                found.add(value)
            found |= _codes(value)
    elif isinstance(node, list):
        for item in node:
            found |= _codes(item)
    return found


def _playbook_codes() -> set[str]:
    codes: set[str] = set()
    for path in sorted(builtin_playbooks_dir().glob("*.yaml")):
        codes |= _codes(yaml.safe_load(path.read_text(encoding="utf-8")))
    return codes


def _engine_codes() -> set[str]:
    """The codes rpa's own modules raise as literals (``code="X"``, ``("...", "X")`` tables)."""
    codes: set[str] = set()
    literal = re.compile(
        r'code\s*=\s*"([A-Z][A-Z0-9_]+)"'  # code="X", code = "X"
        r'|, "([A-Z]+_[A-Z0-9_]+)"\)'  # ("portal text", "X_Y") tables
        r'|_CODE = "([A-Z_]+)"'
        r'|code: str = Field\("([A-Z][A-Z0-9_]+)"'  # a step's default code
    )
    for path in (ROOT / "rpa").rglob("*.py"):
        if "console" in path.parts:
            continue
        for match in literal.finditer(path.read_text(encoding="utf-8")):
            codes.add(next(group for group in match.groups() if group))
    return codes


def test_the_walk_finds_the_playbooks_codes() -> None:
    codes = _playbook_codes()
    assert {"DSC_EXPIRED", "LOGIN_BAD_CREDENTIALS", "PAN_MISMATCH"} <= codes
    assert len(codes) > 40


def test_every_code_the_shipped_playbooks_raise_has_words() -> None:
    missing = sorted(code for code in _playbook_codes() if code not in CODE_WORDS)
    assert missing == [], f"codes without plain words in rpa/console/words.py: {missing}"


def test_every_code_the_engine_raises_has_words() -> None:
    codes = _engine_codes() | {"OTP_TIMEOUT", "CAPTCHA_TIMEOUT", "OTP_MISSING", "CAPTCHA_MISSING"}
    assert {"DSC_WRONG_PIN", "CLIENT_BUSY", "PORTAL_BUSY"} <= codes
    missing = sorted(code for code in codes if code not in CODE_WORDS)
    assert missing == [], f"codes without plain words in rpa/console/words.py: {missing}"


@pytest.mark.parametrize(
    ("outcome", "kwargs", "words"),
    [
        ("changed", {"playbook": "renew"}, "Renewed"),
        ("ok", {"playbook": "renew"}, "Already renewed this year"),
        ("ok", {"playbook": "download_certificate"}, "Certificate downloaded"),
        ("failed", {"code": "DSC_EXPIRED"}, "Failed: the DSC has expired"),
        ("failed", {"code": "DSC_WRONG_PIN"}, "Failed: wrong DSC PIN"),
        ("failed", {"kind": "portal-changed"}, "Failed: the portal's page has changed"),
        ("running", {"waiting": "otp"}, "Waiting for OTP"),
        ("running", {"waiting": "captcha"}, "Waiting for captcha"),
        ("running", {}, "Running"),
        ("not-run", {"reason": "a duplicate row"}, "Not run: a duplicate row"),
        ("not-run", {"code": "BAD_ROW"}, "Not run: the row is not valid"),
        ("needs-input", {"code": "OTP_TIMEOUT"}, "Needs a person: nobody gave the OTP in time"),
        ("would-change", {"playbook": "renew"}, "Would renew (check mode)"),
    ],
)
def test_outcomes_read_as_plain_words(outcome: str, kwargs: dict[str, Any], words: str) -> None:
    assert outcome_words(outcome, **kwargs) == words


def test_an_unknown_code_still_reads_as_words() -> None:
    assert error_words("SOMETHING_NEW") == "something new"
    assert error_words(None) is None
    assert outcome_words("failed") == "Failed"


def test_journal_times_are_shown_in_ist() -> None:
    assert ist("2026-12-05T11:46:36.123+00:00") == "05 Dec 2026, 17:16 IST"
    assert ist("2026-12-05T11:46:36.123+00:00", seconds=True) == "05 Dec 2026, 17:16:36 IST"
    assert ist(datetime(2026, 3, 31, 20, 0, tzinfo=UTC)) == "01 Apr 2026, 01:30 IST"
    assert ist_date("2026-03-31T20:00:00+00:00") == "01 Apr 2026"
    assert ist(None) == "" and ist("") == ""
    assert ist("not a time") == "not a time"


def test_tones_and_durations() -> None:
    assert tone("changed") == "good" and tone("failed") == "bad" and tone("running") == "waiting"
    assert duration(42.4) == "42 s" and duration(65) == "1 min 05 s" and duration(None) == ""
