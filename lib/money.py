"""Money is kept in 万元 (10,000 yuan); large sums are shown in 亿元 (10,000 万元)."""

from decimal import ROUND_HALF_UP, Decimal

WAN_PER_YI = Decimal("10000")


def format_wan(value) -> str:
    """1234567.8 -> '1,234,567.80'; None -> '—'."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def format_yi(value) -> str:
    """万元 -> 亿元 with two decimals: 123456 -> '12.35'."""
    if value is None or value == "":
        return "—"
    return f"{(Decimal(value) / WAN_PER_YI).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
