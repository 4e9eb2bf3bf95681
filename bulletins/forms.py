import datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapMixin
from org.models import Region
from reports.colours import current_month
from reports.models import previous_month


class GenerateForm(BootstrapMixin, forms.Form):
    """Which region's bulletin for which month: the user's region or one below it (not a development zone)."""

    region = SafeModelChoiceField(
        label=_("区划"),
        queryset=Region.objects.none(),
        error_messages={"required": _("请选择区划。"), "invalid_choice": _("所选区划不在您的管辖范围内。")},
    )
    month = forms.CharField(
        label=_("月份"),
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages={"required": _("请选择月份。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user).exclude(kind=Region.Kind.ZONE).order_by("path")
        this_year, this_month = current_month()
        self.fields["month"].widget.attrs["max"] = f"{this_year}-{this_month:02d}"
        if not self.is_bound:
            year, month = previous_month(this_year, this_month)
            self.initial = {"region": user.region_id, "month": f"{year}-{month:02d}", **self.initial}

    def clean_month(self) -> tuple[int, int]:
        try:
            chosen = datetime.datetime.strptime(self.cleaned_data["month"].strip(), "%Y-%m")
        except ValueError:
            raise forms.ValidationError(_("请按“年-月”选择月份，例如 2026-10。")) from None
        value = (chosen.year, chosen.month)
        if value < (2000, 1):
            raise forms.ValidationError(_("月份不能早于 2000 年。"))
        if value > current_month():
            raise forms.ValidationError(_("不能为尚未到来的月份生成通报。"))
        return value
