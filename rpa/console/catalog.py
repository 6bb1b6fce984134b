"""What the console offers to run: the playbooks a batch can start, and a playbook's steps
(for a replay's "start from this step")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rpa.config import Settings
from rpa.errors import PlaybookError
from rpa.playbook.model import Step

#: Playbooks other playbooks use or extend: not run on their own from the console.
PARTS = frozenset({"login", "portal"})


@dataclass(frozen=True)
class StepChoice:
    id: str  # what --from-step gets
    path: str  # "Renew/Log in", as the timeline names it
    depth: int


def playbook_names(settings: Settings) -> list[str]:
    """The playbooks a batch can run: the user's folder's and the built-ins, by name."""
    names: set[str] = set()
    for folder in settings.playbook_dirs:
        if folder.is_dir():
            names |= {p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml")}
    return sorted(names - PARTS)


def _find(settings: Settings, name: str) -> Path | None:
    for folder in settings.playbook_dirs:
        for suffix in (".yaml", ".yml"):
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    return None


def playbook_steps(settings: Settings, name: str) -> list[StepChoice]:
    """The steps of playbook ``name`` a run can start from, depth first (not rescue/always
    steps, as ``rpa replay --from-step`` has them); [] when it cannot be loaded."""
    from rpa.playbook.loader import Loader

    path = _find(settings, name)
    if path is None:
        return []
    try:
        playbook = Loader(settings.playbook_dirs).load(path)
    except PlaybookError:
        return []
    found: list[StepChoice] = []

    def walk(steps: Sequence[Step], parent: str, depth: int) -> None:
        for step in steps:
            title = step.title
            if step.kind == "use" and not step.options.name and step.used is not None:
                title = step.used.name
            path = f"{parent}/{title}" if parent else title
            found.append(StepChoice(step.id, path, depth))
            walk(step.body, path, depth + 1)

    walk(playbook.steps, "", 0)
    return found
