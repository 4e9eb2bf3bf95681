"""Template helpers for approval items: the clock next to an item, who may edit it, and the project card."""

from dataclasses import dataclass

from django import template
from django.utils import timezone

from approvals.models import ApprovalItem, ItemStatus
from projects.models import Project

register = template.Library()


@register.filter
def editable_by(item: ApprovalItem, user) -> bool:
    return item.is_editable_by(user)


@register.inclusion_tag("approvals/_clock.html")
def item_clock(item: ApprovalItem, statutory: bool = False) -> dict:
    """The due date with its flags (overdue by N working days, uncovered year), or the handling time once done.

    The calendar is cached for the request, so a page of rows costs one query in all.
    """
    urgency = item.urgency(timezone.localdate())
    return {
        "item": item,
        "urgency": urgency,
        "due": urgency.due if urgency else item.due_on(),
        "statutory_due": item.statutory_due_on() if statutory else None,
        "approved": item.status == ItemStatus.APPROVED,
    }


@dataclass(frozen=True)
class Checklist:
    items: list[ApprovalItem]
    approved: int
    in_progress: int
    not_started: int
    not_needed: int
    overdue: int

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def needed(self) -> int:
        return self.total - self.not_needed


@register.simple_tag
def project_checklist(project: Project) -> Checklist:
    """The project's items and their counts by status, for the card on the project page (2 queries)."""
    items = list(ApprovalItem.objects.filter(project=project).select_related("department"))
    today = timezone.localdate()
    by_status = {status: sum(item.status == status for item in items) for status in ItemStatus.values}
    return Checklist(
        items=items,
        approved=by_status[ItemStatus.APPROVED],
        in_progress=by_status[ItemStatus.IN_PROGRESS],
        not_started=by_status[ItemStatus.NOT_STARTED],
        not_needed=by_status[ItemStatus.NOT_NEEDED],
        overdue=sum(item.is_overdue(today) for item in items),
    )
