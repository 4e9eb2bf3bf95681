"""The REST API: one viewset per resource over the screens' querysets, rules (``api.permissions``) and forms
(``api.validation``), the OpenAPI schema, and its documentation page."""

import copy

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, renderers, routers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from approvals.forms import ItemForm
from approvals.models import ApprovalItem
from attraction.models import Agreement, FundArrival, Lead
from batches import stalled as stalled_lists
from batches.models import BatchEntry, BatchEvent
from bulletins.models import Bulletin
from org.models import Department, Region
from problems.forms import ActionForm, ProblemForm
from problems.models import Problem, ProblemEvent
from projects.filtersets import ProjectFilterSet
from projects.forms import ProjectForm, StageActionForm
from projects.models import AnnualPlan, Project, StageChange, project_visibility
from rankings.models import RankingSnapshot, RegionTarget
from rankings.targets import gap_by_department, gap_table, region_gap
from reports.colours import current_month
from reports.forms import CorrectionForm, ReportForm, ReturnForm
from reports.models import MonthlyReport, Period

from . import serializers as s
from .base import ApiViewSet, ReadOnlyBrowsableRenderer, ScopedApiMixin
from .filters import (
    ApiAgreementFilterSet,
    ApiItemFilterSet,
    ApiLeadFilterSet,
    ApiProblemFilterSet,
    BulletinFilterSet,
    DepartmentFilterSet,
    EventFilterSet,
    RegionFilterSet,
    ReportFilterSet,
    SnapshotFilterSet,
    TargetFilterSet,
)
from .ledger import ledger_rows
from .permissions import (
    READ,
    Rule,
    acts_on_problem,
    edits_approval_item,
    edits_projects,
    files_reports,
    governs,
    oversees_reports,
    raises_problems,
    reads_approval_lists,
    reads_attraction,
    reads_problem,
    reads_report,
    reports_on,
    require,
    reviews_report,
    writes_report,
    writes_reports,
)
from .validation import NON_FIELD, form_data, form_errors, model_error, refuse, validate_form

ReadViewSet = (mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet)


def _parsed(serializer_class, request, *, partial: bool = False) -> dict:
    """The request body parsed and type-checked by ``serializer_class`` (400 on bad input)."""
    incoming = serializer_class(data=request.data, partial=partial)
    incoming.is_valid(raise_exception=True)
    return dict(incoming.validated_data)


def _call(method, *args, **kwargs):
    """A model method whose ValidationError is the client's to fix: a 400."""
    try:
        return method(*args, **kwargs)
    except DjangoValidationError as error:
        raise model_error(error) from None


def _visible_project(user, pk: int) -> Project:
    """A project named in a request body: outside the user's rows it is bad input, not a 404 of the URL."""
    project = Project.objects.visible_to(user).select_related("region").filter(pk=pk).first()
    if project is None:
        raise refuse("project", _("项目不存在或不在您的区划范围内。"))
    return project


# ---- regions and departments ----


@extend_schema(tags=[_("行政区划")])
class RegionViewSet(*ReadViewSet):
    """行政区划：用户所在区划及其下级（含开发区）。"""

    model = Region
    serializer_class = s.RegionSerializer
    filterset_class = RegionFilterSet
    rules = {"list": READ, "retrieve": READ}

    def visible(self, user):
        return Region.objects.visible_to(user).order_by("path")


@extend_schema(tags=[_("部门")])
class DepartmentViewSet(*ReadViewSet):
    """部门（责任单位）：用户所在区划及其下级的部门。"""

    model = Department
    serializer_class = s.DepartmentSerializer
    filterset_class = DepartmentFilterSet
    rules = {"list": READ, "retrieve": READ}

    def visible(self, user):
        return Department.objects.visible_to(user).select_related("region").order_by("region__path", "name", "pk")


# ---- projects ----


def _plan_year(request) -> int:
    """``?year=YYYY`` for the annual plan column, as on the ledger; anything else is this year."""
    value = request.query_params.get("year", "")
    year = int(value) if value.isdigit() else 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


YEAR = OpenApiParameter("year", OpenApiTypes.INT, description=_("年度计划投资的年度，默认今年"))


@extend_schema(tags=[_("重点项目")])
@extend_schema_view(list=extend_schema(parameters=[YEAR]), retrieve=extend_schema(parameters=[YEAR]))
class ProjectViewSet(*ReadViewSet):
    """重点项目台账：用户所在区划及其下级的项目（企业用户仅本企业项目）；筛选同台账页面。

    新建和修改（重点办、管理员）与编辑页同一套校验；修改只改所给字段，`annual_plans` 给出时整体替换。
    """

    model = Project
    filterset_class = ProjectFilterSet
    rules = {
        "list": READ,
        "retrieve": READ,
        "create": Rule(user=edits_projects),
        "partial_update": Rule(obj=edits_projects),
        "stage": Rule(obj=edits_projects),
    }

    def get_serializer_class(self):
        return s.ProjectListSerializer if self.action == "list" else s.ProjectSerializer

    def visible(self, user):
        return Project.objects.visible_to(user).with_annual_plan(_plan_year(self.request))

    def reachable(self, user):
        return (
            self.visible(user)
            .select_related("region", "zone", "department", "leader")
            .prefetch_related("chain_tags", "annual_plans", "milestones", "reporters")
        )

    def list(self, request):
        # Counted and paged on the keys alone (no joins for SQLite's planner to start from), then the page's
        # rows written straight from the database's values (api/ledger.py).
        keys = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values_list("pk", flat=True))
        return self.get_paginated_response(ledger_rows(keys, _plan_year(request)))

    @extend_schema(request=s.ProjectInputSerializer, responses={201: s.ProjectSerializer})
    def create(self, request):
        project = self._save(Project(), partial=False)
        location = reverse("api:project-detail", args=[project.pk])
        return Response(self._read(project), status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(request=s.ProjectInputSerializer, responses=s.ProjectSerializer)
    def partial_update(self, request, pk=None):
        return Response(self._read(self._save(self.get_object(), partial=True)))

    @extend_schema(request=s.StageActionSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        """阶段操作：推进、暂停、恢复、终止、阶段更正，规则同项目页的阶段操作。"""
        project = self.get_object()
        form = validate_form(StageActionForm(_parsed(s.StageActionSerializer, request), project=project))
        if form.apply(by=request.user) is None:
            raise ValidationError(form_errors(form))
        return Response(self._read(project))

    def _save(self, project: Project, *, partial: bool) -> Project:
        changes = _parsed(s.ProjectInputSerializer, self.request, partial=partial)
        plans = changes.pop("annual_plans", None)
        user = self.request.user
        unbound = ProjectForm(instance=project, user=user)
        form = validate_form(ProjectForm(form_data(unbound, changes), instance=project, user=user))
        return _save_project(form, plans, by=user)

    def _read(self, project: Project) -> dict:
        fresh = self.reachable(self.request.user).get(pk=project.pk)
        return s.ProjectSerializer(fresh, context=self.get_serializer_context()).data


@transaction.atomic
def _save_project(form: ProjectForm, plans: list[dict] | None, by) -> Project:
    """The project, its annual plans if given, and a new project's first stage entry: all or nothing.

    An unchanged form saves nothing, so a PATCH that changes nothing leaves no history entry."""
    is_new = form.instance.pk is None
    project = form.save() if is_new or form.has_changed() else form.instance
    if plans is not None:
        _replace_plans(project, {plan["year"]: plan["amount"] for plan in plans})
    if is_new:
        StageChange.objects.create(
            project=project, from_stage="", to_stage=project.stage, on=timezone.localdate(), by=by,
            note=gettext("新建项目"),
        )  # fmt: skip
    return project


def _replace_plans(project: Project, amounts: dict) -> None:
    """Each plan saved on its own (history, colour recompute): removed, changed, added."""
    existing = {plan.year: plan for plan in AnnualPlan.objects.filter(project=project)}
    for year, plan in existing.items():
        if year not in amounts:
            plan.delete()
        elif plan.amount != amounts[year]:
            plan.amount = amounts[year]
            plan.save()
    for year in sorted(amounts.keys() - existing.keys()):
        AnnualPlan.objects.create(project=project, year=year, amount=amounts[year])


# ---- monthly reports ----


def _check_month(year: int, month: int) -> None:
    """A real month, not in the future (the report page answers 404 for these; a body's bad value is a 400)."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise refuse("month", _("请填写有效的年度和月份。"))
    if (year, month) > current_month():
        raise refuse("month", _("不能填报未来月份的月报。"))


@extend_schema(tags=[_("月报")])
class MonthlyReportViewSet(*ReadViewSet):
    """月报：重点办、管理员和领导看所辖全部，填报员看所填项目的月报。

    填报员（及重点办）新建、修改、提交草稿或被退回的月报；重点办审核通过、退回、更正，规则同月报页面。
    `ytd_completed`、`since_start_completed` 为已审核月份截至本月的累计。
    """

    model = MonthlyReport
    filterset_class = ReportFilterSet
    rules = {
        "list": Rule(user=files_reports),
        "retrieve": Rule(obj=reads_report),
        "create": Rule(user=writes_reports),
        "partial_update": Rule(obj=writes_report),
        "submit": Rule(obj=writes_report),
        "approve": Rule(obj=reviews_report),
        "return_report": Rule(obj=reviews_report),
        "correct": Rule(obj=reviews_report),
    }

    def get_serializer_class(self):
        return s.MonthlyReportSerializer if self.action == "list" else s.MonthlyReportDetailSerializer

    def visible(self, user):
        reports = MonthlyReport.objects.visible_to(user)
        if not oversees_reports(user):
            reports = reports.filter(project__reporters=user)  # a reporter: the projects assigned to it
        return self._annotated(reports)

    def reachable(self, user):
        return self._annotated(MonthlyReport.objects.visible_to(user)).prefetch_related("corrections__by")

    @staticmethod
    def _annotated(reports):
        return (
            reports.with_totals()
            .select_related("project", "period", "submitted_by", "approved_by")
            .order_by("-year", "-month", "project__name", "pk")
        )

    @extend_schema(request=s.ReportInputSerializer, responses={201: s.MonthlyReportDetailSerializer})
    def create(self, request):
        data = _parsed(s.ReportInputSerializer, request)
        project = _visible_project(request.user, data.pop("project"))
        require(reports_on(request.user, project.pk))
        year, month = data.pop("year"), data.pop("month")
        _check_month(year, month)
        if MonthlyReport.objects.filter(project=project, year=year, month=month).exists():
            raise refuse(NON_FIELD, _("该月月报已存在，请修改已有的月报。"))
        report = self._save(MonthlyReport(project=project, year=year, month=month), data)
        return Response(self._read(report), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReportChangeSerializer, responses=s.MonthlyReportDetailSerializer)
    def partial_update(self, request, pk=None):
        report = self.get_object()
        return Response(self._read(self._save(report, _parsed(s.ReportChangeSerializer, request, partial=True))))

    @extend_schema(request=None, responses=s.MonthlyReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """提交草稿或被退回的月报（校验同页面上的“提交”）。"""
        return Response(self._read(self._save(self.get_object(), {"submit": True})))

    @extend_schema(request=None, responses=s.MonthlyReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """审核通过已提交的月报。"""
        report = self.get_object()
        _call(report.approve, by=request.user)
        return Response(self._read(report))

    @extend_schema(request=s.ReturnSerializer, responses=s.MonthlyReportDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_report(self, request, pk=None):
        """退回已提交的月报，须写明原因；本期关账后不能退回。"""
        report = self.get_object()
        form = validate_form(ReturnForm(_parsed(s.ReturnSerializer, request)))
        if report.period.is_closed:
            raise refuse(NON_FIELD, _("本期已关账，不能退回；如数据有误请审核后更正。"))
        _call(report.return_to_reporter, by=request.user, reason=form.cleaned_data["return_reason"])
        return Response(self._read(report))

    @extend_schema(request=s.CorrectionInputSerializer, responses=s.MonthlyReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """更正已审核月报的本月完成投资（留痕；关账后记为重述）。"""
        report = self.get_object()
        form = validate_form(CorrectionForm(_parsed(s.CorrectionInputSerializer, request)))
        if form.apply(report, by=request.user) is None:
            raise ValidationError(form_errors(form))
        return Response(self._read(report))

    def _save(self, report: MonthlyReport, changes: dict) -> MonthlyReport:
        """Save (and submit, if asked) a draft through the report form, as the report page does; all or nothing."""
        submit = changes.pop("submit", False)
        with transaction.atomic():
            if report.pk is None:
                report.period = Period.for_month(report.project.region, report.year, report.month)
            if not report.is_editable or report.period.is_closed:
                raise refuse(NON_FIELD, _("该月报当前不能修改（已提交、已审核或本期已关账）。"))
            if report.pk and not changes and not submit:
                return report
            unbound = ReportForm(instance=report)
            form = validate_form(ReportForm(form_data(unbound, changes), instance=report, milestones=()))
            try:
                return form.save_report(by=self.request.user, submit=submit)
            except DjangoValidationError as error:
                raise model_error(error) from None
            except IntegrityError:  # two first saves of the same month at once: the other one won
                raise refuse(NON_FIELD, _("该月报刚由他人保存，请刷新页面后再修改。")) from None

    def _read(self, report: MonthlyReport) -> dict:
        fresh = self.reachable(self.request.user).get(pk=report.pk)
        return s.MonthlyReportDetailSerializer(fresh, context=self.get_serializer_context()).data


# ---- problems ----


@extend_schema(tags=[_("问题督办")])
class ProblemViewSet(*ReadViewSet):
    """问题（挂号销号）：所辖项目的问题，部门经办人员只看本部门的；筛选同问题清单页面。

    挂号：重点办、领导、项目的填报员；未给出责任单位、责任领导时取项目的。
    办理（`act`）：本部门经办人员签收、申请销号，重点办另可确认销号、退回；附件用 multipart/form-data 上传。
    """

    model = Problem
    filterset_class = ApiProblemFilterSet
    rules = {
        "list": READ,
        "retrieve": Rule(obj=reads_problem),
        "create": Rule(user=raises_problems),
        "act": Rule(obj=acts_on_problem),
    }

    def get_serializer_class(self):
        return s.ProblemSerializer if self.action == "list" else s.ProblemDetailSerializer

    def visible(self, user):
        return Problem.objects.visible_to(user).select_related("project__region", "department", "leader", "raised_by")

    def reachable(self, user):
        # As on the problem's page: another department's problem is found (403), an enterprise finds none (404).
        problems = Problem.objects.none() if user.is_enterprise else Problem.objects.all()
        events = Prefetch("events", ProblemEvent.objects.select_related("by"))
        return (
            problems.filter(project_visibility(user, "project__"))
            .select_related("project__region", "department", "leader", "raised_by")
            .prefetch_related(events)
        )

    @extend_schema(request=s.ProblemInputSerializer, responses={201: s.ProblemDetailSerializer})
    def create(self, request):
        data = _parsed(s.ProblemInputSerializer, request)
        project = _visible_project(request.user, data.pop("project"))
        require(Problem.may_raise(request.user, project))
        data.setdefault("department", project.department_id)
        data.setdefault("leader", project.leader_id)
        form = validate_form(ProblemForm(data, project=project, user=request.user))
        problem = form.register(by=request.user)
        return Response(self._read(problem), status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/json": s.ProblemActionSerializer, "multipart/form-data": s.ProblemActionSerializer},
        responses=s.ProblemDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        """办理一步：accept 签收、propose 申请销号（须填办理结果）、strike_off 确认销号、return 退回（须填原因）。"""
        problem = self.get_object()
        data = _parsed(s.ProblemActionSerializer, request)
        name = data["action"]
        require(problem.may(request.user, name))
        form = validate_form(ActionForm({"action": name, "note": data.get("note", "")}, request.FILES, action=name))
        note, attachment = form.cleaned_data["note"], form.cleaned_data["attachment"]
        _call(problem.act, name, by=request.user, note=note, attachment=attachment)
        return Response(self._read(problem))

    def _read(self, problem: Problem) -> dict:
        fresh = self.reachable(self.request.user).get(pk=problem.pk)
        return s.ProblemDetailSerializer(fresh, context=self.get_serializer_context()).data


# ---- approval items ----


@extend_schema(tags=[_("前期手续")])
class ApprovalItemViewSet(*ReadViewSet):
    """前期手续事项：清单为政府用户所辖（部门经办人员为本部门）的事项，企业用户只能查看本企业项目的单个事项。

    修改：重点办、管理员可改全部字段，本部门经办人员只可改办理进度（状态、申报日期、办结日期、批复文号）。
    """

    model = ApprovalItem
    filterset_class = ApiItemFilterSet
    serializer_class = s.ApprovalItemSerializer
    rules = {
        "list": Rule(user=reads_approval_lists),
        "retrieve": READ,
        "partial_update": Rule(obj=edits_approval_item),
    }

    def visible(self, user):
        return (
            ApprovalItem.objects.visible_to(user)
            .select_related("project", "department")
            .order_by("project__region__path", "project__name", "sort_order", "pk")
        )

    def reachable(self, user):
        return ApprovalItem.objects.readable_by(user).select_related("project__region", "department")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(request=s.ApprovalItemChangeSerializer, responses=s.ApprovalItemSerializer)
    def partial_update(self, request, pk=None):
        item = self.get_object()
        changes = _parsed(s.ApprovalItemChangeSerializer, request, partial=True)
        unbound = ItemForm(instance=copy.copy(item), user=request.user)
        refused = sorted(changes.keys() - unbound.fields.keys())
        if refused:
            raise ValidationError({name: [_("您无权修改该项。")] for name in refused})
        # The form writes into its instance even when invalid: a copy, so the answer shows the item as saved.
        form = validate_form(ItemForm(form_data(unbound, changes), instance=copy.copy(item), user=request.user))
        if form.has_changed():
            form.save()
        fresh = self.reachable(request.user).get(pk=item.pk)
        return Response(s.ApprovalItemSerializer(fresh, context=self.get_serializer_context()).data)


# ---- investment attraction (read-only) ----

ATTRACTION = Rule(user=reads_attraction)  # a role with no business here: 403 before anything is looked up


@extend_schema(tags=[_("招商引资")])
class LeadViewSet(*ReadViewSet):
    """招商线索：招商专员、重点办、管理员、领导可查看所辖区划的线索；筛选同线索看板（另可按阶段筛选）。"""

    model = Lead
    serializer_class = s.LeadSerializer
    filterset_class = ApiLeadFilterSet
    rules = {"list": ATTRACTION, "retrieve": ATTRACTION}

    def visible(self, user):
        return (
            Lead.objects.visible_to(user)
            .select_related("region", "enterprise", "promoter", "department", "leader", "project")
            .prefetch_related("chain_tags")
        )


@extend_schema(tags=[_("招商引资")])
class AgreementViewSet(*ReadViewSet):
    """签约协议：合同投资、约定开工日期、已到位资金、是否签而未开；筛选同签约协议列表。"""

    model = Agreement
    serializer_class = s.AgreementSerializer
    filterset_class = ApiAgreementFilterSet
    rules = {"list": ATTRACTION, "retrieve": ATTRACTION}

    def visible(self, user):
        funds = FundArrival._base_manager.filter(agreement=OuterRef("pk")).order_by().values("agreement")
        arrived = Subquery(funds.annotate(total=Sum("amount")).values("total"), output_field=DecimalField())
        return (
            Agreement.objects.visible_to(user)
            .select_related("region", "lead__enterprise", "lead__project")
            .annotate(arrived=Coalesce(arrived, Value(0), output_field=DecimalField()))
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


# ---- targets, rankings, the three batches, the stalled lists, bulletins (read-only) ----

GOVERNMENT = Rule(user=governs)  # an enterprise: 403 before anything is looked up, as on the screens


def _subtree(queryset, user, prefix: str = ""):
    """Rows of the user's region subtree (a superuser without a region: all)."""
    if user.region_id is None:
        return queryset if user.is_superuser else queryset.none()
    return queryset.filter(**{f"{prefix}region__path__startswith": user.region.path})


@extend_schema(tags=[_("目标分解")])
class TargetViewSet(*ReadViewSet):
    """区划投资目标：所辖区划各年度的固定资产投资目标和重点项目投资计划；详情另含目标差距表（本级、下级区划、部门），
    同目标差距页面。企业用户无权查看。"""

    model = RegionTarget
    filterset_class = TargetFilterSet
    rules = {"list": GOVERNMENT, "retrieve": GOVERNMENT}

    def get_serializer_class(self):
        return s.RegionTargetSerializer if self.action == "list" else s.RegionTargetDetailSerializer

    def visible(self, user):
        return (
            _subtree(RegionTarget.objects.all(), user).select_related("region").order_by("-year", "region__path", "pk")
        )

    def retrieve(self, request, pk=None):
        target = self.get_object()
        region, year = target.region, target.year
        target.gap = region_gap(region, year)
        target.regions = gap_table(region, year)
        target.departments = [row for row in gap_by_department(region, year) if _has_figures(row)]
        return Response(self.get_serializer(target).data)


def _has_figures(row) -> bool:
    """A department with a target, a plan or money spent, as on the gap table."""
    return any([row.fai_target is not None, row.plan_target is not None, row.annual_plan, row.completed])


@extend_schema(tags=[_("赛马排名")])
class RankingSnapshotViewSet(*ReadViewSet):
    """赛马排名快照：本区划、上级区划和下级区划已发布的排名（草稿仅本区划及下级的重点办、管理员可见）；
    详情含各排名对象的得分、名次、名次变化和各项指标。企业用户无权查看。"""

    model = RankingSnapshot
    filterset_class = SnapshotFilterSet
    rules = {"list": GOVERNMENT, "retrieve": READ}  # an enterprise's snapshot: 404, as on the snapshot page

    def get_serializer_class(self):
        return s.RankingSnapshotSerializer if self.action == "list" else s.RankingSnapshotDetailSerializer

    def visible(self, user):
        return (
            RankingSnapshot.objects.visible_to(user)
            .select_related("region", "computed_by", "published_by")
            .order_by("-year", "-period", "kind", "dimension", "region__path", "-version", "pk")
        )

    def reachable(self, user):
        return self.visible(user).prefetch_related("entries")


@extend_schema(tags=[_("三个一批")])
class BatchEventViewSet(*ReadViewSet):
    """三个一批活动：所辖区划举办的活动；详情含签约、开工、投产三批各自的个数、总投资和项目（列入时固定的数据）。"""

    model = BatchEvent
    filterset_class = EventFilterSet
    rules = {"list": GOVERNMENT, "retrieve": GOVERNMENT}

    def get_serializer_class(self):
        return s.BatchEventSerializer if self.action == "list" else s.BatchEventDetailSerializer

    def visible(self, user):
        return BatchEvent.objects.visible_to(user).select_related("region").order_by("-held_on", "-pk")

    def retrieve(self, request, pk=None):
        event = self.get_object()
        entries = BatchEntry.objects.filter(event=event).with_ledger_changes()
        event.api_entries = list(entries.order_by("kind", "-total_investment", "pk"))
        return Response(self.get_serializer(event).data)


LIST = OpenApiParameter("list", OpenApiTypes.STR, enum=stalled_lists.KEYS, description=_("清单，默认签而未开"))
REGION = OpenApiParameter("region", OpenApiTypes.INT, description=_("区划 ID，默认用户所在区划"))


@extend_schema(tags=[_("三未项目")])
class StalledViewSet(ApiViewSet):
    """三未项目清单：签而未开、开而未竣、竣而未投（按项目阶段和计划日期推算），及签约协议逾期未开工。"""

    model = Project
    filter_backends = []
    rules = {"list": GOVERNMENT, "counts": GOVERNMENT}

    @extend_schema(parameters=[LIST, REGION], responses=s.StalledRowSerializer(many=True))
    def list(self, request):
        key = request.query_params.get("list", "") or stalled_lists.KEYS[0]
        if key not in stalled_lists.KEYS:
            raise refuse("list", _("没有这个清单。"))
        require(key in stalled_lists.keys_for(request.user))
        rows = stalled_lists.stalled_list(key, self._region(), timezone.localdate())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.StalledRowSerializer(page, many=True).data)

    @extend_schema(parameters=[REGION], responses=s.StalledCountSerializer(many=True))
    @action(detail=False)
    def counts(self, request):
        """各清单的项目（协议）个数。"""
        counts = stalled_lists.stalled_counts(self._region(), timezone.localdate())
        rows = [
            {"list": key, "label": stalled_lists.LISTS[key].label, "title": stalled_lists.LISTS[key].title,
             "count": counts[key]}
            for key in stalled_lists.keys_for(request.user)
        ]  # fmt: skip
        return Response(s.StalledCountSerializer(rows, many=True).data)

    def _region(self) -> Region | None:
        """``?region=<id>`` in the user's subtree (elsewhere: bad input), else the user's own region."""
        value = self.request.query_params.get("region", "")
        if not value:
            return self.request.user.region
        region = Region.objects.visible_to(self.request.user).filter(pk=int(value)).first() if value.isdigit() else None
        if region is None:
            raise refuse("region", _("区划不存在或不在您的区划范围内。"))
        return region


@extend_schema(tags=[_("月度通报")])
class BulletinViewSet(*ReadViewSet):
    """月度通报：所辖区划已印发的通报（草稿仅重点办、管理员可见）：文号、状态和 Word、PDF、Excel 附件的下载地址。"""

    model = Bulletin
    serializer_class = s.BulletinSerializer
    filterset_class = BulletinFilterSet
    rules = {"list": GOVERNMENT, "retrieve": GOVERNMENT}

    def visible(self, user):
        return (
            Bulletin.objects.visible_to(user)
            .annotate(title=KT("content__meta__title"))
            .defer("content")
            .select_related("region", "generated_by", "issued_by")
            .order_by("-year", "-month", "region__path", "pk")
        )


# ---- the schema, its documentation page, the API root ----


class SchemaView(ScopedApiMixin, SpectacularAPIView):
    """The OpenAPI 3 schema of this API (YAML; ``?format=json`` for JSON)."""


@login_required
@require_GET
def docs(request):
    """The interactive documentation (Swagger UI, served from this site's static files)."""
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})


class RootView(ScopedApiMixin, routers.APIRootView):
    """重大项目建设管理平台 API：各资源的地址。文档见 /api/docs/，OpenAPI 描述见 /api/schema/。"""

    renderer_classes = [renderers.JSONRenderer, ReadOnlyBrowsableRenderer]
