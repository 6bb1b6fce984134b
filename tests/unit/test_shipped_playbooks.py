"""The DGFT playbooks we ship load cleanly, and the schema their editors use is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rpa.playbook.loader import Loader
from rpa.playbook.model import unguarded_submit_steps
from rpa.playbook.schema import playbook_schema

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))


def test_every_dgft_playbook_is_shipped() -> None:
    names = {p.stem for p in PLAYBOOKS}
    assert names == {
        "login",
        "link_iec",
        "update_iec",
        "download_certificate",
        "iec_status",
        "renew",
        "portal",  # not run: the others extend it
    }


def test_the_dgft_playbooks_declare_the_portals_detectors_once() -> None:
    loader = Loader([ROOT / "playbooks"])
    portal = loader.load(ROOT / "playbooks" / "portal.yaml").detect
    for path in PLAYBOOKS:
        if path.stem in ("portal", "login"):
            continue  # login is what portal.yaml's re-login uses
        text = path.read_text()
        assert "extends: portal" in text, path.name
        assert "#faultPage" not in text and "session_expired" not in text, path.name
        detect = loader.load(path).detect
        assert (detect.busy, detect.overlay, detect.popup) == (
            portal.busy,
            portal.overlay,
            portal.popup,
        )
        assert detect.errors[-len(portal.errors) :] == portal.errors
        assert loader.load(path).on_session_expired, path.name


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_a_shipped_playbook_loads_and_guards_every_submit(path: Path) -> None:
    playbook = Loader([ROOT / "playbooks"]).load(path)
    assert unguarded_submit_steps(playbook.steps) == []


def test_the_committed_json_schema_matches_the_language() -> None:
    committed = json.loads((ROOT / "docs" / "playbook.schema.json").read_text())
    assert committed == playbook_schema(), "regenerate: rpa schema > docs/playbook.schema.json"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_every_step_a_support_person_sees_in_a_timeline_has_a_name(path: Path) -> None:
    playbook = Loader([ROOT / "playbooks"]).load(path)
    unnamed = [
        f"{step.kind} at line {step.line}"
        for step in playbook.walk()
        if not step.options.name and not (step.kind == "use" and step.used is not None)
    ]
    assert unnamed == []
