"""Where the data folder is, found as ``Settings`` finds it, without building ``Settings``.

The read-only commands (``rpa jobs list``, ``rpa jobs show``) need one setting, the data
folder, to find the journal; reading it here lets them start without pydantic,
pydantic-settings or the log set-up (issue 16 §7). The precedence is the one
``rpa.config.Settings`` has: the ``--data-dir`` flag, else ``RPA_DATA_DIR`` in the
environment, else in the working directory's ``.env`` file, else ``rpa-data``. As in
pydantic-settings, names match whatever their case, an empty value is the current folder,
and a ``.env`` line naming the variable without ``=`` counts as unset.
``tests/unit/test_datadir.py`` checks that this and ``Settings`` agree case by case.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_PREFIX = "RPA_"
ENV_FILE = ".env"
DEFAULT_DATA_DIR = Path("rpa-data")
JOURNAL_FILE = "journal.sqlite3"
_VARIABLE = f"{ENV_PREFIX}DATA_DIR".lower()


def data_dir(flag: str | Path | None = None, *, env_file: str | Path | None = ENV_FILE) -> Path:
    """The data folder: ``flag`` (the ``--data-dir`` value) when given, else the
    environment's ``RPA_DATA_DIR``, else the one in ``env_file``, else the default."""
    if flag is not None:
        return Path(flag)
    environ = {name.lower(): value for name, value in os.environ.items()}
    if _VARIABLE in environ:
        return Path(environ[_VARIABLE])
    if env_file is not None:
        path = Path(env_file).expanduser()
        if path.is_file() or path.is_fifo():
            from dotenv import dotenv_values  # the parser pydantic-settings uses

            values = {k.lower(): v for k, v in dotenv_values(path, encoding="utf-8").items()}
            value = values.get(_VARIABLE)
            if value is not None:
                return Path(value)
    return DEFAULT_DATA_DIR


def journal_path(folder: Path) -> Path:
    """The journal's file in the data folder ``folder``."""
    return folder / JOURNAL_FILE
