"""Client files that vary as real ones do, for e2e tests: one generator for mixed clients.

``demo.fictional`` writes clients that are all alike (a company, a certificate name, one
certificate per token, one shared PIN). Real client files differ in ways the agent has to
cope with, and ``mix_clients(count, seed=...)`` varies them, deterministically for
``(count, seed)``. Client ``i`` takes the shape ``SHAPES[(i + seed) % 12]``, so any twelve
consecutive clients hold every shape, and with it every one of these:

- the client file's ``dsc_cert`` filled in or left empty (``write_client_file`` leaves the
  column out altogether unless asked for it);
- a token holding one certificate, or two: the client's and a namesake's (the same common
  name, another PAN), another person's (a director's own personal DSC) or another
  organisation's, listed before or after the client's, so that only the PAN hash or the
  name picks the right one (``rpa/challenges/certificates.py``);
- individual tokens (proprietorships, PAN 4th letter P: an individual certificate carrying
  the PAN hash) and organisation tokens (companies C, partnerships and LLPs F: the
  organisation is the name as per PAN, the common name the signatory's);
- legacy 10-digit IECs and PAN-IECs; DSC and Aadhaar signers (3 in 12: proprietors signing
  as themselves, a partner for a firm, one by VID);
- 4-, 6- and 8-digit PINs (led by 0, see ``_pin``), each client its own; slow tokens
  (``list_delay_ms``);
- firm names with ``&``, ``'``, ``"``, a comma and Devanagari (``श्री गणेश Exports``), names
  as per PAN in upper-case ASCII; ``portal_user`` and ``nature_of_concern`` left empty on
  some rows; dates and mobiles written in the formats offices use.

``scenarios`` (``demo.seeding.SCENARIOS`` keys) cycle over the clients. Identities (PAN,
IEC, email, mobile, token, Aadhaar) are built from ``(seed, i)``, so batches of different
seeds never collide; secrets are per client (``env:MIX_*_<IEC>``, see ``secrets_env``).

``seed_body(clients)`` is the mock portal's ``POST /__mock__/seed`` body: the portal's side
of each client (its real nature of concern, directors, tokens and Aadhaar holder, its state
from ``demo.seeding.iec_seed``), which the client file may leave partly empty.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from demo.fictional import COLUMNS
from demo.seeding import SCENARIOS, iec_seed
from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord, SignWith, parse_record

#: Letters a PAN's first three may take (the demo's); "Z" is left for people who are not
#: clients (namesakes, signatories), so their PANs never equal a client's.
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"
MAX_SEED = 10_000
MAX_COUNT = 10_000
CYCLE = 12
SLOW_TOKEN_MS = 1500

PROPRIETORSHIP = "Proprietorship"
PRIVATE_LIMITED = "Private Limited Company"
PUBLIC_LIMITED = "Public Limited Company"
PARTNERSHIP = "Partnership"
LLP = "Limited Liability Partnership"
_PAN_TYPE = {
    PROPRIETORSHIP: "P",
    PRIVATE_LIMITED: "C",
    PUBLIC_LIMITED: "C",
    PARTNERSHIP: "F",
    LLP: "F",
}
_SIGNATORY = {
    PRIVATE_LIMITED: "Director",
    PUBLIC_LIMITED: "Director",
    PARTNERSHIP: "Partner",
    LLP: "Designated Partner",
}


@dataclass(frozen=True)
class Shape:
    """What one client of the twelve-client cycle looks like (its identity apart)."""

    concern: str
    legacy_iec: bool  # a 10-digit IEC issued before 2020, else the PAN
    aadhaar: bool  # signs with Aadhaar eSign unless the caller forces "dsc"
    second: str | None  # the token's other certificate: namesake | person | organisation
    second_first: bool  # the other certificate is listed before the client's
    named: bool  # the client file's dsc_cert names the certificate (when it has the column)
    pin_digits: int
    slow: bool  # the token lists its certificates late
    names: tuple[tuple[str, str], ...]  # (firm name, name as per PAN); "{holder}" = the person
    blank_user: bool = False  # portal_user left empty (the email is the username)
    blank_concern: bool = False  # nature_of_concern left empty
    org_pan: bool = False  # the organisation certificate carries the PAN hash too
    vid: bool = False  # the Aadhaar secret is a 16-digit VID


SHAPES: tuple[Shape, ...] = (
    Shape(
        PROPRIETORSHIP, True, False, None, False, True, 4, False,
        (("श्री गणेश Exports", "{holder}"), ("श्री बालाजी Traders", "{holder}")),
        blank_user=True,
    ),
    Shape(
        PRIVATE_LIMITED, False, False, "person", True, False, 6, False,
        (
            ('"Sagar" Marine Foods Pvt Ltd', "SAGAR MARINE FOODS PRIVATE LIMITED"),
            ('"Kaveri" Agro Pvt. Ltd.', "KAVERI AGRO PRIVATE LIMITED"),
        ),
    ),
    Shape(
        PROPRIETORSHIP, False, True, "namesake", False, False, 8, False,
        (("D'Souza Cashew Exports", "{holder}"), ("Nair's Coir Works", "{holder}")),
        blank_concern=True,
    ),
    Shape(
        PARTNERSHIP, True, False, "organisation", True, True, 8, True,
        (("M K Patel & Sons", "M K PATEL & SONS"), ("R. Gupta & Co.", "R GUPTA & CO")),
    ),
    Shape(
        PROPRIETORSHIP, False, False, "namesake", True, False, 4, False,
        (("{Holder} Enterprises", "{holder}"), ("{Holder} Handicrafts", "{holder}")),
    ),
    Shape(
        LLP, False, False, None, False, False, 6, False,
        (
            ("Jain, Shah & Associates LLP", "JAIN SHAH AND ASSOCIATES LLP"),
            ("Rao, Iyer & Partners LLP", "RAO IYER AND PARTNERS LLP"),
        ),
        org_pan=True,
    ),
    Shape(
        PARTNERSHIP, True, True, None, False, False, 6, False,
        (
            ("Coastal Spice Company", "COASTAL SPICE COMPANY"),
            ("Malabar Traders", "MALABAR TRADERS"),
        ),
    ),
    Shape(
        PUBLIC_LIMITED, True, False, None, False, True, 8, False,
        (
            ("Deccan Forge Ltd", "DECCAN FORGE LIMITED"),
            ("Konkan Polymers Ltd", "KONKAN POLYMERS LIMITED"),
        ),
        blank_user=True,
    ),
    Shape(
        PROPRIETORSHIP, True, False, "person", False, True, 6, True,
        (("Vaishnavi Silks", "{holder}"), ("Annapurna Pickles", "{holder}")),
    ),
    Shape(
        LLP, False, False, "organisation", False, False, 4, False,
        (
            ("Northern Agri Ventures LLP", "NORTHERN AGRI VENTURES LLP"),
            ("Indus Leather LLP", "INDUS LEATHER LLP"),
        ),
    ),
    Shape(
        PROPRIETORSHIP, False, True, None, False, False, 4, False,
        (('Shree "Laxmi" Jewellers', "{holder}"), ('"Om Sai" Garments', "{holder}")),
        vid=True,
    ),
    Shape(
        PRIVATE_LIMITED, False, False, "person", False, True, 8, False,
        (
            ("Kapoor & Kapoor Exim Pvt Ltd", "KAPOOR AND KAPOOR EXIM PRIVATE LIMITED"),
            ("Bose & Dutta Tea Pvt Ltd", "BOSE AND DUTTA TEA PRIVATE LIMITED"),
        ),
        blank_concern=True,
    ),
)  # fmt: skip

FIRST_NAMES = (
    "RAVI", "SUNITA", "ANIL", "PRIYA", "RAJESH", "MEENA", "SURESH", "KAVITA", "ARJUN",
    "LAKSHMI", "VIKRAM", "DEEPA", "MOHAN", "ANJALI", "HARISH", "NEHA", "GOPAL", "REKHA",
)  # fmt: skip
SURNAMES = (
    "SHARMA", "IYER", "PATEL", "REDDY", "NAIR", "GUPTA", "DESAI", "MENON", "KULKARNI",
    "CHOUDHARY", "BANERJEE", "JOSHI", "PILLAI", "SINGH", "RAO", "MEHTA", "DAS",
)  # fmt: skip
CONSULTANCIES = ("ARORA TAX CONSULTANTS LLP", "VERMA EXIM SERVICES PRIVATE LIMITED")
TOKEN_MODELS = ("ePass2003", "WD ProxKey", "Hypersecu HyperPKI", "mToken CryptoID", "Trust Key")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
CITIES = (
    ("12 Gandhi Road", "Pune", "Maharashtra", "411001"),
    ("4/221 Anna Salai", "Chennai", "Tamil Nadu", "600002"),
    ("Plot 7, GIDC Estate", "Vapi", "Gujarat", "396195"),
    ("88 Park Street", "Kolkata", "West Bengal", "700016"),
)


@dataclass(frozen=True)
class MixClient:
    """One generated client: its client-file row, its state on the portal, its secrets."""

    row: dict[str, str]  # the client file row (``demo.fictional.COLUMNS``)
    scenario: str  # a ``demo.seeding.SCENARIOS`` key
    secrets: dict[str, str]  # env var name -> value: password, DSC PIN, Aadhaar number/VID
    certificates: tuple[dict[str, Any], ...]  # the token's certificate specs, as seeded
    #: which of ``certificates`` the agent must sign with (None for Aadhaar signers)
    expected_index: int | None = None
    #: the IEC as the portal holds it (``POST /__mock__/seed``'s ``iecs`` item, without
    #: ``dsc``): the real nature of concern, directors, Aadhaar holder, scenario state
    portal_record: dict[str, Any] = field(default_factory=dict)
    password: str = ""

    @property
    def iec(self) -> str:
        return self.row["iec"]

    @property
    def sign_with(self) -> str:
        return self.row["sign_with"]

    @property
    def expected_cert(self) -> str | None:
        """The common name of the certificate the agent must sign with (None for Aadhaar).
        A namesake's certificate has the same name: ``expected_index`` tells them apart."""
        if self.expected_index is None:
            return None
        return str(self.certificates[self.expected_index]["cn"])

    @property
    def dsc_pin(self) -> str | None:
        return self.secrets.get(f"MIX_DSC_PIN_{self.iec}")

    def user(self) -> dict[str, Any]:
        """The portal user this client logs in as (``POST /__mock__/seed``'s ``users`` item)."""
        return {
            "email": (self.row["portal_user"] or self.row["email"]).lower(),
            "password": self.password,
            "mobile": self.portal_record["mobile"],
            "name": self.row["name_as_per_pan"],
        }


# --- identities ---------------------------------------------------------------------------------


def _letters(n: int, width: int = 3) -> str:
    out = ""
    for _ in range(width):
        out = LETTERS[n % len(LETTERS)] + out
        n //= len(LETTERS)
    return out


def _client_pan(seed: int, i: int, holder_type: str, initial: str) -> str:
    """Distinct for each (seed, i): the seed in the first three letters, ``i`` in the digits."""
    return f"{_letters(seed)}{holder_type}{initial}{i:04d}{LETTERS[(seed + 7 * i) % 23]}"


def _person_pan(seed: int, i: int, k: int, initial: str) -> str:
    """Another person's PAN (a namesake, a signatory): starts with Z, never a client's."""
    return f"Z{_letters(seed * 3 + k, 2)}P{initial}{i:04d}{LETTERS[(seed + i + k) % 23]}"


def _legacy_iec(seed: int, i: int) -> str:
    """10 digits, distinct for each (seed, i): ``0388000003`` for seed 0, client 3."""
    return f"{388_000_000 + seed * 100_000 + i:010d}"


def _mobile(seed: int, i: int) -> str:
    return f"{6 + i % 4}{seed:04d}{i:05d}"


def _surname_initial(name: str) -> str:
    return name.split()[-1][0]


def _slug(text: str) -> str:
    ascii_words = ["".join(ch for ch in w if ch.isascii() and ch.isalnum()) for w in text.split()]
    return ".".join(w.lower() for w in ascii_words if w)[:24] or "client"


def _pin(rng: random.Random, digits: int, taken: set[str], legacy_iec: str) -> str:
    """``digits`` digits led by a 0 and a non-zero digit (``0427``, ``07315582``), each
    client's its own (while there are enough), never inside the seed's legacy IECs. So led,
    a PIN never turns up by chance where a search for a leaked one looks: the numbers
    programs write (years, call ids, sizes, times, JSON numbers) have no leading 0, and the
    zero-padded ones of these batches (ack sequences ``0000NN``, PAN digits ``00NN`` under
    100 clients, months, days) a second 0."""
    pin = ""
    for _ in range(1000):
        rest = "".join(rng.choice("0123456789") for _ in range(digits - 2))
        pin = f"0{rng.choice('123456789')}{rest}"
        if pin not in taken and pin not in legacy_iec:
            break
    taken.add(pin)
    return pin


def _password(rng: random.Random, word: str) -> str:
    special = rng.choice("@#$&!%*")
    return f"{word.capitalize()}{special}{rng.randrange(1000, 9999)}{rng.choice('xyzq')}"


def _mobile_as_written(mobile: str, i: int) -> str:
    return (mobile, f"+91 {mobile[:5]} {mobile[5:]}", f"0{mobile}", f"{mobile[:5]}-{mobile[5:]}")[
        i % 4
    ]


# --- the generator ------------------------------------------------------------------------------


def mix_clients(
    count: int,
    *,
    seed: int = 0,
    scenarios: Sequence[str] | None = None,
    sign_with: str | None = None,
) -> list[MixClient]:
    """``count`` varied clients, the same for the same ``(count, seed)``. ``scenarios``
    cycle over them (default: all "due"); ``sign_with`` forces "dsc" or "aadhaar" for all
    (default: the shapes' mix, 3 Aadhaar signers in 12)."""
    if not 0 <= seed < MAX_SEED:
        raise ValueError(f"seed must be in 0..{MAX_SEED - 1}, not {seed}")
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be in 0..{MAX_COUNT}, not {count}")
    cycle = list(scenarios or ["due"])
    unknown = [s for s in cycle if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; expected some of {list(SCENARIOS)}")
    if sign_with not in (None, "dsc", "aadhaar"):
        raise ValueError(f"sign_with must be 'dsc', 'aadhaar' or None, not {sign_with!r}")
    pins: set[str] = set()
    return [_client(seed, i, cycle[i % len(cycle)], sign_with, pins) for i in range(count)]


def _client(seed: int, i: int, scenario: str, force: str | None, pins: set[str]) -> MixClient:
    shape = SHAPES[(i + seed) % CYCLE]
    rng = random.Random(f"clientmix:{seed}:{i}")
    variant = (seed + i // CYCLE) % len(shape.names)
    aadhaar = shape.aadhaar if force is None else force == "aadhaar"
    if scenario == "pan-mismatch" and aadhaar:
        if force == "aadhaar":
            raise ValueError("the pan-mismatch scenario needs DSC signers")
        aadhaar = False
    concern = shape.concern
    individual = concern == PROPRIETORSHIP

    holder = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    signatory = holder if individual else f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    firm, name_as_per_pan = (
        text.replace("{holder}", holder).replace("{Holder}", holder.title())
        for text in shape.names[variant]
    )
    initial = _surname_initial(holder) if individual else name_as_per_pan[0]
    pan = _client_pan(seed, i, _PAN_TYPE[concern], initial)
    iec = _legacy_iec(seed, i) if shape.legacy_iec else pan
    mobile = _mobile(seed, i)
    domain = f"{_slug(firm).split('.')[0]}.example" if i % 3 else "mail.example"
    local = f"{_slug(firm)}.s{seed}.c{i}"
    email = f"{local.title() if shape.blank_user else local}@{domain}"
    dob = date(1960 + rng.randrange(35), rng.randrange(1, 13), rng.randrange(1, 29))
    if not individual:
        dob = date(1975 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29))
    signatory_dob = dob if individual else date(1955 + rng.randrange(40), 1 + i % 12, 10)

    password = _password(rng, _slug(firm).split(".")[0] or "client")
    secrets = {f"MIX_PASSWORD_{iec}": password}
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        iec=iec,
        pan=pan,
        firm_name=firm,
        name_as_per_pan=name_as_per_pan,
        dob=dob.strftime(DATE_FORMATS[i % len(DATE_FORMATS)]),
        email=email,
        mobile=_mobile_as_written(mobile, i),
        portal_user="" if shape.blank_user else email,
        portal_password=f"env:MIX_PASSWORD_{iec}",
        sign_with="aadhaar" if aadhaar else "dsc",
        nature_of_concern="" if shape.blank_concern else concern,
    )

    certificates: tuple[dict[str, Any], ...] = ()
    expected: int | None = None
    number = f"{2 + i % 8}{seed:05d}{i:06d}"
    vid = f"9{seed:05d}{i:06d}{rng.randrange(1000, 9999)}"
    if aadhaar:
        secrets[f"MIX_AADHAAR_{iec}"] = vid if shape.vid else number
        row["aadhaar"] = f"env:MIX_AADHAAR_{iec}"
    else:
        pin = _pin(rng, shape.pin_digits, pins, _legacy_iec(seed, i))
        secrets[f"MIX_DSC_PIN_{iec}"] = pin
        token = f"{TOKEN_MODELS[(seed + i) % len(TOKEN_MODELS)]} {seed:04d}{i:04d}"
        certificates, expected = _certificates(
            shape, scenario, seed=seed, i=i, rng=rng, token=token, pin=pin, pan=pan,
            holder=holder, signatory=signatory, name_as_per_pan=name_as_per_pan,
        )  # fmt: skip
        row.update(
            dsc_token=token,
            dsc_pin=f"env:MIX_DSC_PIN_{iec}",
            dsc_cert=str(certificates[expected]["cn"]) if shape.named else "",
        )

    # the portal's side, from the demo's seed for this scenario
    record = parse_record({k: v for k, v in row.items() if v})
    portal = iec_seed(
        record.model_copy(update={"sign_with": SignWith.DSC, "dsc_token": None}), scenario
    )
    portal.pop("dsc", None)
    street, city, state, pin_code = CITIES[(seed + i) % len(CITIES)]
    portal["address"] = {
        "line1": street,
        "line2": "",
        "city": city,
        "state": state,
        "pin": pin_code,
    }
    portal["nature_of_concern"] = concern
    # the mock's bank verification fails accounts ending 000 and leaves 999 in progress:
    # every account here verifies (last three digits 100-899)
    portal["bank"]["account_number"] = f"50{seed:04d}{i:05d}{100 + (i * 37) % 800:03d}"
    person_pan = pan if individual else _person_pan(seed, i, 1, _surname_initial(signatory))
    portal["directors"] = [
        {
            "name": signatory,
            "pan": person_pan,
            "designation": "Proprietor" if individual else _SIGNATORY[concern],
            "dob": signatory_dob.isoformat(),
        }
    ]
    if aadhaar:
        portal["aadhaar"] = {
            "number": number,
            "vid": vid,
            "name": signatory,  # the proprietor, or the partner/director who signs
            "yob": signatory_dob.year,
            "mobile": mobile,
        }
    return MixClient(
        row=row,
        scenario=scenario,
        secrets=secrets,
        certificates=certificates,
        expected_index=expected,
        portal_record=portal,
        password=password,
    )


def _certificates(
    shape: Shape,
    scenario: str,
    *,
    seed: int,
    i: int,
    rng: random.Random,
    token: str,
    pin: str,
    pan: str,
    holder: str,
    signatory: str,
    name_as_per_pan: str,
) -> tuple[tuple[dict[str, Any], ...], int]:
    """The token's certificates and which one is the client's."""
    common: dict[str, Any] = {"token": token, "pin": pin, "valid_to": f"{2027 + i % 4}-12-31"}
    if shape.slow:
        common["list_delay_ms"] = SLOW_TOKEN_MS
    if scenario == "pan-mismatch":  # one certificate, an individual one of another PAN
        wrong = _person_pan(seed, i, 2, _surname_initial(signatory))
        return ({**common, "type": "individual", "cn": signatory, "pan": wrong},), 0
    own: dict[str, Any]
    other: dict[str, Any]
    if shape.concern == PROPRIETORSHIP:
        own = {**common, "type": "individual", "cn": holder, "pan": pan}
    else:
        own = {**common, "type": "organisation", "cn": signatory, "org": name_as_per_pan}
        if shape.org_pan:
            own["pan"] = pan
    if shape.second is None:
        return (own,), 0
    if shape.second == "namesake":  # the same name, another PAN
        cn = str(own["cn"])
        other = {
            **common,
            "type": "individual",
            "cn": cn,
            "pan": _person_pan(seed, i, 3, _surname_initial(cn)),
        }
    elif shape.second == "person":  # the signatory's own DSC, or a relative's
        person = signatory
        if shape.concern == PROPRIETORSHIP:
            person = f"{rng.choice(FIRST_NAMES)} {holder.split()[-1]}"
            while person == holder:
                person = f"{rng.choice(FIRST_NAMES)} {holder.split()[-1]}"
        person_pan = _person_pan(seed, i, 1, _surname_initial(person))
        other = {**common, "type": "individual", "cn": person, "pan": person_pan}
    else:  # another organisation's: the consultant's own DSC on the same token
        consultant = CONSULTANCIES[(seed + i) % len(CONSULTANCIES)]
        cn = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        other = {**common, "type": "organisation", "cn": cn, "org": consultant}
    return ((other, own), 1) if shape.second_first else ((own, other), 0)


# --- files, seeds, environment ------------------------------------------------------------------


def write_client_file(
    path: Path, clients: Sequence[MixClient], *, dsc_cert_column: bool = False
) -> list[ClientRecord]:
    """Write the clients' rows as CSV, or as a workbook when ``path`` ends in .xlsx; the
    ``dsc_cert`` column only with ``dsc_cert_column``. Returns the records as
    ``load_clients`` reads them; raises ``ValueError`` when it refuses a row."""
    columns = [c for c in COLUMNS if dsc_cert_column or c != "dsc_cert"]
    rows = [{c: client.row[c] for c in columns} for client in clients]
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, columns, rows)
    else:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    loaded = load_clients(path)
    if loaded.errors:
        raise ValueError(f"{path}: rows refused: {[str(e) for e in loaded.errors]}")
    return [record for _, record in loaded.records]


def _write_xlsx(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clients"
    sheet.append(columns)
    for n, row in enumerate(rows):
        cells: list[Any] = [row[c] for c in columns]
        if n % 2:  # a real date cell, as Excel keeps a date typed into it
            record_dob = parse_record({k: v for k, v in row.items() if v}).dob
            cells[columns.index("dob")] = record_dob
        sheet.append(cells)
    for column in sheet.iter_cols(min_row=2):  # text cells keep a legacy IEC's leading 0
        for cell in column:
            if isinstance(cell.value, str):
                cell.number_format = "@"
    book.save(path)


def seed_body(clients: Sequence[MixClient]) -> dict[str, Any]:
    """``POST /__mock__/seed`` for these clients: a user each (its own password) and the
    IEC (its scenario's state, its token's certificates or its Aadhaar holder)."""
    iecs = []
    for client in clients:
        item = dict(client.portal_record)
        if client.certificates:
            item["dsc"] = [dict(c) for c in client.certificates]
        iecs.append(item)
    return {"users": [client.user() for client in clients], "iecs": iecs}


def secrets_env(clients: Sequence[MixClient]) -> dict[str, str]:
    """The environment variables the client file's ``env:`` references name."""
    env: dict[str, str] = {}
    for client in clients:
        env.update(client.secrets)
    return env
