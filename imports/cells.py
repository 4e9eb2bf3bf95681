"""One cell of a ledger as a value of the project: text, an amount in 万元, a date, a choice.

Each parser returns the value or raises ``CellError`` with the message (Chinese, for the user) that
the dry run shows beside the row number and column letter.
"""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
# The largest figure a money field (max_digits=14, decimal_places=2) holds.
MAX_AMOUNT = Decimal("999999999999.99")
UNITS = {"元": Decimal("0.0001"), "万元": Decimal("1"), "亿元": Decimal("10000")}
UNIT_CHOICES = ["万元", "亿元", "元"]
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Excel serial numbers of 1990-01-01 .. 2099-12-31: a date column holding a plain number.
SERIAL_RANGE = (32874, 73050)


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normal(text) -> str:
    """Header and choice text as compared: NFKC (full-width brackets and digits to plain), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def is_blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _refuse_formula_text(text: str) -> None:
    if text.startswith("="):
        raise CellError(_("内容以“=”开头，疑似公式，不能导入；请改为数值或文字。"))


# ---- text ----


def parse_text(value, max_length: int) -> str:
    if isinstance(value, bool):
        raise CellError(_("须为文字。"))
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a phone number or a code typed as a number: 13912345678.0
    elif isinstance(value, datetime.datetime | datetime.date):
        text = value.isoformat()[:10]
    else:
        text = str(value).replace("\r\n", "\n").strip()
    _refuse_formula_text(text)
    if len(text) > max_length:
        raise CellError(_("不能超过 %(max)s 个字（现有 %(n)s 个）。") % {"max": max_length, "n": len(text)})
    return text


def parse_code(value, max_length: int) -> str:
    """A code (项目代码, 统一社会信用代码): full-width characters and spaces folded, upper case."""
    return normal(parse_text(value, max_length * 2)).upper()


# ---- amounts ----

AMOUNT_TEXT = re.compile(r"^(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(亿元|万元|元|亿|万)?$")


def parse_amount(value, unit: str) -> Decimal:
    """An amount in ``unit`` (元, 万元 or 亿元) as 万元 rounded to the cent; a text may carry its own unit ("1.2亿")."""
    if isinstance(value, bool):
        raise CellError(_("须为数字。"))
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        number, unit = _amount_text(str(value), unit)
    amount = (number * UNITS[unit or "万元"]).quantize(CENT, ROUND_HALF_UP)
    if amount < 0:
        raise CellError(_("不能为负数。"))
    if amount > MAX_AMOUNT:
        raise CellError(_("数值过大，请核对金额单位（元、万元、亿元）。"))
    return amount


def _amount_text(raw: str, unit: str) -> tuple[Decimal, str]:
    text = normal(raw)
    _refuse_formula_text(text)
    match = AMOUNT_TEXT.match(text)
    if not match:
        raise CellError(_("须为数字（如 1234.5、1,234.5 或 1.2亿），现为“%(text)s”。") % {"text": raw.strip()[:30]})
    suffix = match.group(2)
    if suffix:
        unit = suffix if suffix.endswith("元") else suffix + "元"
    try:
        return Decimal(match.group(1).replace(",", "")), unit
    except InvalidOperation:
        raise CellError(_("须为数字。")) from None


def parse_decimal(value, places: int, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    """A plain number (land area in 亩, a coordinate) rounded to ``places``."""
    if isinstance(value, bool):
        raise CellError(_("须为数字。"))
    text = normal(value).replace(",", "") if isinstance(value, str) else str(value)
    _refuse_formula_text(text)
    try:
        number = Decimal(text).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    except InvalidOperation:
        raise CellError(_("须为数字，现为“%(text)s”。") % {"text": str(value).strip()[:30]}) from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise CellError(_("须在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high})
    return number


# ---- dates ----

DATE_TEXT = re.compile(r"^(\d{4})[-./年](\d{1,2})(?:[-./月](\d{1,2})日?|月)?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value) -> datetime.date:
    """2026-3-1, 2026/3/1, 2026.03.01, 2026年3月1日, 2026.03, 2026年3月, 20260301, an Excel date or serial number.

    A month without a day is the first of the month (ledgers give months for planned dates).
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial_date(value)
    text = normal(value)
    _refuse_formula_text(text)
    if text.isdigit() and len(text) == 5:
        return _serial_date(int(text))  # a date cell exported to CSV without its format
    match = DATE_TEXT.match(text) or COMPACT_DATE.match(text)
    if match:
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    raise CellError(
        _("日期“%(text)s”无法识别，请写成 2026-3-1、2026/3/1、2026.03 或 2026年3月。")
        % {"text": str(value).strip()[:30]}
    )


def _serial_date(value: float) -> datetime.date:
    if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1] and float(value).is_integer():
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    raise CellError(_("日期“%(text)s”无法识别，请写成 2026-3-1 或 2026年3月。") % {"text": _plain_number(value)})


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# ---- choices ----


def parse_choice(value, synonyms: dict[str, str], allowed: str) -> str:
    """The choice value whose label or synonym the cell names (compared after ``normal``)."""
    text = normal(parse_text(value, 64))
    if text in synonyms:
        return synonyms[text]
    raise CellError(
        _("“%(text)s”无法识别，可填：%(allowed)s。") % {"text": str(value).strip()[:30], "allowed": allowed}
    )
