import pytest
from django.core.exceptions import ValidationError

from structures.siret import normalize_siret, validate_typed_siret


@pytest.mark.parametrize(
    "typed",
    [
        "11000201100044",
        "110 002 011 00044",
        "110.002.011.00044",
        "110\u00a0002\u00a0011\u00a000044",
        "110\u202f002\u202f011\u202f00044",
        " 11000201100044 ",
    ],
)
def test_valid_siret_is_normalised(typed):
    assert validate_typed_siret(typed) == "11000201100044"


def test_la_poste_establishment_is_accepted():
    # La Poste NICs follow a sum-of-digits rule instead of Luhn.
    assert validate_typed_siret("35600000049837") == "35600000049837"


def test_la_poste_with_wrong_digit_sum_is_rejected():
    with pytest.raises(ValidationError) as error:
        validate_typed_siret("35600000049838")
    assert error.value.code == "siret_checksum"


def test_wrong_check_digit_is_rejected():
    with pytest.raises(ValidationError) as error:
        validate_typed_siret("11000201100045")
    assert error.value.code == "siret_checksum"


@pytest.mark.parametrize(
    "typed",
    ["1100020110004", "110002011000440", "1100020110004A", "", "SIRET", "11000-201100044"],
)
def test_not_fourteen_digits_is_rejected(typed):
    with pytest.raises(ValidationError) as error:
        validate_typed_siret(typed)
    assert error.value.code == "siret_format"


def test_format_message_says_fourteen_digits_in_french():
    from django.utils import translation

    with translation.override("fr"):
        with pytest.raises(ValidationError) as error:
            validate_typed_siret("1234")
        message = error.value.messages[0]

    assert "14 chiffres" in message


def test_normalise_keeps_letters_for_the_validator():
    assert normalize_siret("12 AB.34") == "12AB34"
