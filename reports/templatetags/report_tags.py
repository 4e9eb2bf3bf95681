"""Template helpers for the reporting pages, and the project page's reporting card."""

from decimal import Decimal

from django import template
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from projects.models import Project
from reports import colours
from reports.models import MonthlyReport, ProjectColour, ReportStatus
from reports.views import may_oversee

register = template.Library()

HISTORY_MONTHS = 12


@register.filter
def reasons(colour: ProjectColour) -> list[str]:
    return colours.reason_texts(colour) if colour else []


@register.filter
def status_label(value: str | None) -> str:
    """A report status code as its label; no report at all is "未填报"."""
    return ReportStatus(value).label if value in ReportStatus.values else _("未填报")


def last_months(year: int, month: int, count: int = HISTORY_MONTHS) -> list[tuple[int, int]]:
    """The ``count`` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


@register.inclusion_tag("reports/_project_reports.html", takes_context=True)
def project_reports(context, project: Project) -> dict:
    """Colour history, monthly reports and the investment chart of the last 12 months (4 queries)."""
    user = context["request"].user
    can_report = Project.objects.reported_by(user).filter(pk=project.pk).exists()
    months = last_months(*colours.current_month())
    first_year, first_month = months[0]
    window = Q(year__gt=first_year) | Q(year=first_year, month__gte=first_month)
    reports = {
        (r.year, r.month): r
        for r in MonthlyReport.objects.filter(window, project=project).only(
            "pk", "year", "month", "status", "completed", "project_id"
        )
    }
    colour_rows = {(c.year, c.month): c for c in ProjectColour.objects.filter(window, project=project)}
    return {
        "project": project,
        "months": [_month_entry(y, m, reports.get((y, m)), colour_rows.get((y, m))) for y, m in months],
        "latest_colour": next((colour_rows[k] for k in reversed(months) if k in colour_rows), None),
        "chart": _chart(project, months, reports, window),
        "can_report": can_report,
        # Handlers, promoters and enterprises see the colours but not the reports behind them.
        "may_read": can_report or may_oversee(user),
        "this_report": reports.get(months[-1]),
        "this_year": months[-1][0],
        "this_month": months[-1][1],
    }


def _month_entry(year: int, month: int, report, colour) -> dict:
    return {"year": year, "month": month, "label": f"{year}-{month:02d}", "report": report, "colour": colour}


def _chart(project: Project, months, reports: dict, window: Q) -> dict:
    """Bars: approved monthly figures; line: the since-start total at each month's end."""
    before = MonthlyReport.objects.filter(project=project, status=ReportStatus.APPROVED).exclude(window)
    running = project.opening_completed + before.aggregate(s=Sum("completed", default=Decimal("0")))["s"]
    monthly, cumulative = [], []
    for key in months:
        report = reports.get(key)
        amount = report.completed if report and report.status == ReportStatus.APPROVED else Decimal("0")
        running += amount
        monthly.append(float(amount))
        cumulative.append(float(running))
    return {
        "months": [f"{y}-{m:02d}" for y, m in months],
        "monthly": monthly,
        "cumulative": cumulative,
        "total": float(project.total_investment),
        "labels": {
            "monthly": _("当月完成投资"),
            "cumulative": _("开工以来累计完成"),
            "total": _("总投资"),
            "unit": _("万元"),
        },
    }

