"""Permission rows for the REST API (api/urls.py); see tests/permission_rows/__init__.py.

An anonymous request gets 401 (no token, no session), never a login redirect, except on the documentation
page, which is a page for people. The API answers in the same order everywhere: 401, then 405 for a method the
URL does not take, then 403 for a role that may not call the action, then 404 outside the user's region
subtree, then 403 for an object the user sees but may not change, then 400 for the empty body these rows send.
Every row leaves the data as it was: writes that would succeed with an empty body change nothing (an empty
PATCH saves nothing), and the report to approve is a draft, which cannot be approved.
"""

import datetime
from decimal import Decimal

from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token

from approvals.models import ApprovalItem
from attraction.models import Agreement, Lead, LeadStage, TargetEnterprise
from problems.models import Problem
from projects.models import AnnualPlan
from rankings.models import RegionTarget
from reports.models import MonthlyReport, Period, ReportStatus

from . import MONTH, YEAR, Row

A = 401  # anonymous
REPORTERS = {"reporter": 200, "leader": 200}  # besides the key-project office, who reads monthly reports
ATTRACTION = {"promoter": 200, "leader": 200}  # besides the office, who reads leads and agreements


def api(name: str, method: str, editors: int, readers: int, obj: str | None = None, **overrides) -> Row:
    return Row(f"api:{name}", method, A, editors, readers, obj=obj, overrides=overrides, login_redirect=False)


def everyone(name: str, method: str, status: int, obj: str | None = None) -> Row:
    return api(name, method, status, status, obj)


ROWS = [
    everyone("api-root", "GET", 200),
    everyone("api-root", "POST", 405),
    everyone("schema", "GET", 200),
    everyone("schema", "POST", 405),
    # The documentation page is for people: login redirect, then a plain page.
    Row("api:docs", "GET", 302, 200, 200),
    Row("api:docs", "POST", 302, 405, 405),
    # ---- regions and departments: read-only ----
    everyone("region-list", "GET", 200),
    everyone("region-list", "POST", 405),
    everyone("region-detail", "GET", 200, obj="api region"),
    everyone("region-detail", "GET", 404, obj="api other region"),
    everyone("region-detail", "PUT", 405, obj="api region"),
    everyone("department-list", "GET", 200),
    everyone("department-list", "POST", 405),
    everyone("department-detail", "GET", 200, obj="api department"),
    everyone("department-detail", "GET", 404, obj="api other department"),
    everyone("department-detail", "DELETE", 405, obj="api department"),
    # ---- projects: the ledger; the key-project office writes ----
    everyone("project-list", "GET", 200),
    api("project-list", "POST", 400, 403),  # empty body
    everyone("project-list", "PUT", 405),
    everyone("project-detail", "GET", 200, obj="own"),
    everyone("project-detail", "GET", 404, obj="other"),
    api("project-detail", "PATCH", 200, 403, obj="own"),  # nothing to change: nothing saved
    everyone("project-detail", "PATCH", 404, obj="other"),
    everyone("project-detail", "PUT", 405, obj="own"),
    everyone("project-detail", "DELETE", 405, obj="own"),
    api("project-stage", "POST", 400, 403, obj="own"),  # no action
    everyone("project-stage", "POST", 404, obj="other"),
    everyone("project-stage", "GET", 405, obj="own"),
    # ---- monthly reports: reporters of the project write, the office reviews, leaders read ----
    api("report-list", "GET", 200, 403, **REPORTERS),
    api("report-list", "POST", 400, 403, reporter=400),  # empty body
    everyone("report-list", "PUT", 405),
    api("report-detail", "GET", 200, 403, obj="report", **REPORTERS),
    everyone("report-detail", "GET", 404, obj="other report"),
    api("report-detail", "PATCH", 400, 403, obj="report", reporter=400),  # submitted: no longer editable
    everyone("report-detail", "PATCH", 404, obj="other report"),
    everyone("report-detail", "DELETE", 405, obj="report"),
    api("report-submit", "POST", 400, 403, obj="report", reporter=400),  # already submitted
    everyone("report-submit", "POST", 404, obj="other report"),
    everyone("report-submit", "GET", 405, obj="report"),
    api("report-approve", "POST", 400, 403, obj="api draft report"),  # a draft cannot be approved
    everyone("report-approve", "POST", 404, obj="other report"),
    everyone("report-approve", "GET", 405, obj="report"),
    api("report-return", "POST", 400, 403, obj="report"),  # no reason
    everyone("report-return", "POST", 404, obj="other report"),
    everyone("report-return", "GET", 405, obj="report"),
    api("report-correct", "POST", 400, 403, obj="report"),  # empty form
    everyone("report-correct", "POST", 404, obj="other report"),
    everyone("report-correct", "GET", 405, obj="report"),
    # ---- problems: raised by the office, leaders and reporters; worked by the department's handlers ----
    everyone("problem-list", "GET", 200),  # an enterprise's list is empty
    api("problem-list", "POST", 400, 403, reporter=400, leader=400),  # empty body
    everyone("problem-list", "PUT", 405),
    api("problem-detail", "GET", 200, 200, obj="problem", enterprise=404),
    everyone("problem-detail", "GET", 404, obj="other problem"),
    everyone("problem-detail", "PATCH", 405, obj="problem"),
    api("problem-act", "POST", 400, 403, obj="problem", handler=400, enterprise=404),  # no action
    everyone("problem-act", "POST", 404, obj="other problem"),
    everyone("problem-act", "GET", 405, obj="problem"),
    # ---- approval items: the office changes all, a handler its department's ----
    api("approval-item-list", "GET", 200, 200, enterprise=403),
    everyone("approval-item-list", "POST", 405),
    everyone("approval-item-detail", "GET", 200, obj="approval"),  # the enterprise's own project
    everyone("approval-item-detail", "GET", 404, obj="other approval"),
    api("approval-item-detail", "PATCH", 200, 403, obj="approval", handler=200),  # nothing to change
    api("approval-item-detail", "PATCH", 200, 403, obj="drc approval"),  # another department's: handler 403
    everyone("approval-item-detail", "PATCH", 404, obj="other approval"),
    everyone("approval-item-detail", "PUT", 405, obj="approval"),
    # ---- investment attraction, read-only: promoters, the office, leaders; others 403 before any lookup ----
    api("lead-list", "GET", 200, 403, **ATTRACTION),
    everyone("lead-list", "POST", 405),
    api("lead-detail", "GET", 200, 403, obj="api lead", **ATTRACTION),
    api("lead-detail", "GET", 404, 403, obj="api other lead", promoter=404, leader=404),
    everyone("lead-detail", "PATCH", 405, obj="api lead"),
    api("agreement-list", "GET", 200, 403, **ATTRACTION),
    everyone("agreement-list", "POST", 405),
    api("agreement-detail", "GET", 200, 403, obj="api agreement", **ATTRACTION),
    api("agreement-detail", "GET", 404, 403, obj="api other agreement", promoter=404, leader=404),
    everyone("agreement-detail", "DELETE", 405, obj="api agreement"),
    # ---- targets, rankings, batches, stalled lists, bulletins, read-only: every government role; an enterprise
    # 403 before any lookup (a ranking snapshot: 404, as on its page); the objects are the apps' own rows ----
    api("target-list", "GET", 200, 200, enterprise=403),
    everyone("target-list", "POST", 405),
    api("target-detail", "GET", 200, 200, obj="api target", enterprise=403),
    api("target-detail", "GET", 404, 404, obj="api other target", enterprise=403),
    everyone("target-detail", "PUT", 405, obj="api target"),
    api("ranking-list", "GET", 200, 200, enterprise=403),
    everyone("ranking-list", "POST", 405),
    api("ranking-detail", "GET", 200, 200, obj="ranking", enterprise=404),  # the city's, published
    api("ranking-detail", "GET", 200, 404, obj="draft"),  # the county's draft: the key-project office only
    everyone("ranking-detail", "GET", 404, obj="other ranking"),
    everyone("ranking-detail", "PATCH", 405, obj="ranking"),
    api("batch-list", "GET", 200, 200, enterprise=403),
    everyone("batch-list", "POST", 405),
    api("batch-detail", "GET", 200, 200, obj="event", enterprise=403),
    api("batch-detail", "GET", 404, 404, obj="other event", enterprise=403),
    everyone("batch-detail", "DELETE", 405, obj="event"),
    api("stalled-list", "GET", 200, 200, enterprise=403),
    everyone("stalled-list", "POST", 405),
    api("stalled-counts", "GET", 200, 200, enterprise=403),
    everyone("stalled-counts", "POST", 405),
    api("bulletin-list", "GET", 200, 200, enterprise=403),
    everyone("bulletin-list", "POST", 405),
    api("bulletin-detail", "GET", 200, 404, obj="bulletin", enterprise=403),  # a draft: the office only
    api("bulletin-detail", "GET", 200, 200, obj="issued bulletin", enterprise=403),
    api("bulletin-detail", "GET", 404, 404, obj="other bulletin", enterprise=403),
    everyone("bulletin-detail", "PUT", 405, obj="issued bulletin"),
]


def _draft_report(cast) -> MonthlyReport:
    """A draft of the own project for last month (the core rows use this month's submitted report)."""
    if not hasattr(cast, "api_draft"):
        year, month = (YEAR, MONTH - 1) if MONTH > 1 else (YEAR - 1, 12)
        with scopes_disabled():
            project = cast.projects.materials
            cast.api_draft = MonthlyReport.objects.create(
                project=project, period=Period.for_month(project.region, year, month), year=year, month=month,
                completed=Decimal("5"), status=ReportStatus.DRAFT,
            )  # fmt: skip
    return cast.api_draft


def _attraction(cast) -> dict:
    """A signed lead and its agreement in 交城县 ("own") and in 小店区 ("other")."""
    if not hasattr(cast, "api_attraction"):
        with scopes_disabled():
            cast.api_attraction = {
                key: _signed_lead(region) for key, region in (("own", cast.region), ("other", cast.regions.xiaodian))
            }
    return cast.api_attraction


def _signed_lead(region) -> tuple[Lead, Agreement]:
    enterprise = TargetEnterprise.objects.create(region=region, name=f"{region.name}碳材料科技有限公司")
    lead = Lead.objects.create(
        region=region, enterprise=enterprise, name="碳纤维复合材料项目", intended_investment=Decimal("30000"),
        stage=LeadStage.SIGNED,
    )  # fmt: skip
    agreement = Agreement.objects.create(
        lead=lead, region=region, name="碳纤维复合材料项目", contracted_investment=Decimal("28000"),
        signed_on=datetime.date(2026, 3, 2), agreed_start_on=datetime.date(2026, 9, 1),
    )  # fmt: skip
    return lead, agreement


def _targets(cast) -> dict:
    """This year's targets of 交城县 ("own") and of 小店区 ("other")."""
    if not hasattr(cast, "api_targets"):
        with scopes_disabled():
            cast.api_targets = {
                key: RegionTarget.objects.create(
                    region=region, year=YEAR, fai_target=Decimal("500000"), plan_target=Decimal("300000")
                )
                for key, region in (("own", cast.region), ("other", cast.regions.xiaodian))
            }
    return cast.api_targets


OBJECTS = {
    "api target": lambda cast: _targets(cast)["own"].pk,
    "api other target": lambda cast: _targets(cast)["other"].pk,
    "api region": lambda cast: cast.region.pk,
    "api other region": lambda cast: cast.regions.xiaodian.pk,
    "api department": lambda cast: cast.departments.land.pk,
    "api other department": lambda cast: cast.departments.xiaodian_drc.pk,
    "api draft report": lambda cast: _draft_report(cast).pk,
    "api lead": lambda cast: _attraction(cast)["own"][0].pk,
    "api other lead": lambda cast: _attraction(cast)["other"][0].pk,
    "api agreement": lambda cast: _attraction(cast)["own"][1].pk,
    "api other agreement": lambda cast: _attraction(cast)["other"][1].pk,
}

WRITES = {}


def snapshot() -> tuple:
    """History rows the core snapshot does not count, and the tokens."""
    with scopes_disabled():
        return (
            ApprovalItem.history.count(),
            MonthlyReport.history.count(),
            Problem.history.count(),
            AnnualPlan.history.count(),
            sorted(Token.objects.values_list("user_id", "key")),
        )
