"""update_iec and the bank accounts linked to the PAN (Trade Notice 23/2025-26): the accounts
the client record lists are declared in the portal's Bank Details, and an application that
leaves one of the PAN's accounts undeclared goes Deficient."""

from __future__ import annotations

from pathlib import Path

from rpa.clients.records import Bank, ClientRecord, Documents
from rpa.outcomes import Outcome
from tests.e2e.conftest import Dgft

Clients = dict[str, ClientRecord]

ROOT = Path(__file__).resolve().parents[2]
DSC_NO_CHANGES = "AAJFG2290M"
SECOND_ACCOUNT = "50200077770123"  # linked to the PAN, not on the IEC


def seed_with_a_second_account(dgft: Dgft, record: ClientRecord) -> None:
    body = dgft.seed_body([(record, "due")])
    body["iecs"][0]["npci_accounts"] = [SECOND_ACCOUNT]
    dgft.seed(body)


def test_an_account_linked_to_the_pan_that_the_record_lists_is_declared_and_approved(
    dgft: Dgft, clients: Clients
) -> None:
    documents = Documents.model_validate(
        {"bank_certificate": "documents/deccan-bank-certificate.pdf"},
        context={"base_dir": ROOT / "examples"},
    )
    account = Bank(
        account_number=SECOND_ACCOUNT,
        ifsc="HDFC0000123",
        bank_name="HDFC Bank",
        branch="Ring Road, Surat",
    )
    record = clients[DSC_NO_CHANGES].model_copy(
        update={"bank_accounts": [account], "documents": documents, "place": "Surat"}
    )
    seed_with_a_second_account(dgft, record)

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert result.outputs["application_status"] == "Approved"
    assert result.outputs["bank_status"] == "Success"
    assert result.outputs["application_number"] == result.outputs["ack_number"]
    banks = dgft.iec(record.iec)["banks"]
    assert [b["account_number"] for b in banks] == ["5012345678901", SECOND_ACCOUNT]
    assert banks[1]["branch"] == "Ring Road, Surat"
    assert banks[1]["account_holder"] == record.firm_name  # the holder defaults to the firm
    (application,) = dgft.applications(record.iec)
    assert application["declaration"] == {"place": "Surat", "date": "12/05/2026"}


def test_an_update_that_leaves_an_account_linked_to_the_pan_undeclared_goes_deficient(
    dgft: Dgft, clients: Clients
) -> None:
    record = clients[DSC_NO_CHANGES]
    seed_with_a_second_account(dgft, record)

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert result.outputs["application_status"] == "Deficient"
    assert result.outputs["bank_status"] == "Failed"
    (application,) = dgft.applications(record.iec)
    assert SECOND_ACCOUNT in application["remarks"]
    assert dgft.iec(record.iec)["last_updated"] == "2025-05-20"  # not updated
    # no place in the record: the city of the address the portal holds
    assert application["declaration"] == {"place": "Mumbai", "date": "12/05/2026"}


def test_an_account_the_portal_already_lists_is_not_added_again(
    dgft: Dgft, clients: Clients
) -> None:
    account = Bank(account_number="5012345678901", ifsc="SBIN0001234", bank_name="SBI")
    record = clients[DSC_NO_CHANGES].model_copy(update={"bank_accounts": [account]})
    dgft.seed([(record, "due")])

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert result.outputs["application_status"] == "Approved"
    (application,) = dgft.applications(record.iec)
    assert application["changes"] == {}
