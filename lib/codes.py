"""Identifier checks: the national project code and the unified social credit code."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

# 项目代码 from the national online approval platform: year-region-industry-type-sequence.
# ASCII digits only (\d would take full-width ones) and fullmatch (a $ would let a trailing newline through).
NATIONAL_CODE_RE = re.compile(
    r"(?P<year>\d{4})-(?P<region>\d{6})-(?P<industry>\d{2})-(?P<type>\d{2})-(?P<seq>\d{6})", re.ASCII
)


def validate_national_code(value: str) -> None:
    match = NATIONAL_CODE_RE.fullmatch(value)
    if not match:
        raise ValidationError(
            _("项目代码格式应为 YYYY-RRRRRR-DD-TT-NNNNNN（年份-区划代码-行业代码-项目类型-流水号）。"),
            code="national_code_format",
        )
    year = int(match["year"])
    if not 1990 <= year <= 2100:
        raise ValidationError(_("项目代码中的年份 %(year)s 不合理。"), code="national_code_year", params={"year": year})


CREDIT_CODE_FORMAT_MESSAGE = _("统一社会信用代码包含无效字符（只允许数字和除 I、O、Z、S、V 以外的大写字母）。")


def validate_credit_code(value: str) -> None:
    """GB 32100-2015: 18 characters with a check character."""
    # python-stdnum would accept lower case, separators and full-width digits; the stored code must be canonical.
    if uscc.compact(value) != value:
        raise ValidationError(CREDIT_CODE_FORMAT_MESSAGE, code="credit_code_format")
    try:
        uscc.validate(value)
    except uscc.InvalidLength:
        raise ValidationError(_("统一社会信用代码应为 18 位。"), code="credit_code_length") from None
    except uscc.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对。"), code="credit_code_checksum") from None
    except uscc.ValidationError:
        raise ValidationError(CREDIT_CODE_FORMAT_MESSAGE, code="credit_code_format") from None


def make_credit_code(body: str) -> str:
    """Complete the first 17 characters of a credit code with its check character."""
    return body + uscc.calc_check_digit(body)
