"""lib.codes (national project code, unified social credit code) and lib.money (万元 / 亿元)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lib.codes import make_credit_code, validate_credit_code, validate_national_code
from lib.money import format_wan, format_yi

FORMAT_MESSAGE = "项目代码格式应为 YYYY-RRRRRR-DD-TT-NNNNNN（年份-区划代码-行业代码-项目类型-流水号）。"
VALID_CREDIT_CODE = "914403001922038216"  # a real, published code


def _error(validator, value) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        validator(value)
    return error.value


# ---- national project code ----


@pytest.mark.parametrize("code", ["2024-141122-30-03-000001", "1990-140000-00-00-000000", "2100-999999-99-99-999999"])
def test_it_accepts_a_well_formed_national_code(code):
    assert validate_national_code(code) is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        "2024141122300300001",  # no separators
        "24-141122-30-03-000001",  # two-digit year
        "2024-14112-30-03-000001",  # five-digit region
        "2024-1411220-30-03-000001",  # seven-digit region
        "2024-141122-3-03-000001",  # one-digit industry
        "2024-141122-30-3-000001",  # one-digit type
        "2024-141122-30-03-00001",  # five-digit sequence
        "2024-141122-30-03-0000001",  # seven-digit sequence
        "2024-141122-30-03-00000A",  # letter in the sequence
        "2024/141122/30/03/000001",  # wrong separator
        " 2024-141122-30-03-000001",  # leading space
        "2024-141122-30-03-000001\n",  # trailing newline
        "２０２４-141122-30-03-000001",  # full-width digits
    ],
)
def test_it_refuses_a_national_code_of_the_wrong_shape(code):
    error = _error(validate_national_code, code)

    assert (error.code, error.messages) == ("national_code_format", [FORMAT_MESSAGE])


@pytest.mark.parametrize("year", ["1989", "2101", "0000", "9999"])
def test_it_refuses_a_national_code_with_an_implausible_year(year):
    error = _error(validate_national_code, f"{year}-141122-30-03-000001")

    assert (error.code, error.messages) == ("national_code_year", [f"项目代码中的年份 {int(year)} 不合理。"])


# ---- unified social credit code ----


def test_it_accepts_a_valid_credit_code():
    assert validate_credit_code(VALID_CREDIT_CODE) is None


@pytest.mark.parametrize("last", ["0", "7", "A", "Y"])
def test_it_refuses_a_credit_code_with_a_wrong_check_character(last):
    error = _error(validate_credit_code, VALID_CREDIT_CODE[:-1] + last)

    assert (error.code, error.messages) == ("credit_code_checksum", ["统一社会信用代码校验位不正确，请核对。"])


@pytest.mark.parametrize("code", ["", VALID_CREDIT_CODE[:-1], VALID_CREDIT_CODE + "0", "91440300"])
def test_it_refuses_a_credit_code_of_the_wrong_length(code):
    error = _error(validate_credit_code, code)

    assert (error.code, error.messages) == ("credit_code_length", ["统一社会信用代码应为 18 位。"])


@pytest.mark.parametrize(
    "code",
    [
        "91440300I92203821" + "6",  # I is not in the alphabet
        "9144030019220382O6",  # nor O
        "9144030019220382S6",  # nor S
        "9A4403001922038216",  # the first eight are digits only
        "914403001922038２16",  # full-width digit
        VALID_CREDIT_CODE.lower()[:-1] + "b",  # lower case is not the canonical form
    ],
)
def test_it_refuses_a_credit_code_with_a_bad_character(code):
    error = _error(validate_credit_code, code)

    assert error.code == "credit_code_format"
    assert error.messages == ["统一社会信用代码包含无效字符（只允许数字和除 I、O、Z、S、V 以外的大写字母）。"]


def test_it_refuses_a_credit_code_in_lower_case_even_with_a_right_check_character():
    code = make_credit_code("91141122MA0JC0001").lower()

    assert _error(validate_credit_code, code).code == "credit_code_format"


def test_make_credit_code_completes_seventeen_characters_with_the_check_character():
    assert make_credit_code(VALID_CREDIT_CODE[:-1]) == VALID_CREDIT_CODE
    assert make_credit_code("91141122MA0JC0001") == "91141122MA0JC0001R"
    assert validate_credit_code(make_credit_code("12141121MB0987654")) is None


# ---- money ----


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234567.8"), "1,234,567.80"),
        (Decimal("0"), "0.00"),
        (Decimal("0.005"), "0.01"),  # half up, not banker's rounding
        (Decimal("0.015"), "0.02"),
        (Decimal("120000"), "120,000.00"),
        ("8000.5", "8,000.50"),
        (42, "42.00"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_format_wan_shows_two_decimals_with_thousands_separators(value, shown):
    assert format_wan(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("123456"), "12.35"),
        (Decimal("10000"), "1.00"),
        (Decimal("999950"), "100.00"),
        (Decimal("12345678"), "1,234.57"),
        (Decimal("50"), "0.01"),  # 0.005 亿 rounds half up
        (Decimal("49"), "0.00"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_format_yi_converts_wan_to_yi_with_two_decimals(value, shown):
    assert format_yi(value) == shown
