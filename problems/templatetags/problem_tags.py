"""Badges for problems wherever they are listed, timeline labels, and the project page's problem card."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy, ngettext

from problems.models import Level, Problem, Status

register = template.Library()

STATUS_CLASSES = {
    Status.REGISTERED: "text-bg-primary",
    Status.IN_PROGRESS: "text-bg-info",
    Status.PROPOSED: "text-bg-warning",
    Status.STRUCK_OFF: "text-bg-success",
    Status.RETURNED: "text-bg-secondary",
}
LEVEL_CLASSES = {Level.LEADER: "text-bg-warning", Level.COUNTY: "text-bg-danger"}

# Timeline entries: the moves of Problem.TRANSITIONS and the entries written beside them.
EVENT_LABELS = {
    "register": gettext_lazy("挂号"),
    "accept": gettext_lazy("签收办理"),
    "propose": gettext_lazy("申请销号"),
    "strike_off": gettext_lazy("确认销号"),
    "return": gettext_lazy("退回重办"),
    "escalate": gettext_lazy("督办升级"),
}


@register.simple_tag
def status_badge(problem: Problem) -> str:
    return format_html(
        '<span class="badge {}" data-testid="problem-status">{}</span>',
        STATUS_CLASSES.get(problem.status, "text-bg-light"),
        problem.get_status_display(),
    )


@register.simple_tag
def overdue_badge(problem: Problem) -> str:
    """The red "逾期N天" badge of an open problem past its deadline, and its 督办 level once it has risen."""
    badges = []
    days = problem.days_overdue()
    if days:
        text = ngettext("逾期%(days)s天", "逾期%(days)s天", days) % {"days": days}
        badges.append(("badge text-bg-danger", "overdue", text))
    if problem.level in LEVEL_CLASSES:
        badges.append((f"badge {LEVEL_CLASSES[problem.level]}", "level", problem.get_level_display()))
    return format_html_join(" ", '<span class="{}" data-testid="problem-{}">{}</span>', badges)


@register.filter
def event_label(action: str) -> str:
    return EVENT_LABELS.get(action, action)


@register.filter
def file_type(name: str) -> str:
    """"problems/12/20260601….pdf" -> "PDF"."""
    return name.rsplit(".", 1)[-1].upper() if "." in name else ""


@register.simple_tag(takes_context=True)
def project_problems(context, project) -> dict:
    """The project's problems this user may read, and whether the user may raise one (1-2 queries)."""
    user = context["request"].user
    problems = Problem.objects.visible_to(user).filter(project=project).select_related("department", "leader")
    return {"problems": list(problems), "may_raise": Problem.may_raise(user, project)}
