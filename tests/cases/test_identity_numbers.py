"""Identity numbers: GB 11643 resident IDs, GB 32100 credit codes, passports and permits."""

import datetime as dt

import pytest

from cases.identity import (
    IdentityNumberError,
    check_hk_macao_permit,
    check_identity,
    check_passport,
    check_resident_id,
    check_taiwan_permit,
    check_uscc,
)

TODAY = dt.date(2026, 11, 2)
# The example number printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_own_example_passes():
    assert check_resident_id(STANDARD_EXAMPLE, today=TODAY) == STANDARD_EXAMPLE


def test_lowercase_x_is_accepted_and_normalised():
    assert check_resident_id(STANDARD_EXAMPLE.lower(), today=TODAY) == STANDARD_EXAMPLE


@pytest.mark.parametrize("position", range(17))
def test_one_digit_off_anywhere_is_caught_by_the_check_character(position):
    digits = list(STANDARD_EXAMPLE)
    digits[position] = str((int(digits[position]) + 1) % 10)
    wrong = "".join(digits)
    with pytest.raises(IdentityNumberError):
        check_resident_id(wrong, today=TODAY)


def test_a_wrong_check_character_says_so():
    with pytest.raises(IdentityNumberError, match="校验位"):
        check_resident_id("110105194912310021", today=TODAY)


@pytest.mark.parametrize(
    "number", ["11010519491231002", "11010519491231002X1", "", "110105491231002"]
)
def test_wrong_length_is_refused(number):
    with pytest.raises(IdentityNumberError):
        check_resident_id(number, today=TODAY)


def test_impossible_birth_dates_are_refused():
    from tests.cases.conftest import id_number

    with pytest.raises(IdentityNumberError, match="出生日期"):
        check_resident_id(id_number("36010219800230123"), today=TODAY)  # 30 February
    with pytest.raises(IdentityNumberError, match="不合理"):
        check_resident_id(id_number("36010220301201123"), today=TODAY)  # born in the future


def test_unknown_province_prefix_is_refused():
    from tests.cases.conftest import id_number

    with pytest.raises(IdentityNumberError, match="省级"):
        check_resident_id(id_number("99010219800101123"), today=TODAY)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"])
def test_published_credit_codes_pass(code):
    assert check_uscc(code) == code
    assert check_uscc(code.lower()) == code


def test_credit_code_check_character_and_alphabet():
    with pytest.raises(IdentityNumberError, match="校验位"):
        check_uscc("91350100M000100Y44")
    with pytest.raises(IdentityNumberError, match="不允许的字符"):
        check_uscc("91350100M0001O0Y43")  # letter O is not in the alphabet
    with pytest.raises(IdentityNumberError, match="18位"):
        check_uscc("91350100M000100Y4")


def test_passports_and_permits_format():
    assert check_passport("e12345678") == "E12345678"
    assert check_passport("EA1234567") == "EA1234567"
    assert check_passport("X1234567") == "X1234567"  # a foreign passport
    with pytest.raises(IdentityNumberError):
        check_passport("E1234567X")
    with pytest.raises(IdentityNumberError):
        check_passport("ABCDEFG")
    assert check_hk_macao_permit("H12345678") == "H12345678"
    assert check_hk_macao_permit("M1234567801") == "M1234567801"
    with pytest.raises(IdentityNumberError, match="H（香港）或M（澳门）"):
        check_hk_macao_permit("A12345678")
    assert check_taiwan_permit("12345678") == "12345678"
    with pytest.raises(IdentityNumberError):
        check_taiwan_permit("1234567")


def test_unknown_kind_is_refused():
    with pytest.raises(Exception, match="不支持的证件类型"):
        check_identity("driving_licence", "123")
