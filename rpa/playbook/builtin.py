"""Where the built-in playbooks are.

A wheel carries the repository's ``playbooks/`` inside the package, as
``rpa/builtin_playbooks/`` (``force-include`` in pyproject.toml); a checkout (an editable
install, or running from the tree) has them in ``playbooks/`` beside ``rpa/``. A user's own
folder (``RPA_PLAYBOOKS_DIR``) is searched before them: ``Settings.playbook_dirs``.

Only ``pathlib`` here: the CLI asks for this before it needs the playbook language.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # rpa/


def builtin_playbooks_dir() -> Path:
    """The folder of the built-in playbooks: in the installed package, else the checkout's
    ``playbooks/`` (returned even when missing, for the caller to say so)."""
    shipped = PACKAGE / "builtin_playbooks"
    if shipped.is_dir():
        return shipped
    return PACKAGE.parent / "playbooks"
