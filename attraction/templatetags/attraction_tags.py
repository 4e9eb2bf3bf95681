"""The project page's card: the lead and agreement a ledger project came from."""

from django import template

from attraction.models import Lead, may_read, today
from projects.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def project_lead(context, project: Project) -> dict | None:
    """The lead the project landed from, with its agreement and their figures; None when there is none or the
    user has no business with attraction (enterprises, reporters). Two queries."""
    request = context.get("request")
    if request is None or not may_read(request.user):
        return None
    lead = (
        Lead.objects.visible_to(request.user)
        .filter(project=project)
        .select_related("enterprise", "promoter", "agreement")
        .first()
    )
    if lead is None:
        return None
    agreement = lead.agreement_or_none()
    arrived = agreement.arrived() if agreement else None
    return {"lead": lead, "agreement": agreement, "arrived": arrived, "today": today()}
