"""The OC4IDS export: a region's projects as one project package, streamed as JSON text.

Each project object is built in sections (``SECTION_BUILDERS``), one per group of OC4IDS keys that
a group of ledger fields fills: status from the stage, budget from total investment, annual plans
and funding sources, locations from address and coordinates, parties from the owner and the
responsible department, milestones from the stage dates and the 形象进度 nodes. The monthly
financial progress (approved monthly reports) is a metric, always rebuilt.

A project that came in through an import (``ProjectRecord``) starts from the object as received;
a section is rebuilt from the ledger only where the ledger no longer gives what it gave right
after the import (its fingerprint, ``ledger_state``), so whatever the ledger cannot hold (a budget
in pounds, a second location, documents, contracting processes) goes out again as it came in.

Queries: ``export_queryset`` joins the region, zone, department and import record and prefetches
annual plans, milestones and approved reports, so a package costs the same few queries per chunk
of ``CHUNK`` projects however many there are.
"""

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from org.models import Region, ancestor_codes
from projects.models import STEP_DATES, AnnualPlan, Milestone, Project
from reports.models import MonthlyReport, ReportStatus, month_end

from .mapping import (
    ANNUAL_PLANS_BREAKDOWN,
    COUNTRY,
    FINANCIAL_PROGRESS,
    FUNDING,
    FUNDING_BREAKDOWN,
    LANGUAGE,
    NATIONAL_CODE_SCHEME,
    PHASE_PERIODS,
    PROGRESS_MILESTONE_TYPE,
    STEPS,
    TYPE_OF_NATURE,
    USCC_SCHEME,
    VERSION,
    datetime_of,
    id_prefix,
    milestone_status,
    sector_of,
    status_of,
    value_of,
)

CHUNK = 500


@dataclass(frozen=True)
class Context:
    province: str  # every location's address.region
    today: datetime.date
    prefix: str

    @classmethod
    def for_region(cls, region: Region) -> "Context":
        # The province sits above the scope of a county user: read past the scope guard.
        top = ancestor_codes(region)[0]
        province = Region._base_manager.filter(code=top).values_list("name", flat=True).first()
        return cls(province=province or region.name, today=timezone.localdate(), prefix=id_prefix())


def export_queryset(projects):
    """The projects with everything an object needs: 4 queries per chunk (projects, plans, milestones, reports).

    Plans and milestones land in ``plan_rows`` and ``milestone_rows`` (an import sets them from what it saved).
    """
    approved = MonthlyReport._base_manager.filter(status=ReportStatus.APPROVED).order_by("year", "month")
    return projects.select_related("region", "zone", "department__region", "oc4ids_record").prefetch_related(
        Prefetch("annual_plans", queryset=AnnualPlan._base_manager.order_by("year"), to_attr="plan_rows"),
        Prefetch("milestones", queryset=Milestone._base_manager.order_by("sort_order", "pk"), to_attr="milestone_rows"),
        Prefetch(
            "reports", queryset=approved.only("project", "year", "month", "completed"), to_attr="approved_reports"
        ),
    )


def default_ocid(project: Project, prefix: str) -> str:
    """prefix + national project code, or + primary key for a project without one."""
    return f"{prefix}{project.national_code or project.pk}"


# ---- the sections ----


def _title(p: Project, ctx: Context) -> dict:
    return {"title": p.name}


def _description(p: Project, ctx: Context) -> dict:
    return {"description": p.description} if p.description else {}


def _identifiers(p: Project, ctx: Context) -> dict:
    return {"identifiers": [{"id": p.national_code, "scheme": NATIONAL_CODE_SCHEME}]} if p.national_code else {}


def _status(p: Project, ctx: Context) -> dict:
    return {"status": status_of(p.stage, p.stage_before_suspension)}


def _type(p: Project, ctx: Context) -> dict:
    return {"type": TYPE_OF_NATURE[p.nature]}


def _sector(p: Project, ctx: Context) -> dict:
    return {"sector": [sector_of(p.category, p.name)]}


def _budget(p: Project, ctx: Context) -> dict:
    budget = {"amount": value_of(p.total_investment)}
    groups = [group for group in (_annual_plans(p), _funding(p)) if group]
    if groups:
        budget["budgetBreakdowns"] = groups
    return {"budget": budget}


def _annual_plans(p: Project) -> dict | None:
    plans = [
        {
            "id": str(plan.year),
            "description": f"{plan.year}年度计划投资",
            "amount": value_of(plan.amount),
            "period": {
                "startDate": datetime_of(datetime.date(plan.year, 1, 1)),
                "endDate": datetime_of(datetime.date(plan.year, 12, 31), end=True),
            },
        }
        for plan in p.plan_rows
    ]
    return {"id": ANNUAL_PLANS_BREAKDOWN, "description": "年度计划投资", "budgetBreakdown": plans} if plans else None


def _funding(p: Project) -> dict | None:
    sources = [
        {"id": key, "description": label, "amount": value_of(getattr(p, field))}
        for key, (field, label) in FUNDING.items()
        if getattr(p, field)
    ]
    return {"id": FUNDING_BREAKDOWN, "description": "资金来源", "budgetBreakdown": sources} if sources else None


def _periods(p: Project, ctx: Context) -> dict:
    periods = {}
    planned = _period(p.planned_start_on, p.planned_completion_on)
    if planned:
        periods["period"] = planned
    for key, (start, end) in PHASE_PERIODS.items():
        phase = _period(getattr(p, STEP_DATES[start][0]), getattr(p, STEP_DATES[end][0]) if end else None)
        if phase:
            periods[key] = phase
    return periods


def _period(start: datetime.date | None, end: datetime.date | None) -> dict:
    period = {}
    if start:
        period["startDate"] = datetime_of(start)
    if end:
        period["endDate"] = datetime_of(end, end=True)
    return period


def _locations(p: Project, ctx: Context) -> dict:
    place = p.address or (p.zone.name if p.zone_id else p.region.name)
    location = {"id": "1", "description": place}
    if p.longitude is not None and p.latitude is not None:
        location["geometry"] = {"type": "Point", "coordinates": [float(p.longitude), float(p.latitude)]}
    address = {"locality": p.region.name, "region": ctx.province, "countryName": COUNTRY}
    if p.address:
        address["streetAddress"] = p.address
    location["address"] = address
    return {"locations": [location]}


def _parties(p: Project, ctx: Context) -> dict:
    parties, authority = [], None
    owner = _owner(p)
    if owner:
        parties.append(owner)
    if p.department_id:
        department = p.department
        if owner and department.name == owner["name"]:
            owner["roles"].append("publicAuthority")  # a government owner answering for its own project
            authority = {"id": owner["id"], "name": owner["name"]}
        else:
            authority = {"id": f"department-{department.pk}", "name": department.name}
            address = {"locality": department.region.name, "countryName": COUNTRY}
            parties.append({**authority, "address": address, "roles": ["publicAuthority"]})
    section = {"parties": parties} if parties else {}
    if authority:
        section["publicAuthority"] = authority
    return section


def _owner(p: Project) -> dict | None:
    if not p.owner_name:
        return None
    owner = {"id": f"{USCC_SCHEME}-{p.credit_code}" if p.credit_code else "owner", "name": p.owner_name}
    if p.credit_code:
        owner["identifier"] = {"scheme": USCC_SCHEME, "id": p.credit_code, "legalName": p.owner_name}
    contact = {"name": p.contact_name, "telephone": p.contact_phone}
    contact = {key: value for key, value in contact.items() if value}
    if contact:
        owner["contactPoint"] = contact
    # The owner pays for the works (buyer) and, with its own funds in the budget, finances them (funder).
    owner["roles"] = ["buyer", "funder"] if p.fund_enterprise else ["buyer"]
    return owner


def _milestones(p: Project, ctx: Context) -> dict:
    milestones = [_step_milestone(p, step, ctx.today) for step in STEPS]
    milestones = [m for m in milestones if m]
    for node in p.milestone_rows:
        milestone = {"id": f"milestone-{node.pk}", "title": node.name, "type": PROGRESS_MILESTONE_TYPE}
        milestones.append(_dated(milestone, node.planned_on, node.actual_on, ctx.today))
    return {"milestones": milestones} if milestones else {}


def _step_milestone(p: Project, step, today: datetime.date) -> dict | None:
    actual_field, planned_field = STEP_DATES[step.stage]
    due, met = getattr(p, planned_field), getattr(p, actual_field)
    if not (due or met):
        return None
    milestone = {"id": step.milestone_id, "title": step.title, "type": step.type}
    if step.code:
        milestone["code"] = step.code
    return _dated(milestone, due, met, today)


def _dated(milestone: dict, due, met, today: datetime.date) -> dict:
    if due:
        milestone["dueDate"] = datetime_of(due)
    if met:
        milestone["dateMet"] = datetime_of(met)
    status = milestone_status(due, met, today)
    if status:
        milestone["status"] = status
    return milestone


# Section name -> its builder, and the OC4IDS keys it owns (those a rebuilt section replaces).
SECTION_BUILDERS = {
    "title": _title,
    "description": _description,
    "identifiers": _identifiers,
    "status": _status,
    "type": _type,
    "sector": _sector,
    "budget": _budget,
    "periods": _periods,
    "locations": _locations,
    "parties": _parties,
    "milestones": _milestones,
}
SECTION_KEYS = {
    "title": ("title",),
    "description": ("description",),
    "identifiers": ("identifiers",),
    "status": ("status",),
    "type": ("type",),
    "sector": ("sector",),
    "budget": ("budget",),
    "periods": ("period", *PHASE_PERIODS),
    "locations": ("locations",),
    "parties": ("parties", "publicAuthority"),
    "milestones": ("milestones",),
}


def sections(p: Project, ctx: Context) -> dict[str, dict]:
    """Every section as the ledger gives it now; also the fingerprint an import stores (``ledger_state``)."""
    return {name: build(p, ctx) for name, build in SECTION_BUILDERS.items()}


def financial_progress(p: Project) -> dict | None:
    """The completed investment of each approved month (financialProgress), in yuan."""
    observations = [
        {
            "id": f"{report.year}-{report.month:02d}",
            "period": {
                "startDate": datetime_of(datetime.date(report.year, report.month, 1)),
                "endDate": datetime_of(month_end(report.year, report.month), end=True),
            },
            "value": value_of(report.completed),
            "notes": "本月完成投资（经审核月报）",
        }
        for report in p.approved_reports
    ]
    if not observations:
        return None
    return {"id": FINANCIAL_PROGRESS, "title": "完成投资", "observations": observations}


def project_object(p: Project, ctx: Context) -> dict:
    built = sections(p, ctx)
    record = getattr(p, "oc4ids_record", None)
    if record is None:
        project = {"id": default_ocid(p, ctx.prefix), "updated": _updated(p), "language": LANGUAGE}
        for section in built.values():
            project.update(section)
    else:
        project = _merged(record, built, p)
    metric = financial_progress(p)
    if metric:
        kept = [m for m in project.get("metrics", []) if m.get("id") != FINANCIAL_PROGRESS]
        project["metrics"] = [*kept, metric]
    return project


def _merged(record, built: dict[str, dict], p: Project) -> dict:
    """The object as imported, with each section the ledger has changed since rebuilt from the ledger."""
    project = {**record.source, "id": record.ocid}
    changed = [name for name, section in built.items() if record.ledger_state.get(name) != section]
    for name in changed:
        for key in SECTION_KEYS[name]:
            project.pop(key, None)
        project.update(built[name])
    if changed:
        project["updated"] = _updated(p)
    return project


def _updated(p: Project) -> str:
    return timezone.localtime(p.updated_at).replace(microsecond=0).isoformat()


# ---- the package ----


def package_header(region: Region, uri: str) -> dict:
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": timezone.localtime().replace(microsecond=0).isoformat(),
        "publisher": {"name": f"{region.name}重大项目建设管理平台"},
    }


def iter_package(projects, header: dict, ctx: Context) -> Iterator[str]:
    """The package as JSON text in pieces: the header, then the projects a chunk at a time."""
    yield json.dumps(header, ensure_ascii=False)[:-1] + ', "projects": ['
    separator = ""
    for chunk in _chunks(export_queryset(projects).order_by("pk").iterator(chunk_size=CHUNK), CHUNK):
        yield separator + ",".join(json.dumps(project_object(p, ctx), ensure_ascii=False) for p in chunk)
        separator = ","
    yield "]}"


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build_package(projects, region: Region, uri: str) -> dict:
    """The whole package as one dict (tests, small exports)."""
    ctx = Context.for_region(region)
    return json.loads("".join(iter_package(projects, package_header(region, uri), ctx)))
