import pytest

from mockserver.contacts.model import InvalidField
from mockserver.contacts.phone import normalise, normalise_country_code


@pytest.mark.parametrize(
    ("raw", "expected"), [("+91", "+91"), ("91", "+91"), ("+1", "+1"), ("358", "+358")]
)
def test_country_code_is_plus_and_digits(raw, expected):
    assert normalise_country_code(raw) == expected


# no country code starts with 0: "001" is the international call prefix and 1, not a code
@pytest.mark.parametrize(
    "raw", ["", "+", "++91", "+1234", "9a", " +91", "+9 1", "0091x", "+0", "+01", "001", "01"]
)
def test_malformed_country_code_is_refused(raw):
    with pytest.raises(InvalidField) as info:
        normalise_country_code(raw)
    assert info.value.field == "countryCode"


def test_number_key_is_e164_of_country_code_and_digits():
    phone = normalise("9876543210", "91", "+")
    assert phone.number_key == "+919876543210"
    assert phone.country_code == "+91"
    assert phone.extension == "+"


@pytest.mark.parametrize(
    "number", ["98765-43210", "98765 43210", "+919876543210", "", "98x6543210"]
)
def test_non_digit_number_is_refused(number):
    with pytest.raises(InvalidField) as info:
        normalise(number, "+91")
    assert info.value.field == "phoneNumber"


def test_e164_length_bounds_count_country_code_digits():
    assert normalise("2345678", "+1").number_key == "+12345678"  # 8 digits
    assert normalise("12345678901234", "+1").number_key == "+112345678901234"  # 15 digits
    with pytest.raises(InvalidField, match=r"E\.164"):
        normalise("234567", "+1")  # 7 digits
    with pytest.raises(InvalidField, match=r"E\.164"):
        normalise("123456789012345", "+1")  # 16 digits
