"""The approval queue's and the colour list's filters; the colour list's also drives its export."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm
from org.models import Region, User

from .models import Colour, MonthlyReport, ProjectColour

ALL = _("全部")


def _regions(user: User):
    # Projects sit in cities and counties; a zone's projects are found through their county.
    return Region.objects.visible_to(user).exclude(kind=Region.Kind.ZONE)


class _RegionFilterMixin:
    def filter_region(self, queryset, name, region):
        return queryset.filter(project__region__path__startswith=region.path)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(project__name__icontains=value) | Q(project__national_code__icontains=value))


class QueueFilterSet(_RegionFilterMixin, django_filters.FilterSet):
    FLAGGED = "flagged"

    q = django_filters.CharFilter(label=_("项目名称或代码"), method="filter_text")
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    flag = django_filters.ChoiceFilter(
        label=_("提示"), empty_label=ALL, choices=[(FLAGGED, _("仅异常波动或超总投资"))], method="filter_flag"
    )

    class Meta:
        model = MonthlyReport
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = _regions(user)

    def filter_flag(self, queryset, name, value):
        return queryset.filter(Q(is_outlier=True) | Q(over_total_confirmed=True)) if value else queryset


class ColourFilterSet(_RegionFilterMixin, django_filters.FilterSet):
    RED_AND_YELLOW, EVERY = "", "all"

    colour = django_filters.ChoiceFilter(
        label=_("颜色"),
        empty_label=_("红色和黄色"),
        choices=[*Colour.choices, (EVERY, _("全部颜色"))],
        method="filter_colour",
    )
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    q = django_filters.CharFilter(label=_("项目名称或代码"), method="filter_text")
    override = django_filters.BooleanFilter(
        label=_("仅人工调整"), method="filter_override", widget=forms.CheckboxInput
    )

    class Meta:
        model = ProjectColour
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = _regions(user)

    def filter_colour(self, queryset, name, value):
        return queryset if value == self.EVERY else queryset.filter(colour=value)

    def filter_override(self, queryset, name, value):
        return queryset.exclude(override_colour="") if value else queryset

    def filter_queryset(self, queryset):
        # With no colour chosen (or an invalid one) the page is the red and yellow list.
        if not self.form.cleaned_data.get("colour"):
            queryset = queryset.filter(colour__in=[Colour.RED, Colour.YELLOW])
        return super().filter_queryset(queryset)
