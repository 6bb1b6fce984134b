"""The PIN codes the mock portal knows: PIN → (state, district).

The real portal fills State and District from the PIN Code (``pincodeData``) [S: public
automation code]; its table is India Post's, which the mock does not carry. This small
table [I: the mechanism is sourced, the table is a sample] covers the PINs of the demo,
the examples and the tests, plus a few cities; a PIN not in it is refused as the portal
refuses an unknown one ("Please enter a valid PIN Code."). Add a PIN here when a seed or
a client file needs one.
"""

from __future__ import annotations

from typing import NamedTuple


class Place(NamedTuple):
    state: str
    district: str


PINCODES: dict[str, Place] = {
    # Maharashtra
    "400001": Place("Maharashtra", "Mumbai"),
    "400051": Place("Maharashtra", "Mumbai Suburban"),
    "411001": Place("Maharashtra", "Pune"),
    "411004": Place("Maharashtra", "Pune"),
    "411026": Place("Maharashtra", "Pune"),
    "422010": Place("Maharashtra", "Nashik"),
    # Gujarat
    "380001": Place("Gujarat", "Ahmedabad"),
    "395003": Place("Gujarat", "Surat"),
    "396195": Place("Gujarat", "Valsad"),
    # others
    "110001": Place("Delhi", "New Delhi"),
    "122001": Place("Haryana", "Gurugram"),
    "141001": Place("Punjab", "Ludhiana"),
    "226001": Place("Uttar Pradesh", "Lucknow"),
    "302001": Place("Rajasthan", "Jaipur"),
    "403001": Place("Goa", "North Goa"),
    "452001": Place("Madhya Pradesh", "Indore"),
    "500001": Place("Telangana", "Hyderabad"),
    "520001": Place("Andhra Pradesh", "Krishna"),
    "560001": Place("Karnataka", "Bengaluru Urban"),
    "600002": Place("Tamil Nadu", "Chennai"),
    "641001": Place("Tamil Nadu", "Coimbatore"),
    "682001": Place("Kerala", "Ernakulam"),
    "700016": Place("West Bengal", "Kolkata"),
}


def lookup(pin: str) -> Place | None:
    """The state and district of ``pin``, or None for a PIN the portal does not know."""
    return PINCODES.get(pin.strip())
