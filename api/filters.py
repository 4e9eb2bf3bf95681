"""The API's filters: the screens' own FilterSets (one FilterSet serves the page, the export and the API), plus
small ones for the lists that have no screen of their own."""

import copy

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from approvals.filtersets import ItemFilterSet
from attraction.filtersets import AgreementFilterSet, LeadFilterSet
from attraction.models import LeadStage
from batches.models import BatchEvent
from bulletins.models import Bulletin
from bulletins.models import Status as BulletinStatus
from org.models import Department, Region
from problems.filtersets import ProblemFilterSet
from rankings.models import Dimension, Kind, RankingSnapshot, RegionTarget
from reports.filtersets import QueueFilterSet
from reports.models import MonthlyReport, ReportStatus


class ScopedFilterBackend(DjangoFilterBackend):
    """The FilterSets offer the user's region subtree as choices, so they take the user."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "user": request.user}


def _an_id(filterset_class, name: str = "region") -> django_filters.Filter:
    """The inherited filter ``name``, as this class's own copy marked as taking an id for the schema (the filter
    works through a method or a path the schema generator cannot follow to the model field's type)."""
    return extend_schema_field(OpenApiTypes.INT)(copy.deepcopy(filterset_class.declared_filters[name]))


class _UserFilterSet(django_filters.FilterSet):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)


class RegionFilterSet(_UserFilterSet):
    q = django_filters.CharFilter(label=_("名称或代码"), method="filter_text")
    kind = django_filters.ChoiceFilter(label=_("层级"), choices=Region.Kind.choices)
    parent = django_filters.NumberFilter(label=_("上级区划 ID"), field_name="parent_id")

    class Meta:
        model = Region
        fields = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value)) if value else queryset


class DepartmentFilterSet(_UserFilterSet):
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="icontains")
    region = django_filters.NumberFilter(label=_("所属区划 ID"), field_name="region_id")

    class Meta:
        model = Department
        fields = []


class ReportFilterSet(QueueFilterSet):
    """The approval queue's filters (name or code, region, flagged), plus the month, the status and the project."""

    region = _an_id(QueueFilterSet)
    year = django_filters.NumberFilter(label=_("年度"))
    month = django_filters.NumberFilter(label=_("月份"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReportStatus.choices)
    project = django_filters.NumberFilter(label=_("项目 ID"), field_name="project_id")

    class Meta(QueueFilterSet.Meta):
        model = MonthlyReport


class ApiProblemFilterSet(ProblemFilterSet):
    """The problem list's filters, plus one project."""

    region = _an_id(ProblemFilterSet)
    project = django_filters.NumberFilter(label=_("项目 ID"), field_name="project_id")


class ApiItemFilterSet(ItemFilterSet):
    """The approval item list's filters, plus one project."""

    region = _an_id(ItemFilterSet)
    project = django_filters.NumberFilter(label=_("项目 ID"), field_name="project_id")


class ApiLeadFilterSet(LeadFilterSet):
    """The lead board's filters, plus the stage (the board shows the stages as columns)."""

    stage = django_filters.ChoiceFilter(label=_("阶段"), choices=LeadStage.choices)


class ApiAgreementFilterSet(AgreementFilterSet):
    """The agreement list's filters."""

    promoter = _an_id(AgreementFilterSet, "promoter")


class TargetFilterSet(_UserFilterSet):
    year = django_filters.NumberFilter(label=_("年度"))
    region = django_filters.NumberFilter(label=_("区划 ID"), field_name="region_id")

    class Meta:
        model = RegionTarget
        fields = []


class SnapshotFilterSet(_UserFilterSet):
    # Typed as a plain string: a second enum named "kind" (the regions' is the first) has no stable schema name.
    kind = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ChoiceFilter(label=_("周期：month 月度，quarter 季度"), choices=Kind.choices)
    )
    dimension = django_filters.ChoiceFilter(label=_("排名对象"), choices=Dimension.choices)
    year = django_filters.NumberFilter(label=_("年度"))
    period = django_filters.NumberFilter(label=_("月份/季度"))
    region = django_filters.NumberFilter(label=_("区划 ID"), field_name="region_id")

    class Meta:
        model = RankingSnapshot
        fields = []


class EventFilterSet(_UserFilterSet):
    region = django_filters.NumberFilter(label=_("举办区划 ID"), field_name="region_id")
    year = django_filters.NumberFilter(label=_("活动年度"), field_name="held_on__year")

    class Meta:
        model = BatchEvent
        fields = []


class BulletinFilterSet(_UserFilterSet):
    region = django_filters.NumberFilter(label=_("区划 ID"), field_name="region_id")
    year = django_filters.NumberFilter(label=_("年度"))
    month = django_filters.NumberFilter(label=_("月份"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=BulletinStatus.choices)

    class Meta:
        model = Bulletin
        fields = []
