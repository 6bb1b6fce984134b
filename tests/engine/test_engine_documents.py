"""Uploading a client's documents (issue 16 §3): the page gets exactly the bytes checked,
and a document swapped for a link after its client file was loaded is not uploaded."""

from __future__ import annotations

import os
from pathlib import Path

from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord
from tests.engine.harness import Harness
from tests.unit.test_documents import client_file, pdf_bytes

PLAYBOOK = """
steps:
  - goto: upload-echo.html
  - upload: {label: Address proof, files: "{{ client.documents.address_proof }}"}
  - wait_for: {visible: {css: "#size:not(:empty)"}}
  - extract: {css: "#name", into: name}
  - extract: {css: "#type", into: type}
  - extract: {css: "#size", into: size}
  - extract: {css: "#content", into: content}
outputs:
  name: "{{ vars.name }}"
  type: "{{ vars.type }}"
  size: "{{ vars.size }}"
  content: "{{ vars.content }}"
"""

SECRET = "root:$6$not-a-real-hash:19000:0:99999:7:::"


def loaded_client(folder: Path) -> ClientRecord:
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "proof.pdf").write_bytes(pdf_bytes())
    [(_, record)] = load_clients(client_file(folder, "docs/proof.pdf")).records
    return record


def test_a_clients_document_reaches_the_page_byte_for_byte(
    harness: Harness, tmp_path: Path
) -> None:
    record = loaded_client(tmp_path / "clients")
    proof = tmp_path / "clients" / "docs" / "proof.pdf"
    run = harness.run(tmp_path, PLAYBOOK, client=record.template_vars())
    assert run.outcome == "ok", run.result.failure
    outputs = run.result.outputs
    assert outputs["name"] == "proof.pdf" and outputs["type"] == "application/pdf"
    assert outputs["size"] == str(proof.stat().st_size)
    assert outputs["content"].startswith("%PDF-")


def test_a_document_swapped_for_a_link_to_a_secret_after_loading_is_not_uploaded(
    harness: Harness, tmp_path: Path
) -> None:
    record = loaded_client(tmp_path / "clients")
    shadow = tmp_path / "etc" / "shadow"
    shadow.parent.mkdir()
    shadow.write_text(SECRET)
    proof = tmp_path / "clients" / "docs" / "proof.pdf"
    proof.unlink()
    os.symlink(shadow, proof)  # after the file was loaded and checked

    run = harness.run(tmp_path, PLAYBOOK, client=record.template_vars())

    assert run.outcome == "failed"
    failure = run.result.failure
    assert failure is not None and failure.code == "DOCUMENT_REFUSED", failure
    assert "symbolic link" in failure.message
    assert SECRET not in str(run.result.outputs) and "not-a-real-hash" not in failure.message


def test_a_document_replaced_by_a_non_pdf_after_loading_is_not_uploaded(
    harness: Harness, tmp_path: Path
) -> None:
    record = loaded_client(tmp_path / "clients")
    (tmp_path / "clients" / "docs" / "proof.pdf").write_text(SECRET)

    run = harness.run(tmp_path, PLAYBOOK, client=record.template_vars())

    assert run.outcome == "failed"
    failure = run.result.failure
    assert failure is not None and failure.code == "DOCUMENT_REFUSED", failure
    assert "does not look like a PDF" in failure.message
