"""部门待办: a department's open problems and pending approval items, with its closure figures.

A department handler sees its own department; a coordinator (or admin) picks any department of its region
subtree (``?department=<id>``); without a choice it sees the figures of all of them, a page of departments
at a time. A department outside that choice is 404 (a handler asking for another department included);
every other role is 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lib.forms import FastSelect
from org.models import Department, Role

from .inbox import DepartmentLine, department_lines, open_problems, pending_items, urgency_order
from .models import Problem, today

PAGE_SIZE = 30
TABLE_PAGE_SIZE = 50


def may_use_inbox(user) -> bool:
    return user.can_edit_projects or user.role == Role.HANDLER


def _subtree_departments(user) -> list[Department] | None:
    """A coordinator's choice of departments (its region subtree); None for a handler, who has one."""
    if not user.can_edit_projects:
        return None
    return list(Department.objects.visible_to(user).select_related("region"))


def _chosen_department(request, departments: list | None) -> Department | None:
    """The department asked for: the handler's own, or one of the coordinator's list; anything else 404."""
    raw = request.GET.get("department", "")
    if departments is None:
        if raw and raw != str(request.user.department_id):
            raise Http404
        return request.user.department
    if not raw:
        return None
    chosen = next((d for d in departments if str(d.pk) == raw), None)
    if chosen is None:
        raise Http404
    return chosen


def _department_select(departments: list[Department], chosen: Department | None) -> str:
    # A province has over a thousand departments: FastSelect writes the options without a template each.
    choices = [("", _("请选择部门")), *((d.pk, f"{d.region.name} · {d.name}") for d in departments)]
    widget = FastSelect(attrs={"class": "form-select form-select-sm", "onchange": "this.form.submit()"})
    widget.choices = choices
    return widget.render("department", chosen.pk if chosen else "", attrs={"id": "id_department"})


def _page(request, items, param: str, count: int | None = None, size: int | None = None):
    paginator = Paginator(items, size or PAGE_SIZE)
    if count is not None:
        paginator.count = count  # already counted for the department's line: saves a query
    return paginator.get_page(request.GET.get(param))


def _query_without(request, param: str) -> str:
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


def _items(request, department, on) -> dict:
    """The page of pending approval items in urgency order, each with its due date and working days left."""
    order, index = urgency_order(pending_items(request.user, department), on)
    page = _page(request, order, "items_page")
    items = pending_items(request.user, department).select_related("project").in_bulk(page.object_list)
    rows = [(items[pk], index.urgency(items[pk], on)) for pk in page.object_list]
    return {"items": page, "item_rows": rows, "items_query": _query_without(request, "items_page")}


def _department_context(request, department, line: DepartmentLine) -> dict:
    return {
        "line": line,
        "problems": _page(request, open_problems(request.user, department), "page", count=line.open),
        "problems_query": _query_without(request, "page"),
        **_items(request, department, today()),
    }


def _table_context(request, departments) -> dict:
    """A page of the table of the subtree's departments (the coordinator's overview, no department chosen)."""
    table = _page(request, departments, "table_page", size=TABLE_PAGE_SIZE)
    return {
        "table": table,
        "table_rows": department_lines(list(table.object_list), Problem.objects.visible_to(request.user)),
        "table_query": _query_without(request, "table_page"),
    }


@login_required
@require_GET
def inbox(request):
    if not may_use_inbox(request.user):
        raise PermissionDenied
    departments = _subtree_departments(request.user)
    department = _chosen_department(request, departments)
    context = {"department": department, "is_coordinator": departments is not None}
    if departments is not None:
        context["department_select"] = _department_select(departments, department)
    if department is None:
        context.update(_table_context(request, departments))
    else:
        [line] = department_lines([department], Problem.objects.visible_to(request.user))
        context.update(_department_context(request, department, line))
    return render(request, "problems/inbox.html", context)


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
]
