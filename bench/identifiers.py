"""Valid, distinct and evenly spread SIRETs for generated structures.

A SIRET is a SIREN (8 digits and a Luhn check digit) followed by a NIC
(4 digits and the check digit that makes the whole 14 digits pass Luhn).
SIRENs of public bodies start with 1 or 2, those of companies with 3 to 9.
"""

from stdnum import luhn

# Multiplying the serial number by a prime coprime with the range size is a
# bijection of the range, so SIRENs stay distinct while their first digits,
# and thus the prefixes typed in recipient suggestions, spread evenly.
_SPREAD = 48_271
_PUBLIC_BODIES = (10_000_000, 20_000_000)  # (first 8-digit body, range size)
_COMPANIES = (30_000_000, 70_000_000)
# La Poste's SIREN, whose establishments do not follow the Luhn rule; its
# serial in the company range is far above any generated count.
_LA_POSTE = "356000000"


def siren(serial: int, *, public: bool) -> str:
    """Return the SIREN of the `serial`-th public body or company, counting from 0."""
    first, size = _PUBLIC_BODIES if public else _COMPANIES
    if not 0 <= serial < size:
        raise ValueError(f"serial {serial} is outside 0..{size - 1}")
    body = str(first + (serial * _SPREAD) % size)
    number = body + luhn.calc_check_digit(body)
    if number == _LA_POSTE:
        raise ValueError(f"serial {serial} gives La Poste's SIREN, which has other check rules")
    return number


def siret(serial: int, *, public: bool) -> str:
    """Return the SIRET of the `serial`-th public body or company, counting from 0."""
    nic_body = f"{1 + serial % 300:04d}"
    body = siren(serial, public=public) + nic_body
    return body + luhn.calc_check_digit(body)
