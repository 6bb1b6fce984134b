"""Documents to upload (a client's PDFs): where they may be, and reading one safely.

A client file names its documents by path; the path resolves against the client file's
folder and must stay inside it, or inside the configured documents folder
(``RPA_DOCUMENTS_DIR``): ``../`` and absolute paths elsewhere, and symbolic links leading
out, are refused when the file is loaded (``rpa.clients.parts``).

A file can change between that check and the upload (swapped for a link to
``/etc/shadow``). So at upload time ``read_document`` opens the file once, without
following a link in its last part, checks that what it opened is a regular file inside
the folders it may be in (the opened file is the one at the path's real location), at most
5 MB, and a PDF that pypdf can read; the bytes it checked are the bytes uploaded.
``read_upload`` does the same for any other file a playbook uploads, without the PDF and
folder rules (a playbook's own paths are the playbook author's choice).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from rpa.clients.parts import MAX_PDF_BYTES

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Playwright's limit for a file given as bytes


class DocumentRefused(ValueError):
    """A file that must not be uploaded; the message says why (never its content)."""


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` lies in one of ``roots``, both taken as they are (resolved by the
    caller: a root resolved again now could follow a link put in its place)."""
    return any(path.is_relative_to(root) for root in roots)


def _open_regular(path: Path, *, follow: bool) -> tuple[int, os.stat_result]:
    """An open descriptor of the regular file at ``path`` and its status."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DocumentRefused(f"{path} does not exist") from None
    except OSError as exc:
        if not follow and path.is_symlink():
            raise DocumentRefused(f"{path} is now a symbolic link; it was a file") from None
        raise DocumentRefused(f"{path} cannot be read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise DocumentRefused(f"{path} is not a regular file")
    return fd, info


def _read_all(fd: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes from ``fd`` (one more than allowed tells it is too big)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def check_pdf_bytes(data: bytes, name: str) -> None:
    """Raise ``DocumentRefused`` unless ``data`` is a PDF pypdf can read, within 5 MB."""
    if len(data) > MAX_PDF_BYTES:
        raise DocumentRefused(f"{name} is over 5 MB; the portal accepts at most 5 MB")
    if not data.startswith(b"%PDF-"):
        raise DocumentRefused(f"{name} does not look like a PDF (no %PDF- header)")
    from pypdf import PdfReader  # imported when a document is uploaded, not at start-up

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise DocumentRefused(f"{name} is not a readable PDF: {type(exc).__name__}") from None
    if pages < 1:
        raise DocumentRefused(f"{name} is a PDF without pages")


def read_document(path: Path, roots: Iterable[Path]) -> bytes:
    """The bytes of the client document at ``path``, opened once and checked: a regular
    file (not a link) inside ``roots``, a readable PDF of at most 5 MB.

    ``path`` is the document as loaded (absolute, resolved), ``roots`` the folders it may
    be in, resolved. Raises ``DocumentRefused``.
    """
    allowed = list(roots)
    fd, opened = _open_regular(path, follow=False)
    try:
        real = Path(os.path.realpath(path))
        if not inside(real, allowed):
            where = ", ".join(str(r) for r in allowed)
            raise DocumentRefused(f"{path} now leads to {real}, outside {where}")
        try:
            there = os.stat(real)
        except OSError:
            there = None
        if there is None or (there.st_dev, there.st_ino) != (opened.st_dev, opened.st_ino):
            raise DocumentRefused(f"{path} changed while it was being read; try again")
        data = _read_all(fd, MAX_PDF_BYTES)
    finally:
        os.close(fd)
    check_pdf_bytes(data, path.name)
    return data


def read_upload(path: Path) -> bytes:
    """The bytes of a file a playbook uploads, opened once: a regular file, within 50 MB."""
    fd, _ = _open_regular(path, follow=True)
    try:
        data = _read_all(fd, MAX_UPLOAD_BYTES)
    finally:
        os.close(fd)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DocumentRefused(f"{path} is over 50 MB, too big to upload")
    return data
