"""Normalisation and validation of SIRET numbers typed or imported."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

# People paste SIRETs grouped as "110 002 011 00044" or "110.002.011.00044",
# sometimes with the non-breaking or narrow spaces of a word processor.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f.]")


def normalize_siret(value: str) -> str:
    """Return `value` without the spaces, non-breaking spaces and dots people paste."""
    return _SEPARATORS.sub("", value or "")


def validate_typed_siret(value: str) -> str:
    """Return the normalised SIRET, or raise ValidationError with a French message.

    The checksum is python-stdnum's, which accepts La Poste establishments
    (SIREN 356000000), whose NIC does not follow the Luhn rule.
    """
    number = normalize_siret(value)
    if not re.fullmatch(r"\d{14}", number):
        raise ValidationError(
            _("A SIRET has 14 digits; “%(value)s” is not one."),
            code="siret_format",
            params={"value": value},
        )
    try:
        stdnum_siret.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("The SIRET %(value)s is invalid: its check digit does not match."),
            code="siret_checksum",
            params={"value": number},
        ) from None
    except StdnumError:
        raise ValidationError(
            _("The SIRET %(value)s is invalid."), code="siret_invalid", params={"value": number}
        ) from None
    return number


def is_valid_siret(number: str) -> bool:
    """Return whether `number` is a 14-digit SIRET that passes the checksum."""
    return stdnum_siret.is_valid(number) and len(number) == 14 and number.isdigit()
