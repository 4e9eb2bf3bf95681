"""Who may call which API action: the screens' rules, declared per action.

Each viewset names a ``Rule`` per action: ``user`` answers "may this user call it at all" (checked before any
object is loaded: 403), ``obj`` answers "may this user do it to this object" (checked once the object was found
in the user's visible rows, so an object outside the region subtree is a 404 first). The answers come from the
same helpers the screens use: ``User.can_edit_projects``, ``Project.objects.reported_by``, ``Problem.may_*``,
``ApprovalItem.is_editable_by`` and the reports and approvals screens' ``may_*`` functions.
"""

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from approvals.views import may_read_lists
from attraction.models import may_read as may_read_attraction
from org.models import Role, User
from projects.models import Project
from reports.views import may_oversee as oversees_reports
from reports.views import may_review as reviews_reports


def anyone(user: User, obj=None) -> bool:
    return True


def edits_projects(user: User, obj=None) -> bool:
    return user.can_edit_projects


def files_reports(user: User) -> bool:
    """The report list and a new report: the key-project office, leaders (read) and reporters."""
    return oversees_reports(user) or user.role == Role.REPORTER


def writes_reports(user: User) -> bool:
    return user.can_edit_projects or user.role == Role.REPORTER


def reports_on(user: User, project_id: int) -> bool:
    """The user fills in this project's monthly reports (``ProjectQuerySet.reported_by``)."""
    return Project.objects.reported_by(user).filter(pk=project_id).exists()


def reads_report(user: User, report) -> bool:
    return oversees_reports(user) or reports_on(user, report.project_id)


def writes_report(user: User, report) -> bool:
    return reports_on(user, report.project_id)


def reviews_report(user: User, report) -> bool:
    return reviews_reports(user)


def raises_problems(user: User) -> bool:
    """Who may register problems at all; whether on a given project is ``Problem.may_raise``."""
    return user.can_edit_projects or user.role in (Role.LEADER, Role.REPORTER)


def reads_problem(user: User, problem) -> bool:
    return problem.may_read(user)


def acts_on_problem(user: User, problem) -> bool:
    return problem.may_act(user)


def reads_approval_lists(user: User) -> bool:
    """The cross-project list of approval items: government users (an enterprise reads its own items one by one)."""
    return may_read_lists(user)


def reads_attraction(user: User, obj=None) -> bool:
    """Leads and agreements: promoters, the key-project office, admins and leaders; nobody else at all."""
    return may_read_attraction(user)


def governs(user: User, obj=None) -> bool:
    """Targets, rankings, the three batches, the stalled lists, bulletins: every government role (no enterprise)."""
    return not user.is_enterprise


def edits_approval_item(user: User, item) -> bool:
    return item.is_editable_by(user)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@dataclass(frozen=True)
class Rule:
    user: Callable[[User], bool] = anyone
    obj: Callable[[User, object], bool] = anyone


READ = Rule()


class ActionRules(BasePermission):
    """The viewset's ``rules[action]``; an action without a rule is refused (OPTIONS only describes: allowed)."""

    def has_permission(self, request, view) -> bool:
        if view.action == "metadata":
            return True
        rule = view.rules.get(view.action)
        return rule is not None and rule.user(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        rule = view.rules.get(view.action)
        return rule is not None and rule.obj(request.user, obj)
