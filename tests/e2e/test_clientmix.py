"""The varied client generator (``clientmix``): what it varies, that its files load, that its
data passes the mock portal's DSC and Aadhaar rules and the agent's choice of certificate,
and that batches of different seeds never collide. No browser: the mock portal runs in a
thread (``tests/e2e/conftest.py``) for the seeding test only.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import httpx
import openpyxl
import pytest
from cryptography import x509

from demo.fictional import COLUMNS
from demo.seeding import PORTAL_NOW, SCENARIOS
from mock_portal import dsc
from mock_portal.signing import aadhaar_matches
from rpa.challenges.certificates import CertificateOwner, OfferedCertificate, choose_certificate
from rpa.clients.file import load_clients
from rpa.clients.identifiers import PAN_TYPES_FOR_CONCERN, parse_nature_of_concern, parse_pan
from rpa.clients.records import parse_record
from tests.e2e.clientmix import (
    MixClient,
    mix_clients,
    secrets_env,
    seed_body,
    write_client_file,
)
from tests.e2e.conftest import Dgft

AXES = {
    "dsc_cert named",
    "dsc_cert empty",
    "one certificate",
    "two certificates",
    "a namesake's certificate too",
    "another person's certificate too",
    "another organisation's certificate too",
    "the other certificate listed first",
    "the other certificate listed second",
    "individual token",
    "company token",
    "partnership token",
    "LLP token",
    "legacy IEC",
    "PAN-IEC",
    "dsc",
    "aadhaar",
    "PIN of 4 digits",
    "PIN of 6 digits",
    "PIN of 8 digits",
    "slow token",
    "reverify",
    "& in the firm name",
    "' in the firm name",
    '" in the firm name',
    "Devanagari in the firm name",
    "portal_user empty",
    "nature_of_concern empty",
}


def traits(client: MixClient) -> set[str]:
    """What the client's data shows (read off the data, not the generator's plan)."""
    row, concern = client.row, client.portal_record["nature_of_concern"]
    found = {row["sign_with"], client.scenario}
    found.add("legacy IEC" if client.iec.isdigit() else "PAN-IEC")
    firm = row["firm_name"]
    found |= {f"{ch} in the firm name" for ch in "&'\"" if ch in firm}
    if any("\u0900" <= ch <= "\u097f" for ch in firm):
        found.add("Devanagari in the firm name")
    if not row["portal_user"]:
        found.add("portal_user empty")
    if not row["nature_of_concern"]:
        found.add("nature_of_concern empty")
    if row["sign_with"] != "dsc":
        return found
    certs, expected = client.certificates, client.expected_index
    assert expected is not None
    own = certs[expected]
    found.add("dsc_cert named" if row["dsc_cert"] else "dsc_cert empty")
    found.add(f"PIN of {len(client.dsc_pin or '')} digits")
    if any(c.get("list_delay_ms") for c in certs):
        found.add("slow token")
    if own["type"] == "individual" and own["pan"] == row["pan"] and row["pan"][3] == "P":
        found.add("individual token")
    if own["type"] == "organisation" and own["org"] == row["name_as_per_pan"]:
        kind = {"C": "company", "F": "LLP" if "Liability" in concern else "partnership"}
        found.add(f"{kind[row['pan'][3]]} token")
    if len(certs) == 1:
        found.add("one certificate")
        return found
    found.add("two certificates")
    [other] = [c for n, c in enumerate(certs) if n != expected]
    found.add(f"the other certificate listed {'first' if expected == 1 else 'second'}")
    if other["cn"] == own["cn"] and other["type"] == "individual" and other["pan"] != row["pan"]:
        found.add("a namesake's certificate too")
    elif other["type"] == "individual":
        found.add("another person's certificate too")
    else:
        found.add("another organisation's certificate too")
    return found


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_any_twelve_consecutive_clients_cover_every_axis(seed: int) -> None:
    clients = mix_clients(30, seed=seed, scenarios=["due", "reverify"])
    for start in range(len(clients) - 11):
        window = clients[start : start + 12]
        covered = set().union(*(traits(c) for c in window))
        assert covered >= AXES, (start, AXES - covered)


def test_about_one_client_in_four_signs_with_aadhaar_unless_told_otherwise() -> None:
    for seed in range(4):
        clients = mix_clients(24, seed=seed)
        assert sum(c.sign_with == "aadhaar" for c in clients) == 6
    assert {c.sign_with for c in mix_clients(12, sign_with="dsc")} == {"dsc"}
    aadhaar = mix_clients(12, sign_with="aadhaar")
    assert {c.sign_with for c in aadhaar} == {"aadhaar"}
    assert all(c.certificates == () and c.expected_cert is None for c in aadhaar)


def test_scenarios_cycle_over_the_clients_and_default_to_due() -> None:
    assert {c.scenario for c in mix_clients(12)} == {"due"}
    cycle = list(SCENARIOS)
    clients = mix_clients(10, seed=3, scenarios=cycle)
    assert [c.scenario for c in clients] == cycle + cycle
    with pytest.raises(ValueError, match="unknown scenarios"):
        mix_clients(1, scenarios=["late"])


def test_the_same_count_and_seed_give_the_same_clients() -> None:
    assert mix_clients(12, seed=4) == mix_clients(12, seed=4)
    assert mix_clients(5, seed=4) == mix_clients(12, seed=4)[:5]
    assert mix_clients(12, seed=4) != mix_clients(12, seed=5)


def test_names_as_per_pan_are_upper_case_ascii_and_pans_fit_the_nature_of_concern() -> None:
    for client in mix_clients(48, seed=2):
        name = client.row["name_as_per_pan"]
        assert name.isascii() and name == name.upper(), name
        pan = parse_pan(client.row["pan"])
        concern = parse_nature_of_concern(client.portal_record["nature_of_concern"])
        assert pan[3] in PAN_TYPES_FOR_CONCERN[concern], (pan, concern)
        # the record the portal holds loads too, with the nature of concern the file omits
        parse_record({**{k: v for k, v in client.row.items() if v}, "nature_of_concern": concern})


@pytest.mark.parametrize("name", ["clients.csv", "clients.xlsx"])
def test_every_row_loads_without_errors(tmp_path: Path, name: str) -> None:
    clients = mix_clients(24, seed=5, scenarios=["due", "reverify"])

    records = write_client_file(tmp_path / name, clients, dsc_cert_column=True)

    loaded = load_clients(tmp_path / name)
    assert loaded.errors == [] and loaded.ignored_columns == []
    assert [r.iec for r in records] == [c.iec for c in clients]
    for record, client in zip(records, clients, strict=True):
        portal = client.portal_record
        assert (record.pan, record.email, record.mobile) == (
            client.row["pan"],
            client.row["email"],
            portal["mobile"],
        )
        assert record.dob.isoformat() == portal["dob"]
        assert record.firm_name == client.row["firm_name"]
        assert (record.dsc_cert or "") == client.row["dsc_cert"]
        assert record.portal_user == (client.row["portal_user"] or client.row["email"])


def test_the_same_clients_load_alike_from_csv_and_from_a_workbook(tmp_path: Path) -> None:
    clients = mix_clients(12, seed=6)
    from_csv = write_client_file(tmp_path / "clients.csv", clients)
    from_xlsx = write_client_file(tmp_path / "clients.xlsx", clients)
    assert from_csv == from_xlsx


def test_a_file_without_the_dsc_cert_column_has_no_such_header(tmp_path: Path) -> None:
    clients = mix_clients(12, seed=1)

    records = write_client_file(tmp_path / "clients.csv", clients)
    write_client_file(tmp_path / "clients.xlsx", clients)

    with (tmp_path / "clients.csv").open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert "dsc_cert" not in header
    assert header == [c for c in COLUMNS if c != "dsc_cert"]
    sheet = openpyxl.load_workbook(tmp_path / "clients.xlsx").active
    assert sheet is not None
    assert "dsc_cert" not in [cell.value for cell in sheet[1]]
    assert all(r.dsc_cert is None for r in records)


def test_a_file_with_the_dsc_cert_column_fills_it_for_some_dsc_clients_only(
    tmp_path: Path,
) -> None:
    clients = mix_clients(12, seed=1)

    records = write_client_file(tmp_path / "clients.csv", clients, dsc_cert_column=True)

    with (tmp_path / "clients.csv").open(newline="", encoding="utf-8") as f:
        assert "dsc_cert" in next(csv.reader(f))
    named = [r for r in records if r.dsc_cert]
    unnamed = [r for r in records if r.sign_with == "dsc" and not r.dsc_cert]
    assert named and unnamed
    by_iec = {c.iec: c for c in clients}
    assert all(r.dsc_cert == by_iec[r.iec].expected_cert for r in named)


def test_each_client_has_its_own_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = mix_clients(24, seed=8)
    env = secrets_env(clients)
    records = write_client_file(tmp_path / "clients.csv", clients)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    passwords, pins, aadhaars = [], [], []
    for record, client in zip(records, clients, strict=True):
        assert all(client.iec in name for name in client.secrets)
        assert set(client.secrets) <= set(env)
        passwords.append(record.resolve_secret("portal_password"))
        assert passwords[-1] == client.password == client.user()["password"]
        if client.sign_with == "dsc":
            pins.append(record.resolve_secret("dsc_pin"))
            assert pins[-1] == client.dsc_pin
            assert {c["pin"] for c in client.certificates} == {pins[-1]}
            assert record.aadhaar is None
        else:
            aadhaars.append(record.resolve_secret("aadhaar"))
            holder = client.portal_record["aadhaar"]
            assert aadhaars[-1] in (holder["number"], holder["vid"])
            assert record.dsc_pin is None
    for values in (passwords, pins, aadhaars):
        assert len(set(values)) == len(values)
    assert {len(p) for p in pins} == {4, 6, 8}


def identities(clients: list[MixClient]) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {k: set() for k in ("pan", "iec", "email", "mobile", "token")}
    ids["user"], ids["aadhaar"], ids["env"] = set(), set(), set()
    for client in clients:
        record = parse_record({k: v for k, v in client.row.items() if v})
        ids["pan"].add(record.pan)
        ids["iec"].add(record.iec)
        ids["email"].add(record.email.lower())
        ids["user"].add(client.user()["email"])
        ids["mobile"].add(record.mobile)
        ids["env"] |= set(client.secrets)
        if record.dsc_token:
            ids["token"].add(record.dsc_token)
        if "aadhaar" in client.portal_record:
            holder = client.portal_record["aadhaar"]
            ids["aadhaar"] |= {holder["number"], holder["vid"]}
    return ids


def test_identities_are_distinct_across_clients() -> None:
    clients = mix_clients(60, seed=9, sign_with=None)
    ids = identities(clients)
    for kind in ("pan", "iec", "email", "user", "mobile"):
        assert len(ids[kind]) == len(clients), kind
    assert len(ids["token"]) == sum(c.sign_with == "dsc" for c in clients)
    # no other person's certificate carries a client's PAN
    others = {
        str(cert["pan"])
        for client in clients
        for n, cert in enumerate(client.certificates)
        if n != client.expected_index and cert.get("pan")
    }
    assert others.isdisjoint(ids["pan"])


@pytest.mark.parametrize(("a", "b"), [(0, 1), (1, 2), (0, 12), (3, 529)])
def test_two_seeds_share_no_identity(a: int, b: int) -> None:
    first, second = identities(mix_clients(36, seed=a)), identities(mix_clients(36, seed=b))
    for kind, values in first.items():
        assert values.isdisjoint(second[kind]), (kind, values & second[kind])


def offered(conn: sqlite3.Connection, token: str) -> list[OfferedCertificate]:
    """The certificates as emBridge offers them: key ID, common name, RFC 4514 subject."""
    listed = []
    for key_id, pem in dsc.token_certificates(conn, token):
        cert = x509.load_pem_x509_certificate(pem.encode())
        cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
        listed.append(OfferedCertificate(key_id, str(cn), cert.subject.rfc4514_string()))
    return listed


@pytest.mark.parametrize("seed", [0, 1])
def test_the_agent_picks_each_dsc_clients_certificate_and_the_portal_accepts_it(
    seed: int,
) -> None:
    """With or without dsc_cert, choose_certificate (the agent's choice) picks the expected
    certificate and check_token_rules (the portal's) accepts it; a pan-mismatch client's
    certificate is refused for its PAN."""
    clients = mix_clients(24, seed=seed, scenarios=["due", "pan-mismatch", "reverify"])
    conn = sqlite3.connect(":memory:")
    now = datetime.fromisoformat(PORTAL_NOW)
    for client in (c for c in clients if c.sign_with == "dsc"):
        row, portal = client.row, client.portal_record
        created = dsc.create_tokens(conn, iec=client.iec, specs=list(client.certificates))
        token = row["dsc_token"]
        owner = CertificateOwner(row["pan"], (row["name_as_per_pan"], row["firm_name"]))
        assert client.expected_index is not None
        wanted_key = created[client.expected_index]["key_id"]
        for wanted in {"", row["dsc_cert"], str(client.expected_cert)}:
            chosen = choose_certificate(
                offered(conn, token), token=token, owner=owner, wanted=wanted
            )
            assert chosen.key_id == wanted_key, (client.iec, wanted)
        pem = dict(dsc.token_certificates(conn, token))[wanted_key]
        problem = dsc.check_token_rules(
            pem,
            iec=client.iec,
            pan=row["pan"],
            name_as_per_pan=row["name_as_per_pan"],
            nature_of_concern=portal["nature_of_concern"],
            now=now,
        )
        expected = dsc.MESSAGES["pan_mismatch"] if client.scenario == "pan-mismatch" else None
        assert problem == expected, (client.iec, client.scenario)


def test_every_aadhaar_signer_passes_the_portals_esign_name_check() -> None:
    clients = mix_clients(24, seed=3, sign_with="aadhaar")
    for client in clients:
        portal = client.portal_record
        # the signers Update IEC accepts: the name as per PAN, and the persons with a DOB
        signers = [{"name": portal["name_as_per_pan"], "yob": int(portal["dob"][:4])}]
        signers += [{"name": p["name"], "yob": int(p["dob"][:4])} for p in portal["directors"]]
        holder = portal["aadhaar"]
        assert aadhaar_matches(holder, signers), client.iec
        assert holder["mobile"] == portal["mobile"]  # where the eSign OTP goes


def test_the_mock_portal_takes_the_seed_body(api_client: httpx.Client) -> None:
    clients = mix_clients(24, seed=11, scenarios=list(SCENARIOS))
    api_client.post("/__mock__/reset").raise_for_status()
    api_client.post("/__mock__/clock", json={"now": PORTAL_NOW}).raise_for_status()

    answer = api_client.post("/__mock__/seed", json=seed_body(clients))

    assert answer.status_code == 200, answer.text
    for client in clients:
        record = api_client.get(f"/__mock__/iecs/{client.iec}").json()
        assert record["status"] == ("deactivated" if client.scenario == "deactivated" else "active")
        assert record["nature_of_concern"] == client.portal_record["nature_of_concern"]
        tokens = api_client.get("/__mock__/tokens", params={"iec": client.iec}).json()
        assert [(t["token"], t["cn"]) for t in tokens] == [
            (c["token"], c["cn"]) for c in client.certificates
        ]
        assert all(t["signatures"] == 0 and not t["locked"] for t in tokens)


def test_dgft_seed_mix_seeds_the_clients_and_puts_their_secrets_in_the_environment(
    dgft: Dgft,
) -> None:
    clients = mix_clients(3, seed=12)

    dgft.seed_mix(clients)

    for client in clients:
        assert dgft.iec(client.iec)["pan"] == client.row["pan"]
        for name, value in client.secrets.items():
            assert os.environ[name] == value
