"""Logging with loguru: a readable console and a JSON-lines file, both masked.

Every record passes through ``masking.mask`` before it is written anywhere: a record made
while a job runs is masked of that job's secrets (``rpa.masking``: its secret scope, never
another job's), one made outside any job of the process's own. Tracebacks are written
without the values of variables (``diagnose=False``): a frame's locals may hold a PIN.

Messages carry no control characters (``rpa.terminal.printable``): client or portal text
quoted in one cannot drive the terminal. The file (``rpa.logfile.LogFile``) is created with
its first line, and a folder that cannot be written is no error. An error the command line
reports itself (``reported_by_the_cli``: a journal that cannot be written) is left to the
file: the console does not repeat it in every record that quotes it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from rpa.logfile import LogFile
from rpa.masking import mask
from rpa.terminal import printable

if TYPE_CHECKING:
    from loguru import Record

CONSOLE_FORMAT = "<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {message}"
LOG_FILE_NAME = "rpa.jsonl"
_for_the_cli: set[str] = set()  # error messages the command line prints itself


def reported_by_the_cli(message: str) -> None:
    """``message`` (an error's) is the command line's to print, once: console records that
    quote it, or carry it as their exception, go to the log file only."""
    _for_the_cli.add(message)


def _file_record(record: Record) -> bool:
    _mask_record(record)
    record["message"] = printable(record["message"], keep="\n\t")
    return True


def _console_record(record: Record) -> bool:
    _file_record(record)
    if _for_the_cli:
        exception = record["exception"]
        quoted = [record["message"], str(exception.value) if exception else ""]
        if any(text in said for text in _for_the_cli for said in quoted):
            return False
    return True


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
        filter=_console_record,
        colorize=None,
        diagnose=False,
    )
    if logs_dir is None:
        return None
    path = logs_dir / LOG_FILE_NAME
    logger.add(
        LogFile(path),
        level="DEBUG",
        serialize=True,
        filter=_file_record,
        diagnose=False,
        enqueue=False,
    )
    return path
