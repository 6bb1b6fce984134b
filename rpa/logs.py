"""Logging with loguru: a readable console and a JSON-lines file, both masked.

Every record passes through ``masking.mask`` before it is written anywhere: a record made
while a job runs is masked of that job's secrets (``rpa.masking``: its secret scope, never
another job's), one made outside any job of the process's own. Tracebacks are written
without the values of variables (``diagnose=False``): a frame's locals may hold a PIN.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from rpa.masking import mask

if TYPE_CHECKING:
    from loguru import Record

CONSOLE_FORMAT = "<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {message}"
LOG_FILE_NAME = "rpa.jsonl"


def _mask_record(record: Record) -> bool:
    record["message"] = mask(record["message"])
    if record["exception"] is not None:
        exc_type, value, tb = record["exception"]
        if value is not None and any(mask(str(a)) != str(a) for a in value.args):
            record["exception"] = type(record["exception"])(exc_type, None, tb)
    extra: dict[str, Any] = record["extra"]
    for key, value in list(extra.items()):
        if isinstance(value, str):
            extra[key] = mask(value)
    return True


def configure_logging(*, level: str = "INFO", logs_dir: Path | None = None) -> Path | None:
    """Replace loguru's sinks with ours; return the JSON-lines file's path, if any."""
    logger.remove()
    logger.add(
        sys.stderr,
        level=level,
        format=CONSOLE_FORMAT,
        filter=_mask_record,
        colorize=None,
        diagnose=False,
    )
    if logs_dir is None:
        return None
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / LOG_FILE_NAME
    logger.add(
        path,
        level="DEBUG",
        serialize=True,
        filter=_mask_record,
        diagnose=False,
        rotation="20 MB",
        retention=5,
        enqueue=False,
    )
    return path
