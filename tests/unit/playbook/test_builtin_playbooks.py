"""Where playbooks are found (issue 16 §7): the built-in ones ship in the package (a
checkout has them in ``playbooks/``); a user's folder (``RPA_PLAYBOOKS_DIR``) comes first,
replacing a built-in by name or adding playbooks, and its playbooks reach the built-ins
with ``use:`` and ``extends:``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import rpa.playbook.builtin
from rpa.agent import Agent
from rpa.config import Settings, load_settings
from rpa.errors import PlaybookError
from rpa.playbook.builtin import builtin_playbooks_dir
from rpa.playbook.loader import Loader, find_playbook

ROOT = Path(__file__).resolve().parents[3]
BUILTIN = ROOT / "playbooks"

MakeSettings = Callable[..., Settings]

MINE = """\
name: mine
extends: portal
steps:
  - use:
      playbook: login
      inputs: {username: "{{ client.portal_user }}", password: "{{ secrets.portal_password }}"}
  - log: "mine"
"""


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MakeSettings:
    monkeypatch.delenv("RPA_PLAYBOOKS_DIR", raising=False)
    monkeypatch.setenv("RPA_DATA_DIR", str(tmp_path / "data"))

    def make(**given: Any) -> Settings:
        return load_settings(given, env_file=None)

    return make


def test_a_checkout_finds_the_built_in_playbooks_in_its_playbooks_folder() -> None:
    assert builtin_playbooks_dir() == BUILTIN


def test_an_installed_package_finds_the_built_in_playbooks_inside_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "rpa"
    (package / "builtin_playbooks").mkdir(parents=True)
    monkeypatch.setattr(rpa.playbook.builtin, "PACKAGE", package)
    assert builtin_playbooks_dir() == package / "builtin_playbooks"


def test_without_a_playbook_folder_only_the_built_ins_are_searched(settings: MakeSettings) -> None:
    assert settings().playbooks_dir is None
    assert settings().playbook_dirs == [BUILTIN]
    assert find_playbook("renew", settings().playbook_dirs) == BUILTIN / "renew.yaml"


def test_a_users_folder_comes_first_and_replaces_a_built_in_by_name(
    settings: MakeSettings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "renew.yaml").write_text("name: renew\nsteps:\n  - log: my renew\n")
    dirs = settings(playbooks_dir=mine).playbook_dirs
    assert dirs == [mine, BUILTIN]
    assert find_playbook("renew", dirs) == mine / "renew.yaml"
    assert find_playbook("update_iec", dirs) == BUILTIN / "update_iec.yaml"
    agent = SimpleNamespace(settings=settings(playbooks_dir=mine))
    assert Agent.loader_path(agent, "renew") == mine / "renew.yaml"  # type: ignore[arg-type]
    assert Agent.loader_path(agent, "link_iec") == BUILTIN / "link_iec.yaml"  # type: ignore[arg-type]


def test_a_users_playbook_reaches_the_built_ins_with_use_and_extends(
    settings: MakeSettings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "mine.yaml").write_text(MINE)
    dirs = settings(playbooks_dir=mine).playbook_dirs
    playbook = Loader(dirs).load(find_playbook("mine", dirs))
    assert playbook.name == "mine"
    assert playbook.detect.errors, "the portal's detectors, from the built-in portal.yaml"


def test_a_playbook_found_nowhere_names_every_folder_looked_in(
    settings: MakeSettings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    with pytest.raises(PlaybookError) as caught:
        find_playbook("nosuch", settings(playbooks_dir=mine).playbook_dirs)
    assert f"nor in {mine}/ or {BUILTIN}/" in str(caught.value)
