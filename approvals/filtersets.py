"""One FilterSet serves the approval item list and its CSV/XLSX export."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm
from org.models import Department, Region, User, ancestor_codes

from .models import ApprovalItem, ItemStatus, Kind

ALL = _("全部")
PENDING = "pending"


def departments_for(user: User):
    """Departments whose items a user may meet: its subtree's and those of the regions above it.

    The base manager: the regions above lie outside the user's scope, and their departments handle items too.
    """
    if user.region_id is None:
        return Department._base_manager.select_related("region").order_by("region__path", "name")
    region = user.region
    nearby = Q(region__path__startswith=region.path) | Q(region__code__in=ancestor_codes(region))
    return Department._base_manager.filter(nearby).order_by("region__path", "name")


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("项目名称或代码"), method="filter_text")
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"),
        empty_label=ALL,
        choices=[(PENDING, _("未办结（未启动或办理中）")), *ItemStatus.choices],
        method="filter_status",
    )
    kind = django_filters.ChoiceFilter(label=_("事项"), empty_label=ALL, choices=Kind.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("办理部门"), empty_label=ALL, queryset=Department.objects.none()
    )
    overdue = django_filters.BooleanFilter(label=_("仅逾期"), method="filter_overdue", widget=forms.CheckboxInput)

    class Meta:
        model = ApprovalItem
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = Region.objects.visible_to(user).exclude(kind=Region.Kind.ZONE)
        self.filters["department"].queryset = departments_for(user)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(project__name__icontains=value) | Q(project__national_code__icontains=value))

    def filter_region(self, queryset, name, region):
        return queryset.filter(project__region__path__startswith=region.path)

    def filter_status(self, queryset, name, value):
        return queryset.pending() if value == PENDING else queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset
