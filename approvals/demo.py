"""Demo approval checklists (前期手续), called by ``manage.py demo`` after the ledger.

The projects of 吕梁市 that are signed, being prepared or under construction get the checklist of their
type (industry, else infrastructure). A project under construction has every item done before its start;
one being prepared has its first items done, the next one or two on the clock (some past the promised
limit), the rest not started; a signed one has at most its first item applied for. Handling takes between
half the promised limit and a little over the statutory one, so the per-department figures and "fastest
handling" comparisons have something to show.
"""

import datetime
import random

from lib import workdays
from org.models import Department, User, ancestor_codes
from projects.models import Project, Stage

from .models import ApprovalItem, ApprovalTemplate, ItemStatus

CITY = "141100"  # 吕梁市
STAGES = [Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION]


def build(world, accounts: list[User], rng: random.Random) -> str:
    templates = {
        template.category: list(template.items.all())
        for template in ApprovalTemplate.objects.prefetch_related("items")
    }
    if not templates:
        return "Approvals: no checklist templates (run migrate)."
    departments = _departments_by_region()
    projects = Project.objects.filter(
        region__path__startswith=world.region(CITY).path, stage__in=STAGES, archived_at__isnull=True
    ).select_related("region").order_by("pk")
    items = []
    for project in projects:
        entries = templates.get(project.category) or templates.get("infrastructure") or next(iter(templates.values()))
        candidates = _candidates(project, departments)
        checklist = [entry.make_item(project, candidates) for entry in entries]
        _progress(world.today, rng, project, checklist)
        items.extend(checklist)
    ApprovalItem.objects.bulk_create(items, batch_size=2000)
    pending = sum(item.status == ItemStatus.IN_PROGRESS for item in items)
    return f"Approval items: {len(items)} on {len(projects)} projects of 吕梁市 ({pending} on the clock)."


def _departments_by_region() -> dict[str, list[Department]]:
    by_code: dict[str, list[Department]] = {}
    for department in Department.objects.select_related("region").order_by("name"):
        by_code.setdefault(department.region.code, []).append(department)
    return by_code


def _candidates(project: Project, departments: dict) -> list[Department]:
    """As ``approvals.models.candidate_departments``, from memory: nearest government first."""
    codes = list(reversed(ancestor_codes(project.region)))
    return [department for code in codes for department in departments.get(code, [])]


def _progress(today: datetime.date, rng: random.Random, project: Project, checklist: list[ApprovalItem]) -> None:
    if project.stage == Stage.CONSTRUCTION:
        done, running = len(checklist), 0
        end = project.started_on or today
    elif project.stage == Stage.PREPARING:
        done, running = rng.randint(1, max(len(checklist) - 2, 1)), rng.randint(1, 2)
        end = today
    else:
        done, running = 0, int(rng.random() < 0.5)
        end = today
    # Walk back from the end: the last finished item closes a few days before it.
    day = end - datetime.timedelta(days=rng.randint(5, 20) + 12 * running)
    finished = []
    for item in reversed(checklist[:done]):
        handled = rng.randint(max(item.promised_days // 2, 1), item.statutory_days + 2)
        applied = _workdays_before(day, handled)
        finished.append((item, applied, day, handled))
        day = applied - datetime.timedelta(days=rng.randint(1, 10))
    for number, (item, applied, approved, handled) in enumerate(reversed(finished), 1):
        item.status, item.applied_on, item.approved_on = ItemStatus.APPROVED, applied, approved
        item.handling_days = handled
        item.document_no = f"{project.region.name[:2]}审批〔{approved.year}〕{rng.randint(10, 400)}号-{number}"
    for item in checklist[done : done + running]:
        item.status = ItemStatus.IN_PROGRESS
        item.applied_on = _workdays_before(today, rng.randint(1, item.promised_days + 8))


def _workdays_before(day: datetime.date, n: int) -> datetime.date:
    """The date ``n`` working days before ``day``: ``workdays_between(result, day) == n``."""
    start = day
    while n:
        n -= workdays.is_workday(start)
        start -= datetime.timedelta(days=1)
    return start
