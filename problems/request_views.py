"""企业诉求直通车: an enterprise submits a request; a coordinator answers it or turns it into a problem.

Who may do what, in one place (``_get_request``): an enterprise user reaches only its own requests (any
other is 404); a coordinator or admin those of its region subtree (outside it 404); every other role 403.
An enterprise user sees the linked problem's status and, once struck off, its resolution: never the
internal timeline, department or deadline.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import EnterpriseRequest
from .request_forms import CONVERTIBLE, AnswerForm, ConvertForm, RequestForm

PAGE_SIZE = 50
State = EnterpriseRequest.State


def may_handle(user) -> bool:
    """Answer and convert requests: the key-project office (coordinators and admins)."""
    return user.can_edit_projects


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _get_request(request, pk: int, *, for_write: bool = False) -> EnterpriseRequest:
    """The one access check for a request: not visible 404; visible but not the submitter nor a handler 403."""
    queryset = EnterpriseRequest.objects.visible_to(request.user).select_related(
        "project", "submitted_by", "replied_by", "problem__department", "problem__leader"
    )
    item = get_object_or_404(queryset, pk=pk)
    _require(may_handle(request.user) or (request.user.is_enterprise and not for_write))
    return item


def _state_counts(requests) -> dict[str, int]:
    """Requests per state, and all of them under "": one GROUP BY query."""
    counts = dict(requests.order_by().values_list("state").annotate(n=Count("pk")))
    return {"": sum(counts.values()), **{state: counts.get(state, 0) for state in State.values}}


@login_required
@require_GET
def request_list(request):
    user = request.user
    _require(may_handle(user) or user.is_enterprise)
    requests = EnterpriseRequest.objects.visible_to(user).select_related("project", "submitted_by", "problem")
    counts = _state_counts(requests)
    state = request.GET.get("state", "")
    state = state if state in State.values else ""
    if state:
        requests = requests.filter(state=state)
    paginator = Paginator(requests, PAGE_SIZE)
    paginator.count = counts[state]  # already counted per state: saves a query
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "state": state,
        "tabs": [("", _("全部"), counts[""])] + [(s.value, s.label, counts[s.value]) for s in State],
        "may_handle": may_handle(user),
    }
    return render(request, "problems/requests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request):
    _require(request.user.is_enterprise)
    form = RequestForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        item = form.save()
        messages.success(request, _("诉求已提交，重点办将尽快处理。"))
        return redirect("problems:request_detail", pk=item.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "problems/request_form.html", {"form": form}, status=status)


def _render_detail(request, item, *, answer_form=None, convert_form=None, status: int = 200):
    context = {"item": item, "may_handle": may_handle(request.user)}
    # A form sent back with its errors is shown even when the state no longer offers it (a race lost).
    if context["may_handle"] and (answer_form or item.state == State.OPEN):
        context["answer_form"] = answer_form or AnswerForm(item=item)
    if context["may_handle"] and (convert_form or item.state in CONVERTIBLE):
        context["convert_form"] = convert_form or ConvertForm(item=item, user=request.user)
    return render(request, "problems/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request, pk: int):
    return _render_detail(request, _get_request(request, pk))


def _saved(form, by) -> bool:
    """Validate and save; a change made meanwhile by someone else becomes a form error."""
    if not form.is_valid():
        return False
    try:
        form.save(by=by)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@login_required
@require_POST
def request_answer(request, pk: int):
    item = _get_request(request, pk, for_write=True)
    form = AnswerForm(request.POST, item=item)
    if _saved(form, request.user):
        messages.success(request, _("已答复，并已通知企业。"))
        return redirect("problems:request_detail", pk=item.pk)
    return _render_detail(request, item, answer_form=form, status=400)


@login_required
@require_POST
def request_convert(request, pk: int):
    item = _get_request(request, pk, for_write=True)
    form = ConvertForm(request.POST, item=item, user=request.user)
    if _saved(form, request.user):
        messages.success(request, _("已转为问题挂号办理，并已通知企业。"))
        return redirect("problems:request_detail", pk=item.pk)
    return _render_detail(request, item, convert_form=form, status=400)


urlpatterns = [
    path("requests/", request_list, name="requests"),
    path("requests/new/", request_create, name="request_create"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
    path("requests/<int:pk>/answer/", request_answer, name="request_answer"),
    path("requests/<int:pk>/convert/", request_convert, name="request_convert"),
]
