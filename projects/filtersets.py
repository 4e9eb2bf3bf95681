"""One FilterSet serves the ledger page and its CSV/XLSX export (and later the API)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm
from org.models import Department, Region, User

from .models import Category, ChainTag, Level, Nature, Project, Stage

ALL = _("全部")


class ProjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    level = django_filters.ChoiceFilter(label=_("级别"), empty_label=ALL, choices=Level.choices)
    category = django_filters.ChoiceFilter(label=_("类别"), empty_label=ALL, choices=Category.choices)
    nature = django_filters.ChoiceFilter(label=_("性质"), empty_label=ALL, choices=Nature.choices)
    stage = django_filters.ChoiceFilter(label=_("阶段"), empty_label=ALL, choices=Stage.choices)
    chain_tag = django_filters.ModelChoiceFilter(
        label=_("产业链"), empty_label=ALL, field_name="chain_tags", queryset=ChainTag.objects.none()
    )
    leader = django_filters.ModelChoiceFilter(label=_("包联领导"), empty_label=ALL, queryset=User.objects.none())
    department = django_filters.ModelChoiceFilter(
        label=_("责任单位"), empty_label=ALL, queryset=Department.objects.none()
    )
    archived = django_filters.BooleanFilter(label=_("含已归档"), method="filter_archived", widget=forms.CheckboxInput)
    sort = django_filters.OrderingFilter(
        label=_("排序"),
        fields=[
            ("total_investment", "total_investment"),
            ("annual_plan", "annual_plan"),
            ("name", "name"),
            ("planned_start_on", "planned_start_on"),
            ("started_on", "started_on"),
            ("updated_at", "updated_at"),
        ],
        empty_label=_("默认（总投资从大到小）"),
        field_labels={
            "total_investment": _("总投资"),
            "annual_plan": _("年度计划"),
            "name": _("项目名称"),
            "planned_start_on": _("计划开工"),
            "started_on": _("实际开工"),
            "updated_at": _("更新时间"),
        },
    )

    class Meta:
        model = Project
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = Region.objects.visible_to(user)
        self.filters["chain_tag"].queryset = ChainTag.objects.visible_to(user)
        leaders = User.objects.around(user.region) if user.region_id else User.objects.all()
        self.filters["leader"].queryset = leaders.leaders()
        self.filters["department"].queryset = Department.objects.visible_to(user)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(national_code__icontains=value)
            | Q(owner_name__icontains=value)
            | Q(credit_code__icontains=value)
        )

    def filter_region(self, queryset, name, region):
        # A zone's projects are those placed in it; any other region means its whole subtree.
        if region.is_zone:
            return queryset.filter(zone=region)
        return queryset.filter(region__path__startswith=region.path)

    def filter_archived(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("archived"):
            queryset = queryset.current()
        return super().filter_queryset(queryset)
