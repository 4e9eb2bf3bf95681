"""One FilterSet serves the problem list and its XLSX/CSV export."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm
from org.models import Department, Region, User

from .models import OPEN_STATUSES, Category, Level, Problem, Status, today

ALL = _("全部")
OPEN = "open"


class ProblemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    status = django_filters.ChoiceFilter(
        label=_("状态"), empty_label=ALL, choices=[(OPEN, _("未销号（全部在办）")), *Status.choices],
        method="filter_status",
    )
    category = django_filters.ChoiceFilter(label=_("问题类别"), empty_label=ALL, choices=Category.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("责任单位"), empty_label=ALL, queryset=Department.objects.none()
    )
    level = django_filters.ChoiceFilter(label=_("督办级别"), empty_label=ALL, choices=Level.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    overdue = django_filters.BooleanFilter(label=_("仅逾期"), method="filter_overdue", widget=forms.CheckboxInput)
    sort = django_filters.OrderingFilter(
        label=_("排序"),
        fields=[("deadline", "deadline"), ("created_at", "created_at"), ("level", "level")],
        empty_label=_("默认（限时办结日期）"),
        field_labels={"deadline": _("限时办结日期"), "created_at": _("挂号时间"), "level": _("督办级别")},
    )

    class Meta:
        model = Problem
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["department"].queryset = Department.objects.visible_to(user)
        self.filters["region"].queryset = Region.objects.visible_to(user)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(description__icontains=value) | Q(project__name__icontains=value) | Q(project__national_code=value)
        )

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES) if value == OPEN else queryset.filter(status=value)

    def filter_region(self, queryset, name, region):
        # A zone's problems are those of projects placed in it; any other region means its whole subtree.
        if region.is_zone:
            return queryset.filter(project__zone=region)
        return queryset.filter(region_path__startswith=region.path)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(today()) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Ties (and the default) by deadline, then by when registered: a stable page order.
        chosen = list(self.form.cleaned_data.get("sort") or [])
        return queryset.order_by(*chosen, "deadline", "pk")
