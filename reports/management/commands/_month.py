"""--year and --month, shared by the commands that work on one reporting month."""

from django.core.management.base import CommandError


def add_month_arguments(parser) -> None:
    parser.add_argument("--year", type=int, help="default: this year")
    parser.add_argument("--month", type=int, help="1-12; default: this month")


def month_from_options(options: dict, default: tuple[int, int]) -> tuple[int, int]:
    year = default[0] if options.get("year") is None else options["year"]
    month = default[1] if options.get("month") is None else options["month"]
    if not 2000 <= year <= 2100:
        raise CommandError(f"--year must lie between 2000 and 2100, not {year}.")
    if not 1 <= month <= 12:
        raise CommandError(f"--month must lie between 1 and 12, not {month}.")
    return year, month
