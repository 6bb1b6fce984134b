"""Client documents (issue 16 §3): where they may be when a client file is loaded, and the
check of the file itself when it is uploaded (``rpa.documents``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from typer.testing import CliRunner

from rpa.cli import app
from rpa.clients.file import load_clients
from rpa.clients.parts import DOCUMENTS_ROOT
from rpa.documents import DocumentRefused, read_document, read_upload

HEADER = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,"
    "dsc_pin,documents.address_proof"
)
ROW = (
    "AABCB4821K,AABCB4821K,Bharat Spices,BHARAT SPICES,12/08/2009,a@b.example,9000010001,"
    "env:PW,dsc,ePass,env:PIN,"
)


def pdf_bytes(text: str = "Address proof") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def client_file(folder: Path, document: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clients.csv"
    path.write_text(f"{HEADER}\n{ROW}{document}\n", encoding="utf-8")
    return path


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """An office folder: clients/ (the client file, docs/), and a secret outside it."""
    (tmp_path / "clients" / "docs").mkdir(parents=True)
    (tmp_path / "clients" / "docs" / "proof.pdf").write_bytes(pdf_bytes())
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "shadow.pdf").write_bytes(pdf_bytes("root:$6$secret"))
    return tmp_path


@pytest.fixture
def documents_root() -> Iterator[None]:
    token = DOCUMENTS_ROOT.set(None)
    yield
    DOCUMENTS_ROOT.reset(token)


def only_error(path: Path) -> tuple[int | None, str | None, str]:
    loaded = load_clients(path)
    assert loaded.records == []
    [error] = loaded.errors
    return error.row, error.field, str(error)


# --- when the client file is loaded ----------------------------------------------------------


def test_a_document_next_to_the_client_file_is_accepted(office: Path, documents_root: None) -> None:
    loaded = load_clients(client_file(office / "clients", "docs/proof.pdf"))
    [(_, record)] = loaded.records
    assert record.documents is not None
    assert record.documents.address_proof == office / "clients" / "docs" / "proof.pdf"


def test_a_document_path_climbing_out_of_the_client_folder_is_a_row_problem(
    office: Path, documents_root: None
) -> None:
    row, field, message = only_error(client_file(office / "clients", "../outside/shadow.pdf"))
    assert row == 2
    assert field is not None and "address_proof" in field
    assert "outside" in message and "keep documents there" in message


def test_an_absolute_document_path_elsewhere_is_refused(office: Path, documents_root: None) -> None:
    path = client_file(office / "clients", str(office / "outside" / "shadow.pdf"))
    row, _, message = only_error(path)
    assert row == 2 and "is outside" in message


def test_a_link_inside_the_folder_leading_out_of_it_is_refused(
    office: Path, documents_root: None
) -> None:
    (office / "clients" / "docs" / "link.pdf").symlink_to(office / "outside" / "shadow.pdf")
    _, _, message = only_error(client_file(office / "clients", "docs/link.pdf"))
    assert "is outside" in message


def test_a_path_outside_that_does_not_exist_says_outside_not_missing(
    office: Path, documents_root: None
) -> None:
    _, _, message = only_error(client_file(office / "clients", "../../../etc/nothing-here.pdf"))
    assert "is outside" in message and "does not exist" not in message


def test_the_configured_documents_folder_is_allowed_too(office: Path) -> None:
    token = DOCUMENTS_ROOT.set(office / "outside")
    try:
        loaded = load_clients(client_file(office / "clients", "../outside/shadow.pdf"))
    finally:
        DOCUMENTS_ROOT.reset(token)
    [(_, record)] = loaded.records
    assert record.documents is not None
    assert record.documents.address_proof == office / "outside" / "shadow.pdf"


# --- when it is uploaded ---------------------------------------------------------------------


def test_the_bytes_read_for_upload_are_the_files_bytes(office: Path) -> None:
    proof = office / "clients" / "docs" / "proof.pdf"
    assert read_document(proof, [proof.parent]) == proof.read_bytes()


def test_a_document_swapped_for_a_link_after_loading_is_not_read(office: Path) -> None:
    proof = office / "clients" / "docs" / "proof.pdf"
    proof.unlink()
    proof.symlink_to(office / "outside" / "shadow.pdf")
    with pytest.raises(DocumentRefused, match="symbolic link"):
        read_document(proof, [proof.parent])


def test_a_link_to_etc_shadow_is_refused_without_reading_it(office: Path) -> None:
    proof = office / "clients" / "docs" / "proof.pdf"
    proof.unlink()
    proof.symlink_to("/etc/shadow")
    with pytest.raises(DocumentRefused) as refused:
        read_document(proof, [proof.parent])
    assert "root:" not in str(refused.value)


def test_a_folder_swapped_for_a_link_leading_out_is_refused(office: Path) -> None:
    docs = office / "clients" / "docs"
    proof = docs / "proof.pdf"
    os.rename(docs, office / "clients" / "old-docs")
    (office / "outside" / "proof.pdf").write_bytes(pdf_bytes("secret"))
    docs.symlink_to(office / "outside")
    with pytest.raises(DocumentRefused, match="outside"):
        read_document(proof, [docs])


def test_a_document_that_is_no_longer_a_readable_pdf_is_refused(office: Path) -> None:
    proof = office / "clients" / "docs" / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4 but nothing a reader can use")
    with pytest.raises(DocumentRefused, match="not a readable PDF"):
        read_document(proof, [proof.parent])
    proof.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(DocumentRefused, match="does not look like a PDF"):
        read_document(proof, [proof.parent])


def test_a_document_grown_past_5_mb_is_refused(office: Path) -> None:
    proof = office / "clients" / "docs" / "proof.pdf"
    proof.write_bytes(pdf_bytes() + b"%" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(DocumentRefused, match="5 MB"):
        read_document(proof, [proof.parent])


def test_a_fifo_or_a_folder_is_not_read(office: Path) -> None:
    fifo = office / "clients" / "docs" / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(DocumentRefused, match="not a regular file"):
        read_document(fifo, [fifo.parent])
    with pytest.raises(DocumentRefused, match="not a regular file"):
        read_upload(office / "clients")


def test_a_playbooks_own_upload_is_read_once_without_the_pdf_rules(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"plain text")
    assert read_upload(note) == b"plain text"
    with pytest.raises(DocumentRefused, match="does not exist"):
        read_upload(tmp_path / "gone.txt")


def test_rpa_documents_dir_lets_clients_check_accept_documents_kept_there(
    office: Path, documents_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = client_file(office / "clients", "../outside/shadow.pdf")
    monkeypatch.chdir(office)
    monkeypatch.setenv("RPA_DATA_DIR", str(office / "data"))
    refused = CliRunner().invoke(app, ["clients", "check", str(path)], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "is outside" in refused.output
    monkeypatch.setenv("RPA_DOCUMENTS_DIR", str(office / "outside"))
    taken = CliRunner().invoke(app, ["clients", "check", str(path)], env={"COLUMNS": "200"})
    assert taken.exit_code == 0, taken.output
