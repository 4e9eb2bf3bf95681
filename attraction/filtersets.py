"""One FilterSet per list: it serves the page and its XLSX/CSV export."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm
from org.models import Region, User
from projects.models import ChainTag

from .forms import promoters_for
from .models import ContactStatus, LeadStage, Source

ALL = _("全部")
TAGS = [
    ("leading", _("龙头企业")),
    ("specialised", _("专精特新")),
    ("listed", _("上市企业")),
    ("local", _("本地已落户")),
]
TAG_FIELDS = {"leading": "is_leading", "specialised": "is_specialised", "listed": "is_listed", "local": "is_local"}


def _regions(user: User):
    return Region.objects.visible_to(user)


class _RegionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    region = django_filters.ModelChoiceFilter(
        label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region"
    )
    promoter = django_filters.ModelChoiceFilter(label=_("招商专员"), empty_label=ALL, queryset=User.objects.none())

    text_fields: list[str] = []
    promoter_field = "promoter"

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["region"].queryset = _regions(user)
        self.filters["promoter"].queryset = promoters_for(user)
        self.filters["promoter"].field_name = self.promoter_field

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = Q()
        for field in self.text_fields:
            match |= Q(**{f"{field}__icontains": value})
        return queryset.filter(match)

    def filter_region(self, queryset, name, region):
        return queryset.filter(region__path__startswith=region.path)


class EnterpriseFilterSet(_RegionFilterSet):
    chain = django_filters.ModelChoiceFilter(
        label=_("产业链"), empty_label=ALL, queryset=ChainTag.objects.none(), method="filter_chain"
    )
    tag = django_filters.ChoiceFilter(label=_("企业标签"), empty_label=ALL, choices=TAGS, method="filter_tag")
    contact_status = django_filters.ChoiceFilter(label=_("对接状态"), empty_label=ALL, choices=ContactStatus.choices)

    text_fields = ["name", "credit_code", "headquarters"]

    class Meta:
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.filters["chain"].queryset = ChainTag.objects.visible_to(user).select_related("region")

    def filter_chain(self, queryset, name, chain):
        return queryset.filter(chain_links__chain=chain).distinct()

    def filter_tag(self, queryset, name, value):
        return queryset.filter(**{TAG_FIELDS[value]: True})


class LeadFilterSet(_RegionFilterSet):
    source = django_filters.ChoiceFilter(label=_("线索来源"), empty_label=ALL, choices=Source.choices)
    chain = django_filters.ModelChoiceFilter(
        label=_("产业链"), empty_label=ALL, queryset=ChainTag.objects.none(), field_name="chain_tags"
    )
    mine = django_filters.BooleanFilter(label=_("仅我负责的"), method="filter_mine", widget=forms.CheckboxInput)

    text_fields = ["name", "enterprise__name"]

    class Meta:
        fields = []
        form = BootstrapForm

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.filters["chain"].queryset = ChainTag.objects.visible_to(user).select_related("region")

    def filter_mine(self, queryset, name, value):
        return queryset.filter(promoter=self.user) if value else queryset


STALLED = "stalled"
STATES = [
    (STALLED, _("逾期未开工（签而未开）")),
    ("started", _("已开工")),
    ("waiting", _("未到约定开工日期")),
    ("dropped", _("已放弃（解约）")),
]


class AgreementFilterSet(_RegionFilterSet):
    year = django_filters.NumberFilter(label=_("签约年度"), field_name="signed_on", lookup_expr="year")
    state = django_filters.ChoiceFilter(label=_("履约状态"), empty_label=ALL, choices=STATES, method="filter_state")

    text_fields = ["name", "lead__enterprise__name"]
    promoter_field = "lead__promoter"

    class Meta:
        fields = []
        form = BootstrapForm

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == STALLED:
            return queryset.past_agreed_start(today)
        if value == "started":
            return queryset.filter(lead__project__started_on__isnull=False)
        if value == "dropped":
            return queryset.filter(lead__stage=LeadStage.DROPPED)
        return queryset.live().filter(agreed_start_on__gte=today, lead__project__started_on__isnull=True)
